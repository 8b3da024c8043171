// OptionsReader: reads one section of a JSON configuration file (models/default.json's
// layout) into an options struct, field by field, the one way every module's options are
// read (embed, index, recommend and the engine's "model" section).
//
// Every error is InvalidArgument and names the file and the field path:
//   m.json: malformed JSON: <the parser's message>
//   m.json: expected a JSON object at the top level
//   m.json: embed.merchant_walk: expected an object, got [1]
//   m.json: embed.merchant_walk.sgns.window: expected a non-negative integer below 4294967295,
//     got "5"
//   m.json: embed.merchant_walk.sgns.window: 0 is out of range [1, 1000]
//   m.json: model.partner_embedding: expected "svd" or "walk", got "pca"
//   m.json: index.merchants.efSearch: unknown key (known: factory, exact_below, ...)
// An absent key leaves its field as it was (the struct's default).
//
// Thread safety: a reader is a cursor over an immutable document; one reader must not be
// used by two threads at once, two readers of one document may.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

// The allowed values of a numeric option: from lo to hi, each end closed or open; hi may be
// infinity (then written "inf)"). The default allows every finite number.
struct OptionRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  // Whether `v` is allowed: never NaN; an infinity only when the range's end is infinite.
  bool Contains(double v) const;
  // "[1, 1000]", "(0, 1]", "[0, 1)", "[1, inf)".
  std::string ToString() const;
};

// `v` as an option's value is written in messages: an integer without a decimal point
// ("12"), otherwise the shortest text that reads back to the same double ("0.025"),
// "inf" / "-inf" for infinities.
std::string FormatOptionNumber(double v);

class OptionsReader {
 public:
  using Json = nlohmann::ordered_json;

  // Parses `json_text`, a whole configuration file called `source` in messages. Errors:
  // InvalidArgument "SOURCE: malformed JSON: ..." or "SOURCE: expected a JSON object at the
  // top level".
  static Result<OptionsReader> Parse(std::string_view json_text, std::string_view source);

  // The file's name as messages give it.
  const std::string& source() const { return source_; }
  // The section's path in the file ("embed.merchant_walk"; empty at the top level).
  const std::string& path() const { return path_; }
  // Whether the section has member `key`.
  bool Has(std::string_view key) const;

  // Reads member `key`, when present, into *out and registers `key` as known. An absent key
  // leaves *out unchanged. Errors (InvalidArgument naming the file and PATH.KEY): a value of
  // another JSON type ("expected true or false, got 1", "expected a string, got 5", "expected
  // a number, got \"5\"", "expected a non-negative integer below N, got -1" where N is the
  // largest value of the field's type), or a number outside `range` ("0 is out of range
  // [1, 1000]").
  Status Read(std::string_view key, bool* out);
  Status Read(std::string_view key, std::string* out);
  Status Read(std::string_view key, double* out, const OptionRange& range = {});
  template <typename T>
  requires(std::is_unsigned_v<T> && !std::is_same_v<T, bool>) Status
      Read(std::string_view key, T* out, const OptionRange& range = {}) {
    std::uint64_t value = *out;
    PG_RETURN_IF_ERROR(ReadUnsigned(key, std::numeric_limits<T>::max(), range, &value));
    *out = static_cast<T>(value);
    return Status::Ok();
  }
  // Reads a string that must be one of `choices`: "expected \"svd\" or \"walk\", got 5".
  Status ReadChoice(std::string_view key, std::initializer_list<std::string_view> choices,
                    std::string* out);

  // The object at member `key` (registered as known): nullopt when absent. Errors:
  // InvalidArgument "SOURCE: PATH.KEY: expected an object, got ...".
  Result<std::optional<OptionsReader>> Section(std::string_view key);

  // Registers `keys` as known without reading them (sections another reader reads).
  void Allow(std::initializer_list<std::string_view> keys);

  // InvalidArgument naming the section's first member (in file order) whose key was not
  // registered by Read, ReadChoice, Section or Allow: "SOURCE: PATH.KEY: unknown key (known:
  // a, b, c)", the known keys in the order they were registered. Ok when there is none.
  [[nodiscard]] Status RejectUnknownKeys() const;

  // InvalidArgument "SOURCE: PATH.KEY: what", for rules across fields.
  [[nodiscard]] Status Error(std::string_view key, std::string_view what) const;

 private:
  OptionsReader(std::shared_ptr<const Json> document, const Json* object, std::string source,
                std::string path);

  // The member `key` (registered as known), or null when absent.
  const Json* Member(std::string_view key);
  std::string KeyPath(std::string_view key) const;
  Status ReadUnsigned(std::string_view key, std::uint64_t max, const OptionRange& range,
                      std::uint64_t* out);

  std::shared_ptr<const Json> document_;  // owns what object_ points into
  const Json* object_ = nullptr;          // this section: a JSON object
  std::string source_;
  std::string path_;
  std::vector<std::string> known_;
};

}  // namespace partnergraph
