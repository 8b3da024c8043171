#include "server_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "test_paths.hpp"

extern char** environ;

namespace partnergraph::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::filesystem::path BinaryDir() { return PG_BINARY_DIR; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A per-process scratch folder under test-tmp, removed when the process exits.
class ScratchDir {
 public:
  ScratchDir() : dir_(FreshTempDir("server-" + std::to_string(::getpid()))) {}
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

const std::filesystem::path& Scratch() {
  static ScratchDir scratch;
  return scratch.path();
}

std::filesystem::path NextScratchFile(const std::string& stem) {
  static std::atomic<int> counter{0};
  return Scratch() / (stem + "-" + std::to_string(counter.fetch_add(1)));
}

// argv / envp kept alive for execve; built before fork (the child may only call async-signal-safe
// functions).
struct ExecArgs {
  std::vector<std::string> storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;

  ExecArgs(const std::filesystem::path& binary, const std::vector<std::string>& args,
           const std::vector<std::pair<std::string, std::string>>& env) {
    storage.push_back(binary.string());
    storage.insert(storage.end(), args.begin(), args.end());
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
    for (auto& s : env_storage) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

std::optional<int> WaitPid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return -1;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

bool UsesRealEngine() { return PG_SERVER_TESTS_REAL_ENGINE != 0; }

std::filesystem::path CliBinary() { return BinaryDir() / "src" / "cli" / "partnergraph"; }

std::filesystem::path FixtureServerBinary() {
  return BinaryDir() / "tests" / "server" / "partnergraph-fixture-server";
}

std::filesystem::path IntegrationServerBinary() {
  return UsesRealEngine() ? BinaryDir() / "server" / "partnergraph-server" : FixtureServerBinary();
}

std::filesystem::path IntegrationModelDir() {
  static std::mutex mu;
  static std::filesystem::path dir;
  std::lock_guard lock(mu);
  if (!dir.empty()) return dir;
  std::filesystem::path candidate = Scratch() / "model";
  if (UsesRealEngine()) {
    ProcessResult built = RunProcess(
        CliBinary(), {"build", "--data", TinyDataset().string(), "--out", candidate.string()});
    INFO("partnergraph build stdout: " << built.out << "\nstderr: " << built.err);
    REQUIRE(built.exit_code == 0);
  } else {
    std::filesystem::create_directories(candidate);
  }
  dir = candidate;
  return dir;
}

ProcessResult RunProcess(const std::filesystem::path& binary, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout,
                         const std::vector<std::pair<std::string, std::string>>& env) {
  ExecArgs exec(binary, args, env);
  auto out_path = NextScratchFile("out");
  auto err_path = NextScratchFile("err");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(exec.argv[0], exec.argv.data(), exec.envp.data());
    ::_exit(127);
  }
  std::optional<int> code = WaitPid(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    WaitPid(pid, std::chrono::seconds(5));
  }
  ProcessResult result;
  result.exit_code = code.value_or(-SIGKILL);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const ServerStart& start) {
  std::vector<std::string> args = {
      "--model", (start.model_dir.empty() ? IntegrationModelDir() : start.model_dir).string()};
  bool has_port = false;
  for (const auto& a : start.args) has_port = has_port || a == "--port";
  if (!has_port) args.insert(args.end(), {"--port", "0"});
  args.insert(args.end(), start.args.begin(), start.args.end());

  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->log_path_ = NextScratchFile("server-log");
  ExecArgs exec(start.binary, args, start.env);
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int err = ::open(server->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (err < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(err, 2);
    ::execve(exec.argv[0], exec.argv.data(), exec.envp.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  server->pid_ = pid;

  std::string line;
  auto deadline = Clock::now() + std::chrono::seconds(20);
  bool eof = false;
  while (line.find('\n') == std::string::npos && !eof && Clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[512];
    ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) {
      eof = true;
    } else {
      line.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(pipe_fds[0]);
  // "... listening on HOST:PORT (...)": the port is the digits after the last ':' before " (".
  std::string first = line.substr(0, line.find('\n'));
  std::size_t at = first.find("listening on ");
  std::size_t paren = first.find(" (", at == std::string::npos ? 0 : at);
  std::size_t colon = paren == std::string::npos ? std::string::npos : first.rfind(':', paren);
  int port = 0;
  if (at != std::string::npos && colon != std::string::npos && colon > at) {
    port = std::atoi(first.substr(colon + 1, paren - colon - 1).c_str());
  }
  INFO("server " << start.binary << " printed: \"" << line << "\"; its log:\n" << server->Log());
  REQUIRE(port > 0);
  server->port_ = port;
  server->ready_line_ = first;
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    WaitPid(pid_, std::chrono::seconds(5));
  }
}

std::unique_ptr<client::RpcClient> ServerProcess::Connect(const std::string& api_key,
                                                          client::RpcProtocol protocol) const {
  client::RpcClientOptions options;
  options.port = port_;
  options.api_key = api_key;
  options.protocol = protocol;
  options.call_timeout_ms = 10000;
  auto connected = client::RpcClient::Connect(options);
  INFO(connected.status().ToString());
  REQUIRE(connected.ok());
  return std::move(connected).value();
}

std::optional<int> ServerProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (exited_) return std::nullopt;
  ::kill(pid_, signal);
  return Wait(timeout);
}

std::optional<int> ServerProcess::Wait(std::chrono::milliseconds timeout) {
  std::optional<int> code = WaitPid(pid_, timeout);
  if (code) exited_ = true;
  return code;
}

std::string ServerProcess::Log() const { return ReadFile(log_path_); }

bool ServerProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Log().find(text) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

const std::string& TestKeys::MerchantKey(const std::string& merchant_id) const {
  for (const auto& [id, key] : merchant_keys) {
    if (id == merchant_id) return key;
  }
  FAIL("no test key for merchant " << merchant_id);
  return operator_key;
}

TestKeys MakeTestKeys(const std::string& name, const std::vector<std::string>& merchant_ids) {
  TestKeys keys;
  keys.file = NextScratchFile(name + "-keys.tsv");
  auto op = ApiKeys::AddKey(keys.file, "operator", "test operator");
  REQUIRE(op.ok());
  keys.operator_key = *op;
  for (const auto& id : merchant_ids) {
    auto key = ApiKeys::AddKey(keys.file, "merchant:" + id, id + " app");
    REQUIRE(key.ok());
    keys.merchant_keys.emplace_back(id, *key);
  }
  return keys;
}

RawSocket::RawSocket(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void RawSocket::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

bool RawSocket::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset: closed too
  }
}

std::optional<std::string> RawSocket::Read(std::size_t n, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string out;
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) return std::nullopt;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

std::optional<std::string> RawSocket::ReadFrame() {
  auto header = Read(4, std::chrono::seconds(5));
  if (!header) return std::nullopt;
  std::uint32_t length = 0;
  std::memcpy(&length, header->data(), 4);
  return Read(ntohl(length), std::chrono::seconds(5));
}

std::pair<int, int> ReplyTypeAndSeqid(const std::string& body) {
  REQUIRE(body.size() >= 12);
  std::uint32_t version = 0;
  std::memcpy(&version, body.data(), 4);
  version = ntohl(version);
  std::uint32_t name_length = 0;
  std::memcpy(&name_length, body.data() + 4, 4);
  name_length = ntohl(name_length);
  REQUIRE(body.size() >= 12 + name_length);
  std::uint32_t seqid = 0;
  std::memcpy(&seqid, body.data() + 8 + name_length, 4);
  return {static_cast<int>(version & 0xff), static_cast<int>(ntohl(seqid))};
}

std::string FrameHeader(std::uint32_t length) {
  std::uint32_t be = htonl(length);
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

namespace {

std::string I32(std::uint32_t v) {
  std::uint32_t be = htonl(v);
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

std::string FieldHeader(char type, int id) {
  return std::string(1, type) + static_cast<char>((id >> 8) & 0xff) + static_cast<char>(id & 0xff);
}

}  // namespace

std::string StringField(int id, const std::string& value) {
  return FieldHeader(11, id) + I32(static_cast<std::uint32_t>(value.size())) + value;
}

std::string StructField(int id, const std::string& fields) {
  return FieldHeader(12, id) + fields + std::string(1, '\0');
}

std::string FramedBinaryCallWith(const std::string& name, int seqid, const std::string& fields) {
  std::string body;
  body += I32(0x80010001u);  // strict binary protocol version, message type CALL
  body += I32(static_cast<std::uint32_t>(name.size())) + name;
  body += I32(static_cast<std::uint32_t>(seqid));
  body += fields;
  body += std::string(1, '\0');  // end of the argument struct
  return FrameHeader(static_cast<std::uint32_t>(body.size())) + body;
}

std::string FramedBinaryCall(const std::string& name, const std::string& api_key, int seqid) {
  return FramedBinaryCallWith(name, seqid, StringField(1, api_key));
}

}  // namespace partnergraph::testing
