// EventLog: the durable, ordered, idempotent log of live events (issue 14), on RocksDB.
//
// Layout of the RocksDB database (one folder, `--events DIR`, beside the model):
//   "s" + big-endian u64 sequence -> the event's record (event_codec.hpp)
//   "i" + event id                -> big-endian u64 sequence of its first recording
// Sequences start at 1 and have no gaps: a group is written in one atomic WriteBatch and the
// next sequence moves only once it is durable.
//
// Append(batch) returns only once the batch is durable: written with a synced write-ahead log
// (WriteOptions::sync), so an acknowledged event survives kill -9 and power loss. Concurrent
// callers are committed together (group commit, one fsync for many batches) by a writer queue:
// the caller at the front of the queue takes every waiting batch (up to
// EventLogOptions::max_group_events), removes duplicates, assigns sequences, writes one synced
// batch, runs the hooks' apply for every new event in sequence order, and wakes the others.
// Why a queue of our own (LevelDB's DBImpl::Write pattern) on top of RocksDB, which groups
// synced writes itself: the duplicate check, the sequence assignment and the write must happen
// as one step, or two concurrent retries of one batch would both find its ids absent and both
// record it; and the in-memory state must be applied in log order.
//
// Idempotency: an event whose id is already in the log (from an earlier batch, or from an earlier
// batch of the same group) is not written again; its answer is the earlier sequence and
// `duplicate`. An id recorded with other content refuses the batch (InvalidArgument): a client
// that reuses an id for another event has a bug that must not pass silently.
//
// Batches are all or nothing: one refused event refuses its batch, and nothing of it is written
// or applied; other batches of the same group are unaffected.
//
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/events/event.hpp"

namespace rocksdb {
class DB;
}

namespace partnergraph {

using EventSequence = std::uint64_t;

struct EventLogOptions {
  // Sync the write-ahead log before an Append returns (durable against power loss). Off only
  // for benchmarks that measure what the sync costs.
  bool sync = true;
  // The most events one group commit takes (a single larger batch is still written whole).
  std::size_t max_group_events = 65536;
  // Events per Append; a larger batch is refused (InvalidArgument).
  std::size_t max_batch_events = 100000;
};

// What the owner of the in-memory state does with the log's events. Both run on the thread
// that commits a group, one group at a time, never concurrently with each other.
struct EventHooks {
  // Checks a batch against the current state (unknown ids, permissions...) before it is
  // written; an error refuses the batch. `recorded[i]` is true for an event already in the log
  // (a retry): it will not be applied again, so a check that would refuse it now (a new
  // merchant that exists since its first recording) must let it pass. Unset: every batch passes.
  std::function<Status(std::span<const Event> batch, const std::vector<bool>& recorded)> check;
  // Applies one durable event, in sequence order. Must not fail: what can fail belongs in
  // `check`. Unset: nothing is applied.
  std::function<void(EventSequence sequence, const Event& event)> apply;
};

struct AppendResult {
  // Per event of the batch: its sequence (the earlier one for a duplicate).
  std::vector<EventSequence> sequences;
  std::vector<bool> duplicate;
  std::size_t new_events = 0;
  // The log's last sequence once this batch was committed (>= every entry of `sequences`).
  EventSequence last_sequence = 0;
};

class EventLog {
 public:
  // Opens the log in `dir`, creating it when absent. IOError naming the folder when RocksDB
  // cannot open it (Unavailable when another process holds it open), Corruption when the
  // records have a gap or an unreadable key.
  static Result<std::unique_ptr<EventLog>> Open(const std::filesystem::path& dir,
                                                EventLogOptions options = {},
                                                EventHooks hooks = {});

  // Opens the log in `dir` for reading only (Replay, last_sequence), while a serving process
  // may hold it open and keep appending: as a RocksDB secondary instance, which sees every
  // event durable when it opened (its own files go to a temporary folder, removed on close).
  // Append refuses (InvalidArgument). NotFound when `dir` holds no event log; the errors of
  // Open otherwise.
  static Result<std::unique_ptr<EventLog>> OpenReader(const std::filesystem::path& dir);
  // A reader's catch-up with the writer: afterwards last_sequence() and Replay see the events
  // that became durable since. InvalidArgument on a log opened with Open.
  Status Refresh();
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Records `batch` durably (see the top of this file). InvalidArgument for an empty or
  // oversized batch, an id repeated within it or reused with other content, or the hooks'
  // check refusing it; IOError when the write fails (nothing of the group is recorded).
  Result<AppendResult> Append(std::span<const Event> batch);

  // Calls `visit` for every event with sequence > `after`, in order, up to the last sequence at
  // the time of the call. Stops at visit's first error and returns it; Corruption naming the
  // sequence of an unreadable record.
  Status Replay(EventSequence after,
                const std::function<Status(EventSequence, const Event&)>& visit) const;

  // Runs `fn` while no group commits: it waits for the commit under way, and Appends that
  // arrive meanwhile wait until `fn` returns. Inside `fn`, last_sequence() is the last event
  // whose apply hook has run, and SetHooks may replace the hooks; this is how a serving process
  // swaps to a new model without losing or doubling an event (docs/events.md "Fresh models").
  // Returns what `fn` returns. `fn` must not call Append or RunExclusive.
  Status RunExclusive(const std::function<Status()>& fn);
  // Replaces the hooks. Only inside RunExclusive's `fn` (or before any Append).
  void SetHooks(EventHooks hooks) { hooks_ = std::move(hooks); }

  // The sequence of the last durable event (0: none).
  EventSequence last_sequence() const { return last_sequence_.load(std::memory_order_acquire); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Writer;
  EventLog(std::filesystem::path dir, EventLogOptions options, EventHooks hooks,
           std::unique_ptr<rocksdb::DB> db, EventSequence last);
  // The last "s" key of `db`, checked.
  static Result<EventSequence> ReadLastSequence(rocksdb::DB& db, const std::filesystem::path& dir);
  // The group's commit, run by the writer at the front of the queue (see the top).
  void CommitGroup(std::span<Writer* const> group);

  std::filesystem::path dir_;
  EventLogOptions options_;
  EventHooks hooks_;
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<EventSequence> last_sequence_;
  std::mutex mu_;                // guards writers_
  std::deque<Writer*> writers_;  // waiting Appends; the front one commits
  // OpenReader's: the secondary instance's own folder (removed on close); empty for a writer.
  std::filesystem::path reader_dir_;
};

}  // namespace partnergraph
