#include "partnergraph/embed/embed_options.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>

namespace partnergraph {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Allowed values of a numeric field.
struct Bounds {
  double lo = 0;
  double hi = kInf;
  bool lo_open = false;
  bool hi_open = false;
};

std::string FormatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest text that reads back to the same value.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

std::string FormatBounds(const Bounds& b) {
  return std::string(b.lo_open ? "(" : "[") + FormatNumber(b.lo) + ", " + FormatNumber(b.hi) +
         (b.hi_open || std::isinf(b.hi) ? ")" : "]");
}

bool InBounds(double v, const Bounds& b) {
  if (std::isnan(v)) return false;
  if (b.lo_open ? !(v > b.lo) : !(v >= b.lo)) return false;
  if (b.hi_open ? !(v < b.hi) : !(v <= b.hi)) return false;
  return !std::isinf(v) || std::isinf(b.hi);
}

// The fields of each options struct, visited in declaration order. `O` is the struct,
// const or not; the visitor receives (name, field reference, bounds).
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, PpmiOptions> {
  v("context_smoothing", o.context_smoothing, Bounds{0, 1, true, false});
  v("shift", o.shift, Bounds{1, kInf});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SvdOptions> {
  v("dim", o.dim, Bounds{1, 4096});
  v("oversampling", o.oversampling, Bounds{0, 1024});
  v("power_iterations", o.power_iterations, Bounds{0, 32});
  v("singular_value_power", o.singular_value_power, Bounds{0, 1});
  v("normalize", o.normalize, Bounds{});
  v("seed", o.seed, Bounds{});
  v("threads", o.threads, Bounds{0, 4096});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, WalkOptions> {
  v("walks_per_node", o.walks_per_node, Bounds{0, 10000});
  v("walk_length", o.walk_length, Bounds{1, 100000});
  v("p", o.return_p, Bounds{0, kInf, true, false});
  v("q", o.inout_q, Bounds{0, kInf, true, false});
  v("seed", o.seed, Bounds{});
  v("threads", o.threads, Bounds{0, 4096});
  v("max_total_tokens", o.max_total_tokens, Bounds{0, 1e12});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SgnsOptions> {
  v("dim", o.dim, Bounds{1, 4096});
  v("window", o.window, Bounds{1, 1000});
  v("negatives", o.negatives, Bounds{0, 100});
  v("epochs", o.epochs, Bounds{1, 1000});
  v("learning_rate", o.learning_rate, Bounds{0, 1, true, false});
  v("min_learning_rate_ratio", o.min_learning_rate_ratio, Bounds{0, 1});
  v("negative_power", o.negative_power, Bounds{0, 1});
  v("subsample", o.subsample, Bounds{0, 1, false, true});
  v("shards", o.shards, Bounds{1, 1024});
  v("block_tokens", o.block_tokens, Bounds{64, double(1u << 24)});
  v("normalize", o.normalize, Bounds{});
  v("seed", o.seed, Bounds{});
  v("threads", o.threads, Bounds{0, 4096});
  v("max_token_passes", o.max_token_passes, Bounds{0, 1e12});
  v("min_epochs", o.min_epochs, Bounds{1, 1000});
}
template <typename O, typename V>
void VisitFields(O& o, V& v) requires std::is_same_v<std::remove_const_t<O>, SequenceOptions> {
  v("min_length", o.min_length, Bounds{1, kInf});
  v("max_length", o.max_length, Bounds{0, kInf});
  v("collapse_repeats", o.collapse_repeats, Bounds{});
  v("min_count", o.min_count, Bounds{1, kInf});
}

// Checks every numeric field against its bounds; keeps the first error.
struct ValidateVisitor {
  std::string prefix;
  Status status;
  void operator()(const char*, const bool&, const Bounds&) {}
  template <typename T>
  void operator()(const char* name, const T& value, const Bounds& bounds) {
    if (!status.ok()) return;
    const double v = static_cast<double>(value);
    if (!InBounds(v, bounds)) {
      status = Status::InvalidArgument(prefix + name + ": " + FormatNumber(v) +
                                       " is out of range " + FormatBounds(bounds));
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
  void operator()(const char* name, const T& value, const Bounds&) {
    out[name] = value;
  }
};

template <typename O>
std::string StructToJson(const O& options) {
  ToJsonVisitor visitor;
  VisitFields(options, visitor);
  return visitor.out.dump();
}

// Reads the known keys of one JSON object into a struct; reports the first problem
// with its key path ("embed.merchant_walk.sgns.window").
struct ParseVisitor {
  const Json& object;
  std::string path;  // with a trailing '.'
  std::set<std::string> known;
  Status status;

  void operator()(const char* name, bool& value, const Bounds&) {
    known.insert(name);
    if (!status.ok() || !object.contains(name)) return;
    const Json& j = object.at(name);
    if (!j.is_boolean()) {
      status = Status::InvalidArgument(path + name + ": expected true or false, got " + j.dump());
      return;
    }
    value = j.get<bool>();
  }
  void operator()(const char* name, double& value, const Bounds& bounds) {
    known.insert(name);
    if (!status.ok() || !object.contains(name)) return;
    const Json& j = object.at(name);
    if (!j.is_number()) {
      status = Status::InvalidArgument(path + name + ": expected a number, got " + j.dump());
      return;
    }
    const double v = j.get<double>();
    if (!InBounds(v, bounds)) {
      status = Status::InvalidArgument(path + name + ": " + FormatNumber(v) +
                                       " is out of range " + FormatBounds(bounds));
      return;
    }
    value = v;
  }
  template <typename T>
  void operator()(const char* name, T& value, const Bounds& bounds)
    requires std::is_unsigned_v<T>
  {
    known.insert(name);
    if (!status.ok() || !object.contains(name)) return;
    const Json& j = object.at(name);
    const bool integral = j.is_number_unsigned() ||
                          (j.is_number_integer() && j.get<std::int64_t>() >= 0);
    if (!integral || j.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
      status = Status::InvalidArgument(path + name + ": expected a non-negative integer below " +
                                       std::to_string(std::numeric_limits<T>::max()) + ", got " +
                                       j.dump());
      return;
    }
    const T v = static_cast<T>(j.get<std::uint64_t>());
    if (!InBounds(static_cast<double>(v), bounds)) {
      status = Status::InvalidArgument(path + name + ": " + std::to_string(v) +
                                       " is out of range " + FormatBounds(bounds));
      return;
    }
    value = v;
  }
};

Status CheckObject(const Json& j, const std::string& path) {
  if (!j.is_object()) {
    return Status::InvalidArgument(path + ": expected an object, got " + j.dump());
  }
  return Status::Ok();
}

Status UnknownKeys(const Json& j, const std::string& path, const std::set<std::string>& known) {
  for (const auto& [key, value] : j.items()) {
    if (!known.contains(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument(path + "." + key + ": unknown key (known: " + list + ")");
    }
  }
  return Status::Ok();
}

template <typename O>
Status ParseStruct(const Json& j, const std::string& path, O& out) {
  PG_RETURN_IF_ERROR(CheckObject(j, path));
  ParseVisitor visitor{j, path + ".", {}, Status::Ok()};
  VisitFields(out, visitor);
  PG_RETURN_IF_ERROR(visitor.status);
  return UnknownKeys(j, path, visitor.known);
}

// Parses an object whose members are sub-structs: {"ppmi": {...}, "svd": {...}}.
template <typename A, typename B>
Status ParsePair(const Json& j, const std::string& path, const char* name_a, A& a,
                 const char* name_b, B& b) {
  PG_RETURN_IF_ERROR(CheckObject(j, path));
  if (j.contains(name_a)) PG_RETURN_IF_ERROR(ParseStruct(j.at(name_a), path + "." + name_a, a));
  if (j.contains(name_b)) PG_RETURN_IF_ERROR(ParseStruct(j.at(name_b), path + "." + name_b, b));
  return UnknownKeys(j, path, {name_a, name_b});
}

Status ParseEmbedSection(const Json& j, EmbedOptions& out) {
  const std::string path = "embed";
  PG_RETURN_IF_ERROR(CheckObject(j, path));
  const std::set<std::string> known = {"merchant_svd", "merchant_walk", "sku_item2vec",
                                       "sku_svd"};
  PG_RETURN_IF_ERROR(UnknownKeys(j, path, known));
  if (j.contains("merchant_svd")) {
    PG_RETURN_IF_ERROR(ParsePair(j.at("merchant_svd"), path + ".merchant_svd", "ppmi",
                                 out.merchant_svd.ppmi, "svd", out.merchant_svd.svd));
  }
  if (j.contains("merchant_walk")) {
    PG_RETURN_IF_ERROR(ParsePair(j.at("merchant_walk"), path + ".merchant_walk", "walks",
                                 out.merchant_walk.walks, "sgns", out.merchant_walk.sgns));
  }
  if (j.contains("sku_item2vec")) {
    PG_RETURN_IF_ERROR(ParsePair(j.at("sku_item2vec"), path + ".sku_item2vec", "sequences",
                                 out.sku_item2vec.sequences, "sgns", out.sku_item2vec.sgns));
  }
  if (j.contains("sku_svd")) {
    PG_RETURN_IF_ERROR(ParsePair(j.at("sku_svd"), path + ".sku_svd", "ppmi", out.sku_svd.ppmi,
                                 "svd", out.sku_svd.svd));
  }
  return Status::Ok();
}

}  // namespace

Status Validate(const PpmiOptions& options) { return ValidateStruct(options, "ppmi."); }
Status Validate(const SvdOptions& options) { return ValidateStruct(options, "svd."); }
Status Validate(const WalkOptions& options) { return ValidateStruct(options, "walks."); }
Status Validate(const SgnsOptions& options) { return ValidateStruct(options, "sgns."); }
Status Validate(const SequenceOptions& options) {
  PG_RETURN_IF_ERROR(ValidateStruct(options, "sequences."));
  if (options.max_length != 0 && options.max_length < options.min_length) {
    return Status::InvalidArgument("sequences.max_length: " + std::to_string(options.max_length) +
                                   " is below min_length " + std::to_string(options.min_length));
  }
  return Status::Ok();
}

Result<EmbedOptions> ParseEmbedOptions(std::string_view json_text, std::string_view source_name) {
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
  EmbedOptions options;
  if (doc.contains("embed")) {
    Status s = ParseEmbedSection(doc.at("embed"), options);
    if (!s.ok()) return s.WithContext(source);
  }
  // Cross-field rules (the per-field ranges were checked while parsing).
  const std::pair<const char*, Status> checks[] = {
      {"embed.sku_item2vec", Validate(options.sku_item2vec.sequences)}};
  for (const auto& [section, s] : checks) {
    if (!s.ok()) return s.WithContext(source + ": " + section);
  }
  return options;
}

Result<EmbedOptions> LoadEmbedOptions(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open the model configuration");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return ParseEmbedOptions(text.str(), path.string());
}

std::string ToJson(const PpmiOptions& options) { return StructToJson(options); }
std::string ToJson(const SvdOptions& options) { return StructToJson(options); }
std::string ToJson(const WalkOptions& options) { return StructToJson(options); }
std::string ToJson(const SgnsOptions& options) { return StructToJson(options); }
std::string ToJson(const SequenceOptions& options) { return StructToJson(options); }

}  // namespace partnergraph
