// RpcServer: serves the PartnerGraph Thrift service (handler.hpp) on one TCP address.
//
// Wire: framed transport, binary or compact protocol. Each connection is checked at its edge:
// a frame larger than max_frame_bytes, a negative frame size, bytes that do not parse as a call,
// a frame cut short each close THAT connection with one warning log line naming the peer; the
// server keeps serving. At most max_connections are open at once: one more is accepted, logged
// and closed at once, so that its client sees a closed connection instead of waiting.
//
// Deadlines (blocking kinds): once the first byte of a request frame (its length prefix
// included) has arrived, the whole frame must arrive within frame_timeout_ms of the server
// reading that byte, however the bytes are spread over time; a reply must be taken whole by the
// client within frame_timeout_ms of the server starting to write it. Past either deadline the
// connection is closed with a warning ("frame timeout: ..."). Between requests there is no
// deadline unless idle_timeout_ms is set.
//
// Shutdown (Shutdown(), e.g. on SIGTERM): the listening socket stops accepting; an idle
// connection closes at once; every other one finishes the call it is answering and the frame
// it is receiving (within that frame's deadline), then answers the requests whose bytes had
// arrived when it noticed the shutdown (counted from the frames in its receive queue, so a client
// that keeps sending cannot hold the shutdown open), then closes. Run() returns when the last
// connection has closed.
// The bound: when clients take their replies, the drain ends within frame_timeout_ms + the time
// to answer the calls in flight and the requests already received. Whatever clients do, at
// drain_timeout_ms after Shutdown() every connection still open is cut off at its next wait (one
// warning with their number, and one per connection saying what was cut off: a frame being read,
// a reply being written, requests left unanswered), so Run() returns at drain_timeout_ms + the
// time for the calls already inside the engine (at most one per connection; nothing interrupts
// them) to return.
//
// Server kinds (docs/serving.md has the measurements that chose the default):
//   kThreadPool  TThreadPoolServer: one pooled thread per open connection (the default).
//   kThreaded    TThreadedServer: one new thread per connection.
//   kNonblocking TNonblockingServer: libevent I/O threads + `threads` workers. For measurement
//                only: its shutdown does not wait for calls in flight, and its frame and
//                connection limits are Thrift's own (logged by Thrift, not per peer); the
//                deadlines above do not apply.
//
// Thread safety: Run() once, from one thread; Shutdown() from any thread (also before Run()
// listens, and more than once). Not copyable.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "attribution_jobs.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/events/event_log.hpp"
#include "serving_model.hpp"

namespace partnergraph::server {

enum class WireProtocol { kBinary, kCompact };
enum class ServerKind { kThreadPool, kThreaded, kNonblocking };

// "binary"/"compact", "threadpool"/"threaded"/"nonblocking"; nullopt for anything else.
std::optional<WireProtocol> ParseWireProtocol(const std::string& name);
std::optional<ServerKind> ParseServerKind(const std::string& name);
std::string ToString(WireProtocol protocol);
std::string ToString(ServerKind kind);

struct ServerOptions {
  // Address to bind: an IPv4/IPv6 literal or a host name.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free port (Run() reports the one it got).
  int port = 9090;
  WireProtocol protocol = WireProtocol::kBinary;
  ServerKind kind = ServerKind::kThreadPool;
  // Worker threads of kNonblocking. kThreadPool keeps max_connections + 1 threads (one per
  // connection, one to refuse the connection above the limit); kThreaded starts one per connection.
  int threads = 4;
  // I/O threads of kNonblocking.
  int io_threads = 1;
  // Open connections served at once (1..10000); the next one is closed on accept with a log line.
  int max_connections = 256;
  // Largest request frame accepted, in bytes (the 4-byte length prefix excluded).
  int max_frame_bytes = 1 << 20;
  // A request frame must arrive whole within this of its first byte; a reply must be taken whole
  // by the client within this. Bounds how long a slow peer holds a thread (and the drain).
  int frame_timeout_ms = 5000;
  // A connection idle (no request) this long is closed; 0 keeps idle connections open.
  int idle_timeout_ms = 0;
  // The longest a shutdown waits for its drain: connections still open this long after
  // Shutdown() are cut off (1..3600000).
  int drain_timeout_ms = 10000;
  // Kernel queue of connections not yet accepted.
  int accept_backlog = 1024;
  // Batch attribution jobs (SubmitAttributionJob): workers, queue, threads, retention, input root.
  AttributionJobsOptions attribution_jobs;
};

class RpcServer {
 public:
  // `engine` must not be null. `keys` unset: every caller is an operator (loopback only: the
  // caller checks the host).
  // `events`: the event log RecordEvents writes to (OpenServingEventLog: opened with the
  // Engine's LiveState and replayed); null: no events.
  RpcServer(std::shared_ptr<const Engine> engine, std::optional<ApiKeys> keys,
            ServerOptions options, std::shared_ptr<EventLog> events = nullptr);
  // The same over a ServingModel (not null): the server answers from its current model, and
  // ReloadModel swaps it (serving_model.hpp).
  RpcServer(std::shared_ptr<ServingModel> model, std::optional<ApiKeys> keys,
            ServerOptions options);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Listens, then calls `on_listening(port)` once (the real port when options.port was 0), then
  // serves until Shutdown() and the drain described above (bounded by drain_timeout_ms). OK
  // after a clean shutdown, also one that cut connections off at the drain deadline; IOError
  // naming host:port when it cannot listen; InvalidArgument for out-of-range options.
  Status Run(const std::function<void(int port)>& on_listening);

  // Begins the shutdown; returns at once. Idempotent.
  void Shutdown();

  // Connections open right now (kThreadPool and kThreaded).
  int open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether every address `host` resolves to is a loopback address (127.0.0.0/8, ::1).
// InvalidArgument naming the host when it does not resolve.
Result<bool> IsLoopbackHost(const std::string& host);

}  // namespace partnergraph::server
