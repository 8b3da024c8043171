// events_bench: the durable event log's write and replay rates against raw RocksDB on the same
// disk, in the same run (docs/events.md; bench/RESULTS.md "Event log").
//
// For each batch size, `--threads` threads append batches of consent events for `--seconds`:
//   raw       each thread writes its batch as one rocksdb::WriteBatch with WriteOptions::sync,
//             the same keys and values the log writes (record + id key per event): what RocksDB
//             alone does with the same bytes, group commit included (the reference);
//   event_log EventLog::Append of the batch (encode, duplicate lookup, sequence numbers, our
//             writer queue, one synced write per group, the apply hook).
// Reported per row: events/s, batches/s, ack latency p50/p99 (ms) and the ratio event_log / raw.
// Then the replay rate of the log written (events/s decoded and visited).
//
// Raw RocksDB is included here, outside src/events/, only as that baseline.
//
// Usage: events_bench [--threads 8] [--batches 1,100,1000] [--seconds 3] [--dir DIR]
//        [--no-sync]
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "partnergraph/events/event_codec.hpp"
#include "partnergraph/events/event_log.hpp"

namespace pg = partnergraph;
using Clock = std::chrono::steady_clock;

namespace {

struct Row {
  double events_per_s = 0;
  double batches_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// Consent events with ids unique to (thread, batch number).
std::vector<pg::Event> MakeBatch(int thread, std::uint64_t number, std::size_t size) {
  std::vector<pg::Event> batch(size);
  for (std::size_t i = 0; i < size; ++i) {
    pg::ConsentChangeEvent e;
    e.customer_id = "c" + std::to_string((number * size + i) % 1000003);
    e.merchant_id = "m" + std::to_string(thread);
    e.channel = pg::ContactChannel::kEmail;
    e.status = pg::ConsentStatus::kUnsubscribed;
    e.ts = 1'780'000'000;
    e.source = "bench";
    batch[i].event_id = "t" + std::to_string(thread) + "-" + std::to_string(number) + "-" +
                        std::to_string(i);
    batch[i].body = std::move(e);
  }
  return batch;
}

// Runs `append(thread, number)` from `threads` threads for `seconds`; the ack latencies and
// counts make the row.
template <typename Append>
Row Drive(int threads, double seconds, std::size_t batch_size, Append append) {
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<bool> stop = false;
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const auto batch = MakeBatch(t, n, batch_size);
        const auto begin = Clock::now();
        if (!append(batch)) {
          std::fprintf(stderr, "events_bench: an append failed\n");
          std::exit(1);
        }
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Row row;
  row.batches_per_s = all.size() / elapsed;
  row.events_per_s = row.batches_per_s * batch_size;
  if (!all.empty()) {
    row.p50_ms = all[all.size() / 2];
    row.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("events_bench: the event log's durable write and replay rates against raw RocksDB");
  int threads = 8;
  std::vector<std::size_t> batches = {1, 100, 1000};
  double seconds = 3;
  std::string dir = (std::filesystem::temp_directory_path() / "pg-events-bench").string();
  bool no_sync = false;
  app.add_option("--threads", threads, "Appending threads")->check(CLI::Range(1, 256));
  app.add_option("--batches", batches, "Batch sizes")->delimiter(',')->check(CLI::Range(1, 100000));
  app.add_option("--seconds", seconds, "Seconds per row")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--dir", dir, "Scratch folder (emptied; on the disk to measure)");
  app.add_flag("--no-sync", no_sync, "Do not sync the write-ahead log (to see what sync costs)");
  CLI11_PARSE(app, argc, argv);

  std::printf("| batch | raw RocksDB events/s | event log events/s | ratio | log acks p50 ms | log acks p99 ms | raw p50 ms | raw p99 ms |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double replay_rate = 0;
  std::uint64_t replayed = 0;
  for (std::size_t batch_size : batches) {
    const std::filesystem::path raw_dir = std::filesystem::path(dir) / "raw";
    const std::filesystem::path log_dir = std::filesystem::path(dir) / "log";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);

    Row raw;
    {
      rocksdb::Options options;
      options.create_if_missing = true;
      rocksdb::DB* db = nullptr;
      if (!rocksdb::DB::Open(options, raw_dir.string(), &db).ok()) {
        std::fprintf(stderr, "events_bench: cannot open %s\n", raw_dir.c_str());
        return 1;
      }
      std::atomic<std::uint64_t> next_key = 1;
      rocksdb::WriteOptions write;
      write.sync = !no_sync;
      raw = Drive(threads, seconds, batch_size, [&](const std::vector<pg::Event>& batch) {
        rocksdb::WriteBatch wb;
        std::string record;
        for (const pg::Event& e : batch) {
          record.clear();
          pg::EncodeEvent(e, &record);
          const std::uint64_t k = next_key.fetch_add(1);
          char key[9] = {'s'};
          for (int i = 0; i < 8; ++i) key[8 - i] = static_cast<char>((k >> (8 * i)) & 0xff);
          wb.Put(rocksdb::Slice(key, 9), record);
          wb.Put("i" + e.event_id, rocksdb::Slice(key + 1, 8));
        }
        return db->Write(write, &wb).ok();
      });
      delete db;
    }

    Row logged;
    {
      pg::EventLogOptions options;
      options.sync = !no_sync;
      auto log = pg::EventLog::Open(log_dir, options);
      if (!log.ok()) {
        std::fprintf(stderr, "events_bench: %s\n", log.status().message().c_str());
        return 1;
      }
      logged = Drive(threads, seconds, batch_size, [&](const std::vector<pg::Event>& batch) {
        return (*log)->Append(batch).ok();
      });
      const auto begin = Clock::now();
      std::uint64_t n = 0;
      const pg::Status s = (*log)->Replay(0, [&](pg::EventSequence, const pg::Event&) {
        ++n;
        return pg::Status::Ok();
      });
      const double t = std::chrono::duration<double>(Clock::now() - begin).count();
      if (!s.ok()) {
        std::fprintf(stderr, "events_bench: replay: %s\n", s.message().c_str());
        return 1;
      }
      if (n > replayed) {
        replayed = n;
        replay_rate = n / t;
      }
    }
    std::printf("| %zu | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", batch_size,
                raw.events_per_s, logged.events_per_s, logged.events_per_s / raw.events_per_s,
                logged.p50_ms, logged.p99_ms, raw.p50_ms, raw.p99_ms);
    std::fflush(stdout);
  }
  std::printf("\nreplay: %llu events in the largest log, %.0f events/s\n",
              static_cast<unsigned long long>(replayed), replay_rate);
  std::filesystem::remove_all(dir);
  return 0;
}
