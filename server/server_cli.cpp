#include "server_cli.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <thrift/TOutput.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "partnergraph/engine/api_keys.hpp"
#include "rpc_server.hpp"

namespace partnergraph::server {
namespace {

// libgomp reads OMP_WAIT_POLICY once, when the process loads, so setting it from main() is too
// late: without it, re-run this same binary with OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads
// sleep instead of spinning against the server's workers; docs/serving.md). An explicit value
// from the environment is kept. If the re-run fails the server continues with OpenMP's default.
void EnsurePassiveOpenMpWait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
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

// Waits for SIGTERM / SIGINT (blocked in every thread, see RunServerMain) and shuts the server
// down; a second one exits at once. SIGUSR1 with `*finished` set ends the thread.
void WaitForSignals(RpcServer* server, const std::atomic<bool>* finished) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  bool stopping = false;
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (signal == SIGUSR1) {
      if (finished->load()) return;
      continue;
    }
    if (stopping) {
      spdlog::warn("second {}: exiting without waiting for {} open connections",
                   signal == SIGTERM ? "SIGTERM" : "SIGINT", server->open_connections());
      std::fflush(stdout);
      std::_Exit(kServerExitUsage);
    }
    stopping = true;
    spdlog::info("{}: stopped accepting; draining {} open connections",
                 signal == SIGTERM ? "SIGTERM" : "SIGINT", server->open_connections());
    server->Shutdown();
  }
}

}  // namespace

int RunServerMain(int argc, char** argv, const EngineOpener& open_engine) {
  EnsurePassiveOpenMpWait(argv);

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
                 "Time allowed for the rest of a started frame, and for a client to take a reply")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", options.idle_timeout_ms,
                 "Close connections idle this long; 0 never")
      ->capture_default_str();
  app.add_option("--server-type", kind_name,
                 "threadpool (default), threaded or nonblocking (measurement only; "
                 "docs/serving.md)")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
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

  // Signals are blocked in every thread (the ones Thrift and the engine start inherit the mask)
  // and taken by WaitForSignals alone. SIGPIPE is ignored: a peer that went away is an error
  // on its connection, not a reason to die.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

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

  RpcServer server(*engine, std::move(keys), options);
  std::atomic<bool> finished{false};
  std::thread signals(WaitForSignals, &server, &finished);

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

  finished.store(true);
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  if (!status.ok()) {
    spdlog::critical("{}", status.ToString());
    return status.IsInvalidArgument() ? kServerExitUsage : kServerExitListen;
  }
  spdlog::info("stopped");
  return kServerExitOk;
}

}  // namespace partnergraph::server
