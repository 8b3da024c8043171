// The command line of partnergraph-server, separate from main() so that the same front end can
// serve a test engine (tests/server/) while Engine::Open is being written.
//
//   partnergraph-server --model DIR [--host 127.0.0.1] [--port 9090] [--keys FILE]
//       [--threads N] [--protocol binary|compact] [--max-frame-bytes N] [--max-connections N]
//       [--frame-timeout-ms N] [--idle-timeout-ms N] [--drain-timeout-ms N]
//       [--server-type threadpool|threaded|nonblocking] [--io-threads N]
//       [--log-level trace|debug|info|warn|error]
//
// Prints one line on stdout once it listens, and flushes it:
//   partnergraph-server listening on HOST:PORT (protocol P, server S)
// Logs one line per event on stderr. On SIGTERM or SIGINT it drains (rpc_server.hpp; at most
// --drain-timeout-ms, then what is still open is cut off) and exits 0; a second signal exits at
// once with 1.
//
// Exit codes: 0 clean shutdown; 1 usage error, or a non-loopback --host without --keys;
// 2 the model or the keys file cannot be loaded; 3 the address cannot be listened on.
//
// Thread safety: call once per process, from main(); it installs the signal handling.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/engine.hpp"
#include "serving_model.hpp"

namespace partnergraph::server {

enum ServerExitCode : int {
  kServerExitOk = 0,
  kServerExitUsage = 1,
  kServerExitLoad = 2,
  kServerExitListen = 3,
};

// EngineOpener: serving_model.hpp.

// Runs the server command line; returns the process exit code.
int RunServerMain(int argc, char** argv, const EngineOpener& open_engine);

}  // namespace partnergraph::server
