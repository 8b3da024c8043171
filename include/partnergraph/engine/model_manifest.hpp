// ModelManifest: manifest.json, the file that ties a model folder together, and the checks
// that a folder is the model its manifest describes.
//
// manifest.json holds the build's statistics (build_command.cpp, precompute_command.cpp:
// free-form keys) and these, which WriteModelManifest owns:
//   "manifest_format"  kManifestFormatVersion (2). A manifest without it is format 1
//                      (before file checksums): refused with "rebuild the model".
//   "fingerprint"      the graph's fingerprint (EcosystemGraph::Fingerprint), 16 hex digits
//   "config_digest"    CRC-32 of config.json's bytes, 8 hex digits (null: no config.json,
//                      a `build --graph-only` folder)
//   "files"            per file of the model, by name: "size" (bytes); "sha256" (SHA-256
//                      of every byte, 64 hex digits); "crc32", the CRC-32 the file records
//                      of itself (8 hex digits): for a file that ends with the CRC-32 of its
//                      preceding bytes (graph.pgg, *.emb, *.faiss.meta, *.bin), that value;
//                      for a .faiss file, the CRC-32 of its bytes its sidecar records; for
//                      config.json, the CRC-32 of its bytes. For each file derived from the
//                      graph (*.emb, *.faiss, *.faiss.meta, *_neighbors.bin,
//                      precomputed.bin) "graph_fingerprint", the graph it was built from as
//                      the file itself records it; for the files computed with config.json
//                      (sku_neighbors.bin, merchant_neighbors.bin, precomputed.bin)
//                      "config_digest", the config digest the file records.
//   "manifest_crc32"   CRC-32 of manifest.json's bytes with these 8 hex digits read as
//                      "00000000": the manifest checks itself.
// docs/formats.md describes the same.
//
// Checksums: SHA-256 (OpenSSL, which pg_engine links already) for the full check, because the
// CRC-32 (zlib) of a whole file that ends with its own CRC-32 is one constant for every such
// file (file_checksum.hpp): it would catch a flipped byte but not another model's intact
// file. The "crc32" entry is the cheap identity: every model file already records it (its
// trailing checksum, or its sidecar's record), so comparing it reads four bytes. The
// threat is damage and mix-ups (a flipped byte, a truncated copy, another model's file),
// not an adversary: one who can write the folder can rewrite manifest.json too.
//
// Two depths of checking (CheckModelFiles):
//   quick  (Engine::Open, `partnergraph precompute`): every listed file exists and has its
//          listed size; the CRC-32 it records is the listed "crc32", so another model's file
//          of the same size is refused; each derived file's recorded graph fingerprint is the
//          model's. Reads a few bytes per file: a multi-GB model opens as fast as before.
//          The loaders Engine::Open runs then check every byte they read against the file's
//          own checksum.
//   full   (`partnergraph verify`): the same, and every byte of every file is read and its
//          SHA-256 compared with the manifest's, the files Engine::Open does not load
//          included.
// CheckModelConfig compares config.json with the manifest's config digest and with the
// digest recorded by the files computed with it.
//
// Thread safety: functions are independent; do not write one folder from two threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

inline constexpr const char* kManifestFileName = "manifest.json";
inline constexpr const char* kConfigFileName = "config.json";
inline constexpr int kManifestFormatVersion = 2;

// The config digest of a config.json text: its CRC-32 (zlib).
std::uint32_t ConfigDigest(std::string_view config_text);

// One file's entry in the manifest.
struct ManifestEntry {
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;  // the CRC-32 the file records of itself (see the top)
  std::string sha256;       // of every byte, 64 lowercase hex digits
  std::optional<std::uint64_t> graph_fingerprint;  // files derived from the graph
  std::optional<std::uint32_t> config_digest;      // files computed with config.json
};

class ModelManifest {
 public:
  // Reads `model_dir`/manifest.json. Errors, each naming the file: NotFound when it is absent
  // (saying so also when graph.pgg is absent: not a model folder); Corruption when it is not
  // a JSON object, is of another format (format 1: "rebuild the model"), its own checksum
  // does not match, or its reserved keys are malformed (a listed name that is not a plain
  // file name inside the folder, such as "../x" or "a/b", included).
  static Result<ModelManifest> Read(const std::filesystem::path& model_dir);

  std::uint64_t graph_fingerprint() const { return graph_fingerprint_; }
  // nullopt for a folder without config.json.
  std::optional<std::uint32_t> config_digest() const { return config_digest_; }
  const std::map<std::string, ManifestEntry>& files() const { return files_; }
  // The names of the listed files.
  std::vector<std::string> file_names() const;
  // The whole document, statistics included.
  const nlohmann::json& document() const { return *document_; }

 private:
  ModelManifest() = default;
  std::uint64_t graph_fingerprint_ = 0;
  std::optional<std::uint32_t> config_digest_;
  std::map<std::string, ManifestEntry> files_;
  std::shared_ptr<const nlohmann::json> document_;
};

// Writes `model_dir`/manifest.json (WriteFileAtomically): `record`'s keys (statistics; may be
// an empty object) plus the reserved keys above, for `files` (names inside the folder:
// graph.pgg, config.json and every other file of the model; manifest.json is not listed).
// Each entry is taken from the file as written: its size, the CRC-32 it records, its SHA-256
// (every byte read, unless `previous` lists the file with the same size and CRC-32: then its
// SHA-256 is kept), the graph fingerprint and config digest it records. Errors: IOError
// naming a file that cannot be read or written; InvalidArgument naming a file that records
// another graph than `graph_fingerprint` or another config digest than config.json's (the
// manifest never vouches for a mixed model).
Status WriteModelManifest(const std::filesystem::path& model_dir, std::uint64_t graph_fingerprint,
                          const std::vector<std::string>& files, const nlohmann::json& record,
                          const ModelManifest* previous = nullptr);

// Reads the manifest, applies `edit` to its document and writes it again for the same files
// (WriteModelManifest). Errors: those of Read and WriteModelManifest.
Status EditModelManifest(const std::filesystem::path& model_dir,
                         const std::function<void(nlohmann::json&)>& edit);

// One problem CheckModelFiles or CheckModelConfig found.
struct ModelProblem {
  std::string file;  // the file it concerns, inside the model folder ("merchants_svd.emb")
  Status status;     // what is wrong; the message names the file
};

struct ModelCheckOptions {
  // Also read every byte of every listed file and compare its SHA-256 with the manifest's
  // (`partnergraph verify`); false: the quick checks (see the top of this file).
  bool full = false;
  // Check sku_neighbors.bin, merchant_neighbors.bin and precomputed.bin too (and that none
  // of them is present without being listed). false for `partnergraph precompute`, which
  // rewrites them.
  bool precompute_outputs = true;
};

// Checks every listed file but config.json (CheckModelConfig's) against `manifest`: present,
// its size, the CRC-32 it records, its SHA-256 (options.full), and for a derived file the
// graph fingerprint it records. At most one problem per file, in file-name order;
// empty when the files match. Problems: Corruption for a missing, resized or changed file;
// InvalidArgument for a file of another graph.
std::vector<ModelProblem> CheckModelFiles(const std::filesystem::path& model_dir,
                                          const ModelManifest& manifest,
                                          const ModelCheckOptions& options = {});

// Checks config.json against the manifest's config digest (InvalidArgument: "changed since
// the model was built", saying to run `partnergraph precompute` or restore it) and the config
// digest recorded by each listed file computed with it (InvalidArgument). Reads config.json
// and a few header bytes per file.
std::vector<ModelProblem> CheckModelConfig(const std::filesystem::path& model_dir,
                                           const ModelManifest& manifest);

// The problem, if any, when the graph loaded from graph.pgg has `graph_fingerprint`:
// InvalidArgument naming graph.pgg when it is not the manifest's.
std::optional<ModelProblem> CheckGraphFingerprint(const ModelManifest& manifest,
                                                  std::uint64_t graph_fingerprint);

// The first problem's status, or OK when there is none.
Status FirstProblem(const std::vector<ModelProblem>& problems);

}  // namespace partnergraph
