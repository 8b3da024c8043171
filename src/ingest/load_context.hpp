// Internal to the loader (loader.cpp and load_*.cpp): the state shared while one
// dataset folder loads, the per-table entry points, and the field parsers
// whose wording every error message shares. Not part of the public API.
//
// Thread safety: LoadContext is used by one thread, except that the parallel
// part of LoadOrders() reads it (dictionaries, rejected-id maps) while no one
// writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/ingest/field_parsers.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph::ingest_internal {

// Collects the errors of one load: counts all, keeps the first `max_listed`,
// and keeps all of them when a reject report is to be written.
class ErrorSink {
 public:
  ErrorSink(std::size_t max_listed, bool keep_all) : max_listed_(max_listed), keep_all_(keep_all) {}
  void Add(LoadError error);
  std::size_t total() const { return total_; }
  const std::vector<LoadError>& listed() const { return listed_; }
  // Every error when keep_all, else empty.
  const std::vector<LoadError>& all() const { return all_; }

 private:
  std::size_t max_listed_;
  bool keep_all_;
  std::size_t total_ = 0;
  std::vector<LoadError> listed_;
  std::vector<LoadError> all_;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>()(s);
  }
};
// Ids whose first row was rejected, with the line of that row, so that rows
// referring to them say why they are rejected too.
using RejectedIds = std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>>;

// Where the rows of one kind of id (merchant, SKU, customer) were read.
struct IdSource {
  std::string file;                 // "merchants.csv"; empty when the file is absent
  std::vector<std::size_t> lines;   // file line of each loaded row, by id
  RejectedIds rejected;
};

struct LoadContext {
  LoadContext(const LoadOptions& options_in, Dataset& dataset_in, ErrorSink& errors_in)
      : options(options_in), dataset(dataset_in), errors(errors_in) {}

  const LoadOptions& options;
  Dataset& dataset;
  ErrorSink& errors;
  // customers.csv exists: references to customers must resolve to it (else the
  // loader creates customers from orders, consent, touchpoints in that order).
  bool has_customer_file = false;
  IdSource merchants;
  IdSource skus;
  IdSource customers;  // only for customers.csv
};

// Row counts of one table, filled by its loader.
struct TableCounts {
  std::size_t read = 0;
  std::size_t loaded = 0;
};

// Column indices of one file by header name; records the required ones missing.
class ColumnMap {
 public:
  explicit ColumnMap(const CsvReader& reader) : reader_(reader) {}
  // Index of required column `name` (0 when missing: check missing() before use).
  std::size_t Required(std::string_view name);
  std::optional<std::size_t> Optional(std::string_view name) const { return reader_.Column(name); }
  const std::vector<std::string>& missing() const { return missing_; }

 private:
  const CsvReader& reader_;
  std::vector<std::string> missing_;
};

// Adds one error per missing column (line 1) and returns InvalidArgument when
// any required column is missing.
Status CheckColumns(const ColumnMap& columns, const CsvReader& reader, LoadContext& ctx);

// An error about `record` of `reader`.
LoadError RowError(const CsvReader& reader, const CsvRecord& record, std::string_view column,
                   std::string reason);

// Why `id` does not resolve: its row was rejected (and where) or it is unknown.
// `what` names the kind ("merchant", "sku", "customer").
std::string UnresolvedReason(std::string_view what, std::string_view id, const IdSource& source);
// "duplicate <column> \"<id>\" (first at line N)".
std::string DuplicateReason(std::string_view column, std::string_view id, std::size_t first_line);
// Remembers that the row at `line` defining `id` was rejected, unless `id` is
// empty, already loaded (`dict`) or already remembered.
void RememberRejected(IdSource& source, const Dictionary& dict, std::string_view id,
                      std::size_t line);
// The line of the earlier row that defined `id` (loaded or rejected), or 0.
std::size_t FirstLineOf(const IdSource& source, const Dictionary& dict, std::string_view id);

// Per-table loaders. Each reads `reader` (already opened), adds rows to
// ctx.dataset and errors to ctx.errors, and fills `counts`. They return a non-OK
// Status only for a whole-file problem (missing column).
Status LoadMerchants(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadSkus(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadCustomers(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadOrders(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadPartnerships(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadConsent(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadEngagement(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
Status LoadTouchpoints(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);
// Expects ctx.dataset.policies to hold one default policy per merchant.
Status LoadMerchantPolicies(const CsvReader& reader, LoadContext& ctx, TableCounts& counts);

}  // namespace partnergraph::ingest_internal
