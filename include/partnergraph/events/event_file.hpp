// EventFile: a native CSV file (docs/formats.md) read as live events, for
// `partnergraph events append FILE.csv` (docs/events.md "Event files").
//
// The kind of event comes from the file name (orders.csv: order_line, consent.csv:
// consent_change, engagement.csv: engagement_activity, merchant_policy.csv: policy_change,
// partnerships.csv: partnership_change, merchants.csv: new_merchant, skus.csv: new_sku; `.csv.gz`
// too) or from EventFileOptions::kind. The columns are the native file's, plus two optional ones:
// `event_id` (else the id is "<id_prefix><file name>:<line>", so that sending the same file again
// resends the same ids and the log records nothing twice) and, in partnerships.csv, `removed`
// (boolean). Files whose native form has no time (merchants, SKUs, policies, partnerships without
// `since`) take an optional `ts` column, else EventFileOptions::default_ts.
//
// Nothing is sent from a file with a bad row: ForEachBatch parses the whole file first and, if
// any row is bad, returns InvalidArgument listing the first ones (`orders.csv:12: column
// quantity: "0" is not a positive integer`) and their count, without calling `fn`.
//
// Thread safety: const methods may run concurrently. The reader maps the file (CsvReader).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/events/event.hpp"

namespace partnergraph {

struct EventFileOptions {
  // The kind of every row; unset: from the file name.
  std::optional<EventKind> kind;
  // Prepended to generated event ids ("<id_prefix><file name>:<line>"), e.g. "2026-12-07/".
  std::string id_prefix;
  // The time of events whose row has none (see the top).
  Timestamp default_ts = 0;
  // Bad rows listed in the error (all are counted).
  std::size_t max_listed_errors = 20;
};

// The kind a file name stands for ("orders.csv.gz": order_line); nullopt for other names.
std::optional<EventKind> EventKindOfFileName(const std::filesystem::path& path);
// The kind named as in docs/events.md ("consent_change"); nullopt for another name.
std::optional<EventKind> ParseEventKind(std::string_view name);

class EventFile {
 public:
  // Opens the file and checks its header: IOError when it cannot be read, InvalidArgument naming
  // the file when the kind cannot be told from its name or a required column is missing.
  static Result<EventFile> Open(const std::filesystem::path& path, EventFileOptions options = {});

  EventKind kind() const { return kind_; }
  const std::string& display_name() const { return reader_.display_name(); }

  // Calls `fn` with the file's events in file order, `batch_size` (>= 1) at a time (the last
  // batch may be shorter), after checking every row (see the top). Stops at fn's first error
  // and returns it. `first_row` of fn: the 0-based index of the batch's first event.
  Status ForEachBatch(
      std::size_t batch_size,
      const std::function<Status(std::span<const Event> batch, std::size_t first_row)>& fn) const;

  // The number of events (data rows) of the file; parses it.
  std::size_t CountRows() const;

 private:
  struct Columns;
  EventFile(CsvReader reader, EventFileOptions options, EventKind kind);
  // The event of `record`, or the reason it is not one ("column quantity: ...").
  Result<Event> Parse(const CsvRecord& record) const;

  CsvReader reader_;
  EventFileOptions options_;
  EventKind kind_;
};

}  // namespace partnergraph
