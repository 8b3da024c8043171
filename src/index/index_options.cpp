#include "partnergraph/index/index_options.hpp"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "partnergraph/common/options_reader.hpp"

namespace partnergraph {
namespace {

Status CheckRange(const std::string& name, std::uint64_t value, std::uint64_t lo,
                  std::uint64_t hi) {
  if (value < lo || value > hi) {
    return Status::InvalidArgument(fmt::format("{}: {} is out of range [{}, {}", name, value, lo,
                                               hi == std::numeric_limits<std::uint64_t>::max()
                                                   ? std::string("inf)")
                                                   : fmt::format("{}]", hi)));
  }
  return Status::Ok();
}

// Reads index.merchants or index.skus when present; errors name the file and the key.
Status ReadVectorIndexOptions(OptionsReader& index, const char* key, VectorIndexOptions& out) {
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> section, index.Section(key));
  if (!section) return Status::Ok();
  PG_RETURN_IF_ERROR(section->Read("factory", &out.factory));
  PG_RETURN_IF_ERROR(section->Read("exact_below", &out.exact_below));
  PG_RETURN_IF_ERROR(section->Read("auto_large_factory", &out.auto_large_factory));
  PG_RETURN_IF_ERROR(section->Read("hnsw_ef_construction", &out.hnsw_ef_construction));
  PG_RETURN_IF_ERROR(section->Read("hnsw_ef_search", &out.hnsw_ef_search));
  PG_RETURN_IF_ERROR(section->Read("ivf_nprobe", &out.ivf_nprobe));
  PG_RETURN_IF_ERROR(section->Read("max_training_vectors", &out.max_training_vectors));
  PG_RETURN_IF_ERROR(section->Read("normalize", &out.normalize));
  PG_RETURN_IF_ERROR(section->Read("build_threads", &out.build_threads));
  PG_RETURN_IF_ERROR(section->RejectUnknownKeys());
  Status s = Validate(out);
  return s.ok() ? s : s.WithContext(fmt::format("{}: {}", section->source(), section->path()));
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
  PG_ASSIGN_OR_RETURN(OptionsReader doc, OptionsReader::Parse(json_text, source_name));
  IndexOptions options;
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> index, doc.Section("index"));
  if (!index) return options;
  PG_RETURN_IF_ERROR(ReadVectorIndexOptions(*index, "merchants", options.merchants));
  PG_RETURN_IF_ERROR(ReadVectorIndexOptions(*index, "skus", options.skus));
  PG_RETURN_IF_ERROR(index->RejectUnknownKeys());
  return options;
}

Result<IndexOptions> LoadIndexOptions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError(fmt::format("{}: cannot open the model configuration", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIndexOptions(text.str(), path.string());
}

}  // namespace partnergraph
