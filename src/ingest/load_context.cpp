#include "load_context.hpp"

#include <fmt/format.h>

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

std::string UnresolvedReason(std::string_view what, std::string_view id,
                             const IdSource& source) {
  auto it = source.rejected.find(id);
  if (it != source.rejected.end()) {
    return fmt::format("{} {} was rejected ({}:{})", what, Quote(id), source.file, it->second);
  }
  return "unknown " + std::string(what) + " " + Quote(id);
}

std::string DuplicateReason(std::string_view column, std::string_view id, std::size_t first_line) {
  return fmt::format("duplicate {} {} (first at line {})", column, Quote(id), first_line);
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
