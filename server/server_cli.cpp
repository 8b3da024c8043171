#include "server_cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <thrift/TOutput.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "partnergraph/engine/api_keys.hpp"
#include "rpc_server.hpp"
#include "serving_events.hpp"

namespace partnergraph::server {
namespace {

// libgomp reads OMP_WAIT_POLICY, and OpenBLAS its thread count, once, when the process loads:
// setting them from main() is too late. When either is unset, re-run this same binary with the
// missing ones set: OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning
// against the server's workers), OPENBLAS_NUM_THREADS=1 (each request runs on one worker thread;
// docs/serving.md). Values from the environment are kept (each variable separately: setting
// OMP_WAIT_POLICY alone no longer leaves OpenBLAS with its default pool). If the re-run fails the
// server continues with the libraries' defaults.
void EnsureSingleThreadedMath(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr && std::getenv("OPENBLAS_NUM_THREADS") != nullptr) {
    return;
  }
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  ::setenv("OPENBLAS_NUM_THREADS", "1", 0);
  ::execv("/proc/self/exe", argv);
}

void LogThriftOutput(const char* message) { spdlog::warn("thrift: {}", message); }

void SetUpLogging(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("partnergraph-server",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  apache::thrift::GlobalOutput.setOutputFunction(&LogThriftOutput);
}

// SIGTERM and SIGINT go through a pipe: the handler (which may run on any thread, including
// ones that libraries start before main()) only writes the signal number; WaitForSignals reads it
// and does the work. A negative number written by RunServerMain ends the watcher.
int g_signal_pipe[2] = {-1, -1};

void OnSignal(int signal) {
  const int saved = errno;
  const char byte = static_cast<char>(signal);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

void WaitForSignals(RpcServer* server) {
  bool stopping = false;
  for (;;) {
    char byte = 0;
    ssize_t n = ::read(g_signal_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || byte < 0) return;
    const char* name = byte == SIGTERM ? "SIGTERM" : "SIGINT";
    if (stopping) {
      spdlog::warn("second {}: exiting without waiting for {} open connections", name,
                   server->open_connections());
      std::fflush(stdout);
      std::_Exit(kServerExitUsage);
    }
    stopping = true;
    spdlog::info("{}: stopped accepting; draining {} open connections", name,
                 server->open_connections());
    server->Shutdown();
  }
}

}  // namespace

int RunServerMain(int argc, char** argv, const EngineOpener& open_engine) {
  EnsureSingleThreadedMath(argv);

  CLI::App app{"partnergraph-server: serves a model built by `partnergraph build` over Thrift"};
  app.set_version_flag("--version", "partnergraph-server " PG_VERSION);
  std::string model_dir;
  std::string keys_file;
  std::string protocol_name = "binary";
  std::string kind_name = "threadpool";
  std::string log_level = "info";
  ServerOptions options;
  app.add_option("--model", model_dir, "Model folder written by `partnergraph build`")->required();
  app.add_option("--host", options.host, "Address to bind (without --keys: loopback only)")
      ->capture_default_str();
  app.add_option("--port", options.port, "TCP port; 0 picks a free one (printed when ready)")
      ->capture_default_str();
  app.add_option("--keys", keys_file,
                 "API keys file (`partnergraph keys add`); without it every caller is an operator "
                 "and only loopback is allowed");
  app.add_option("--threads", options.threads,
                 "Worker threads of --server-type nonblocking (threadpool keeps one thread per "
                 "connection, see --max-connections)")
      ->capture_default_str();
  app.add_option("--io-threads", options.io_threads, "I/O threads of --server-type nonblocking")
      ->capture_default_str();
  app.add_option("--protocol", protocol_name, "binary or compact (framed transport either way)")
      ->capture_default_str();
  app.add_option("--max-frame-bytes", options.max_frame_bytes,
                 "Largest request frame; a larger one closes its connection")
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections,
                 "Connections served at once; one more is closed on accept")
      ->capture_default_str();
  app.add_option("--frame-timeout-ms", options.frame_timeout_ms,
                 "Time allowed for a whole request frame from its first byte, and for a client to "
                 "take a whole reply")
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", options.drain_timeout_ms,
                 "On SIGTERM/SIGINT, connections still open this long after the signal are cut "
                 "off and the server exits")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", options.idle_timeout_ms,
                 "Close connections idle this long; 0 never")
      ->capture_default_str();
  app.add_option("--server-type", kind_name,
                 "threadpool (default), threaded or nonblocking (measurement only; "
                 "docs/serving.md)")
      ->capture_default_str();
  std::string events_dir;
  app.add_option("--events", events_dir,
                 "Event log folder (RocksDB; created when absent): RecordEvents writes to it and "
                 "the log is replayed past the model's last event before the server listens "
                 "(docs/events.md)");
  bool watch = false;
  std::uint32_t watch_interval_ms = 2000;
  app.add_flag("--watch", watch,
               "Swap to a new model published at --model (`partnergraph build --out` of the same "
               "folder) without a restart, replaying --events past it (docs/events.md)");
  app.add_option("--watch-interval-ms", watch_interval_ms,
                 "How often --watch looks at the model folder's manifest.json")
      ->capture_default_str()
      ->check(CLI::Range(50u, 3600000u));
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  AttributionJobsOptions& jobs = options.attribution_jobs;
  app.add_option("--attribution-workers", jobs.workers,
                 "Background threads running attribution jobs (1..16)")
      ->capture_default_str();
  app.add_option("--attribution-queue", jobs.max_queued,
                 "Attribution jobs waiting at once; one more is refused (Unavailable)")
      ->capture_default_str();
  app.add_option("--attribution-threads", jobs.threads_per_job,
                 "oneTBB threads of one attribution job (0: all cores)")
      ->capture_default_str();
  app.add_option("--attribution-keep", jobs.max_finished,
                 "Finished attribution jobs kept for JobStatus / JobResult")
      ->capture_default_str();
  app.add_option("--attribution-root", jobs.input_root,
                 "Attribution jobs may only read files under this folder (default: anywhere the "
                 "server can read)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kServerExitOk : kServerExitUsage;
  }

  auto usage = [](const std::string& message) {
    std::fprintf(stderr, "partnergraph-server: %s\n", message.c_str());
    return kServerExitUsage;
  };
  auto protocol = ParseWireProtocol(protocol_name);
  if (!protocol) return usage("--protocol must be binary or compact, not \"" + protocol_name + "\"");
  options.protocol = *protocol;
  auto kind = ParseServerKind(kind_name);
  if (!kind) {
    return usage("--server-type must be threadpool, threaded or nonblocking, not \"" + kind_name +
                 "\"");
  }
  options.kind = *kind;
  if (Status s = ValidateAttributionJobsOptions(jobs); !s.ok()) return usage(s.message());
  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    return usage("--log-level must be trace, debug, info, warn, error or off, not \"" + log_level +
                 "\"");
  }
  SetUpLogging(level);

  std::optional<ApiKeys> keys;
  if (keys_file.empty()) {
    Result<bool> loopback = IsLoopbackHost(options.host);
    if (!loopback.ok()) return usage("--host: " + loopback.status().message());
    if (!*loopback) {
      return usage("refusing to listen on " + options.host +
                   " without --keys: every caller would be an operator. Pass --keys FILE "
                   "(create keys with `partnergraph keys add`) or bind to 127.0.0.1");
    }
  } else {
    Result<ApiKeys> loaded = ApiKeys::Load(keys_file);
    if (!loaded.ok()) {
      spdlog::critical("cannot load the keys file: {}", loaded.status().ToString());
      return kServerExitLoad;
    }
    keys = std::move(loaded).value();
    spdlog::info("loaded {} API keys from {}", keys->size(), keys_file);
  }

  // SIGPIPE is ignored: a peer that went away is an error on its connection, not a reason to
  // die. SIGTERM / SIGINT are caught from here on (see OnSignal).
  ::signal(SIGPIPE, SIG_IGN);
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
    spdlog::critical("cannot create the signal pipe: {}", std::strerror(errno));
    return kServerExitListen;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);

  EngineOptions engine_options;
  engine_options.search_threads = 1;
  spdlog::info("opening model {}", model_dir);
  Result<std::shared_ptr<const Engine>> engine = open_engine(model_dir, engine_options);
  if (!engine.ok()) {
    spdlog::critical("cannot open the model: {}", engine.status().ToString());
    return kServerExitLoad;
  }
  EngineStats stats = (*engine)->Stats();
  spdlog::info("model {} (built {}): {} merchants, {} SKUs, {} customers", stats.model_dir,
               stats.built_at, stats.merchants, stats.skus, stats.customers);

  std::shared_ptr<EventLog> events;
  if (!events_dir.empty()) {
    ReplayReport replay;
    Result<std::shared_ptr<EventLog>> opened = OpenServingEventLog(events_dir, **engine, &replay);
    if (!opened.ok()) {
      spdlog::critical("cannot open the event log: {}", opened.status().ToString());
      return kServerExitLoad;
    }
    events = *std::move(opened);
    spdlog::info("event log {}: replayed {} events ({}..{}] in {:.3f} s", events_dir, replay.events,
                 replay.from_sequence, replay.to_sequence, replay.seconds);
  }
  auto model = std::make_shared<ServingModel>(*engine, std::move(events), model_dir, open_engine,
                                              engine_options);
  if (watch) {
    model->Watch(std::chrono::milliseconds(watch_interval_ms));
    spdlog::info("watching {} every {} ms for a new model", model_dir, watch_interval_ms);
  }
  RpcServer server(model, std::move(keys), options);
  std::thread signals(WaitForSignals, &server);

  Status status = server.Run([&](int port) {
    spdlog::info("listening on {}:{} (protocol {}, server {}, max {} connections, max frame {} "
                 "bytes, {})",
                 options.host, port, ToString(options.protocol), ToString(options.kind),
                 options.max_connections, options.max_frame_bytes,
                 keys_file.empty() ? "no keys file: every caller is an operator"
                                   : "API keys required");
    std::printf("partnergraph-server listening on %s:%d (protocol %s, server %s)\n",
                options.host.c_str(), port, ToString(options.protocol).c_str(),
                ToString(options.kind).c_str());
    std::fflush(stdout);
  });

  const char end = -1;
  [[maybe_unused]] ssize_t written = ::write(g_signal_pipe[1], &end, 1);
  signals.join();
  if (!status.ok()) {
    spdlog::critical("{}", status.ToString());
    return status.IsInvalidArgument() ? kServerExitUsage : kServerExitListen;
  }
  spdlog::info("stopped");
  return kServerExitOk;
}

}  // namespace partnergraph::server
