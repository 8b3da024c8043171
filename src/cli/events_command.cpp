// `partnergraph events append|tail`: native CSV files recorded as live events on a running
// partnergraph-server, and the server's event sequences (docs/events.md "CLI: events append and
// tail"). Both talk to the server through RpcClient (server/rpc_client.hpp; no Thrift type here).
//
// append: every file is opened and parsed whole (EventFile) before anything is sent, so that a
// bad row in any file sends nothing; then each file goes out in batches of --batch events, in
// the order given. The event ids are stable (an event_id column, or "<prefix><file>:<line>"),
// so a run that was interrupted is resumed by running it again: the server acknowledges the
// events it already holds as duplicates and records only the rest.
//
// Exit codes (as `partnergraph query`): 0 done; 1 usage; 2 bad input (a bad row, a refused
// batch, a server without an event log); 3 the server could not be reached or the connection
// broke.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/events/event_file.hpp"
#include "partnergraph/events/event_log.hpp"
#include "rpc_client.hpp"

namespace partnergraph::cli {
namespace {

constexpr int kExitUnreachable = 3;
constexpr std::size_t kMaxBatch = 10000;  // the server's RecordEvents limit

using Clock = std::chrono::steady_clock;

// How to reach the server (the options both subcommands take).
struct ConnectArgs {
  std::string host = "127.0.0.1";
  int port = 9090;
  std::string key;
  std::string key_file;
  std::string protocol = "binary";
  int timeout_ms = 30000;
};

struct AppendArgs {
  std::vector<std::string> files;
  std::size_t batch = 1000;
  std::string prefix;
  std::string kind;        // empty: from each file's name
  std::string default_ts;  // empty: the file's modification time
};

struct TailArgs {
  bool follow = false;
  int interval_ms = 1000;
  std::string log;  // set: print the events of this log folder instead of the sequences
  std::uint64_t last = 10;
};

// The exit code of a failed call: 3 when the server could not be reached, else 2.
int ExitCodeOf(const Status& status) {
  return status.IsIOError() ? kExitUnreachable : kExitBadInput;
}

// The key of --key, or the first line of --key-file without surrounding blanks, else the
// environment's PARTNERGRAPH_API_KEY (read here rather than by CLI11, for which a set variable
// would count as --key and clash with --key-file), else none.
Result<std::string> ApiKey(const ConnectArgs& args) {
  if (args.key_file.empty()) {
    if (!args.key.empty()) return args.key;
    // Read once on the main thread, before any other thread exists, with nothing calling setenv.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    const char* env = std::getenv("PARTNERGRAPH_API_KEY");
    return std::string(env != nullptr ? env : "");
  }
  std::ifstream in(args.key_file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return Status::InvalidArgument(fmt::format("--key-file {}: cannot be read", args.key_file));
  }
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("--key-file {}: its first line holds no key", args.key_file));
  }
  return line.substr(first, last - first + 1);
}

// Connects; on failure prints why (prefixed with `command`) and returns nullptr with
// `exit_code` set.
std::unique_ptr<client::RpcClient> ConnectOrReport(const ConnectArgs& args,
                                                   std::string_view command, int& exit_code) {
  Result<std::string> key = ApiKey(args);
  if (!key.ok()) {
    std::fputs(fmt::format("partnergraph {}: {}\n", command, key.status().message()).c_str(),
               stderr);
    exit_code = kExitBadInput;
    return nullptr;
  }
  client::RpcClientOptions options;
  options.host = args.host;
  options.port = args.port;
  options.api_key = std::move(key).value();
  options.call_timeout_ms = args.timeout_ms;
  options.protocol =
      args.protocol == "compact" ? client::RpcProtocol::kCompact : client::RpcProtocol::kBinary;
  auto connected = client::RpcClient::Connect(options);
  if (!connected.ok()) {
    std::fputs(fmt::format("partnergraph {}: {} (is partnergraph-server running there?)\n", command,
                           connected.status().message())
                   .c_str(),
               stderr);
    exit_code = kExitUnreachable;
    return nullptr;
  }
  return std::move(connected).value();
}

// One file to send: opened, every row checked, its events counted.
struct SourceFile {
  std::filesystem::path path;
  EventFile file;
  std::size_t events = 0;
};

// The time given to rows without one: --default-ts, else the file's modification time, which
// stays the same when an unchanged file is sent again (an event id resent with another time
// would be refused as "recorded with other content").
Result<Timestamp> DefaultTime(const AppendArgs& args, const std::filesystem::path& path) {
  if (!args.default_ts.empty()) {
    auto ts = ParseTimestamp(args.default_ts);
    if (!ts) {
      return Status::InvalidArgument(
          fmt::format("--default-ts: \"{}\" is not an ISO-8601 UTC time", args.default_ts));
    }
    return *ts;
  }
  std::error_code error;
  const auto modified = std::filesystem::last_write_time(path, error);
  if (error) {
    return Status::IOError(
        fmt::format("{}: cannot read its modification time: {}", path.string(), error.message()));
  }
  const auto since_epoch = std::chrono::file_clock::to_sys(modified).time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
}

// Opens every file and parses it whole; the first file with a problem is the error (a bad row
// names file:line: column). Two files of the same name are refused: their generated ids
// ("<prefix><name>:<line>") would collide.
Result<std::vector<SourceFile>> OpenAll(const AppendArgs& args) {
  std::optional<EventKind> kind;
  if (!args.kind.empty()) {
    kind = ParseEventKind(args.kind);
    if (!kind) {
      return Status::InvalidArgument(fmt::format(
          "--kind: \"{}\" is not one of order_line, consent_change, engagement_activity, "
          "policy_change, partnership_change, new_merchant, new_sku",
          args.kind));
    }
  }
  std::vector<SourceFile> files;
  std::map<std::string, std::string> paths_by_name;
  for (const std::string& path : args.files) {
    EventFileOptions options;
    options.kind = kind;
    options.id_prefix = args.prefix;
    PG_ASSIGN_OR_RETURN(options.default_ts, DefaultTime(args, path));
    PG_ASSIGN_OR_RETURN(EventFile file, EventFile::Open(path, std::move(options)));
    const auto [it, added] = paths_by_name.emplace(file.display_name(), path);
    if (!added) {
      return Status::InvalidArgument(fmt::format(
          "{} and {}: two files named {} would send the same event ids; send them in separate "
          "runs with different --prefix",
          it->second, path, file.display_name()));
    }
    std::size_t events = 0;
    PG_RETURN_IF_ERROR(file.ForEachBatch(kMaxBatch, [&](std::span<const Event> batch, std::size_t) {
      events += batch.size();
      return Status::Ok();
    }));
    files.push_back({path, std::move(file), events});
  }
  return files;
}

// Progress on stderr: rewritten in place on a terminal, else a line at most every 2 s and at
// the end of each file.
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), terminal_(isatty(STDERR_FILENO) == 1) {}

  void Sent(std::size_t events, const std::string& file, bool file_done) {
    sent_ += events;
    const auto now = Clock::now();
    const auto interval = terminal_ ? std::chrono::milliseconds(200) : std::chrono::seconds(2);
    if (!file_done && now - last_print_ < interval) return;
    last_print_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(sent_) / seconds : 0.0;
    const double percent = total_ > 0 ? 100.0 * static_cast<double>(sent_) / total_ : 100.0;
    std::fputs(
        fmt::format("{}events sent {}/{} ({:.0f}%), {:.0f} events/s [{}]{}", terminal_ ? "\r" : "",
                    sent_, total_, percent, rate, file, terminal_ ? "" : "\n")
            .c_str(),
        stderr);
    printed_ = true;
  }

  // Ends a line rewritten in place.
  void Finish() {
    if (terminal_ && printed_) std::fputs("\n", stderr);
    printed_ = false;
  }

 private:
  std::size_t total_;
  std::size_t sent_ = 0;
  bool terminal_;
  bool printed_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_{};
};

// A refused batch's message, with the "events[i]" the server names turned into the file's row
// and event id.
std::string RefusedBatchText(const Status& status, const SourceFile& source,
                             std::span<const Event> batch, std::size_t first_row) {
  std::string where;
  const std::string& message = status.message();
  const auto at = message.find("events[");
  if (at != std::string::npos) {
    std::istringstream in(message.substr(at + 7));
    std::size_t index = 0;
    if (in >> index && index < batch.size()) {
      where = fmt::format(" (events[{}] is data row {} of {}, event id \"{}\")", index,
                          first_row + index + 1, source.file.display_name(), batch[index].event_id);
    }
  }
  return fmt::format("{}: the batch of data rows {}..{} was refused, nothing of it recorded: {}{}",
                     source.file.display_name(), first_row + 1, first_row + batch.size(),
                     status.ToString(), where);
}

struct Totals {
  std::size_t sent = 0;
  std::size_t added = 0;
  std::size_t duplicates = 0;
  std::int64_t last_sequence = 0;
};

int RunAppend(const ConnectArgs& connect, const AppendArgs& args) {
  Result<std::vector<SourceFile>> opened = OpenAll(args);
  if (!opened.ok()) {
    std::fputs(fmt::format("partnergraph events append: {}\n", opened.status().message()).c_str(),
               stderr);
    return kExitBadInput;
  }
  int exit_code = kExitOk;
  auto client = ConnectOrReport(connect, "events append", exit_code);
  if (!client) return exit_code;
  std::size_t total = 0;
  for (const SourceFile& f : *opened) total += f.events;
  Progress progress(total);
  Totals all;
  for (const SourceFile& source : *opened) {
    Totals file;
    std::optional<int> call_failed;  // the exit code when a RecordEvents call failed
    std::string error;
    Status status = source.file.ForEachBatch(
        args.batch, [&](std::span<const Event> batch, std::size_t first_row) -> Status {
          Result<client::RecordEventsResult> r = client->RecordEvents(batch);
          if (!r.ok()) {
            call_failed = ExitCodeOf(r.status());
            error = r.status().IsIOError()
                        ? fmt::format("{}: {}", source.file.display_name(), r.status().message())
                        : RefusedBatchText(r.status(), source, batch, first_row);
            return r.status();
          }
          file.sent += batch.size();
          file.added += static_cast<std::size_t>(r->new_events);
          file.duplicates +=
              static_cast<std::size_t>(std::count(r->duplicate.begin(), r->duplicate.end(), true));
          file.last_sequence = r->last_sequence;
          progress.Sent(batch.size(), source.file.display_name(), file.sent == source.events);
          return Status::Ok();
        });
    all.sent += file.sent;
    all.added += file.added;
    all.duplicates += file.duplicates;
    if (file.sent > 0) all.last_sequence = file.last_sequence;
    if (!status.ok()) {
      progress.Finish();
      // Not a call: the file changed or could not be read between its check and its sending.
      if (!call_failed) error = status.message();
      std::fputs(fmt::format("partnergraph events append: {}\n"
                             "{} of {} events were sent before this ({} new) and are recorded: "
                             "run the same command again to send the rest (the recorded ones "
                             "count as duplicates)\n",
                             error, all.sent, total, all.added)
                     .c_str(),
                 stderr);
      return call_failed.value_or(kExitBadInput);
    }
    std::printf("%s: %zu events: %zu new, %zu duplicate\n", source.file.display_name().c_str(),
                file.sent, file.added, file.duplicates);
  }
  progress.Finish();
  std::printf("sent %zu events: %zu new, %zu duplicate; last sequence %lld\n", all.sent, all.added,
              all.duplicates, static_cast<long long>(all.last_sequence));
  return kExitOk;
}

// Set by SIGINT during `tail --follow` (a lock-free atomic: safe in a signal handler).
std::atomic<bool> g_interrupted{false};
void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

// Health's (event_sequence, event_log_sequence); InvalidArgument when the server keeps no
// event log.
Result<std::pair<std::int64_t, std::int64_t>> Sequences(client::RpcClient& client) {
  PG_ASSIGN_OR_RETURN(client::HealthInfo h, client.Health());
  if (!h.event_sequence || !h.event_log_sequence) {
    return Status::InvalidArgument(
        fmt::format("the server at {}:{} keeps no event log (it was started without --events)",
                    client.options().host, client.options().port));
  }
  return std::make_pair(*h.event_sequence, *h.event_log_sequence);
}

void PrintSequences(std::pair<std::int64_t, std::int64_t> s, bool with_time) {
  const std::string time =
      with_time ? FormatTimestamp(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()) +
                      " "
                : std::string();
  std::fputs(
      fmt::format("{}event_sequence {} event_log_sequence {}\n", time, s.first, s.second).c_str(),
      stdout);
  std::fflush(stdout);
}

// `tail --log DIR`: the log's last events, read from its folder (a reader beside the server).
int RunTailLog(const TailArgs& args) {
  auto fail = [](const Status& s) {
    std::fputs(fmt::format("partnergraph events tail: {}\n", s.ToString()).c_str(), stderr);
    return s.IsNotFound() ? kExitUsage : ExitCodeOf(s);
  };
  Result<std::unique_ptr<EventLog>> log = EventLog::OpenReader(args.log);
  if (!log.ok()) return fail(log.status());
  if (args.follow) {
    g_interrupted.store(false);
    std::signal(SIGINT, OnInterrupt);
  }
  auto print = [](EventSequence seq, const Event& e) {
    std::fputs(fmt::format("{} {}\n", seq, DescribeEvent(e)).c_str(), stdout);
    return Status::Ok();
  };
  const EventSequence last = (*log)->last_sequence();
  EventSequence shown = last > args.last ? last - args.last : 0;
  if (Status s = (*log)->Replay(shown, print); !s.ok()) return fail(s);
  std::fflush(stdout);
  shown = last;
  while (args.follow && !g_interrupted.load()) {
    const auto wake = Clock::now() + std::chrono::milliseconds(args.interval_ms);
    while (!g_interrupted.load() && Clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_interrupted.load()) break;
    if (Status s = (*log)->Refresh(); !s.ok()) return fail(s);
    if (Status s = (*log)->Replay(shown, print); !s.ok()) return fail(s);
    std::fflush(stdout);
    shown = std::max(shown, (*log)->last_sequence());
  }
  return kExitOk;
}

int RunTail(const ConnectArgs& connect, const TailArgs& args) {
  if (!args.log.empty()) return RunTailLog(args);
  int exit_code = kExitOk;
  auto client = ConnectOrReport(connect, "events tail", exit_code);
  if (!client) return exit_code;
  if (args.follow) {
    g_interrupted.store(false);
    std::signal(SIGINT, OnInterrupt);
  }
  auto previous = Sequences(*client);
  if (!previous.ok()) {
    std::fputs(fmt::format("partnergraph events tail: {}\n", previous.status().ToString()).c_str(),
               stderr);
    return ExitCodeOf(previous.status());
  }
  PrintSequences(*previous, args.follow);
  while (args.follow && !g_interrupted.load()) {
    const auto wake = Clock::now() + std::chrono::milliseconds(args.interval_ms);
    while (!g_interrupted.load() && Clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_interrupted.load()) break;
    auto current = Sequences(*client);
    if (!current.ok()) {
      if (g_interrupted.load()) break;  // the call was cut short by the interruption
      std::fputs(fmt::format("partnergraph events tail: {}\n", current.status().ToString()).c_str(),
                 stderr);
      return ExitCodeOf(current.status());
    }
    if (*current != *previous) PrintSequences(*current, true);
    previous = std::move(current);
  }
  return kExitOk;
}

// The options of both subcommands (tail needs --port only without --log).
void AddConnectOptions(CLI::App& command, ConnectArgs& args, bool port_required = true) {
  command.add_option("--host", args.host, "Server address")->capture_default_str();
  command.add_option("--port", args.port, "Server port")->required(port_required);
  auto* key = command.add_option("--key", args.key,
                                 "API key (else --key-file, else the environment variable "
                                 "PARTNERGRAPH_API_KEY)");
  command.add_option("--key-file", args.key_file, "A file whose first line is the API key")
      ->check(CLI::ExistingFile)
      ->excludes(key);
  command.add_option("--protocol", args.protocol, "The server's protocol")
      ->check(CLI::IsMember({"binary", "compact"}))
      ->capture_default_str();
  command.add_option("--timeout-ms", args.timeout_ms, "Time allowed for each reply")
      ->capture_default_str();
}

}  // namespace

void AddEventsCommand(CLI::App& app, int& exit_code) {
  auto* events =
      app.add_subcommand("events", "Record native CSV files as live events on a running server");
  events->require_subcommand(1);

  auto append_connect = std::make_shared<ConnectArgs>();
  auto append_args = std::make_shared<AppendArgs>();
  auto* append = events->add_subcommand(
      "append",
      "Send native CSV files (orders.csv, consent.csv, engagement.csv, merchant_policy.csv, "
      "partnerships.csv, merchants.csv, skus.csv) to the server's RecordEvents. Every file is "
      "parsed whole first: a bad row sends nothing. Resumable: event ids come from an event_id "
      "column or from <prefix><file name>:<line>, so running the same command again after an "
      "interruption resends the same ids, and the server acknowledges the events it already "
      "holds as duplicates without recording them twice. Progress on stderr, a summary on "
      "stdout. Exit: 0 done, 1 usage, 2 bad input or refused batch, 3 server unreachable");
  AddConnectOptions(*append, *append_connect);
  append->add_option("--batch", append_args->batch, "Events per RecordEvents call")
      ->check(CLI::Range(std::size_t{1}, kMaxBatch))
      ->capture_default_str();
  append->add_option("--prefix", append_args->prefix,
                     "Prepended to generated event ids (use one per file when two runs send "
                     "different files of the same name)");
  append->add_option("--kind", append_args->kind,
                     "The kind of every file's events (default: from the file name), e.g. "
                     "consent_change");
  append->add_option("--default-ts", append_args->default_ts,
                     "Time of rows that have none (merchants, SKUs, policies, partnerships "
                     "without since); default: the file's modification time, so that a resent "
                     "file sends the same events");
  append->add_option("files", append_args->files, "FILE.csv...")->required();
  append->callback([append_connect, append_args, &exit_code] {
    exit_code = RunAppend(*append_connect, *append_args);
  });

  auto tail_connect = std::make_shared<ConnectArgs>();
  auto tail_args = std::make_shared<TailArgs>();
  auto* tail = events->add_subcommand(
      "tail",
      "With --port: print the server's event sequences, the last one applied to the answers "
      "and the log's last durable one (Health). With --log DIR: print the log's last events, "
      "one line each (sequence, kind, id, time, fields), read from its folder beside a running "
      "server. With --follow, keep printing changes until SIGINT (exit 0). Exit: 1 usage or no "
      "log in DIR, 2 the server keeps no event log, 3 server unreachable");
  AddConnectOptions(*tail, *tail_connect, /*port_required=*/false);  // 9090 by default
  tail->add_option("--log", tail_args->log,
                   "The event log folder (partnergraph-server --events DIR): print its events");
  tail->add_option("-n,--last", tail_args->last, "With --log: how many of the last events")
      ->capture_default_str();
  tail->add_flag("--follow", tail_args->follow, "Keep polling and print each change");
  tail->add_option("--interval-ms", tail_args->interval_ms, "Polling interval of --follow")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  tail->callback(
      [tail_connect, tail_args, &exit_code] { exit_code = RunTail(*tail_connect, *tail_args); });
}

}  // namespace partnergraph::cli
