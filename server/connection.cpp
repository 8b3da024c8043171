#include "connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>
#include <thrift/transport/TVirtualTransport.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace partnergraph::server {

namespace at = apache::thrift;
using Clock = std::chrono::steady_clock;

ConnectionState::ConnectionState(const ServerOptions& o)
    : options(o),
      drain_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      cut_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ConnectionState::~ConnectionState() {
  if (drain_fd >= 0) ::close(drain_fd);
  if (cut_fd >= 0) ::close(cut_fd);
}

void ConnectionState::CutOff() {
  cut_off.store(true, std::memory_order_relaxed);
  std::uint64_t one = 1;
  if (::write(cut_fd, &one, sizeof one) != sizeof one) {
    spdlog::error("cannot signal the connections to stop: {}", std::strerror(errno));
  }
}

namespace {

std::string PeerOf(const std::shared_ptr<at::transport::TTransport>& transport) {
  auto socket = std::dynamic_pointer_cast<at::transport::TSocket>(transport);
  if (!socket) return "unknown peer";
  return fmt::format("{}:{}", socket->getPeerAddress(), socket->getPeerPort());
}

using TTE = at::transport::TTransportException;

std::string DescribeTransportError(const TTE& e) {
  switch (e.getType()) {
    case TTE::END_OF_FILE:
      return fmt::format("truncated frame: the peer closed mid-request ({})", e.what());
    case TTE::TIMED_OUT:    // ConnectionSocket: "frame timeout: ..."
    case TTE::INTERRUPTED:  // ConnectionSocket: "cut off by the drain deadline ..."
      return e.what();
    case TTE::CORRUPTED_DATA:
      return std::string("bad frame: ") + e.what();
    default:
      return std::string("transport error: ") + e.what();
  }
}

// The bytes of one connection of a blocking server kind, under the deadlines of rpc_server.hpp.
// Each recv and send is non-blocking and each wait a poll() bounded by a deadline, so a peer that
// sends (or takes) a byte now and then cannot stretch a deadline:
//   - a request frame must be whole frame_timeout_ms after the recv that brought its first byte.
//     The frame boundaries (4-byte big-endian length prefixes) are followed through the bytes
//     received, so the clock does not depend on how the buffers above split their reads;
//   - each write is one whole reply frame (TFramedTransport::flush hands over prefix and body in
//     one call, which ReadBuffer passes on in one piece): the peer must take it within
//     frame_timeout_ms.
// A wait inside a frame or a reply ends at the drain deadline (ConnectionState::cut_fd); a wait
// for a frame's first byte ends at the drain (ConnectionProcessor only reads once bytes have
// arrived, so that wait is a safeguard). Failures are TTransportException: TIMED_OUT past a
// deadline, INTERRUPTED at the drain or its deadline, NOT_OPEN for a socket error; a reset reads
// as the end of the stream, as in TSocket. The socket stays open until close().
//
// Thread safety: one thread at a time (Thrift's blocking servers use a connection on one thread).
class ConnectionSocket final : public at::transport::TVirtualTransport<ConnectionSocket> {
 public:
  ConnectionSocket(std::shared_ptr<at::transport::TSocket> socket,
                   std::shared_ptr<ConnectionState> state,
                   std::shared_ptr<at::TConfiguration> config)
      : TVirtualTransport(std::move(config)),
        socket_(std::move(socket)),
        state_(std::move(state)),
        fd_(socket_->getSocketFD()),
        timeout_(state_->options.frame_timeout_ms) {}

  bool isOpen() const override { return socket_->isOpen(); }
  void open() override { socket_->open(); }
  void close() override { socket_->close(); }
  const std::string getOrigin() const override { return socket_->getOrigin(); }

  uint32_t read(uint8_t* buf, uint32_t len) {
    for (;;) {
      ssize_t got = ::recv(fd_, buf, len, MSG_DONTWAIT);
      if (got >= 0) {
        FollowFrames(buf, static_cast<std::size_t>(got));
        return static_cast<uint32_t>(got);
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        WaitForRequestBytes();
      } else if (error == ECONNRESET) {
        return 0;
      } else if (error != EINTR) {
        throw TTE(TTE::NOT_OPEN, std::string("recv: ") + std::strerror(error));
      }
    }
  }

  void write(const uint8_t* buf, uint32_t len) {
    const Clock::time_point deadline = Clock::now() + timeout_;
    uint32_t sent = 0;
    while (sent < len) {
      ssize_t n = ::send(fd_, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) {
        sent += static_cast<uint32_t>(n);
        continue;
      }
      const int error = errno;
      if (error == EINTR) continue;
      if (error != EAGAIN && error != EWOULDBLOCK) {
        throw TTE(TTE::NOT_OPEN, std::string("send: ") + std::strerror(error));
      }
      switch (WaitUntil(POLLOUT, deadline, state_->cut_fd)) {
        case Wait::kReady:
          break;
        case Wait::kTimedOut:
          throw TTE(TTE::TIMED_OUT,
                    fmt::format("frame timeout: a reply was not taken within {} ms ({} of its {} "
                                "bytes sent)",
                                timeout_.count(), sent, len));
        case Wait::kEnded:
          throw TTE(TTE::INTERRUPTED,
                    fmt::format("cut off by the drain deadline while writing a reply ({} of its "
                                "{} bytes sent)",
                                sent, len));
      }
    }
  }

 private:
  enum class Wait { kReady, kTimedOut, kEnded };

  // Waits until the socket is ready for `events` (or in error: the next call says which),
  // `deadline` has passed (kTimedOut; none: no limit) or `end_fd` is readable (kEnded).
  Wait WaitUntil(short events, std::optional<Clock::time_point> deadline, int end_fd) const {
    pollfd fds[2] = {{fd_, events, 0}, {end_fd, POLLIN, 0}};
    for (;;) {
      int wait_ms = -1;
      if (deadline) {
        const Clock::duration left = *deadline - Clock::now();
        if (left <= Clock::duration::zero()) return Wait::kTimedOut;
        wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
      const int n = ::poll(fds, 2, wait_ms);
      if (n < 0 && errno != EINTR) {
        throw TTE(TTE::NOT_OPEN, std::string("poll: ") + std::strerror(errno));
      }
      if (n > 0 && fds[1].revents != 0) return Wait::kEnded;
      if (n > 0 && fds[0].revents != 0) return Wait::kReady;
    }
  }

  // Waits for more bytes of a request: until the frame deadline inside a frame, without limit
  // (but not past the drain) before a frame's first byte.
  void WaitForRequestBytes() const {
    if (!in_frame_) {
      if (WaitUntil(POLLIN, std::nullopt, state_->drain_fd) == Wait::kEnded) {
        throw TTE(TTE::INTERRUPTED, "shut down while waiting for a request");
      }
      return;
    }
    switch (WaitUntil(POLLIN, frame_deadline_, state_->cut_fd)) {
      case Wait::kReady:
        return;
      case Wait::kTimedOut:
        throw TTE(TTE::TIMED_OUT,
                  fmt::format("frame timeout: a request frame was not complete {} ms after its "
                              "first byte ({})",
                              timeout_.count(), FrameProgress()));
      case Wait::kEnded:
        throw TTE(TTE::INTERRUPTED,
                  fmt::format("cut off by the drain deadline while reading a request frame ({})",
                              FrameProgress()));
    }
  }

  // Follows the frame boundaries through `n` bytes just received; starts the frame clock when a
  // frame begins in them and does not end in them.
  void FollowFrames(const uint8_t* bytes, std::size_t n) {
    bool began_here = false;
    std::size_t at = 0;
    while (at < n) {
      if (!in_frame_) {
        in_frame_ = true;
        began_here = true;
        prefix_bytes_ = 0;
        frame_length_ = 0;
      }
      if (prefix_bytes_ < 4) {
        frame_length_ = (frame_length_ << 8) | bytes[at++];
        if (++prefix_bytes_ == 4) {
          body_left_ = frame_length_;
          in_frame_ = body_left_ > 0;
        }
        continue;
      }
      const auto take = static_cast<uint32_t>(std::min<std::size_t>(body_left_, n - at));
      at += take;
      body_left_ -= take;
      in_frame_ = body_left_ > 0;
    }
    if (in_frame_ && began_here) frame_deadline_ = Clock::now() + timeout_;
  }

  std::string FrameProgress() const {
    if (prefix_bytes_ < 4) {
      return fmt::format("{} of the 4 bytes of its length prefix had arrived", prefix_bytes_);
    }
    const std::uint64_t total = std::uint64_t{frame_length_} + 4;
    return fmt::format("{} of its {} bytes had arrived", total - body_left_, total);
  }

  std::shared_ptr<at::transport::TSocket> socket_;
  std::shared_ptr<ConnectionState> state_;
  int fd_;
  std::chrono::milliseconds timeout_;
  // The frame being received: whether one has begun and not ended, how many bytes of its length
  // prefix have arrived, the length (once the prefix is whole), the body bytes still to come.
  bool in_frame_ = false;
  int prefix_bytes_ = 0;
  uint32_t frame_length_ = 0;
  uint32_t body_left_ = 0;
  Clock::time_point frame_deadline_;
};

// The read side of a blocking connection: a buffer under the frames, so that a request's length
// prefix and body come with one recv (a bare TFramedTransport asks the socket for each).
// buffered() tells what it holds: a pipelining client may have sent requests that are already in
// the buffer, which ConnectionProcessor must not wait for on the socket.
class ReadBuffer final : public at::transport::TBufferedTransport {
 public:
  // Requests are small; a larger one takes more than one recv. The write side is unused on the
  // input transport and passes whole frames through on the output one (TBufferedTransport
  // writes a frame directly when its buffer is empty).
  static constexpr std::uint32_t kReadBytes = 4096;
  static constexpr std::uint32_t kWriteBytes = 512;

  ReadBuffer(std::shared_ptr<at::transport::TTransport> socket,
             std::shared_ptr<at::TConfiguration> config)
      : TBufferedTransport(std::move(socket), kReadBytes, kWriteBytes, std::move(config)) {}
  std::uint32_t buffered() const { return static_cast<std::uint32_t>(rBound_ - rBase_); }
};

// The ReadBuffer under a connection's input transport (FramedTransportFactory), or null.
const ReadBuffer* ReadBufferOf(const std::shared_ptr<at::protocol::TProtocol>& in) {
  auto framed = std::dynamic_pointer_cast<at::transport::TFramedTransport>(in->getTransport());
  if (!framed) return nullptr;
  return dynamic_cast<const ReadBuffer*>(framed->getUnderlyingTransport().get());
}

// One per connection. For the blocking server kinds it waits for a request itself, so that it
// can tell an idle connection (closed at shutdown) from one with a request pending (answered),
// and turns a bad frame into one log line naming the peer.
class ConnectionProcessor final : public at::TProcessor {
 public:
  ConnectionProcessor(std::shared_ptr<at::TProcessor> inner, std::shared_ptr<ConnectionState> state,
                      int fd, std::string peer, bool refused)
      : inner_(std::move(inner)),
        state_(std::move(state)),
        fd_(fd),
        peer_(std::move(peer)),
        refused_(refused) {}

  // Logs the close once, with its reason: a warning for a bad peer, debug otherwise.
  ~ConnectionProcessor() override {
    int left = state_->open.fetch_sub(1, std::memory_order_relaxed) - 1;
    if (refused_) return;
    spdlog::log(close_level_, "connection from {} closed: {} ({} open)", peer_, close_reason_,
                left);
  }

  bool process(std::shared_ptr<at::protocol::TProtocol> in,
               std::shared_ptr<at::protocol::TProtocol> out, void* context) override {
    if (refused_) return false;
    if (fd_ >= 0) {
      if (!read_buffer_checked_) {
        read_buffer_ = ReadBufferOf(in);
        read_buffer_checked_ = true;
      }
      // A request already in the buffer is answered without waiting on the socket. The buffer
      // is empty whenever the socket is polled, so a shutdown is noticed with an empty buffer
      // and the drain budget counts every request left (CountPendingRequests).
      const bool buffered = read_buffer_ != nullptr && read_buffer_->buffered() > 0;
      if (drain_budget_ || !buffered) {
        if (!WaitForRequest()) return false;
      }
    }
    try {
      return inner_->process(in, out, context);
    } catch (const at::transport::TTransportException& e) {
      Closing(spdlog::level::warn, DescribeTransportError(e));
    } catch (const at::protocol::TProtocolException& e) {
      Closing(spdlog::level::warn, std::string("malformed request: ") + e.what());
    } catch (const at::TException& e) {
      Closing(spdlog::level::warn, e.what());
    }
    return false;
  }

 private:
  // True when a request is to be read; false when the connection should close: the peer closed
  // it, it stayed idle too long, or the shutdown began and the requests received before this
  // connection noticed it have been answered (drain_budget_).
  bool WaitForRequest() {
    if (drain_budget_) return TakeFromDrainBudget();
    const int timeout = state_->options.idle_timeout_ms > 0 ? state_->options.idle_timeout_ms : -1;
    // POLLRDHUP tells a peer that closed from one that sent a request, so that the common case
    // (a request arrived, the peer still open) needs no second system call to peek.
    pollfd fds[2] = {{fd_, POLLIN | POLLRDHUP, 0}, {state_->drain_fd, POLLIN, 0}};
    int n = 0;
    do {
      n = ::poll(fds, 2, timeout);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      Closing(spdlog::level::warn, std::string("poll failed: ") + std::strerror(errno));
      return false;
    }
    if (n == 0) {
      Closing(spdlog::level::debug, fmt::format("idle for {} ms", state_->options.idle_timeout_ms));
      return false;
    }
    if (fds[1].revents != 0) {
      drain_budget_ = CountPendingRequests();
      return TakeFromDrainBudget();
    }
    if ((fds[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0) return true;
    char byte = 0;
    ssize_t peeked = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked == 0) {
      Closing(spdlog::level::debug, "closed by the peer");
      return false;
    }
    if (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Closing(spdlog::level::debug, std::strerror(errno));
      return false;
    }
    return true;
  }

  bool TakeFromDrainBudget() {
    if (*drain_budget_ == 0) {
      Closing(spdlog::level::debug, "shut down after answering the requests it had received");
      return false;
    }
    if (state_->cut_off.load(std::memory_order_relaxed)) {
      Closing(spdlog::level::warn,
              fmt::format("cut off by the drain deadline with {} received requests unanswered",
                          *drain_budget_));
      return false;
    }
    --*drain_budget_;
    return true;
  }

  // The requests whose bytes (at least the first one) have arrived: the frames in the socket's
  // receive queue, counted from their length prefixes without consuming them. A frame whose rest
  // is still on its way counts (its read waits up to the frame timeout). Bounded by the receive
  // buffer, so a client that keeps sending cannot hold a shutdown open.
  int CountPendingRequests() const {
    int pending = 0;
    if (::ioctl(fd_, FIONREAD, &pending) != 0 || pending <= 0) return 0;
    std::vector<unsigned char> bytes(static_cast<std::size_t>(pending));
    ssize_t got = ::recv(fd_, bytes.data(), bytes.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got <= 0) return 0;
    int frames = 0;
    std::size_t at = 0;
    const auto size = static_cast<std::size_t>(got);
    while (at < size) {
      ++frames;
      if (at + 4 > size) break;
      std::uint32_t length = (std::uint32_t{bytes[at]} << 24) |
                             (std::uint32_t{bytes[at + 1]} << 16) |
                             (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
      at += 4 + std::size_t{length};
    }
    return frames;
  }

  void Closing(spdlog::level::level_enum level, std::string reason) {
    close_level_ = level;
    close_reason_ = std::move(reason);
  }

  std::shared_ptr<at::TProcessor> inner_;
  std::shared_ptr<ConnectionState> state_;
  int fd_;
  std::string peer_;
  bool refused_;
  spdlog::level::level_enum close_level_ = spdlog::level::debug;
  std::string close_reason_ = "closed";
  // Set once this connection has noticed the shutdown: requests it still answers.
  std::optional<int> drain_budget_;
  const ReadBuffer* read_buffer_ = nullptr;
  bool read_buffer_checked_ = false;
};

class ConnectionProcessorFactory final : public at::TProcessorFactory {
 public:
  ConnectionProcessorFactory(std::shared_ptr<at::TProcessor> inner,
                             std::shared_ptr<ConnectionState> state, bool wait_for_requests)
      : inner_(std::move(inner)), state_(std::move(state)), wait_(wait_for_requests) {}

  std::shared_ptr<at::TProcessor> getProcessor(const at::TConnectionInfo& info) override {
    std::string peer = PeerOf(info.transport);
    int fd = -1;
    if (wait_) {
      if (auto socket = std::dynamic_pointer_cast<at::transport::TSocket>(info.transport)) {
        fd = socket->getSocketFD();
      }
    }
    int open = state_->open.fetch_add(1, std::memory_order_relaxed) + 1;
    bool refused = wait_ && open > state_->options.max_connections;
    if (refused) {
      spdlog::warn("connection from {} refused: {} connections open (--max-connections {})", peer,
                   open - 1, state_->options.max_connections);
    } else {
      spdlog::debug("connection from {} opened ({} open)", peer, open);
    }
    return std::make_shared<ConnectionProcessor>(inner_, state_, fd, std::move(peer), refused);
  }

 private:
  std::shared_ptr<at::TProcessor> inner_;
  std::shared_ptr<ConnectionState> state_;
  bool wait_;
};

// TFramedTransport carrying our frame limit (Thrift's default factory would use its 16 MB one),
// over a ReadBuffer over a ConnectionSocket.
class FramedTransportFactory final : public at::transport::TTransportFactory {
 public:
  FramedTransportFactory(std::shared_ptr<at::TConfiguration> config,
                         std::shared_ptr<ConnectionState> state)
      : config_(std::move(config)), state_(std::move(state)) {}
  std::shared_ptr<at::transport::TTransport> getTransport(
      std::shared_ptr<at::transport::TTransport> trans) override {
    if (auto socket = std::dynamic_pointer_cast<at::transport::TSocket>(trans)) {
      trans = std::make_shared<ConnectionSocket>(std::move(socket), state_, config_);
    }
    return std::make_shared<at::transport::TFramedTransport>(
        std::make_shared<ReadBuffer>(std::move(trans), config_), config_);
  }

 private:
  std::shared_ptr<at::TConfiguration> config_;
  std::shared_ptr<ConnectionState> state_;
};

}  // namespace

std::shared_ptr<at::TProcessorFactory> MakeConnectionProcessorFactory(
    std::shared_ptr<at::TProcessor> inner, std::shared_ptr<ConnectionState> state,
    bool wait_for_requests) {
  return std::make_shared<ConnectionProcessorFactory>(std::move(inner), std::move(state),
                                                      wait_for_requests);
}

std::shared_ptr<at::transport::TTransportFactory> MakeFramedTransportFactory(
    std::shared_ptr<at::TConfiguration> config, std::shared_ptr<ConnectionState> state) {
  return std::make_shared<FramedTransportFactory>(std::move(config), std::move(state));
}

}  // namespace partnergraph::server
