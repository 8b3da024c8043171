// Bytes that are not a well-formed framed call, sent on a raw socket: each closes only its own
// connection, with one warning naming the peer, and the server keeps answering everyone else.
// Also: the connection bound, and a shutdown that answers requests already received.
#include <arpa/inet.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <thread>

#include "server_harness.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

constexpr auto kCloseWithin = std::chrono::seconds(3);

}  // namespace

TEST_CASE("bad bytes close only their own connection", "[server]") {
  ServerStart start;
  start.args = {"--max-frame-bytes", "4096", "--frame-timeout-ms", "300"};
  auto server = ServerProcess::Start(start);
  auto bystander = server->Connect();  // connected before the trouble, used after it
  REQUIRE(bystander->Health().ok());

  SECTION("garbage bytes (an HTTP request)") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    CHECK(raw.WaitForClose(kCloseWithin));
    // "GET " read as a frame length is about 1.2 GB: above the limit.
    CHECK(server->WaitForLog("[warning] connection from 127.0.0.1:"));
    CHECK(server->WaitForLog("bad frame"));
  }
  SECTION("a frame of garbage within the size limit") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FrameHeader(16) + std::string(16, '\xff')));
    CHECK(raw.WaitForClose(kCloseWithin));
    CHECK(server->WaitForLog("malformed request"));
  }
  SECTION("a negative frame size") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FrameHeader(0xfffffff0u)));
    CHECK(raw.WaitForClose(kCloseWithin));
    CHECK(server->WaitForLog("Frame size has negative value"));
  }
  SECTION("an oversized frame") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FrameHeader(4097)));
    CHECK(raw.WaitForClose(kCloseWithin));
    CHECK(server->WaitForLog("oversized"));
  }
  SECTION("a frame exactly at the limit is served") {
    RawSocket raw(server->port());
    std::string call = FramedBinaryCall("Health", "", 7);
    std::string padded = FramedBinaryCall("Health", std::string(4096 - (call.size() - 4), 'k'), 7);
    REQUIRE(padded.size() == 4096 + 4);
    REQUIRE(raw.Send(padded));
    auto reply = raw.ReadFrame();
    REQUIRE(reply.has_value());
    CHECK(ReplyTypeAndSeqid(*reply) == std::make_pair(kThriftReply, 7));
  }
  SECTION("a truncated frame: the peer closes mid-frame") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FrameHeader(100) + std::string(10, 'x')));
    raw.ShutdownWrite();
    CHECK(raw.WaitForClose(kCloseWithin));
    CHECK(server->WaitForLog("truncated frame"));
  }
  SECTION("a truncated frame: the rest never comes") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FrameHeader(100) + std::string(10, 'x')));
    auto started = std::chrono::steady_clock::now();
    CHECK(raw.WaitForClose(kCloseWithin));
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(250));
    CHECK(server->WaitForLog("frame timeout"));
  }
  SECTION("an unknown method is answered with an exception, the connection stays") {
    RawSocket raw(server->port());
    REQUIRE(raw.Send(FramedBinaryCall("NoSuchCall", "", 3)));
    auto reply = raw.ReadFrame();
    REQUIRE(reply.has_value());
    CHECK(ReplyTypeAndSeqid(*reply) == std::make_pair(kThriftException, 3));
    REQUIRE(raw.Send(FramedBinaryCall("Health", "", 4)));
    auto health = raw.ReadFrame();
    REQUIRE(health.has_value());
    CHECK(ReplyTypeAndSeqid(*health) == std::make_pair(kThriftReply, 4));
  }

  CHECK(bystander->Health().ok());
  auto newcomer = server->Connect();
  CHECK(newcomer->Health().ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("connections above --max-connections are closed at once, with a log line",
          "[server]") {
  ServerStart start;
  start.args = {"--max-connections", "2"};
  auto server = ServerProcess::Start(start);
  auto first = server->Connect();
  auto second = server->Connect();
  REQUIRE(first->Health().ok());
  REQUIRE(second->Health().ok());

  RawSocket third(server->port());
  CHECK(third.WaitForClose(kCloseWithin));
  CHECK(server->WaitForLog("refused: 2 connections open (--max-connections 2)"));

  first.reset();  // frees a slot
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    auto again = server->Connect();
    served = again->Health().ok();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(served);
  CHECK(second->Health().ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("SIGTERM answers every request already received, under load", "[server]") {
  auto server = ServerProcess::Start();

  // Load: clients calling in a loop until their connection closes. Each call must either be
  // answered, or fail because the connection was closed (IOError) after the signal: a request
  // the server had not read when it began to drain is never processed, so the client may retry
  // it elsewhere. Never anything else, and never a failure before the signal.
  std::atomic<bool> stop{false};
  std::atomic<bool> signalled{false};
  std::atomic<int> answered{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 6; ++i) {
    load.emplace_back([&, port = server->port()] {
      client::RpcClientOptions options;
      options.port = port;
      auto connected = client::RpcClient::Connect(options);
      if (!connected.ok()) {
        bad.fetch_add(1);
        return;
      }
      auto& c = *connected;
      while (!stop.load()) {
        auto r = c->RecommendPartners("m_bakery", 5);
        if (r.ok()) {
          answered.fetch_add(1);
        } else {
          if (!r.status().IsIOError() || !signalled.load()) bad.fetch_add(1);
          return;
        }
      }
    });
  }
  while (answered.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  // Requests pipelined on raw connections, all received before the signal. Each connection
  // first gets one answer, so that the server has accepted it and serves it when the signal
  // comes: a connection still in the listen backlog is refused, as documented, and on a loaded
  // machine a fixed sleep did not always cover the accept.
  constexpr int kConnections = 4;
  constexpr int kPipelined = 25;
  std::vector<std::unique_ptr<RawSocket>> raws;
  for (int c = 0; c < kConnections; ++c) {
    raws.push_back(std::make_unique<RawSocket>(server->port()));
    REQUIRE(raws.back()->Send(FramedBinaryCall("Health", "", 0)));
    auto first = raws.back()->ReadFrame();
    REQUIRE(first.has_value());
    REQUIRE(ReplyTypeAndSeqid(*first) == std::make_pair(kThriftReply, 0));
  }
  for (auto& raw : raws) {
    std::string burst;
    for (int i = 1; i <= kPipelined; ++i) burst += FramedBinaryCall("Health", "", i);
    REQUIRE(raw->Send(burst));
  }
  // On loopback the bytes are in the server's receive queue once Send returns; the pause only
  // lets the serving threads see them before the signal, which the test does not depend on.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  signalled.store(true);
  ::kill(server->pid(), SIGTERM);

  for (auto& raw : raws) {
    for (int i = 1; i <= kPipelined; ++i) {
      auto reply = raw->ReadFrame();
      INFO("pipelined request " << i);
      REQUIRE(reply.has_value());
      CHECK(ReplyTypeAndSeqid(*reply) == std::make_pair(kThriftReply, i));
    }
    CHECK(raw->WaitForClose(kCloseWithin));  // and then the server closes it
  }
  auto code = server->Wait(std::chrono::seconds(20));
  stop.store(true);
  for (auto& t : load) t.join();
  CHECK(code == 0);
  CHECK(bad.load() == 0);
  CHECK(server->Log().find("SIGTERM: stopped accepting") != std::string::npos);

  // Nobody is listening any more.
  client::RpcClientOptions options;
  options.port = server->port();
  options.connect_timeout_ms = 500;
  CHECK(client::RpcClient::Connect(options).status().IsIOError());
}
