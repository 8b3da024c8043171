// Folding live events into a dataset: what `partnergraph build --data DIR --events LOG` does
// before it builds, so that the new model includes every event of the log up to the sequence
// its manifest records as "event_sequence" (docs/events.md "Fresh models").
//
// Each event becomes the native row it stands for (event.hpp), with the rule the serving
// process applies to it (LiveState, live_overlay.hpp), so that a model built from the folded
// dataset answers as the old model with the same events replayed would:
//   order line         a new orders.csv line (a new customer id gets a customer row)
//   consent change     a new consent.csv row (the latest record wins, as in the file)
//   engagement         a new engagement.csv row
//   policy change      the merchant's policy row, its set fields changed
//   partnership        added: a row for the pair and kind unless one exists; removed: every
//                      row of the pair (either order) of that kind removed. A pair may carry
//                      several kinds at once (partner and blocked), as in the overlay.
//   new merchant       a merchants.csv row with the default policy
//   new SKU            a skus.csv row
// An event the log acknowledged a second time is not in it (ids are unique), but a new merchant
// or SKU that the dataset already holds (the folder already had the row) is skipped and
// counted, like a retry.
//
// The serving process checked every event against its model when it was recorded; a dataset
// folder other than that model's source can still disagree, so every reference is checked again
// here: InvalidArgument naming the event's sequence, kind, field and id, and the dataset is
// then incomplete (the caller refuses the build).
//
// Thread safety: an EventFolder changes its Dataset; use one thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "partnergraph/common/status.hpp"
#include "partnergraph/events/event.hpp"
#include "partnergraph/events/event_log.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

struct EventFoldReport {
  EventSequence last_sequence = 0;  // the last event folded (0: none)
  std::uint64_t events = 0;         // events read from the log
  std::array<std::uint64_t, kEventKindCount> by_kind{};  // by EventKind
  std::uint64_t skipped = 0;  // new merchants / SKUs the dataset already held
};

class EventFolder {
 public:
  // `data` must outlive the folder.
  explicit EventFolder(Dataset* data);

  // Folds one event (see the top). `sequence` only names the event in errors.
  Status Fold(EventSequence sequence, const Event& event);

  const EventFoldReport& report() const { return report_; }

 private:
  Result<MerchantId> Merchant(EventSequence sequence, const Event& event, std::string_view field,
                              std::string_view id) const;
  CustomerId Customer(std::string_view id);
  Status FoldBody(EventSequence sequence, const Event& event);

  Dataset* data_;
  EventFoldReport report_;
};

// Folds every event of the log in `events_dir` into `data`, in sequence order. The log is
// opened for reading only (EventLog::OpenReader): a server may keep recording into it; the
// events folded are those durable when the reader opened. Errors: those of OpenReader and
// Replay; the folder's InvalidArgument (see the top).
Result<EventFoldReport> FoldEventLog(const std::filesystem::path& events_dir, Dataset* data);

}  // namespace partnergraph
