// Models that prove they belong together (issue 19 item 3): manifest.json lists every file
// with its size and CRC-32, the graph each derived file was built from and the config digest;
// Engine::Open refuses a folder that does not match it, naming the file; the full check
// (`partnergraph verify`, tests/cli) reads every byte.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/model_folder.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "test_paths.hpp"
#include "tiny_model.hpp"

using namespace partnergraph;
namespace fs = std::filesystem;

namespace {

const fs::path& VerifyModel() {
  static const fs::path dir = testing::BuildTinyModel("verify_tiny_model");
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every problem the full check finds (what `partnergraph verify` prints, graph load aside).
std::vector<ModelProblem> FullCheck(const fs::path& dir) {
  auto manifest = ModelManifest::Read(dir);
  if (!manifest.ok()) return {{kManifestFileName, manifest.status()}};
  ModelCheckOptions full;
  full.full = true;
  auto problems = CheckModelFiles(dir, *manifest, full);
  for (auto& p : CheckModelConfig(dir, *manifest)) problems.push_back(std::move(p));
  return problems;
}

std::vector<std::string> ProblemFiles(const std::vector<ModelProblem>& problems) {
  std::vector<std::string> files;
  for (const auto& p : problems) files.push_back(p.file);
  return files;
}

}  // namespace

TEST_CASE("manifest.json lists every file of the model with its checksum and records", "[engine]") {
  const fs::path& dir = VerifyModel();
  auto manifest = ModelManifest::Read(dir);
  INFO(manifest.status().ToString());
  REQUIRE(manifest.ok());
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == kManifestFileName) continue;
    INFO(name);
    REQUIRE(manifest->files().contains(name));
    const ManifestEntry& e = manifest->files().at(name);
    const std::string bytes = ReadFile(entry.path());
    CHECK(e.size == bytes.size());
    // The CRC-32 the file records: of the bytes before its trailing checksum, or (config.json,
    // and a .faiss file through its sidecar) of all of them.
    const bool trailing = name != "config.json" && !name.ends_with(".faiss");
    CHECK(e.crc32 == Crc32(0, bytes.data(), trailing ? bytes.size() - 4 : bytes.size()));
    CHECK(e.sha256.size() == 64);
    const bool derived = name != "graph.pgg" && name != "config.json";
    CHECK(e.graph_fingerprint.has_value() == derived);
    if (derived) CHECK(*e.graph_fingerprint == manifest->graph_fingerprint());
    const bool with_config = name == "precomputed.bin" || name.ends_with("_neighbors.bin");
    CHECK(e.config_digest.has_value() == with_config);
    if (with_config) CHECK(e.config_digest == manifest->config_digest());
  }
  CHECK(manifest->config_digest() == ConfigDigest(ReadFile(dir / "config.json")));
  CHECK(FullCheck(dir).empty());
  REQUIRE(Engine::Open(dir).ok());
}

TEST_CASE(
    "A weight edited in config.json is refused by Open and reported by the check, "
    "until precompute recomputes the answers with it",
    "[engine]") {
  // Issue 19: after editing a weight, the precomputed answer (1.774) and the live one (2.013)
  // disagreed for the same merchant.
  const fs::path dir = testing::CopyModel(VerifyModel(), "verify_config_edit");
  auto config = nlohmann::json::parse(ReadFile(dir / "config.json"));
  config["recommend"]["partner_weights"]["shared_reach"] = 5.0;
  WriteFile(dir / "config.json", config.dump(2));

  auto engine = Engine::Open(dir);
  REQUIRE_FALSE(engine.ok());
  INFO(engine.status().ToString());
  CHECK(engine.status().IsInvalidArgument());
  CHECK(Contains(engine.status().message(), "config.json"));
  CHECK(Contains(engine.status().message(), "changed since the model was built"));
  CHECK(Contains(engine.status().message(), "partnergraph precompute"));
  CHECK(ProblemFiles(FullCheck(dir)) == std::vector<std::string>{"config.json"});

  // precompute's path: the answers recomputed with the edited config, the manifest resealed.
  ModelConfig loaded_config;
  auto parts = LoadRecommendModel(dir, /*neighbor_lists=*/false, &loaded_config);
  REQUIRE(parts.ok());
  auto folder = ModelFolder::BeginUpdate(dir);
  REQUIRE(folder.ok());
  REQUIRE(PrecomputeModel(*parts, loaded_config, folder->staging(), nullptr).ok());
  REQUIRE(folder->Publish().ok());
  CHECK(FullCheck(dir).empty());
  auto fixed = Engine::Open(dir);
  INFO(fixed.status().ToString());
  REQUIRE(fixed.ok());
  auto live = Engine::Open(dir, EngineOptions{1, /*use_precomputed=*/false});
  REQUIRE(live.ok());
  for (const char* m : {"m_bakery", "m_florist", "m_wine"}) {
    INFO(m);
    auto a = (*fixed)->RecommendPartners(m, 5, {});
    auto b = (*live)->RecommendPartners(m, 5, {});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->precomputed);
    REQUIRE(a->partners.size() == b->partners.size());
    for (std::size_t i = 0; i < a->partners.size(); ++i) {
      CHECK(a->partners[i].merchant_id == b->partners[i].merchant_id);
      CHECK(a->partners[i].score == b->partners[i].score);
    }
  }
}

TEST_CASE("Another model's merchants_svd.emb of the same row count is refused", "[engine]") {
  const fs::path model = VerifyModel();
  auto own = Embeddings::Load(model / "merchants_svd.emb");
  REQUIRE(own.ok());
  // Another graph (shared customers counted from 2), the same merchants: the same rows.
  GraphOptions other;
  other.min_shared_customers = 2;
  const fs::path other_graph = testing::BuildTinyModel("verify_other_graph", other);
  // The same graph, another SVD seed: other vectors.
  const fs::path same_graph = testing::BuildTinyModel(
      "verify_other_seed", {},
      [](nlohmann::json& c) { c["embed"]["merchant_svd"]["svd"]["seed"] = 2202; });
  // Those vectors with this model's configuration text: the same size, byte for byte only
  // the values differ (what a copy between two builds of one dataset can look like).
  const fs::path same_size = testing::FreshTempDir("verify_same_size_emb");
  {
    auto vectors = Embeddings::Load(same_graph / "merchants_svd.emb");
    REQUIRE(vectors.ok());
    vectors->set_config_json(own->config_json());
    REQUIRE(vectors->Save(same_size / "merchants_svd.emb").ok());
    REQUIRE(fs::file_size(same_size / "merchants_svd.emb") ==
            fs::file_size(model / "merchants_svd.emb"));
  }

  for (const fs::path& source : {other_graph, same_graph, same_size}) {
    INFO(source.filename().string());
    auto swapped = Embeddings::Load(source / "merchants_svd.emb");
    REQUIRE(swapped.ok());
    REQUIRE(swapped->rows() == own->rows());
    // Another graph's file is refused even with the same vectors (a graph that differs only
    // in edges the SVD does not read); the same graph's only because its vectors differ.
    if (source != other_graph) REQUIRE(swapped->values() != own->values());
    const fs::path dir = testing::CopyModel(model, "verify_swapped_emb");
    fs::copy(source / "merchants_svd.emb", dir / "merchants_svd.emb",
             fs::copy_options::overwrite_existing);
    auto engine = Engine::Open(dir);
    REQUIRE_FALSE(engine.ok());
    INFO(engine.status().ToString());
    CHECK(Contains(engine.status().message(), "merchants_svd.emb"));
    if (source == other_graph) {
      CHECK(engine.status().IsInvalidArgument());
      CHECK(Contains(engine.status().message(), "different graph"));
      // Without the manifest's help the loader refuses another graph's vectors too.
      ModelConfig config;
      CHECK(Contains(LoadRecommendModel(dir, true, &config).status().message(),
                     "trained on another graph"));
    } else {
      CHECK(engine.status().IsCorruption());
    }
    if (source == same_size) CHECK(Contains(engine.status().message(), "checksum mismatch"));
    CHECK(ProblemFiles(FullCheck(dir)) == std::vector<std::string>{"merchants_svd.emb"});
  }
}

TEST_CASE("Open checks sizes and recorded checksums; the full check reads every byte", "[engine]") {
  // merchants_walk.emb is not loaded by Open (partner_embedding is "svd"): a flipped byte
  // inside it keeps its size and its recorded checksum, so only the full check sees it.
  const fs::path dir = testing::CopyModel(VerifyModel(), "verify_cheap_open");
  std::string walk = ReadFile(dir / "merchants_walk.emb");
  walk[walk.size() / 2] ^= 0x20;
  WriteFile(dir / "merchants_walk.emb", walk);
  CHECK(Engine::Open(dir).ok());
  auto problems = FullCheck(dir);
  REQUIRE(ProblemFiles(problems) == std::vector<std::string>{"merchants_walk.emb"});
  CHECK(problems[0].status.IsCorruption());
  CHECK(Contains(problems[0].status.message(), "checksum mismatch"));

  // A changed size is Open's to see, in any file.
  walk.push_back('x');
  WriteFile(dir / "merchants_walk.emb", walk);
  auto engine = Engine::Open(dir);
  INFO(engine.status().ToString());
  CHECK(engine.status().IsCorruption());
  CHECK(Contains(engine.status().message(), "merchants_walk.emb"));
  // So is a file that is listed but missing.
  fs::remove(dir / "merchants_walk.emb");
  CHECK(Contains(Engine::Open(dir).status().message(), "merchants_walk.emb: missing"));
}

TEST_CASE("A model of the previous manifest format gets a clear message", "[engine]") {
  const fs::path dir = testing::CopyModel(VerifyModel(), "verify_old_manifest");
  // What `partnergraph build` wrote before: statistics only.
  auto doc = nlohmann::json::parse(ReadFile(dir / "manifest.json"));
  for (const char* key : {"manifest_format", "config_digest", "files", "manifest_crc32"}) {
    doc.erase(key);
  }
  WriteFile(dir / "manifest.json", doc.dump(2));
  auto engine = Engine::Open(dir);
  REQUIRE_FALSE(engine.ok());
  INFO(engine.status().ToString());
  CHECK(engine.status().IsCorruption());
  CHECK(Contains(engine.status().message(), "manifest.json: manifest format 1"));
  CHECK(Contains(engine.status().message(), "rebuild the model"));

  // No manifest at all.
  fs::remove(dir / "manifest.json");
  auto none = Engine::Open(dir);
  CHECK(none.status().IsNotFound());
  CHECK(Contains(none.status().message(), "manifest.json: missing"));
}

TEST_CASE("A manifest may list only files inside the model folder", "[engine]") {
  const fs::path dir = testing::CopyModel(VerifyModel(), "verify_manifest_names");
  auto doc = nlohmann::json::parse(ReadFile(dir / "manifest.json"));
  const nlohmann::json entry = doc["files"]["graph.pgg"];
  for (const char* name : {"../graph.pgg", "/etc/passwd", "sub/graph.pgg", "..", "manifest.json"}) {
    INFO(name);
    nlohmann::json bad = doc;
    bad["files"][name] = entry;
    // Sealed as WriteModelManifest seals (its own checksum right), so only the name is wrong.
    bad["manifest_crc32"] = "00000000";
    std::string text = bad.dump(2) + "\n";
    const std::size_t at = text.find("\"manifest_crc32\": \"") + 19;
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", Crc32(0, text.data(), text.size()));
    text.replace(at, 8, crc);
    WriteFile(dir / "manifest.json", text);
    auto read = ModelManifest::Read(dir);
    INFO(read.status().ToString());
    CHECK(read.status().IsCorruption());
    CHECK(Contains(read.status().message(), "is not the name of a file inside the model folder"));
  }
  CHECK(WriteModelManifest(dir, 0, {"graph.pgg", "../x"}, nlohmann::json::object())
            .IsInvalidArgument());
}

TEST_CASE("manifest.json checks itself, and a precomputed.bin of format 2 names the fix",
          "[engine]") {
  const fs::path dir = testing::CopyModel(VerifyModel(), "verify_manifest_crc");
  // A value edited inside the manifest that keeps it valid JSON: its own checksum refuses it.
  std::string text = ReadFile(dir / "manifest.json");
  const std::size_t at = text.find("\"size\": ");
  REQUIRE(at != std::string::npos);
  char& digit = text[at + 8];
  digit = digit == '1' ? '2' : '1';
  WriteFile(dir / "manifest.json", text);
  auto engine = Engine::Open(dir);
  INFO(engine.status().ToString());
  CHECK(engine.status().IsCorruption());
  CHECK(Contains(engine.status().message(), "manifest.json: checksum mismatch"));

  // precomputed.bin written before it recorded its config: the version names the command.
  std::string bytes = ReadFile(dir / "precomputed.bin");
  const std::uint32_t two = 2;
  std::memcpy(bytes.data() + 8, &two, 4);
  WriteFile(dir / "precomputed.bin", bytes);
  auto old = PrecomputedAnswers::Load(dir / "precomputed.bin", 0, 6);
  CHECK(old.status().IsInvalidArgument());
  CHECK(
      Contains(old.status().message(), "precomputed answers format version 2, this build reads 4"));
  CHECK(Contains(old.status().message(), "partnergraph precompute"));
}
