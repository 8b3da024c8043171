#include "partnergraph/index/index_options.hpp"

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace partnergraph {
namespace {

using Json = nlohmann::json;

Status CheckRange(const std::string& name, std::uint64_t value, std::uint64_t lo,
                  std::uint64_t hi) {
  if (value < lo || value > hi) {
    return Status::InvalidArgument(name + ": " + std::to_string(value) + " is out of range [" +
                                   std::to_string(lo) + ", " +
                                   (hi == std::numeric_limits<std::uint64_t>::max()
                                        ? std::string("inf)")
                                        : std::to_string(hi) + "]"));
  }
  return Status::Ok();
}

// Reads one key of `object` into `out` if present, with the type of `out`.
template <typename T>
Status ReadKey(const Json& object, const std::string& path, const char* key, T& out) {
  if (!object.contains(key)) return Status::Ok();
  const Json& j = object.at(key);
  const std::string where = path + "." + key;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return Status::InvalidArgument(where + ": expected a string, got " + j.dump());
    out = j.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) {
      return Status::InvalidArgument(where + ": expected true or false, got " + j.dump());
    }
    out = j.get<bool>();
  } else {
    const bool integral = j.is_number_unsigned() ||
                          (j.is_number_integer() && j.get<std::int64_t>() >= 0);
    if (!integral || j.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
      return Status::InvalidArgument(where + ": expected a non-negative integer below " +
                                     std::to_string(std::numeric_limits<T>::max()) + ", got " +
                                     j.dump());
    }
    out = static_cast<T>(j.get<std::uint64_t>());
  }
  return Status::Ok();
}

Status ParseVectorIndexOptions(const Json& j, const std::string& path, VectorIndexOptions& out) {
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object, got " + j.dump());
  static const std::set<std::string> kKnown = {
      "factory",         "exact_below",  "auto_large_factory",   "hnsw_ef_construction",
      "hnsw_ef_search",  "ivf_nprobe",   "max_training_vectors", "normalize",
      "build_threads"};
  for (const auto& [key, value] : j.items()) {
    if (!kKnown.contains(key)) {
      return Status::InvalidArgument(path + "." + key + ": unknown key");
    }
  }
  PG_RETURN_IF_ERROR(ReadKey(j, path, "factory", out.factory));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "exact_below", out.exact_below));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "auto_large_factory", out.auto_large_factory));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "hnsw_ef_construction", out.hnsw_ef_construction));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "hnsw_ef_search", out.hnsw_ef_search));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "ivf_nprobe", out.ivf_nprobe));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "max_training_vectors", out.max_training_vectors));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "normalize", out.normalize));
  PG_RETURN_IF_ERROR(ReadKey(j, path, "build_threads", out.build_threads));
  Status s = Validate(out);
  return s.ok() ? s : s.WithContext(path);
}

}  // namespace

Status Validate(const VectorIndexOptions& options) {
  if (options.factory.empty()) return Status::InvalidArgument("factory: empty");
  if (options.factory == "auto" && options.auto_large_factory.empty()) {
    return Status::InvalidArgument("auto_large_factory: empty");
  }
  if (options.auto_large_factory == "auto") {
    return Status::InvalidArgument("auto_large_factory: must name a FAISS index, not \"auto\"");
  }
  PG_RETURN_IF_ERROR(CheckRange("hnsw_ef_construction", options.hnsw_ef_construction, 1, 4096));
  PG_RETURN_IF_ERROR(
      CheckRange("hnsw_ef_search", options.hnsw_ef_search, 1, VectorIndexOptions::kMaxEfSearch));
  PG_RETURN_IF_ERROR(
      CheckRange("ivf_nprobe", options.ivf_nprobe, 1, VectorIndexOptions::kMaxNprobe));
  PG_RETURN_IF_ERROR(CheckRange("max_training_vectors", options.max_training_vectors, 1,
                                std::numeric_limits<std::uint64_t>::max()));
  PG_RETURN_IF_ERROR(CheckRange("build_threads", options.build_threads, 0, 4096));
  return Status::Ok();
}

Result<IndexOptions> ParseIndexOptions(std::string_view json_text, std::string_view source_name) {
  const std::string source(source_name);
  Json doc;
  try {
    doc = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(source + ": malformed JSON: " + e.what());
  }
  if (!doc.is_object()) {
    return Status::InvalidArgument(source + ": expected a JSON object at the top level");
  }
  IndexOptions options;
  if (!doc.contains("index")) return options;
  const Json& section = doc.at("index");
  if (!section.is_object()) {
    return Status::InvalidArgument(source + ": index: expected an object, got " + section.dump());
  }
  for (const auto& [key, value] : section.items()) {
    Status s;
    if (key == "merchants") {
      s = ParseVectorIndexOptions(value, "index.merchants", options.merchants);
    } else if (key == "skus") {
      s = ParseVectorIndexOptions(value, "index.skus", options.skus);
    } else {
      s = Status::InvalidArgument("index." + key + ": unknown key (known: merchants, skus)");
    }
    if (!s.ok()) return s.WithContext(source);
  }
  return options;
}

Result<IndexOptions> LoadIndexOptions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open the model configuration");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIndexOptions(text.str(), path.string());
}

}  // namespace partnergraph
