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
// Raw RocksDB is used here (through events_support.hpp, shared with events_rpc_bench), outside
// src/events/, only as that baseline.
//
// Usage: events_bench [--threads 8] [--batches 1,100,1000] [--seconds 3] [--dir DIR]
//        [--no-sync]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "events_support.hpp"
#include "partnergraph/events/event_log.hpp"

namespace pg = partnergraph;
using Clock = std::chrono::steady_clock;

namespace {

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

    std::string error;
    auto raw_writer = pg::bench::RawEventWriter::Open(raw_dir, !no_sync, &error);
    if (!raw_writer) {
      std::fprintf(stderr, "events_bench: cannot open %s\n", error.c_str());
      return 1;
    }
    const auto make_batch = [batch_size](int t, std::uint64_t n) {
      return MakeBatch(t, n, batch_size);
    };
    const pg::bench::WriteRow raw =
        pg::bench::DriveWriters(threads, seconds, batch_size, make_batch,
                                [&](int, const std::vector<pg::Event>& batch) {
                                  return raw_writer->Write(batch);
                                });
    raw_writer.reset();

    pg::bench::WriteRow logged;
    {
      pg::EventLogOptions options;
      options.sync = !no_sync;
      auto log = pg::EventLog::Open(log_dir, options);
      if (!log.ok()) {
        std::fprintf(stderr, "events_bench: %s\n", log.status().message().c_str());
        return 1;
      }
      logged = pg::bench::DriveWriters(threads, seconds, batch_size, make_batch,
                                       [&](int, const std::vector<pg::Event>& batch) {
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
    if (raw.failed || logged.failed) {
      std::fprintf(stderr, "events_bench: an append failed\n");
      return 1;
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
