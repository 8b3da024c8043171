// manifest.json and the model-folder checks (model_manifest.hpp).
#include "partnergraph/engine/model_manifest.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <vector>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/file_checksum.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kChecksumKey = "manifest_crc32";
// How the checksum appears in the text JsonText(document, 2) writes: a key of the top-level
// object (two spaces in), so that a nested key of the same name cannot be taken for it.
constexpr std::string_view kChecksumPattern = "\n  \"manifest_crc32\": \"";

// What a model file is, by its name: how its checksum and its records are read.
enum class FileKind {
  kGraph,         // graph.pgg: ends with a CRC-32; the graph itself
  kConfig,        // config.json: plain text
  kEmbeddings,    // *.emb: ends with a CRC-32; records its graph
  kIndex,         // *.faiss: FAISS's format; its sidecar records its size, CRC-32 and graph
  kIndexSidecar,  // *.faiss.meta: ends with a CRC-32; records its graph
  kNeighbors,     // *_neighbors.bin: ends with a CRC-32; records its graph and config
  kPrecomputed,   // precomputed.bin: ends with a CRC-32; records its graph and config
  kOther,         // anything else: plain bytes
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

FileKind KindOf(std::string_view name) {
  if (name == kGraphFileName) return FileKind::kGraph;
  if (name == kConfigFileName) return FileKind::kConfig;
  if (name == kSkuNeighborsFileName || name == kMerchantNeighborsFileName) {
    return FileKind::kNeighbors;
  }
  if (name == kPrecomputedFileName) return FileKind::kPrecomputed;
  if (EndsWith(name, ".emb")) return FileKind::kEmbeddings;
  if (EndsWith(name, ".faiss")) return FileKind::kIndex;
  if (EndsWith(name, ".faiss.meta")) return FileKind::kIndexSidecar;
  return FileKind::kOther;
}

bool IsDerived(FileKind kind) {
  return kind != FileKind::kGraph && kind != FileKind::kConfig && kind != FileKind::kOther;
}
bool RecordsConfig(FileKind kind) {
  return kind == FileKind::kNeighbors || kind == FileKind::kPrecomputed;
}
bool IsPrecomputeOutput(std::string_view name) {
  return name == kSkuNeighborsFileName || name == kMerchantNeighborsFileName ||
         name == kPrecomputedFileName;
}

std::string Hex64(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
std::string Hex32(std::uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}
template <typename T>
std::optional<T> ParseHex(const Json& value, std::size_t digits) {
  if (!value.is_string()) return std::nullopt;
  const std::string& s = value.get_ref<const std::string&>();
  T out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  if (s.size() != digits || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return out;
}

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return text.str();
}

// The graph fingerprint a derived file records.
Result<std::uint64_t> RecordedFingerprint(const fs::path& path, FileKind kind) {
  switch (kind) {
    case FileKind::kEmbeddings:
      return Embeddings::ReadGraphFingerprint(path);
    case FileKind::kIndex: {
      PG_ASSIGN_OR_RETURN(VectorIndexFileInfo info, VectorIndex::ReadFileInfo(path));
      return info.fingerprint;
    }
    case FileKind::kIndexSidecar: {
      fs::path index = path;
      index.replace_extension();  // "merchants.faiss.meta" -> "merchants.faiss"
      PG_ASSIGN_OR_RETURN(VectorIndexFileInfo info, VectorIndex::ReadFileInfo(index));
      return info.fingerprint;
    }
    case FileKind::kNeighbors: {
      PG_ASSIGN_OR_RETURN(NeighborFileInfo info, ReadNeighborFileInfo(path));
      return info.key.index_fingerprint;
    }
    case FileKind::kPrecomputed: {
      PG_ASSIGN_OR_RETURN(PrecomputedFileInfo info, PrecomputedAnswers::ReadFileInfo(path));
      return info.fingerprint;
    }
    default:
      return Status::Internal(path.string() + ": not derived from the graph");
  }
}

// The config digest a file computed with config.json records.
Result<std::uint32_t> RecordedConfigDigest(const fs::path& path, FileKind kind) {
  if (kind == FileKind::kNeighbors) {
    PG_ASSIGN_OR_RETURN(NeighborFileInfo info, ReadNeighborFileInfo(path));
    return info.config_digest;
  }
  PG_ASSIGN_OR_RETURN(PrecomputedFileInfo info, PrecomputedAnswers::ReadFileInfo(path));
  return info.config_digest;
}

// The file's size and its "crc32" entry (model_manifest.hpp) as the file records it, reading a
// few bytes: its trailing checksum, or for a .faiss file its sidecar's record of it. A file
// that records none (config.json) is read in full.
Result<FileDigest> RecordedDigest(const fs::path& path, FileKind kind) {
  switch (kind) {
    case FileKind::kGraph:
    case FileKind::kEmbeddings:
    case FileKind::kIndexSidecar:
    case FileKind::kNeighbors:
    case FileKind::kPrecomputed:
      return ReadTrailingCrc32(path);
    case FileKind::kIndex: {
      PG_ASSIGN_OR_RETURN(VectorIndexFileInfo info, VectorIndex::ReadFileInfo(path));
      std::error_code ec;
      const std::uintmax_t size = fs::file_size(path, ec);
      if (ec) return Status::IOError(path.string() + ": cannot read its size: " + ec.message());
      if (size != info.index_file_size) {
        return Status::Corruption(fmt::format("{}: {} bytes, its sidecar records {}", path.string(),
                                              size, info.index_file_size));
      }
      FileDigest digest;
      digest.size = size;
      digest.crc = info.index_file_crc;
      return digest;
    }
    case FileKind::kConfig:
    case FileKind::kOther:
      return DigestFile(path);
  }
  return Status::Internal("unknown file kind");
}

// SHA-256 of every byte of a file, as 64 lowercase hex digits. Errors: IOError naming it.
Result<std::string> Sha256File(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("SHA-256: OpenSSL cannot start a digest");
  }
  std::vector<char> buffer(1u << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > 0) EVP_DigestUpdate(ctx.get(), buffer.data(), got);
  }
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

ModelProblem Problem(const std::string& file, Status status) { return {file, std::move(status)}; }

// A name of one file inside a folder: not empty, not "." or "..", no '/' and no NUL.
bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

// The text of a manifest document with its own checksum filled in.
std::string SealedText(Json document) {
  document[kChecksumKey] = "00000000";
  std::string text = JsonText(document, 2) + "\n";
  const std::size_t at = text.find(kChecksumPattern);
  const std::string crc = Hex32(Crc32(0, text.data(), text.size()));
  text.replace(at + kChecksumPattern.size(), 8, crc);
  return text;
}

}  // namespace

std::uint32_t ConfigDigest(std::string_view config_text) {
  return Crc32(0, config_text.data(), config_text.size());
}

std::vector<std::string> ModelManifest::file_names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : files_) names.push_back(name);
  return names;
}

Result<ModelManifest> ModelManifest::Read(const fs::path& dir) {
  const fs::path path = dir / kManifestFileName;
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (!fs::exists(dir / kGraphFileName, ec)) {
      return Status::NotFound(dir.string() + ": not a model folder (no " +
                              std::string(kGraphFileName) + ", no " + kManifestFileName +
                              "); `partnergraph build` writes one");
    }
    return Status::NotFound(name +
                            ": missing, so the model's files cannot be checked; rebuild "
                            "the model (`partnergraph build`)");
  }
  PG_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption(name + ": not a JSON object (damaged)");
  }
  if (!doc.contains("manifest_format")) {
    return Status::Corruption(fmt::format(
        "{}: manifest format 1 (written before model files carried checksums) is not {}: its "
        "files cannot be checked against each other; rebuild the model (`partnergraph build`)",
        name, kManifestFormatVersion));
  }
  if (!doc["manifest_format"].is_number_integer() ||
      doc["manifest_format"].get<int>() != kManifestFormatVersion) {
    return Status::Corruption(
        fmt::format("{}: manifest format {} is not {} (written by another version of partnergraph)",
                    name, doc["manifest_format"].dump(), kManifestFormatVersion));
  }
  // The checksum covers the text as written, its own digits read as zeros.
  const std::size_t at = text.find(kChecksumPattern);
  if (at == std::string::npos || text.find(kChecksumPattern, at + 1) != std::string::npos ||
      at + kChecksumPattern.size() + 8 > text.size()) {
    return Status::Corruption(name + ": no " + kChecksumKey + " (damaged or edited)");
  }
  const std::string recorded = text.substr(at + kChecksumPattern.size(), 8);
  std::string zeroed = text;
  zeroed.replace(at + kChecksumPattern.size(), 8, "00000000");
  const std::string actual = Hex32(Crc32(0, zeroed.data(), zeroed.size()));
  if (recorded != actual) {
    return Status::Corruption(name + ": checksum mismatch (" + kChecksumKey + " " + recorded +
                              ", the file's is " + actual + "): damaged or edited");
  }

  ModelManifest m;
  auto malformed = [&](const std::string& key) {
    return Status::Corruption(name + ": " + key + " is malformed");
  };
  auto fingerprint = ParseHex<std::uint64_t>(doc.value("fingerprint", Json()), 16);
  if (!fingerprint) return malformed("fingerprint");
  m.graph_fingerprint_ = *fingerprint;
  if (!doc.contains("config_digest")) return malformed("config_digest");
  if (!doc["config_digest"].is_null()) {
    m.config_digest_ = ParseHex<std::uint32_t>(doc["config_digest"], 8);
    if (!m.config_digest_) return malformed("config_digest");
  }
  if (!doc.contains("files") || !doc["files"].is_object()) return malformed("files");
  for (auto it = doc["files"].begin(); it != doc["files"].end(); ++it) {
    const std::string key = "files." + it.key();
    // A file of the folder, by its own name: never a path that leads out of it.
    if (!IsPlainFileName(it.key()) || it.key() == kManifestFileName) {
      return Status::Corruption(name + ": files: \"" + it.key() +
                                "\" is not the name of a file inside the model folder");
    }
    const Json& e = *it;
    if (!e.is_object() || !e.contains("size") || !e["size"].is_number_unsigned()) {
      return malformed(key);
    }
    ManifestEntry entry;
    entry.size = e["size"].get<std::uint64_t>();
    auto crc = ParseHex<std::uint32_t>(e.value("crc32", Json()), 8);
    if (!crc) return malformed(key + ".crc32");
    entry.crc32 = *crc;
    const Json sha = e.value("sha256", Json());
    if (!sha.is_string() || sha.get_ref<const std::string&>().size() != 64 ||
        sha.get_ref<const std::string&>().find_first_not_of("0123456789abcdef") !=
            std::string::npos) {
      return malformed(key + ".sha256");
    }
    entry.sha256 = sha.get<std::string>();
    if (e.contains("graph_fingerprint")) {
      entry.graph_fingerprint = ParseHex<std::uint64_t>(e["graph_fingerprint"], 16);
      if (!entry.graph_fingerprint) return malformed(key + ".graph_fingerprint");
    }
    if (e.contains("config_digest")) {
      entry.config_digest = ParseHex<std::uint32_t>(e["config_digest"], 8);
      if (!entry.config_digest) return malformed(key + ".config_digest");
    }
    m.files_.emplace(it.key(), entry);
  }
  if (!m.files_.contains(kGraphFileName)) return malformed("files (graph.pgg is not listed)");
  if (m.config_digest_.has_value() != m.files_.contains(kConfigFileName)) {
    return malformed("config_digest (config.json listed without it, or the reverse)");
  }
  m.document_ = std::make_shared<const Json>(std::move(doc));
  return m;
}

Status WriteModelManifest(const fs::path& dir, std::uint64_t graph_fingerprint,
                          const std::vector<std::string>& files, const Json& record,
                          const ModelManifest* previous) {
  Json doc = record.is_object() ? record : Json::object();
  Json table = Json::object();
  std::optional<std::uint32_t> config_digest;
  for (const std::string& name : files) {
    if (name != kConfigFileName) continue;
    PG_ASSIGN_OR_RETURN(FileDigest digest, DigestFile(dir / name));
    config_digest = digest.crc;
  }
  for (const std::string& name : files) {
    if (!IsPlainFileName(name) || name == kManifestFileName) {
      return Status::InvalidArgument(dir.string() + ": \"" + name +
                                     "\" is not a file of the model folder to list");
    }
    const fs::path path = dir / name;
    const FileKind kind = KindOf(name);
    PG_ASSIGN_OR_RETURN(FileDigest digest, RecordedDigest(path, kind));
    // The SHA-256 reads every byte: a file `previous` lists with the same size and recorded
    // CRC-32 keeps its entry's.
    std::string sha256;
    if (previous != nullptr) {
      auto it = previous->files().find(name);
      if (it != previous->files().end() && it->second.size == digest.size &&
          it->second.crc32 == digest.crc) {
        sha256 = it->second.sha256;
      }
    }
    if (sha256.empty()) {
      PG_ASSIGN_OR_RETURN(sha256, Sha256File(path));
    }
    Json entry = {{"size", digest.size}, {"crc32", Hex32(digest.crc)}, {"sha256", sha256}};
    if (IsDerived(kind)) {
      PG_ASSIGN_OR_RETURN(std::uint64_t fingerprint, RecordedFingerprint(path, kind));
      if (fingerprint != graph_fingerprint) {
        return Status::InvalidArgument(path.string() + ": records graph " + Hex64(fingerprint) +
                                       ", not the model's graph " + Hex64(graph_fingerprint) +
                                       "; manifest.json not written");
      }
      entry["graph_fingerprint"] = Hex64(fingerprint);
    }
    if (RecordsConfig(kind)) {
      PG_ASSIGN_OR_RETURN(std::uint32_t recorded, RecordedConfigDigest(path, kind));
      if (recorded != config_digest) {
        return Status::InvalidArgument(
            path.string() + ": computed with config digest " + Hex32(recorded) +
            (config_digest ? ", not config.json's " + Hex32(*config_digest)
                           : ", without config.json") +
            "; manifest.json not written");
      }
      entry["config_digest"] = Hex32(recorded);
    }
    table[name] = std::move(entry);
  }
  if (!table.contains(kGraphFileName)) {
    return Status::InvalidArgument(dir.string() + ": a manifest must list graph.pgg");
  }
  doc["manifest_format"] = kManifestFormatVersion;
  doc["fingerprint"] = Hex64(graph_fingerprint);
  doc["config_digest"] = config_digest ? Json(Hex32(*config_digest)) : Json(nullptr);
  doc["files"] = std::move(table);
  return WriteFileAtomically(dir / kManifestFileName, SealedText(std::move(doc)));
}

Status EditModelManifest(const fs::path& dir, const std::function<void(Json&)>& edit) {
  PG_ASSIGN_OR_RETURN(ModelManifest manifest, ModelManifest::Read(dir));
  Json doc = manifest.document();
  edit(doc);
  return WriteModelManifest(dir, manifest.graph_fingerprint(), manifest.file_names(), doc,
                            &manifest);
}

std::vector<ModelProblem> CheckModelFiles(const fs::path& dir, const ModelManifest& manifest,
                                          const ModelCheckOptions& options) {
  std::vector<ModelProblem> problems;
  const std::uint64_t model_graph = manifest.graph_fingerprint();
  for (const auto& [name, entry] : manifest.files()) {
    if (name == kConfigFileName) continue;  // CheckModelConfig's
    if (!options.precompute_outputs && IsPrecomputeOutput(name)) continue;
    const fs::path path = dir / name;
    const FileKind kind = KindOf(name);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      problems.push_back(
          Problem(name, Status::Corruption(path.string() + ": missing (listed in manifest.json)")));
      continue;
    }
    // An index's graph fingerprint is its sidecar's (VectorIndex::ReadFileInfo reads the
    // sidecar): when the manifest lists the sidecar, its entry checks it, and a damaged sidecar
    // is reported once, under its own name.
    const bool fingerprint_in_sidecar =
        kind == FileKind::kIndex && manifest.files().contains(name + ".meta");
    if (IsDerived(kind) && !fingerprint_in_sidecar) {
      if (entry.graph_fingerprint && *entry.graph_fingerprint != model_graph) {
        problems.push_back(Problem(
            name,
            Status::Corruption(path.string() + ": manifest.json lists it as built from graph " +
                               Hex64(*entry.graph_fingerprint) + ", not the model's " +
                               Hex64(model_graph) + " (damaged manifest)")));
        continue;
      }
      Result<std::uint64_t> recorded = RecordedFingerprint(path, kind);
      if (!recorded.ok()) {
        problems.push_back(Problem(name, recorded.status()));
        continue;
      }
      if (*recorded == 0) {
        problems.push_back(Problem(
            name, Status::InvalidArgument(path.string() + ": records no graph (written by an older "
                                                          "partnergraph): rebuild the model")));
        continue;
      }
      if (*recorded != model_graph) {
        problems.push_back(
            Problem(name, Status::InvalidArgument(
                              path.string() + ": built from a different graph (fingerprint " +
                              Hex64(*recorded) + ", the model's graph is " + Hex64(model_graph) +
                              "): another model's file; rebuild the model or restore the file")));
        continue;
      }
    }
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) {
      problems.push_back(Problem(
          name, Status::IOError(path.string() + ": cannot read its size: " + ec.message())));
      continue;
    }
    if (size != entry.size) {
      problems.push_back(Problem(
          name, Status::Corruption(fmt::format(
                    "{}: {} bytes, manifest.json lists {} {}", path.string(), size, entry.size,
                    size < entry.size ? "(truncated)" : "(damaged or replaced)"))));
      continue;
    }
    // `&name = name`: clang before 16 cannot capture a structured binding implicitly.
    auto mismatch = [&, &name = name](const std::string& what, const std::string& actual,
                                      const std::string& listed) {
      problems.push_back(
          Problem(name, Status::Corruption(path.string() + ": checksum mismatch (" + what + " " +
                                           actual + ", manifest.json lists " + listed +
                                           "): damaged, or another model's file; rebuild the model "
                                           "or restore it")));
    };
    // Quick: the CRC-32 the file records identifies it (a few bytes read). Full: every byte.
    Result<FileDigest> digest = RecordedDigest(path, kind);
    if (!digest.ok() && fingerprint_in_sidecar) {
      // The sidecar that records the index's CRC-32 is unreadable (its own entry says why):
      // check the index by its bytes instead.
      digest = DigestFile(path);
    }
    if (!digest.ok()) {
      problems.push_back(Problem(name, digest.status()));
      continue;
    }
    if (digest->crc != entry.crc32) {
      mismatch("it records CRC-32", Hex32(digest->crc), Hex32(entry.crc32));
      continue;
    }
    if (options.full) {
      Result<std::string> sha256 = Sha256File(path);
      if (!sha256.ok()) {
        problems.push_back(Problem(name, sha256.status()));
      } else if (*sha256 != entry.sha256) {
        mismatch("its SHA-256 is", *sha256, entry.sha256);
      }
    }
  }
  if (options.precompute_outputs) {
    for (const char* name :
         {kSkuNeighborsFileName, kMerchantNeighborsFileName, kPrecomputedFileName}) {
      std::error_code ec;
      if (!manifest.files().contains(name) && fs::exists(dir / name, ec)) {
        problems.push_back(Problem(
            name, Status::InvalidArgument(
                      (dir / name).string() +
                      ": not listed in manifest.json, so not part of the model; `partnergraph "
                      "precompute --model " +
                      dir.string() + "` rewrites or removes it")));
      }
    }
  }
  return problems;
}

std::vector<ModelProblem> CheckModelConfig(const fs::path& dir, const ModelManifest& manifest) {
  std::vector<ModelProblem> problems;
  if (!manifest.config_digest()) return problems;
  const std::uint32_t expected = *manifest.config_digest();
  const fs::path config = dir / kConfigFileName;
  std::error_code ec;
  if (!fs::is_regular_file(config, ec)) {
    problems.push_back(
        Problem(kConfigFileName,
                Status::Corruption(config.string() + ": missing (listed in manifest.json)")));
    return problems;
  }
  Result<FileDigest> digest = DigestFile(config);
  if (!digest.ok()) {
    problems.push_back(Problem(kConfigFileName, digest.status()));
  } else if (digest->crc != expected) {
    problems.push_back(
        Problem(kConfigFileName,
                Status::InvalidArgument(
                    config.string() + ": changed since the model was built (config digest " +
                    Hex32(digest->crc) + ", manifest.json records " + Hex32(expected) +
                    "): the model's precomputed answers and neighbour lists were computed with the "
                    "old one; run `partnergraph precompute --model " +
                    dir.string() +
                    "` to recompute them with it, or restore it (a change to embed, index or model "
                    "options needs a rebuild)")));
  }
  for (const auto& [name, entry] : manifest.files()) {
    const FileKind kind = KindOf(name);
    if (!RecordsConfig(kind)) continue;
    const fs::path path = dir / name;
    if (!fs::is_regular_file(path, ec)) continue;  // CheckModelFiles reports it
    Result<std::uint32_t> recorded = RecordedConfigDigest(path, kind);
    if (!recorded.ok()) {
      problems.push_back(Problem(name, recorded.status()));
      continue;
    }
    if (*recorded != expected || (entry.config_digest && *entry.config_digest != expected)) {
      problems.push_back(
          Problem(name, Status::InvalidArgument(
                            path.string() + ": computed with another config.json (config digest " +
                            Hex32(*recorded) + ", the model's is " + Hex32(expected) +
                            "): run `partnergraph precompute --model " + dir.string() + "`")));
    }
  }
  return problems;
}

std::optional<ModelProblem> CheckGraphFingerprint(const ModelManifest& manifest,
                                                  std::uint64_t graph_fingerprint) {
  if (graph_fingerprint == manifest.graph_fingerprint()) return std::nullopt;
  return Problem(kGraphFileName,
                 Status::InvalidArgument(
                     std::string(kGraphFileName) + ": not the model's graph (fingerprint " +
                     Hex64(graph_fingerprint) + ", manifest.json records " +
                     Hex64(manifest.graph_fingerprint()) + "): rebuild the model"));
}

Status FirstProblem(const std::vector<ModelProblem>& problems) {
  return problems.empty() ? Status::Ok() : problems.front().status;
}

}  // namespace partnergraph
