// Helpers of the server tests: start the server binary as a child process on a free loopback
// port, run the CLI, talk raw bytes on a socket.
//
// Which server and model the integration tests use is decided once, in CMakeLists.txt
// (PG_SERVER_TESTS_ENGINE): UsesRealEngine() tells the tests.
//
// Thread safety: a ServerProcess belongs to one test; the free functions are thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "partnergraph/engine/api_keys.hpp"
#include "rpc_client.hpp"

namespace partnergraph::testing {

// True when the integration tests serve a real model (PG_SERVER_TESTS_ENGINE "real").
bool UsesRealEngine();
// The CLI `partnergraph`.
std::filesystem::path CliBinary();
// The server binary of the integration tests: partnergraph-server (real) or
// partnergraph-fixture-server.
std::filesystem::path IntegrationServerBinary();
// partnergraph-fixture-server, whatever the switch says.
std::filesystem::path FixtureServerBinary();
// A model folder for IntegrationServerBinary(): built from datasets/tiny with `partnergraph
// build` once per test process (real), or an empty folder (fixture). Fails the test on error.
std::filesystem::path IntegrationModelDir();

struct ProcessResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out;
  std::string err;
};
// Runs `binary args...` to completion (at most `timeout`), capturing stdout and stderr.
// `env` is added to this process's environment.
ProcessResult RunProcess(const std::filesystem::path& binary, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         const std::vector<std::pair<std::string, std::string>>& env = {});

struct ServerStart {
  std::filesystem::path binary = IntegrationServerBinary();
  std::filesystem::path model_dir;  // empty: IntegrationModelDir() (fixture server: a temp dir)
  std::vector<std::string> args;    // extra flags; --port 0 is added unless --port is given
  std::vector<std::pair<std::string, std::string>> env;  // extra environment
};

// A server child process. The destructor kills it (SIGKILL) if it still runs.
class ServerProcess {
 public:
  // Starts the server and waits (up to 20 s) for its ready line. Fails the test (REQUIRE) when the
  // server exits or prints no ready line.
  static std::unique_ptr<ServerProcess> Start(const ServerStart& start = {});
  ~ServerProcess();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& ready_line() const { return ready_line_; }
  // A client of this server with `api_key`; REQUIREs that it connects.
  std::unique_ptr<client::RpcClient> Connect(const std::string& api_key = "",
                                             client::RpcProtocol protocol =
                                                 client::RpcProtocol::kBinary) const;
  // Sends `signal` and waits up to `timeout` for the exit; the exit code, -signal if killed by
  // one, nullopt on timeout.
  std::optional<int> Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits up to `timeout` for an exit that is already under way.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The server's log (stderr) so far.
  std::string Log() const;
  // Polls Log() until it contains `text` (true) or `timeout` passes (false).
  bool WaitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string ready_line_;
  std::filesystem::path log_path_;
  bool exited_ = false;
};

// A keys file in a fresh temp folder with one operator key and one key per merchant id given.
struct TestKeys {
  std::filesystem::path file;
  std::string operator_key;
  std::vector<std::pair<std::string, std::string>> merchant_keys;  // merchant id, key
  const std::string& MerchantKey(const std::string& merchant_id) const;
};
TestKeys MakeTestKeys(const std::string& name, const std::vector<std::string>& merchant_ids);

// A connected TCP socket to 127.0.0.1:port (REQUIREs success); closed by the destructor.
class RawSocket {
 public:
  explicit RawSocket(int port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  // Writes all of `bytes`; false when the peer has closed.
  bool Send(const std::string& bytes);
  // Half-closes the sending side (the server reads end-of-file).
  void ShutdownWrite();
  // True when the server closes the connection (EOF or reset) within `timeout`; bytes it sends
  // meanwhile are discarded.
  bool WaitForClose(std::chrono::milliseconds timeout);
  // Reads exactly `n` bytes within `timeout`; nullopt on close or timeout.
  std::optional<std::string> Read(std::size_t n, std::chrono::milliseconds timeout);
  // Reads one frame (length prefix, then the body) within 5 s per part; the body or nullopt.
  std::optional<std::string> ReadFrame();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A framed strict TBinaryProtocol call `name` with seqid whose argument struct holds `fields`
// (StringField / StructField bytes, concatenated).
std::string FramedBinaryCallWith(const std::string& name, int seqid, const std::string& fields);
// A framed call `name` with one string argument (id 1: the API key).
std::string FramedBinaryCall(const std::string& name, const std::string& api_key, int seqid);
// The binary-protocol bytes of a string field / a struct field holding `fields`.
std::string StringField(int id, const std::string& value);
std::string StructField(int id, const std::string& fields);
// Message types of the binary protocol.
constexpr int kThriftReply = 2;
constexpr int kThriftException = 3;
// The message type and seqid of a strict binary-protocol message body (REQUIREs it parses).
std::pair<int, int> ReplyTypeAndSeqid(const std::string& body);
// A 4-byte big-endian frame length.
std::string FrameHeader(std::uint32_t length);

}  // namespace partnergraph::testing
