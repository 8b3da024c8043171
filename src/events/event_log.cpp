#include "partnergraph/events/event_log.hpp"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <utility>

#include "partnergraph/events/event_codec.hpp"

namespace partnergraph {
namespace {

constexpr char kSequencePrefix = 's';
constexpr char kIdPrefix = 'i';

std::string SequenceKey(EventSequence seq) {
  std::string key(9, '\0');
  key[0] = kSequencePrefix;
  for (int i = 0; i < 8; ++i) key[8 - i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  return key;
}

std::string IdKey(std::string_view event_id) {
  std::string key;
  key.reserve(1 + event_id.size());
  key.push_back(kIdPrefix);
  key.append(event_id);
  return key;
}

// The sequence of a "s" key or an "i" value (8 big-endian bytes); nullopt when malformed.
std::optional<EventSequence> ParseSequence(rocksdb::Slice bytes) {
  if (bytes.size() != 8) return std::nullopt;
  EventSequence seq = 0;
  for (std::size_t i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<std::uint8_t>(bytes[i]);
  return seq;
}

std::string EncodeSequence(EventSequence seq) { return SequenceKey(seq).substr(1); }

// The one adapter from RocksDB's status to ours (STYLE.md "Errors").
Status FromRocks(const rocksdb::Status& s, const std::filesystem::path& dir,
                 std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = fmt::format("event log {}: {}: {}", dir.string(), what, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::Unavailable(message + " (another process has the event log open)");
  }
  return Status::IOError(std::move(message));
}

}  // namespace

// One waiting Append: its batch, the records encoded before it queued, and its answer.
struct EventLog::Writer {
  std::span<const Event> events;
  std::vector<std::string> records;
  Result<AppendResult> result = Status::Internal("not committed");
  bool done = false;
  std::condition_variable cv;
  // Set for RunExclusive's waiter (no events): it runs alone when it reaches the front.
  const std::function<Status()>* exclusive = nullptr;
};

EventLog::EventLog(std::filesystem::path dir, EventLogOptions options, EventHooks hooks,
                   std::unique_ptr<rocksdb::DB> db, EventSequence last)
    : dir_(std::move(dir)),
      options_(options),
      hooks_(std::move(hooks)),
      db_(std::move(db)),
      last_sequence_(last) {}

EventLog::~EventLog() {
  db_.reset();
  if (!reader_dir_.empty()) {
    std::error_code ignored;  // a temporary folder left behind is harmless
    std::filesystem::remove_all(reader_dir_, ignored);
  }
}

Result<EventSequence> EventLog::ReadLastSequence(rocksdb::DB& db,
                                                 const std::filesystem::path& dir) {
  // The last "s" key; every sequence below it must be there too (Replay checks).
  EventSequence last = 0;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(SequenceKey(UINT64_MAX));
  if (it->Valid() && it->key().starts_with(rocksdb::Slice(&kSequencePrefix, 1))) {
    rocksdb::Slice key = it->key();
    key.remove_prefix(1);
    const auto seq = ParseSequence(key);
    if (!seq) {
      return Status::Corruption(
          fmt::format("event log {}: a sequence key of {} bytes", dir.string(), key.size()));
    }
    last = *seq;
  }
  PG_RETURN_IF_ERROR(FromRocks(it->status(), dir, "reading the last sequence"));
  return last;
}

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::filesystem::path& dir,
                                                 EventLogOptions options, EventHooks hooks) {
  if (options.max_group_events == 0 || options.max_batch_events == 0) {
    return Status::InvalidArgument(
        "EventLogOptions: max_group_events and max_batch_events must be >= 1");
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  // Point-in-time recovery (RocksDB's default): after a crash the log is every write up to
  // the last complete synced one, which is every acknowledged event.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  rocksdb::BlockBasedTableOptions table;
  // Most event ids are new: a Bloom filter answers "absent" without reading a block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  PG_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, dir.string(), &raw), dir, "open"));
  std::unique_ptr<rocksdb::DB> db(raw);

  PG_ASSIGN_OR_RETURN(const EventSequence last, ReadLastSequence(*db, dir));
  return std::unique_ptr<EventLog>(
      new EventLog(dir, options, std::move(hooks), std::move(db), last));
}

Result<std::unique_ptr<EventLog>> EventLog::OpenReader(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "CURRENT", ec)) {
    return Status::NotFound(fmt::format("event log {}: no event log in this folder", dir.string()));
  }
  // A secondary instance keeps its own info log and manifest copy in a folder of its own.
  std::filesystem::path own = std::filesystem::temp_directory_path(ec);
  if (ec) own = "/tmp";
  static std::atomic<std::uint64_t> readers{0};
  own /= fmt::format("partnergraph-events-reader-{}-{}", ::getpid(), readers.fetch_add(1));
  rocksdb::Options db_options;
  db_options.max_open_files = -1;  // required of a secondary instance
  rocksdb::DB* raw = nullptr;
  Status opened = FromRocks(rocksdb::DB::OpenAsSecondary(db_options, dir.string(), own.string(), &raw),
                            dir, "open for reading");
  if (!opened.ok()) {
    std::filesystem::remove_all(own, ec);
    return opened;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto log = std::unique_ptr<EventLog>(new EventLog(dir, {}, {}, std::move(db), 0));
  log->reader_dir_ = own;
  PG_ASSIGN_OR_RETURN(const EventSequence last, ReadLastSequence(*log->db_, dir));
  log->last_sequence_.store(last, std::memory_order_release);
  return log;
}

Status EventLog::Refresh() {
  if (reader_dir_.empty()) {
    return Status::InvalidArgument(
        fmt::format("event log {}: Refresh is for a log opened with OpenReader", dir_.string()));
  }
  PG_RETURN_IF_ERROR(FromRocks(db_->TryCatchUpWithPrimary(), dir_, "catching up"));
  PG_ASSIGN_OR_RETURN(const EventSequence last, ReadLastSequence(*db_, dir_));
  last_sequence_.store(last, std::memory_order_release);
  return Status::Ok();
}

Status EventLog::RunExclusive(const std::function<Status()>& fn) {
  Writer w;
  w.exclusive = &fn;
  std::unique_lock lock(mu_);
  writers_.push_back(&w);
  while (writers_.front() != &w) w.cv.wait(lock);
  lock.unlock();
  Status status = fn();
  lock.lock();
  writers_.pop_front();
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return status;
}

Result<AppendResult> EventLog::Append(std::span<const Event> batch) {
  if (!reader_dir_.empty()) {
    return Status::InvalidArgument(
        fmt::format("event log {}: opened for reading only", dir_.string()));
  }
  if (batch.empty()) return Status::InvalidArgument("events: the batch is empty");
  if (batch.size() > options_.max_batch_events) {
    return Status::InvalidArgument(fmt::format("events: {} events, over the limit of {} per batch",
                                               batch.size(), options_.max_batch_events));
  }
  Writer w;
  w.events = batch;
  w.records.resize(batch.size());
  BatchEventIds ids(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PG_RETURN_IF_ERROR(ids.Add(batch[i], i));
    EncodeEvent(batch[i], &w.records[i]);
  }

  std::unique_lock lock(mu_);
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.wait(lock);
  if (w.done) return std::move(w.result);

  // This writer leads: it takes the waiting writers (at least itself) and commits them.
  std::vector<Writer*> group;
  std::size_t events = 0;
  for (Writer* other : writers_) {
    if (other->exclusive != nullptr) break;  // runs alone, after this group
    if (!group.empty() && events + other->events.size() > options_.max_group_events) break;
    group.push_back(other);
    events += other->events.size();
  }
  lock.unlock();
  CommitGroup(group);
  lock.lock();
  for (Writer* member : group) {
    writers_.pop_front();
    member->done = true;
    if (member != &w) member->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return std::move(w.result);
}

void EventLog::CommitGroup(std::span<Writer* const> group) {
  // 1. The earlier recordings of every id of the group, in one MultiGet.
  std::vector<std::string> id_keys;
  for (const Writer* w : group) {
    for (const Event& e : w->events) id_keys.push_back(IdKey(e.event_id));
  }
  std::vector<rocksdb::Slice> key_slices(id_keys.begin(), id_keys.end());
  std::vector<std::string> found(id_keys.size());
  const std::vector<rocksdb::Status> found_status =
      db_->MultiGet(rocksdb::ReadOptions(), key_slices, &found);

  // 2. Per writer: duplicates, conflicts, the check hook; sequences for the new events.
  struct Assigned {
    EventSequence seq;
    const std::string* record;
  };
  std::unordered_map<std::string_view, Assigned> in_group;
  rocksdb::WriteBatch batch;
  std::vector<std::pair<EventSequence, const Event*>> to_apply;
  const EventSequence first_new = last_sequence() + 1;
  EventSequence next = first_new;
  std::size_t key_index = 0;
  for (Writer* w : group) {
    const std::size_t first_key = key_index;
    key_index += w->events.size();
    AppendResult answer;
    answer.sequences.resize(w->events.size());
    answer.duplicate.assign(w->events.size(), false);
    // The earlier recording of event i, if any (in the log, or earlier in this group).
    auto resolve_earlier = [&](std::size_t i) -> Status {
      const std::string& id = w->events[i].event_id;
      const rocksdb::Status& s = found_status[first_key + i];
      std::optional<EventSequence> seq;
      std::string stored;
      const std::string* earlier_record = nullptr;
      if (s.ok()) {
        seq = ParseSequence(found[first_key + i]);
        if (!seq) {
          return Status::Corruption(fmt::format("event log {}: id \"{}\" maps to {} bytes",
                                                dir_.string(), id, found[first_key + i].size()));
        }
        PG_RETURN_IF_ERROR(FromRocks(db_->Get(rocksdb::ReadOptions(), SequenceKey(*seq), &stored),
                                     dir_, "reading an earlier event"));
        earlier_record = &stored;
      } else if (!s.IsNotFound()) {
        return FromRocks(s, dir_, "looking up event ids");
      } else if (auto it = in_group.find(id); it != in_group.end()) {
        seq = it->second.seq;
        earlier_record = it->second.record;
      }
      if (!seq) return Status::Ok();  // a new event
      if (*earlier_record != w->records[i]) {
        return Status::InvalidArgument(fmt::format(
            "events[{}].event_id: \"{}\" was recorded at sequence {} with other content", i, id,
            *seq));
      }
      answer.sequences[i] = *seq;
      answer.duplicate[i] = true;
      return Status::Ok();
    };
    Status status = Status::Ok();
    for (std::size_t i = 0; i < w->events.size() && status.ok(); ++i) status = resolve_earlier(i);
    if (status.ok() && hooks_.check) status = hooks_.check(w->events, answer.duplicate);
    if (!status.ok()) {
      w->result = std::move(status);
      continue;
    }
    for (std::size_t i = 0; i < w->events.size(); ++i) {
      if (answer.duplicate[i]) continue;
      const EventSequence seq = next++;
      answer.sequences[i] = seq;
      ++answer.new_events;
      in_group.emplace(w->events[i].event_id, Assigned{seq, &w->records[i]});
      batch.Put(SequenceKey(seq), w->records[i]);
      batch.Put(IdKey(w->events[i].event_id), EncodeSequence(seq));
      to_apply.emplace_back(seq, &w->events[i]);
    }
    w->result = std::move(answer);
  }

  // 3. One synced write for the whole group; then apply in sequence order and answer.
  if (batch.Count() > 0) {
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    Status written = FromRocks(db_->Write(write_options, &batch), dir_, "write");
    if (!written.ok()) {
      for (Writer* w : group) {
        if (!w->result.ok()) continue;
        // Failed too: a batch with new events, or with duplicates of this group's new events.
        const std::vector<EventSequence>& seqs = w->result.value().sequences;
        if (std::any_of(seqs.begin(), seqs.end(),
                        [&](EventSequence q) { return q >= first_new; })) {
          w->result = written;
        } else {
          w->result.value().last_sequence = last_sequence();
        }
      }
      return;
    }
  }
  if (hooks_.apply) {
    for (const auto& [seq, event] : to_apply) hooks_.apply(seq, *event);
  }
  const EventSequence last = next - 1;
  last_sequence_.store(last, std::memory_order_release);
  for (Writer* w : group) {
    if (w->result.ok()) w->result.value().last_sequence = last;
  }
}

Status EventLog::Replay(EventSequence after,
                        const std::function<Status(EventSequence, const Event&)>& visit) const {
  const EventSequence last = last_sequence();
  if (after >= last) return Status::Ok();
  rocksdb::ReadOptions read_options;
  const std::string upper = SequenceKey(last + 1 == 0 ? last : last + 1);
  rocksdb::Slice upper_slice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  EventSequence expected = after + 1;
  for (it->Seek(SequenceKey(expected)); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    key.remove_prefix(1);
    const auto seq = ParseSequence(key);
    if (!seq || *seq != expected) {
      return Status::Corruption(
          fmt::format("event log {}: sequence {} is missing", dir_.string(), expected));
    }
    const rocksdb::Slice value = it->value();
    Result<Event> event = DecodeEvent(std::string_view(value.data(), value.size()));
    if (!event.ok()) {
      return Status::Corruption(fmt::format("event log {}: sequence {}: {}", dir_.string(), *seq,
                                            event.status().message()));
    }
    PG_RETURN_IF_ERROR(visit(*seq, event.value()));
    ++expected;
  }
  PG_RETURN_IF_ERROR(FromRocks(it->status(), dir_, "replay"));
  if (expected != last + 1) {
    return Status::Corruption(
        fmt::format("event log {}: sequence {} is missing", dir_.string(), expected));
  }
  return Status::Ok();
}

}  // namespace partnergraph
