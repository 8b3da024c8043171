#include "partnergraph/common/options_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace partnergraph {

bool OptionRange::Contains(double v) const {
  if (std::isnan(v)) return false;
  if (lo_open ? !(v > lo) : !(v >= lo)) return false;
  if (hi_open ? !(v < hi) : !(v <= hi)) return false;
  return !std::isinf(v) || std::isinf(v > 0 ? hi : lo);
}

std::string OptionRange::ToString() const {
  return fmt::format("{}{}, {}{}", lo_open ? "(" : "[", FormatOptionNumber(lo),
                     FormatOptionNumber(hi), hi_open || std::isinf(hi) ? ")" : "]");
}

std::string FormatOptionNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(v));
  }
  // The shortest text that reads back to the same value.
  for (int precision = 1; precision < 17; ++precision) {
    std::string shorter = fmt::format("{:.{}g}", v, precision);
    if (std::strtod(shorter.c_str(), nullptr) == v) return shorter;
  }
  return fmt::format("{:.17g}", v);
}

OptionsReader::OptionsReader(std::shared_ptr<const Json> document, const Json* object,
                             std::string source, std::string path)
    : document_(std::move(document)),
      object_(object),
      source_(std::move(source)),
      path_(std::move(path)) {}

Result<OptionsReader> OptionsReader::Parse(std::string_view json_text, std::string_view source) {
  auto document = std::make_shared<Json>();
  try {
    *document = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(fmt::format("{}: malformed JSON: {}", source, e.what()));
  }
  if (!document->is_object()) {
    return Status::InvalidArgument(
        fmt::format("{}: expected a JSON object at the top level", source));
  }
  const Json* object = document.get();
  return OptionsReader(std::move(document), object, std::string(source), "");
}

bool OptionsReader::Has(std::string_view key) const {
  return object_->find(std::string(key)) != object_->end();
}

const OptionsReader::Json* OptionsReader::Member(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  auto it = object_->find(std::string(key));
  return it == object_->end() ? nullptr : &*it;
}

std::string OptionsReader::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

Status OptionsReader::Error(std::string_view key, std::string_view what) const {
  return Status::InvalidArgument(fmt::format("{}: {}: {}", source_, KeyPath(key), what));
}

Status OptionsReader::Read(std::string_view key, bool* out) {
  const Json* j = Member(key);
  if (j == nullptr) return Status::Ok();
  if (!j->is_boolean()) return Error(key, fmt::format("expected true or false, got {}", j->dump()));
  *out = j->get<bool>();
  return Status::Ok();
}

Status OptionsReader::Read(std::string_view key, std::string* out) {
  const Json* j = Member(key);
  if (j == nullptr) return Status::Ok();
  if (!j->is_string()) return Error(key, fmt::format("expected a string, got {}", j->dump()));
  *out = j->get<std::string>();
  return Status::Ok();
}

Status OptionsReader::Read(std::string_view key, double* out, const OptionRange& range) {
  const Json* j = Member(key);
  if (j == nullptr) return Status::Ok();
  if (!j->is_number()) return Error(key, fmt::format("expected a number, got {}", j->dump()));
  const double v = j->get<double>();
  if (!range.Contains(v)) {
    return Error(key,
                 fmt::format("{} is out of range {}", FormatOptionNumber(v), range.ToString()));
  }
  *out = v;
  return Status::Ok();
}

Status OptionsReader::ReadUnsigned(std::string_view key, std::uint64_t max,
                                   const OptionRange& range, std::uint64_t* out) {
  const Json* j = Member(key);
  if (j == nullptr) return Status::Ok();
  const bool integral =
      j->is_number_unsigned() || (j->is_number_integer() && j->get<std::int64_t>() >= 0);
  if (!integral || j->get<std::uint64_t>() > max) {
    return Error(key,
                 fmt::format("expected a non-negative integer below {}, got {}", max, j->dump()));
  }
  const std::uint64_t v = j->get<std::uint64_t>();
  if (!range.Contains(static_cast<double>(v))) {
    return Error(key, fmt::format("{} is out of range {}", v, range.ToString()));
  }
  *out = v;
  return Status::Ok();
}

Status OptionsReader::ReadChoice(std::string_view key,
                                 std::initializer_list<std::string_view> choices,
                                 std::string* out) {
  const Json* j = Member(key);
  if (j == nullptr) return Status::Ok();
  if (j->is_string()) {
    const std::string& v = j->get_ref<const std::string&>();
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) {
      *out = v;
      return Status::Ok();
    }
  }
  std::string expected;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const char* separator = i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ";
    expected += fmt::format("{}\"{}\"", separator, choices.begin()[i]);
  }
  return Error(key, fmt::format("expected {}, got {}", expected, j->dump()));
}

Result<std::optional<OptionsReader>> OptionsReader::Section(std::string_view key) {
  const Json* j = Member(key);
  if (j == nullptr) return std::optional<OptionsReader>();
  if (!j->is_object()) return Error(key, fmt::format("expected an object, got {}", j->dump()));
  return std::optional<OptionsReader>(OptionsReader(document_, j, source_, KeyPath(key)));
}

void OptionsReader::Allow(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  }
}

Status OptionsReader::RejectUnknownKeys() const {
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    if (std::find(known_.begin(), known_.end(), it.key()) == known_.end()) {
      return Error(it.key(), fmt::format("unknown key (known: {})", fmt::join(known_, ", ")));
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph
