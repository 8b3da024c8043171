// events_rpc_bench: RecordEvents over Thrift from N connections against raw RocksDB on the same
// disk, in the same run (issue 14; docs/events.md; bench/RESULTS.md "RecordEvents over Thrift").
//
// One run, in this order:
//   server   starts partnergraph-server --model M --port 0 --events DIR/log (a fresh log), or
//            uses the server already listening on --port;
//   writes   for each batch size: first the raw reference, `--connections` threads writing
//            synced rocksdb::WriteBatches of the same events as the log writes them
//            (events_support.hpp) into a fresh DIR/raw-<batch>; then `--connections` threads, one
//            RpcClient each, calling RecordEvents with batches of that size. Each for `--seconds`.
//            Per row: durable events/s, batches/s, ack p50/p99 (ms), the ratio RPC / raw, and
//            the CPU used (cores, and microseconds per event) by the raw writers, the server and
//            the clients;
//   partners RecommendPartners latency from `--partner-clients` threads (one connection each,
//            `--partner-pause-ms` between calls) for `--seconds`: idle, then while the
//            `--connections` event connections stream batches of `--load-batch`; p50/p99 and
//            the ratio loaded / idle;
//   replay   (only for a server it started) kill -9, start again on the same log, and read the
//            replay figure it logs ("event log ...: replayed N events ... in S s"), plus the wall
//            time from the start to "listening".
//
// The events are consent changes over the model's real customer-merchant pairs (the distinct
// (customer_id, merchant_id) of --data's orders.csv), cycling over the 7 channels and 4
// statuses, dated one minute before the run, with event ids unique to the run, the batch size,
// the connection and the batch: every one is valid and new, which the bench checks on each
// answer (new_events == the batch size).
//
// The bench's own threads share the machine with the server: on a small machine the figures are
// those of client and server together.
//
// Usage: events_rpc_bench --model DIR --data DIR [--server PATH] [--port P] [--dir DIR]
//        [--connections 8] [--batches 1,100,1000] [--seconds 5] [--load-batch 1000]
//        [--partner-clients 2] [--partner-pause-ms 1] [--quick] [--keep]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "events_support.hpp"
#include "rpc_client.hpp"

namespace pg = partnergraph;
namespace client = partnergraph::client;
using Clock = std::chrono::steady_clock;

namespace {

struct BenchOptions {
  std::string model;   // the model the bench's server serves (and whose pairs it sends)
  std::string data;    // the dataset the model was built from (orders.csv)
  std::string server;  // the partnergraph-server binary
  int port = 0;        // > 0: use the server on this port instead of starting one
  std::string dir = (std::filesystem::temp_directory_path() / "pg-events-rpc-bench").string();
  int connections = 8;
  std::vector<std::size_t> batches = {1, 100, 1000};
  double seconds = 5;
  std::size_t load_batch = 1000;
  int partner_clients = 2;
  double partner_pause_ms = 1;
  std::size_t max_pairs = 200000;
  bool keep = false;
};

struct Pair {
  std::string customer;
  std::string merchant;
};

// The distinct (customer_id, merchant_id) pairs of orders.csv, up to `limit`, in file order.
// Empty with `*error` set when the file cannot be read or lacks a column.
std::vector<Pair> LoadPairs(const std::filesystem::path& orders, std::size_t limit,
                            std::string* error) {
  std::ifstream in(orders);
  std::string line;
  if (!in || !std::getline(in, line)) {
    *error = orders.string() + ": cannot read";
    return {};
  }
  const auto split = [](const std::string& text) {
    std::vector<std::string> fields;
    std::stringstream s(text);
    for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
    return fields;
  };
  const std::vector<std::string> header = split(line);
  const auto column = [&](const std::string& name) -> std::optional<std::size_t> {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<std::size_t>(it - header.begin());
  };
  const auto customer = column("customer_id");
  const auto merchant = column("merchant_id");
  if (!customer || !merchant) {
    *error = orders.string() + ": no customer_id or merchant_id column";
    return {};
  }
  std::vector<Pair> pairs;
  std::unordered_set<std::string> seen;
  while (pairs.size() < limit && std::getline(in, line)) {
    const std::vector<std::string> f = split(line);
    if (f.size() <= std::max(*customer, *merchant)) continue;
    if (!seen.insert(f[*customer] + '\x1f' + f[*merchant]).second) continue;
    pairs.push_back({f[*customer], f[*merchant]});
  }
  if (pairs.empty()) *error = orders.string() + ": no rows";
  return pairs;
}

// Makes the consent batches of one phase: event ids "<run>-<phase>-<connection>-<batch>-<i>".
class ConsentBatches {
 public:
  ConsentBatches(const std::vector<Pair>& pairs, std::string run, pg::Timestamp ts)
      : pairs_(pairs), run_(std::move(run)), ts_(ts) {}

  std::vector<pg::Event> Make(const std::string& phase, int connection, std::uint64_t number,
                              std::size_t size) const {
    static constexpr pg::ConsentStatus kStatuses[] = {
        pg::ConsentStatus::kUnsubscribed, pg::ConsentStatus::kConfirmedOptIn,
        pg::ConsentStatus::kBlocked, pg::ConsentStatus::kDoubleOptIn};
    std::vector<pg::Event> batch(size);
    const std::string prefix =
        run_ + "-" + phase + "-" + std::to_string(connection) + "-" + std::to_string(number) + "-";
    for (std::size_t i = 0; i < size; ++i) {
      const std::uint64_t k = number * size + i;
      const Pair& pair = pairs_[(k * 7919 + static_cast<std::uint64_t>(connection) * 104729) %
                                pairs_.size()];
      pg::ConsentChangeEvent e;
      e.customer_id = pair.customer;
      e.merchant_id = pair.merchant;
      e.channel = static_cast<pg::ContactChannel>(k % pg::kContactChannelCount);
      e.status = kStatuses[(k / pg::kContactChannelCount) % 4];
      e.ts = ts_;
      e.source = "events_rpc_bench";
      batch[i].event_id = prefix + std::to_string(i);
      batch[i].body = std::move(e);
    }
    return batch;
  }

 private:
  const std::vector<Pair>& pairs_;
  std::string run_;
  pg::Timestamp ts_;
};

// A partnergraph-server child process: its stdout on a pipe (for the "listening" line), its
// stderr (the log) in a file.
class ServerProcess {
 public:
  ~ServerProcess() { Kill(SIGKILL); }

  // Starts `argv` and waits up to `timeout_s` for "partnergraph-server listening on
  // host:port"; the port, or 0 with `*error` set.
  int Start(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
            double timeout_s, std::string* error) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      *error = "pipe failed";
      return 0;
    }
    const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      *error = log_file.string() + ": cannot create";
      return 0;
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    started_ = Clock::now();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(log_fd);
    stdout_fd_ = out[0];
    if (pid_ < 0) {
      *error = "fork failed";
      return 0;
    }
    std::string text;
    const auto deadline = started_ + std::chrono::duration<double>(timeout_s);
    while (Clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[512];
      const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
      if (n <= 0) break;  // the server exited
      text.append(buffer, static_cast<std::size_t>(n));
      static const std::regex kListening(R"(listening on [^ ]*:(\d+))");
      std::smatch m;
      if (std::regex_search(text, m, kListening)) {
        ready_ = Clock::now();
        return std::stoi(m[1].str());
      }
    }
    *error = "the server did not start listening (its log: " + log_file.string() + ")";
    return 0;
  }

  // CPU seconds (user + system) the server has used so far; 0 when none runs.
  double CpuSeconds() const {
    if (pid_ <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (which ends at the last ')'): state is field 3, utime 14,
    // stime 15.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  // Seconds from Start to the "listening" line.
  double StartSeconds() const { return std::chrono::duration<double>(ready_ - started_).count(); }

  // Sends `signal` and waits for the process to end; nothing when none runs.
  void Kill(int signal) {
    if (pid_ > 0) {
      ::kill(pid_, signal);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    stdout_fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  Clock::time_point started_;
  Clock::time_point ready_;
};

// The server's replay line: "event log DIR: replayed N events (a..b] in S s".
struct ReplayLine {
  std::uint64_t events = 0;
  double seconds = 0;
};

std::optional<ReplayLine> ReadReplayLine(const std::filesystem::path& log_file) {
  std::ifstream in(log_file);
  static const std::regex kReplayed(R"(replayed (\d+) events .* in ([0-9.]+) s)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kReplayed)) {
      return ReplayLine{std::stoull(m[1].str()), std::stod(m[2].str())};
    }
  }
  return std::nullopt;
}

// Opens `n` connections; empty with `*error` set when one fails.
std::vector<std::unique_ptr<client::RpcClient>> ConnectAll(int port, int n, std::string* error) {
  client::RpcClientOptions options;
  options.port = port;
  std::vector<std::unique_ptr<client::RpcClient>> clients;
  for (int i = 0; i < n; ++i) {
    auto c = client::RpcClient::Connect(options);
    if (!c.ok()) {
      *error = c.status().ToString();
      return {};
    }
    clients.push_back(std::move(c).value());
  }
  return clients;
}

// RecordEvents of `batch` on `c`; false (and the reason on stderr, once per run) unless every
// event was recorded as new.
bool RecordAllNew(client::RpcClient& c, const std::vector<pg::Event>& batch) {
  static std::atomic<bool> reported = false;
  auto result = c.RecordEvents(batch);
  std::string why;
  if (!result.ok()) {
    why = result.status().ToString();
  } else if (result->new_events != static_cast<std::int64_t>(batch.size())) {
    why = std::to_string(result->new_events) + " new events of " + std::to_string(batch.size());
  }
  if (why.empty()) return true;
  if (!reported.exchange(true)) std::fprintf(stderr, "events_rpc_bench: RecordEvents: %s\n", why.c_str());
  return false;
}

struct PartnerLatency {
  double calls_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
};

// RecommendPartners(merchant, 10) from each client in turn over `merchants`, with `pause_ms`
// between calls, for `warmup_s` unmeasured then `seconds` measured.
PartnerLatency MeasurePartners(std::vector<std::unique_ptr<client::RpcClient>>& clients,
                               const std::vector<std::string>& merchants, double warmup_s,
                               double seconds, double pause_ms) {
  std::atomic<int> phase = 0;  // 0 warm-up, 1 measured, 2 stop
  std::vector<std::vector<double>> latencies(clients.size());
  std::vector<std::uint64_t> errors(clients.size(), 0);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < clients.size(); ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t n = t * 97; phase.load() < 2; ++n) {
        const int seen = phase.load();
        const auto begin = Clock::now();
        const bool ok = clients[t]->RecommendPartners(merchants[n % merchants.size()], 10).ok();
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
        if (seen == 1 && phase.load() == 1) {
          if (ok) {
            latencies[t].push_back(ms);
          } else {
            ++errors[t];
          }
        }
        if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(pause_ms));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  phase = 1;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  phase = 2;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& th : pool) th.join();
  std::vector<double> all;
  PartnerLatency out;
  for (std::size_t t = 0; t < clients.size(); ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    out.errors += errors[t];
  }
  std::sort(all.begin(), all.end());
  out.calls = all.size();
  out.calls_per_s = static_cast<double>(all.size()) / elapsed;
  if (!all.empty()) {
    out.p50_ms = all[all.size() / 2];
    out.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return out;
}

// CPU seconds (user + system) this process has used so far.
double OwnCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

const char* Met(bool met) { return met ? "met" : "NOT met"; }

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
#ifdef PG_SERVER_BINARY
  o.server = PG_SERVER_BINARY;
#endif
  bool quick = false;
  CLI::App app("events_rpc_bench: RecordEvents over Thrift from N connections against raw "
               "RocksDB on the same disk, the partners p99 while events stream in, and replay");
  app.add_option("--model", o.model, "Model folder the started server serves")->check(CLI::ExistingDirectory);
  app.add_option("--data", o.data, "Dataset folder of the model (its orders.csv gives the pairs)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--server", o.server, "partnergraph-server binary")->capture_default_str();
  app.add_option("--port", o.port, "Use the server listening on this loopback port (no replay)");
  app.add_option("--dir", o.dir, "Scratch folder (emptied): the log and the raw reference; on the disk to measure")
      ->capture_default_str();
  app.add_option("--connections", o.connections, "Event connections, one thread each")
      ->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--batches", o.batches, "Batch sizes")->delimiter(',')->check(CLI::Range(1, 10000));
  app.add_option("--seconds", o.seconds, "Seconds per measured row")->check(CLI::Range(0.5, 3600.0))
      ->capture_default_str();
  app.add_option("--load-batch", o.load_batch, "Batch size streamed while partners are measured")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--partner-clients", o.partner_clients, "RecommendPartners connections")
      ->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--partner-pause-ms", o.partner_pause_ms, "Pause between two partners calls of a client (0: closed loop)")
      ->check(CLI::Range(0.0, 1000.0))->capture_default_str();
  app.add_option("--pairs", o.max_pairs, "Most customer-merchant pairs taken from orders.csv")
      ->check(CLI::Range(1, 100000000))->capture_default_str();
  app.add_flag("--quick", quick, "2 s per row (about 20 s in all)");
  app.add_flag("--keep", o.keep, "Keep the scratch folder (the log, the server logs)");
  CLI11_PARSE(app, argc, argv);
  if (quick) o.seconds = 2;
  if (o.port == 0 && o.model.empty()) {
    std::fprintf(stderr, "events_rpc_bench: --model is needed to start a server (or pass --port)\n");
    return 2;
  }

  std::string error;
  const std::vector<Pair> pairs =
      LoadPairs(std::filesystem::path(o.data) / "orders.csv", o.max_pairs, &error);
  if (pairs.empty()) {
    std::fprintf(stderr, "events_rpc_bench: %s\n", error.c_str());
    return 1;
  }
  std::vector<std::string> merchants;
  {
    std::unordered_set<std::string> seen;
    for (const Pair& p : pairs) {
      if (seen.insert(p.merchant).second) merchants.push_back(p.merchant);
    }
  }
  const std::time_t now = std::time(nullptr);
  const ConsentBatches batches(pairs, "r" + std::to_string(now), static_cast<pg::Timestamp>(now) - 60);

  const std::filesystem::path dir(o.dir);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::filesystem::path log_dir = dir / "log";
  std::printf("events_rpc_bench: %zu customer-merchant pairs, %zu merchants; %d connections, "
              "%.1f s per row; load average %s\n",
              pairs.size(), merchants.size(), o.connections, o.seconds, LoadAverage().c_str());

  ServerProcess server;
  int port = o.port;
  const std::vector<std::string> server_argv = {o.server, "--model", o.model, "--port", "0",
                                                "--events", log_dir.string()};
  if (port == 0) {
    port = server.Start(server_argv, dir / "server-1.log", 300, &error);
    if (port == 0) {
      std::fprintf(stderr, "events_rpc_bench: %s\n", error.c_str());
      return 1;
    }
    std::printf("server: %s on port %d, listening after %.2f s\n", o.server.c_str(), port,
                server.StartSeconds());
  }
  std::fflush(stdout);

  std::vector<std::unique_ptr<client::RpcClient>> event_clients =
      ConnectAll(port, o.connections, &error);
  if (event_clients.empty()) {
    std::fprintf(stderr, "events_rpc_bench: %s\n", error.c_str());
    return 1;
  }

  // 1 + 2: raw RocksDB, then RecordEvents, per batch size.
  // CPU columns: cores busy on average during the row (CPU seconds / wall seconds), of the
  // server and of this process (the clients, or the raw writers), and CPU microseconds per
  // event written: of this process for raw (batches built and written), of the server for RPC
  // (only for a server this bench started).
  std::printf("\n| batch | raw RocksDB events/s | RecordEvents events/s | ratio RPC / raw | RPC batches/s "
              "| RPC ack p50 ms | RPC ack p99 ms | raw batches/s | raw p50 ms | raw p99 ms "
              "| raw: bench cores | raw: CPU us/event | RPC: server cores | RPC: bench cores "
              "| RPC: server CPU us/event |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
  std::optional<pg::bench::WriteRow> rpc_at_1000;
  std::optional<pg::bench::WriteRow> raw_at_1000;
  std::uint64_t events_sent = 0;
  for (const std::size_t size : o.batches) {
    const std::string phase = "b" + std::to_string(size);
    const auto make_batch = [&](int t, std::uint64_t n) { return batches.Make(phase, t, n, size); };
    const std::filesystem::path raw_dir = dir / ("raw-" + std::to_string(size));
    auto raw_writer = pg::bench::RawEventWriter::Open(raw_dir, /*sync=*/true, &error);
    if (!raw_writer) {
      std::fprintf(stderr, "events_rpc_bench: cannot open %s\n", error.c_str());
      return 1;
    }
    const auto raw_begin = Clock::now();
    const double raw_cpu = OwnCpuSeconds();
    const pg::bench::WriteRow raw = pg::bench::DriveWriters(
        o.connections, o.seconds, size, make_batch,
        [&](int, const std::vector<pg::Event>& batch) { return raw_writer->Write(batch); });
    const double raw_used = OwnCpuSeconds() - raw_cpu;
    const double raw_cores =
        raw_used / std::chrono::duration<double>(Clock::now() - raw_begin).count();
    const double raw_events = static_cast<double>(raw.batches * size);
    raw_writer.reset();
    std::filesystem::remove_all(raw_dir);
    const auto rpc_begin = Clock::now();
    const double rpc_cpu = OwnCpuSeconds();
    const double server_cpu = server.CpuSeconds();
    const pg::bench::WriteRow rpc = pg::bench::DriveWriters(
        o.connections, o.seconds, size, make_batch,
        [&](int t, const std::vector<pg::Event>& batch) {
          return RecordAllNew(*event_clients[static_cast<std::size_t>(t)], batch);
        });
    const double rpc_wall = std::chrono::duration<double>(Clock::now() - rpc_begin).count();
    const double server_used = server.CpuSeconds() - server_cpu;
    const double rpc_events = static_cast<double>(rpc.batches * size);
    if (raw.failed || rpc.failed) {
      std::fprintf(stderr, "events_rpc_bench: a write failed at batches of %zu\n", size);
      return 1;
    }
    events_sent += rpc.batches * size;
    std::printf("| %zu | %.0f | %.0f | %.2f | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f "
                "| %.2f | %.2f | %.1f |\n",
                size, raw.events_per_s, rpc.events_per_s, rpc.events_per_s / raw.events_per_s,
                rpc.batches_per_s, rpc.p50_ms, rpc.p99_ms, raw.batches_per_s, raw.p50_ms,
                raw.p99_ms, raw_cores, raw_events > 0 ? raw_used * 1e6 / raw_events : 0.0,
                server_used / rpc_wall,
                (OwnCpuSeconds() - rpc_cpu) / rpc_wall,
                rpc_events > 0 ? server_used * 1e6 / rpc_events : 0.0);
    std::fflush(stdout);
    if (size == 1000) {
      rpc_at_1000 = rpc;
      raw_at_1000 = raw;
    }
  }

  // 3: partners p99, idle and while the event connections stream.
  std::vector<std::unique_ptr<client::RpcClient>> partner_clients =
      ConnectAll(port, o.partner_clients, &error);
  if (partner_clients.empty()) {
    std::fprintf(stderr, "events_rpc_bench: %s\n", error.c_str());
    return 1;
  }
  const double warmup_s = 0.5;
  const PartnerLatency idle =
      MeasurePartners(partner_clients, merchants, warmup_s, o.seconds, o.partner_pause_ms);
  pg::bench::WriteRow stream;
  std::thread streamer([&] {
    const std::string phase = "load";
    stream = pg::bench::DriveWriters(
        o.connections, warmup_s + o.seconds + 0.2, o.load_batch,
        [&](int t, std::uint64_t n) { return batches.Make(phase, t, n, o.load_batch); },
        [&](int t, const std::vector<pg::Event>& batch) {
          return RecordAllNew(*event_clients[static_cast<std::size_t>(t)], batch);
        });
  });
  const PartnerLatency loaded =
      MeasurePartners(partner_clients, merchants, warmup_s, o.seconds, o.partner_pause_ms);
  streamer.join();
  if (stream.failed) {
    std::fprintf(stderr, "events_rpc_bench: a write failed while partners were measured\n");
    return 1;
  }
  events_sent += stream.batches * o.load_batch;
  std::printf("\n| RecommendPartners, %d clients, %.1f ms pause | calls/s | p50 ms | p99 ms | errors |\n",
              o.partner_clients, o.partner_pause_ms);
  std::printf("|---|---:|---:|---:|---:|\n");
  std::printf("| idle | %.0f | %.2f | %.2f | %llu |\n", idle.calls_per_s, idle.p50_ms, idle.p99_ms,
              static_cast<unsigned long long>(idle.errors));
  std::printf("| while %d connections stream batches of %zu (%.0f events/s, ack p99 %.2f ms) | %.0f | %.2f | %.2f | %llu |\n",
              o.connections, o.load_batch, stream.events_per_s, stream.p99_ms, loaded.calls_per_s,
              loaded.p50_ms, loaded.p99_ms, static_cast<unsigned long long>(loaded.errors));
  const double p99_ratio = idle.p99_ms > 0 ? loaded.p99_ms / idle.p99_ms : 0;
  std::printf("partners p99 loaded / idle: %.2f\n", p99_ratio);
  std::fflush(stdout);
  event_clients.clear();
  partner_clients.clear();

  // 4: replay, on a server this bench started.
  std::optional<double> replay_rate;
  if (o.port == 0) {
    server.Kill(SIGKILL);
    port = server.Start(server_argv, dir / "server-2.log", 600, &error);
    if (port == 0) {
      std::fprintf(stderr, "events_rpc_bench: restart: %s\n", error.c_str());
      return 1;
    }
    const std::optional<ReplayLine> replay = ReadReplayLine(dir / "server-2.log");
    if (!replay) {
      std::fprintf(stderr, "events_rpc_bench: no replay line in %s\n", (dir / "server-2.log").c_str());
      return 1;
    }
    replay_rate = replay->seconds > 0 ? replay->events / replay->seconds : 0;
    std::printf("\nreplay after kill -9: %llu events (%llu acknowledged by this run) in %.3f s = %.0f "
                "events/s (the server's log); restart to listening %.2f s\n",
                static_cast<unsigned long long>(replay->events),
                static_cast<unsigned long long>(events_sent), replay->seconds, *replay_rate,
                server.StartSeconds());
    server.Kill(SIGTERM);
  } else {
    std::printf("\nreplay: not measured (--port: the bench did not start the server)\n");
  }

  std::printf("\ngoals (issue 14):\n");
  if (rpc_at_1000 && raw_at_1000) {
    std::printf("  >= 100,000 events/s at batches of 1,000: %.0f, %s\n", rpc_at_1000->events_per_s,
                Met(rpc_at_1000->events_per_s >= 100000));
    const double ratio = rpc_at_1000->events_per_s / raw_at_1000->events_per_s;
    std::printf("  >= 0.50 of raw RocksDB at batches of 1,000: %.2f, %s\n", ratio, Met(ratio >= 0.5));
  }
  if (replay_rate) {
    std::printf("  replay >= 1M events/s: %.0f, %s\n", *replay_rate, Met(*replay_rate >= 1e6));
  }
  std::printf("  partners p99 under load within 20%% of idle: %.2f, %s\n", p99_ratio,
              Met(p99_ratio > 0 && p99_ratio <= 1.2));
  if (!o.keep) std::filesystem::remove_all(dir);
  return 0;
}
