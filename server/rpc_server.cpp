#include "rpc_server.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <thrift/TConfiguration.h>
#include <thrift/concurrency/ThreadFactory.h>
#include <thrift/concurrency/ThreadManager.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/server/TNonblockingServer.h>
#include <thrift/server/TThreadPoolServer.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TNonblockingServerSocket.h>
#include <thrift/transport/TServerSocket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "PartnerGraph.h"
#include "connection.hpp"
#include "handler.hpp"
#include "serving_processor.hpp"

namespace partnergraph::server {

namespace at = apache::thrift;
using Clock = std::chrono::steady_clock;

std::optional<WireProtocol> ParseWireProtocol(const std::string& name) {
  if (name == "binary") return WireProtocol::kBinary;
  if (name == "compact") return WireProtocol::kCompact;
  return std::nullopt;
}

std::optional<ServerKind> ParseServerKind(const std::string& name) {
  if (name == "threadpool") return ServerKind::kThreadPool;
  if (name == "threaded") return ServerKind::kThreaded;
  if (name == "nonblocking") return ServerKind::kNonblocking;
  return std::nullopt;
}

std::string ToString(WireProtocol protocol) {
  return protocol == WireProtocol::kBinary ? "binary" : "compact";
}

std::string ToString(ServerKind kind) {
  switch (kind) {
    case ServerKind::kThreadPool:
      return "threadpool";
    case ServerKind::kThreaded:
      return "threaded";
    case ServerKind::kNonblocking:
      return "nonblocking";
  }
  return "?";
}

Result<bool> IsLoopbackHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return Status::InvalidArgument(
        fmt::format("host \"{}\" does not resolve: {}", host, gai_strerror(rc)));
  }
  bool all_loopback = found != nullptr;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(a->ai_addr);
      all_loopback = all_loopback && (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ai_addr);
      all_loopback = all_loopback && IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
      all_loopback = false;
    }
  }
  ::freeaddrinfo(found);
  return all_loopback;
}

namespace {

// Tells Run()'s caller the port once the socket listens, and closes the race with a Shutdown()
// that came before listen().
class ListenEvents final : public at::server::TServerEventHandler {
 public:
  explicit ListenEvents(std::function<void()> on_listening) : on_listening_(std::move(on_listening)) {}
  void preServe() override { on_listening_(); }

 private:
  std::function<void()> on_listening_;
};

Status CheckOptions(const ServerOptions& o) {
  auto range = [](const char* name, long long v, long long lo, long long hi) {
    if (v >= lo && v <= hi) return Status::Ok();
    return Status::InvalidArgument(fmt::format("{} = {} is out of range {}..{}", name, v, lo, hi));
  };
  PG_RETURN_IF_ERROR(range("port", o.port, 0, 65535));
  PG_RETURN_IF_ERROR(range("threads", o.threads, 1, 4096));
  PG_RETURN_IF_ERROR(range("io threads", o.io_threads, 1, 64));
  PG_RETURN_IF_ERROR(range("max connections", o.max_connections, 1, 10000));
  PG_RETURN_IF_ERROR(range("max frame bytes", o.max_frame_bytes, 64, 1 << 30));
  PG_RETURN_IF_ERROR(range("frame timeout ms", o.frame_timeout_ms, 1, 3600 * 1000));
  PG_RETURN_IF_ERROR(range("idle timeout ms", o.idle_timeout_ms, 0, 24 * 3600 * 1000));
  PG_RETURN_IF_ERROR(range("drain timeout ms", o.drain_timeout_ms, 1, 3600 * 1000));
  PG_RETURN_IF_ERROR(range("accept backlog", o.accept_backlog, 1, 65535));
  return Status::Ok();
}

}  // namespace

struct RpcServer::Impl {
  std::shared_ptr<PartnerGraphHandler> handler;
  ServerOptions options;
  std::shared_ptr<ConnectionState> state;

  std::mutex mu;  // guards the fields below
  std::condition_variable stopping_or_served;
  bool listening = false;
  bool stopping = false;
  Clock::time_point stop_began;  // set with `stopping`
  bool served = false;           // serve() has returned
  std::shared_ptr<at::transport::TServerSocket> blocking_socket;
  std::shared_ptr<at::server::TNonblockingServer> nonblocking_server;

  // Called with `mu` held.
  void InterruptLocked() {
    if (blocking_socket) blocking_socket->interrupt();
    if (nonblocking_server) nonblocking_server->stop();
  }

  // Runs beside serve(): once the shutdown has begun, gives the drain drain_timeout_ms, then
  // cuts off the connections still open (ConnectionState::CutOff). Returns when serve() has.
  void CutOffDrainAtDeadline() {
    std::unique_lock lock(mu);
    stopping_or_served.wait(lock, [this] { return stopping || served; });
    const auto deadline = stop_began + std::chrono::milliseconds(options.drain_timeout_ms);
    if (stopping_or_served.wait_until(lock, deadline, [this] { return served; })) return;
    spdlog::warn(
        "drain deadline: {} connections still open {} ms after the shutdown began "
        "(--drain-timeout-ms); closing them",
        state->open.load(std::memory_order_relaxed), options.drain_timeout_ms);
    state->CutOff();
    stopping_or_served.wait(lock, [this] { return served; });
  }

  void MarkServed() {
    {
      std::lock_guard lock(mu);
      served = true;
    }
    stopping_or_served.notify_all();
  }
};

RpcServer::RpcServer(std::shared_ptr<const Engine> engine, std::optional<ApiKeys> keys,
                     ServerOptions options, std::shared_ptr<EventLog> events)
    : RpcServer(std::make_shared<ServingModel>(std::move(engine), std::move(events)),
                std::move(keys), std::move(options)) {}

RpcServer::RpcServer(std::shared_ptr<ServingModel> model, std::optional<ApiKeys> keys,
                     ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::make_shared<PartnerGraphHandler>(std::move(model), std::move(keys),
                                                         options.attribution_jobs);
  impl_->options = std::move(options);
  impl_->state = std::make_shared<ConnectionState>(impl_->options);
}

RpcServer::~RpcServer() = default;

int RpcServer::open_connections() const {
  return impl_->state->open.load(std::memory_order_relaxed);
}

void RpcServer::Shutdown() {
  std::lock_guard lock(impl_->mu);
  if (impl_->stopping) return;
  impl_->stopping = true;
  impl_->stop_began = Clock::now();
  impl_->stopping_or_served.notify_all();
  impl_->handler->BeginDrain();
  std::uint64_t one = 1;
  if (::write(impl_->state->drain_fd, &one, sizeof one) != sizeof one) {
    spdlog::error("cannot signal the connections to drain: {}", std::strerror(errno));
  }
  if (impl_->listening) impl_->InterruptLocked();
}

Status RpcServer::Run(const std::function<void(int port)>& on_listening) {
  const ServerOptions& o = impl_->options;
  PG_RETURN_IF_ERROR(CheckOptions(o));
  if (impl_->state->drain_fd < 0 || impl_->state->cut_fd < 0) {
    return Status::IOError(fmt::format("eventfd: {}", std::strerror(errno)));
  }
  const std::string where = fmt::format("{}:{}", o.host, o.port);

  const int max_message = at::TConfiguration::DEFAULT_MAX_MESSAGE_SIZE;
  auto config = std::make_shared<at::TConfiguration>(max_message, o.max_frame_bytes);
  std::shared_ptr<at::protocol::TProtocolFactory> protocol;
  if (o.protocol == WireProtocol::kBinary) {
    protocol = std::make_shared<at::protocol::TBinaryProtocolFactory>(
        o.max_frame_bytes, o.max_frame_bytes, /*strict_read=*/true, /*strict_write=*/true);
  } else {
    protocol = std::make_shared<at::protocol::TCompactProtocolFactory>(o.max_frame_bytes,
                                                                       o.max_frame_bytes);
  }
  auto inner = std::make_shared<ServingProcessor>(impl_->handler);
  const bool blocking = o.kind != ServerKind::kNonblocking;
  auto processors = MakeConnectionProcessorFactory(inner, impl_->state, blocking);

  std::shared_ptr<at::server::TServer> server;
  std::function<int()> bound_port;
  try {
    if (blocking) {
      auto socket = std::make_shared<at::transport::TServerSocket>(o.host, o.port);
      // Children are not interrupted by Thrift: ConnectionProcessor drains them (see the header).
      // Frame deadlines are ConnectionSocket's, not per-call socket timeouts.
      socket->setInterruptableChildren(false);
      socket->setAcceptBacklog(o.accept_backlog);
      auto transports = MakeFramedTransportFactory(config, impl_->state);
      if (o.kind == ServerKind::kThreadPool) {
        auto threads = at::concurrency::ThreadManager::newSimpleThreadManager(
            static_cast<std::size_t>(o.max_connections) + 1);
        threads->threadFactory(std::make_shared<at::concurrency::ThreadFactory>());
        threads->start();
        server = std::make_shared<at::server::TThreadPoolServer>(processors, socket, transports,
                                                                 protocol, threads);
      } else {
        server = std::make_shared<at::server::TThreadedServer>(processors, socket, transports,
                                                               protocol);
      }
      bound_port = [socket] { return socket->getPort(); };
      std::lock_guard lock(impl_->mu);
      impl_->blocking_socket = socket;
    } else {
      auto socket = std::make_shared<at::transport::TNonblockingServerSocket>(o.host, o.port);
      socket->setAcceptBacklog(o.accept_backlog);
      auto threads = at::concurrency::ThreadManager::newSimpleThreadManager(
          static_cast<std::size_t>(o.threads));
      threads->threadFactory(std::make_shared<at::concurrency::ThreadFactory>());
      threads->start();
      auto nb = std::make_shared<at::server::TNonblockingServer>(processors, protocol, socket,
                                                                threads);
      nb->setNumIOThreads(static_cast<std::size_t>(o.io_threads));
      nb->setMaxConnections(static_cast<std::size_t>(o.max_connections));
      nb->setOverloadAction(at::server::T_OVERLOAD_CLOSE_ON_ACCEPT);
      nb->setMaxFrameSize(static_cast<std::size_t>(o.max_frame_bytes));
      server = nb;
      bound_port = [socket] { return socket->getListenPort(); };
      std::lock_guard lock(impl_->mu);
      impl_->nonblocking_server = nb;
    }
  } catch (const at::TException& e) {
    return Status::IOError(fmt::format("cannot set up the server on {}: {}", where, e.what()));
  }

  server->setServerEventHandler(std::make_shared<ListenEvents>([&] {
    on_listening(bound_port());
    std::lock_guard lock(impl_->mu);
    impl_->listening = true;
    if (impl_->stopping) impl_->InterruptLocked();
  }));

  // Runs CutOffDrainAtDeadline beside serve(); ends and joins it on every way out of serve().
  class DrainDeadline {
   public:
    explicit DrainDeadline(Impl* impl)
        : impl_(impl), thread_([impl] { impl->CutOffDrainAtDeadline(); }) {}
    ~DrainDeadline() {
      impl_->MarkServed();
      thread_.join();
    }

   private:
    Impl* impl_;
    std::thread thread_;
  };
  {
    DrainDeadline drain_deadline(impl_.get());
    try {
      server->serve();
    } catch (const at::TException& e) {
      return Status::IOError(fmt::format("cannot serve on {}: {}", where, e.what()));
    }
  }
  std::lock_guard lock(impl_->mu);
  if (!impl_->listening) return Status::IOError(fmt::format("cannot listen on {}", where));
  if (impl_->stopping) {
    spdlog::info(
        "drained: the last connection closed {} ms after the shutdown began",
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - impl_->stop_began)
            .count());
  }
  return Status::Ok();
}

}  // namespace partnergraph::server
