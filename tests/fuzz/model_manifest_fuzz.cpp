// Fuzz target: ModelManifest::Read (engine/model_manifest.hpp), the reader of manifest.json, and
// the quick checks Engine::Open runs with what it read (CheckModelFiles, CheckModelConfig).
//
// At start the target lays out a model folder in its scratch folder from the seed corpora of
// the other loaders (graph.pgg, the *.emb, *_neighbors.bin and precomputed.bin of a
// `partnergraph build --data datasets/tiny` model, and that model's config.json), so that the
// checks compare a fuzzed manifest with real files. Input: manifest.json's text; when it holds
// one `"manifest_crc32": "` its 8 digits are rewritten to the text's checksum
// (fuzz_support.hpp), so that the keys after the checksum are parsed.
// Seeds: that model's manifest.json and a few hand-written variants (make_seed_corpus.py).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "fuzz_support.hpp"
#include "partnergraph/engine/model_manifest.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {

const std::filesystem::path& ModelDir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path model = ScratchDir() / "model";
    fs::create_directories(model);
    const fs::path corpus = fs::path(PG_SOURCE_DIR) / "tests/fuzz/corpus";
    const char* files[][2] = {
        {"graph_io", "graph.pgg"},
        {"embeddings", "merchants_svd.emb"},
        {"embeddings", "merchants_walk.emb"},
        {"embeddings", "skus_item2vec.emb"},
        {"neighbor_table", "sku_neighbors.bin"},
        {"neighbor_table", "merchant_neighbors.bin"},
        {"precomputed_answers", "precomputed.bin"},
        {"model_manifest", "config.json"},
    };
    for (const auto& [target, name] : files) {
      std::error_code ec;  // a missing seed only makes the checks report a missing file
      fs::copy_file(corpus / target / name, model / name, fs::copy_options::overwrite_existing, ec);
    }
    return model;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)ModelDir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text = AsString(data, size);
  FixManifestChecksum(text);
  WriteScratchFile("model/manifest.json", text);
  Result<ModelManifest> manifest = ModelManifest::Read(ModelDir());
  if (!manifest.ok()) return 0;
  std::size_t sink = manifest->file_names().size() + manifest->document().size();
  for (const auto& [name, entry] : manifest->files()) sink += name.size() + entry.size;
  // Read refuses a manifest naming anything but a plain file of the folder ("/etc/hostname",
  // "../x"), so the checks below only ever open files inside ModelDir().
  sink += CheckModelFiles(ModelDir(), *manifest).size();
  sink += CheckModelConfig(ModelDir(), *manifest).size();
  sink += CheckGraphFingerprint(*manifest, 0).has_value();
  volatile std::size_t keep = sink;
  (void)keep;
  return 0;
}
