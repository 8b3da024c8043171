#include "partnergraph/embed/embed_options.hpp"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "partnergraph/common/options_reader.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The fields of each options struct, visited in declaration order. `O` is the struct,
// const or not; the visitor receives (name, field reference, bounds).
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, PpmiOptions> {
  v("context_smoothing", o.context_smoothing, OptionRange{0, 1, true, false});
  v("shift", o.shift, OptionRange{1, kInf});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SvdOptions> {
  v("dim", o.dim, OptionRange{1, 4096});
  v("oversampling", o.oversampling, OptionRange{0, 1024});
  v("power_iterations", o.power_iterations, OptionRange{0, 32});
  v("singular_value_power", o.singular_value_power, OptionRange{0, 1});
  v("normalize", o.normalize, OptionRange{});
  v("seed", o.seed, OptionRange{});
  v("threads", o.threads, OptionRange{0, 4096});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, WalkOptions> {
  v("walks_per_node", o.walks_per_node, OptionRange{0, 10000});
  v("walk_length", o.walk_length, OptionRange{1, 100000});
  v("p", o.return_p, OptionRange{0, kInf, true, false});
  v("q", o.inout_q, OptionRange{0, kInf, true, false});
  v("seed", o.seed, OptionRange{});
  v("threads", o.threads, OptionRange{0, 4096});
  v("max_total_tokens", o.max_total_tokens, OptionRange{0, 1e12});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SgnsOptions> {
  v("dim", o.dim, OptionRange{1, 4096});
  v("window", o.window, OptionRange{1, 1000});
  v("negatives", o.negatives, OptionRange{0, 100});
  v("epochs", o.epochs, OptionRange{1, 1000});
  v("learning_rate", o.learning_rate, OptionRange{0, 1, true, false});
  v("min_learning_rate_ratio", o.min_learning_rate_ratio, OptionRange{0, 1});
  v("negative_power", o.negative_power, OptionRange{0, 1});
  v("subsample", o.subsample, OptionRange{0, 1, false, true});
  v("shards", o.shards, OptionRange{1, 1024});
  v("block_tokens", o.block_tokens, OptionRange{64, double(1u << 24)});
  v("normalize", o.normalize, OptionRange{});
  v("seed", o.seed, OptionRange{});
  v("threads", o.threads, OptionRange{0, 4096});
  v("max_token_passes", o.max_token_passes, OptionRange{0, 1e12});
  v("min_epochs", o.min_epochs, OptionRange{1, 1000});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SequenceOptions> {
  v("min_length", o.min_length, OptionRange{1, kInf});
  v("max_length", o.max_length, OptionRange{0, kInf});
  v("collapse_repeats", o.collapse_repeats, OptionRange{});
  v("min_count", o.min_count, OptionRange{1, kInf});
}

// Checks every numeric field against its range; keeps the first error.
struct ValidateVisitor {
  std::string prefix;
  Status status;
  void operator()(const char*, const bool&, const OptionRange&) {}
  template <typename T>
  void operator()(const char* name, const T& value, const OptionRange& range) {
    if (!status.ok()) return;
    const double v = static_cast<double>(value);
    if (!range.Contains(v)) {
      status = Status::InvalidArgument(fmt::format("{}{}: {} is out of range {}", prefix, name,
                                                   FormatOptionNumber(v), range.ToString()));
    }
  }
};

template <typename O>
Status ValidateStruct(const O& options, std::string prefix) {
  ValidateVisitor visitor{std::move(prefix), Status::Ok()};
  VisitFields(options, visitor);
  return visitor.status;
}

struct ToJsonVisitor {
  Json out = Json::object();
  template <typename T>
  void operator()(const char* name, const T& value, const OptionRange&) {
    out[name] = value;
  }
};

template <typename O>
std::string StructToJson(const O& options) {
  ToJsonVisitor visitor;
  VisitFields(options, visitor);
  return visitor.out.dump();
}

// Reads the fields of one struct from `section` (its keys, ranges checked); refuses other
// keys. Reports the first problem with its key path ("embed.merchant_walk.sgns.window").
template <typename O>
Status ReadStruct(OptionsReader& section, O& out) {
  Status status;
  auto read = [&](const char* name, auto& value, const OptionRange& range) {
    if (!status.ok()) return;
    if constexpr (std::is_same_v<std::remove_reference_t<decltype(value)>, bool>) {
      status = section.Read(name, &value);
    } else {
      status = section.Read(name, &value, range);
    }
  };
  VisitFields(out, read);
  PG_RETURN_IF_ERROR(status);
  return section.RejectUnknownKeys();
}

// Reads `parent`'s member `key` when present, an object whose members are two structs:
// {"ppmi": {...}, "svd": {...}}.
template <typename A, typename B>
Status ReadPair(OptionsReader& parent, const char* key, const char* name_a, A& a,
                const char* name_b, B& b) {
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> pair, parent.Section(key));
  if (!pair) return Status::Ok();
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> first, pair->Section(name_a));
  if (first) PG_RETURN_IF_ERROR(ReadStruct(*first, a));
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> second, pair->Section(name_b));
  if (second) PG_RETURN_IF_ERROR(ReadStruct(*second, b));
  return pair->RejectUnknownKeys();
}

Status ReadEmbedSection(OptionsReader& embed, EmbedOptions& out) {
  embed.Allow({"merchant_svd", "merchant_walk", "sku_item2vec", "sku_svd"});
  PG_RETURN_IF_ERROR(embed.RejectUnknownKeys());
  PG_RETURN_IF_ERROR(
      ReadPair(embed, "merchant_svd", "ppmi", out.merchant_svd.ppmi, "svd", out.merchant_svd.svd));
  PG_RETURN_IF_ERROR(ReadPair(embed, "merchant_walk", "walks", out.merchant_walk.walks, "sgns",
                              out.merchant_walk.sgns));
  PG_RETURN_IF_ERROR(ReadPair(embed, "sku_item2vec", "sequences", out.sku_item2vec.sequences,
                              "sgns", out.sku_item2vec.sgns));
  return ReadPair(embed, "sku_svd", "ppmi", out.sku_svd.ppmi, "svd", out.sku_svd.svd);
}

}  // namespace

Status Validate(const PpmiOptions& options) { return ValidateStruct(options, "ppmi."); }
Status Validate(const SvdOptions& options) { return ValidateStruct(options, "svd."); }
Status Validate(const WalkOptions& options) { return ValidateStruct(options, "walks."); }
Status Validate(const SgnsOptions& options) { return ValidateStruct(options, "sgns."); }
Status Validate(const SequenceOptions& options) {
  PG_RETURN_IF_ERROR(ValidateStruct(options, "sequences."));
  if (options.max_length != 0 && options.max_length < options.min_length) {
    return Status::InvalidArgument(fmt::format("sequences.max_length: {} is below min_length {}",
                                               options.max_length, options.min_length));
  }
  return Status::Ok();
}

Result<EmbedOptions> ParseEmbedOptions(std::string_view json_text, std::string_view source_name) {
  PG_ASSIGN_OR_RETURN(OptionsReader doc, OptionsReader::Parse(json_text, source_name));
  EmbedOptions options;
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> embed, doc.Section("embed"));
  if (embed) PG_RETURN_IF_ERROR(ReadEmbedSection(*embed, options));
  // Cross-field rules (the per-field ranges were checked while reading).
  if (Status s = Validate(options.sku_item2vec.sequences); !s.ok()) {
    return s.WithContext(fmt::format("{}: embed.sku_item2vec", source_name));
  }
  return options;
}

Result<EmbedOptions> LoadEmbedOptions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError(fmt::format("{}: cannot open the model configuration", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(fmt::format("{}: read error", path.string()));
  return ParseEmbedOptions(text.str(), path.string());
}

std::string ToJson(const PpmiOptions& options) { return StructToJson(options); }
std::string ToJson(const SvdOptions& options) { return StructToJson(options); }
std::string ToJson(const WalkOptions& options) { return StructToJson(options); }
std::string ToJson(const SgnsOptions& options) { return StructToJson(options); }
std::string ToJson(const SequenceOptions& options) { return StructToJson(options); }

}  // namespace partnergraph
