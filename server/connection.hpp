// One connection of RpcServer (rpc_server.hpp), for the blocking server kinds: its bytes under
// the frame deadlines, its wait for the next request, its part in the drain at shutdown, and
// the log line that says why it closed. The contract (deadlines, drain, refusal above
// max_connections) is rpc_server.hpp's; this is how a connection keeps it.
//
// Thread safety: ConnectionState is shared by every connection, the accept thread, Shutdown()
// and the drain deadline (atomics and eventfds). A connection's transports and processor are
// used by one thread at a time.
#pragma once

#include <thrift/TConfiguration.h>
#include <thrift/TProcessor.h>
#include <thrift/transport/TTransport.h>

#include <atomic>
#include <memory>

#include "rpc_server.hpp"

namespace partnergraph::server {

// State shared by the accept thread, every connection, Shutdown() and the drain deadline.
struct ConnectionState {
  // Opens the two eventfds (-1 when that fails: Run() reports it).
  explicit ConnectionState(const ServerOptions& o);
  ~ConnectionState();
  ConnectionState(const ConnectionState&) = delete;
  ConnectionState& operator=(const ConnectionState&) = delete;

  // Called once the drain deadline has passed: every connection stops at its next wait.
  void CutOff();

  const ServerOptions options;
  // Readable once the shutdown has begun (an eventfd written once, never read).
  int drain_fd = -1;
  // Readable, and cut_off true, once the drain deadline has passed (CutOff()).
  int cut_fd = -1;
  std::atomic<bool> cut_off{false};
  std::atomic<int> open{0};
};

// The processor of each connection: serves `inner` (ServingProcessor). With
// `wait_for_requests` (the blocking kinds) it waits for each request itself, so that it can tell
// an idle connection (closed at shutdown) from one with a request pending (answered), refuses a
// connection above max_connections, and turns a bad frame into one log line naming the peer.
std::shared_ptr<apache::thrift::TProcessorFactory> MakeConnectionProcessorFactory(
    std::shared_ptr<apache::thrift::TProcessor> inner, std::shared_ptr<ConnectionState> state,
    bool wait_for_requests);

// The transports of a blocking connection: a TFramedTransport carrying `config`'s frame limit
// (Thrift's default factory would use its 16 MB one), over a read buffer, over a socket that
// keeps the frame deadlines and stops at the drain deadline.
std::shared_ptr<apache::thrift::transport::TTransportFactory> MakeFramedTransportFactory(
    std::shared_ptr<apache::thrift::TConfiguration> config, std::shared_ptr<ConnectionState> state);

}  // namespace partnergraph::server
