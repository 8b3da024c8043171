// events_support: what the event benchmarks (events_bench, events_rpc_bench) share: the raw
// RocksDB reference writer, which writes a batch of events with the same keys and values as the
// event log (src/events/event_log.cpp), and the timed driver that appends batches from N threads
// and collects the ack latencies.
//
// Raw RocksDB is used here, outside src/events/, only as the baseline of those benchmarks.
//
// Thread safety: RawEventWriter::Write may be called from any number of threads at once (RocksDB
// groups concurrent synced writes itself); DriveWriters runs its own threads and returns when
// they have stopped.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "partnergraph/events/event.hpp"
#include "partnergraph/events/event_codec.hpp"

namespace partnergraph::bench {

// One measured row: batches of one size appended from N threads for a fixed time.
struct WriteRow {
  double events_per_s = 0;
  double batches_per_s = 0;
  double p50_ms = 0;  // ack latency of one batch: sorted[n / 2]
  double p99_ms = 0;  // sorted[min(n - 1, n * 99 / 100)]
  std::uint64_t batches = 0;
  bool failed = false;  // an append returned false; the driver stopped early
};

// A fresh RocksDB database that takes event batches as the event log writes them: per event a
// record under 's' + big-endian sequence (the codec's bytes) and the sequence under 'i' + event
// id, the whole batch in one WriteBatch, synced when `sync`.
class RawEventWriter {
 public:
  // Opens (creating) the database in `dir`; null with `*error` set when RocksDB refuses.
  static std::unique_ptr<RawEventWriter> Open(const std::filesystem::path& dir, bool sync,
                                              std::string* error) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, dir.string(), &db);
    if (!s.ok()) {
      *error = dir.string() + ": " + s.ToString();
      return nullptr;
    }
    return std::unique_ptr<RawEventWriter>(new RawEventWriter(std::unique_ptr<rocksdb::DB>(db), sync));
  }

  // Writes `batch` as one WriteBatch; false when RocksDB fails.
  bool Write(const std::vector<Event>& batch) {
    rocksdb::WriteBatch wb;
    std::string record;
    for (const Event& e : batch) {
      record.clear();
      EncodeEvent(e, &record);
      const std::uint64_t k = next_key_.fetch_add(1);
      char key[9] = {'s'};
      for (int i = 0; i < 8; ++i) key[8 - i] = static_cast<char>((k >> (8 * i)) & 0xff);
      wb.Put(rocksdb::Slice(key, 9), record);
      wb.Put("i" + e.event_id, rocksdb::Slice(key + 1, 8));
    }
    return db_->Write(write_, &wb).ok();
  }

 private:
  RawEventWriter(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)) {
    write_.sync = sync;
  }
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
  std::atomic<std::uint64_t> next_key_ = 1;
};

// From `threads` threads for `seconds`: thread t builds batch number n with make_batch(t, n)
// (not timed) and appends it with append(t, batch) (timed: the ack latency); the counts and
// latencies make the row. An append that returns false stops every thread (row.failed).
template <typename MakeBatch, typename Append>
WriteRow DriveWriters(int threads, double seconds, std::size_t batch_size, MakeBatch make_batch,
                      Append append) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::atomic<bool> stop = false;
  std::atomic<bool> failed = false;
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const std::vector<Event> batch = make_batch(t, n);
        const auto begin = Clock::now();
        if (!append(t, batch)) {
          failed = true;
          stop = true;
          return;
        }
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
    });
  }
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (!stop.load() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  WriteRow row;
  row.failed = failed.load();
  row.batches = all.size();
  row.batches_per_s = static_cast<double>(all.size()) / elapsed;
  row.events_per_s = row.batches_per_s * static_cast<double>(batch_size);
  if (!all.empty()) {
    row.p50_ms = all[all.size() / 2];
    row.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return row;
}

}  // namespace partnergraph::bench
