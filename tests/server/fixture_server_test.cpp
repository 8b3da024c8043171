// The server over FixtureEngine, whatever PG_SERVER_TESTS_ENGINE says: the cases a real model
// cannot produce on demand (an internal fault, an expired page token, calls held in flight by a
// slow engine), and the server kinds kept for measurement.
#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "server_harness.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

ServerStart FixtureStart(std::vector<std::string> args = {}) {
  ServerStart start;
  start.binary = FixtureServerBinary();
  start.model_dir = FreshTempDir("fixture_model_" + std::to_string(::getpid()));
  start.args = std::move(args);
  return start;
}

}  // namespace

TEST_CASE("an internal fault reaches the caller as Unavailable, its cause only the log",
          "[server]") {
  auto server = ServerProcess::Start(FixtureStart());
  auto client = server->Connect();
  auto fault = client->GetMerchant("fault:internal");
  REQUIRE(fault.status().code() == Status::Code::kUnavailable);
  CHECK(fault.status().message().find("checksum") == std::string::npos);
  CHECK(fault.status().message().find("internal error") != std::string::npos);
  CHECK(server->WaitForLog("[error] GetMerchant by 'loopback caller (no keys file)' (operator) "
                           "failed inside the server: Corruption: fixture.bin:12: checksum"));
  CHECK(client->Health().ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("an error a call does not declare maps to the closest declared one", "[server]") {
  auto server = ServerProcess::Start(FixtureStart());
  auto client = server->Connect();
  client::ListMerchantsQuery stale;
  stale.page_token = "stale";
  // The engine says NotFound; ListMerchants declares no NotFound: InvalidArgument, same message.
  auto page = client->ListMerchants(stale);
  REQUIRE(page.status().IsInvalidArgument());
  CHECK(page.status().message() == "page token \"stale\" has expired");
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("Stats counts the calls answered and failed", "[server]") {
  auto server = ServerProcess::Start(FixtureStart());
  auto client = server->Connect();
  for (int i = 0; i < 3; ++i) REQUIRE(client->Health().ok());
  CHECK(client->GetMerchant("m_nope").status().IsNotFound());
  auto stats = client->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->requests_served == 3);
  CHECK(stats->requests_failed == 1);
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("SIGTERM lets every call in flight finish before exiting 0", "[server]") {
  ServerStart start = FixtureStart();
  start.env = {{"PG_FIXTURE_ENGINE_DELAY_MS", "400"}};
  auto server = ServerProcess::Start(start);

  constexpr int kClients = 8;
  std::vector<std::unique_ptr<client::RpcClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(server->Connect());
  std::atomic<int> answered{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> calls;
  for (auto& c : clients) {
    calls.emplace_back([&, raw = c.get()] {
      // Each call takes 400 ms on the server: the signal lands while all are in flight.
      auto first = raw->RecommendPartners("m_bakery", 5);
      if (first.ok()) {
        answered.fetch_add(1);
      } else {
        unexpected.fetch_add(1);
      }
      // Then the connection closes: a call that reached the server before it noticed the
      // shutdown is still answered (at most this one), the next fails cleanly.
      for (int extra = 0;; ++extra) {
        auto after = raw->Health();
        if (after.ok() && extra == 0) continue;
        if (after.ok() || !after.status().IsIOError()) unexpected.fetch_add(1);
        break;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto signalled = std::chrono::steady_clock::now();
  ::kill(server->pid(), SIGTERM);
  // Stops accepting at once, while the calls are still running.
  CHECK(server->WaitForLog("SIGTERM: stopped accepting; draining 8 open connections"));
  auto code = server->Wait(std::chrono::seconds(20));
  auto drained = std::chrono::steady_clock::now() - signalled;
  for (auto& t : calls) t.join();
  CHECK(code == 0);
  CHECK(answered.load() == kClients);
  CHECK(unexpected.load() == 0);
  CHECK(drained >= std::chrono::milliseconds(150));  // it waited for the in-flight calls
}

TEST_CASE("the server kinds kept for measurement serve calls", "[server]") {
  auto kind = GENERATE(std::string("threaded"), std::string("nonblocking"));
  auto server = ServerProcess::Start(FixtureStart({"--server-type", kind}));
  CHECK(server->ready_line().find("server " + kind) != std::string::npos);
  auto client = server->Connect();
  CHECK(client->Health().ok());
  auto answer = client->RecommendPartners("m_bakery", 5);
  REQUIRE(answer.ok());
  CHECK_FALSE(answer->partners.empty());
  CHECK(client->GetMerchant("m_nope").status().IsNotFound());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("an idle connection is closed after --idle-timeout-ms", "[server]") {
  auto server = ServerProcess::Start(FixtureStart({"--idle-timeout-ms", "200", "--log-level",
                                                   "debug"}));
  RawSocket idle(server->port());
  CHECK(idle.WaitForClose(std::chrono::seconds(3)));
  CHECK(server->WaitForLog("closed: idle for 200 ms"));
  CHECK(server->Connect()->Health().ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("SIGTERM answers the requests queued behind a slow call, and Health says draining",
          "[server]") {
  ServerStart start = FixtureStart();
  start.env = {{"PG_FIXTURE_ENGINE_DELAY_MS", "200"}};
  auto server = ServerProcess::Start(start);
  RawSocket raw(server->port());
  // Four 200 ms calls and a Health, pipelined: when the signal comes the first call is running
  // and the other four requests wait, received, in the connection's queue.
  std::string burst;
  for (int i = 0; i < 4; ++i) {
    burst += FramedBinaryCallWith("RecommendPartners", i,
                                  StringField(1, "") + StructField(2, StringField(1, "m_bakery")));
  }
  burst += FramedBinaryCall("Health", "", 4);
  REQUIRE(raw.Send(burst));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto signalled = std::chrono::steady_clock::now();
  ::kill(server->pid(), SIGTERM);

  for (int i = 0; i < 5; ++i) {
    auto reply = raw.ReadFrame();
    INFO("reply " << i);
    REQUIRE(reply.has_value());
    CHECK(ReplyTypeAndSeqid(*reply) == std::make_pair(kThriftReply, i));
    if (i < 4) CHECK(reply->find("m_florist") != std::string::npos);
    if (i == 4) CHECK(reply->find("draining") != std::string::npos);
  }
  CHECK(raw.WaitForClose(std::chrono::seconds(3)));
  CHECK(server->Wait(std::chrono::seconds(10)) == 0);
  CHECK(std::chrono::steady_clock::now() - signalled >= std::chrono::milliseconds(600));
}
