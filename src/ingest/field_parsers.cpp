#include "partnergraph/ingest/field_parsers.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace partnergraph {

std::string Quote(std::string_view value) {
  constexpr std::size_t kMaxShown = 60;
  bool cut = false;
  if (value.size() > kMaxShown) {
    std::size_t n = kMaxShown;
    // Do not split a UTF-8 sequence: back off over continuation bytes.
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
    value = value.substr(0, n);
    cut = true;
  }
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\x%02x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint32_t> ParseUnsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> ParseBool(std::string_view text) {
  std::string lower(text.size(), '\0');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return std::nullopt;
}

std::string NotANumber(std::string_view text) { return Quote(text) + " is not a number"; }
std::string NotATimestamp(std::string_view text) {
  return Quote(text) + " is not an ISO-8601 timestamp";
}
std::string NotABool(std::string_view text) {
  return Quote(text) + " is not a boolean (true/false/1/0/yes/no)";
}
std::string Negative(std::string_view text) { return Quote(text) + " is negative"; }

}  // namespace partnergraph
