#include "load_context.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace partnergraph::ingest_internal {

void ErrorSink::Add(LoadError error) {
  ++total_;
  if (listed_.size() < max_listed_) listed_.push_back(error);
  if (keep_all_) all_.push_back(std::move(error));
}

std::size_t ColumnMap::Required(std::string_view name) {
  if (auto index = reader_.Column(name)) return *index;
  missing_.emplace_back(name);
  return 0;
}

Status CheckColumns(const ColumnMap& columns, const CsvReader& reader, LoadContext& ctx) {
  if (columns.missing().empty()) return Status::Ok();
  std::string names;
  for (const std::string& name : columns.missing()) {
    ctx.errors.Add({reader.display_name(), 1, name, "required column is missing", ""});
    if (!names.empty()) names += ", ";
    names += name;
  }
  return Status::InvalidArgument(reader.display_name() + ": missing required column(s) " + names);
}

LoadError RowError(const CsvReader& reader, const CsvRecord& record, std::string_view column,
                   std::string reason) {
  return {reader.display_name(), record.line, std::string(column), std::move(reason),
          std::string(record.raw)};
}

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
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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

std::string UnresolvedReason(std::string_view what, std::string_view id,
                             const IdSource& source) {
  auto it = source.rejected.find(id);
  if (it != source.rejected.end()) {
    return std::string(what) + " " + Quote(id) + " was rejected (" + source.file + ":" +
           std::to_string(it->second) + ")";
  }
  return "unknown " + std::string(what) + " " + Quote(id);
}

std::string DuplicateReason(std::string_view column, std::string_view id, std::size_t first_line) {
  return "duplicate " + std::string(column) + " " + Quote(id) + " (first at line " +
         std::to_string(first_line) + ")";
}

void RememberRejected(IdSource& source, const Dictionary& dict, std::string_view id,
                      std::size_t line) {
  if (id.empty() || dict.Find(id) != Dictionary::kNotFound) return;
  source.rejected.try_emplace(std::string(id), line);
}

std::size_t FirstLineOf(const IdSource& source, const Dictionary& dict, std::string_view id) {
  const std::uint32_t index = dict.Find(id);
  if (index != Dictionary::kNotFound) return source.lines[index];
  auto it = source.rejected.find(id);
  return it != source.rejected.end() ? it->second : 0;
}

}  // namespace partnergraph::ingest_internal
