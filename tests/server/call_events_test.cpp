// CallEvents (server/call_events.hpp), the event handler ServingProcessor sets: every call that
// reaches the handler is counted once, served or failed, the borrowed RecommendPartners
// included; a call whose arguments do not parse is not; a handler method called without a
// processor is not; Stats answers the counts of the calls before it.
#include "call_events.hpp"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "PartnerGraph.h"
#include "fixture_engine.hpp"
#include "handler.hpp"
#include "serving_processor.hpp"

using namespace partnergraph;
namespace at = apache::thrift;

namespace {

// Calls through a processor as one connection makes them: the generated client writes a request
// into memory, the processor answers it into memory, the client reads the reply.
class CallLoop {
 public:
  explicit CallLoop(server::ServingProcessor& processor) : processor_(processor) {}

  rpc::PartnerGraphClient& client() { return client_; }
  at::protocol::TBinaryProtocol& request_protocol() { return *request_protocol_; }
  // Answers the request written so far.
  bool Process() {
    return processor_.process(std::make_shared<at::protocol::TBinaryProtocol>(requests_),
                              std::make_shared<at::protocol::TBinaryProtocol>(replies_), nullptr);
  }

 private:
  server::ServingProcessor& processor_;
  std::shared_ptr<at::transport::TMemoryBuffer> requests_ =
      std::make_shared<at::transport::TMemoryBuffer>();
  std::shared_ptr<at::transport::TMemoryBuffer> replies_ =
      std::make_shared<at::transport::TMemoryBuffer>();
  std::shared_ptr<at::protocol::TBinaryProtocol> request_protocol_ =
      std::make_shared<at::protocol::TBinaryProtocol>(requests_);
  rpc::PartnerGraphClient client_{std::make_shared<at::protocol::TBinaryProtocol>(replies_),
                                  request_protocol_};
};

// A call of `method` whose first argument (api_key, a string) has a negative length.
void WriteUnreadableCall(at::protocol::TBinaryProtocol& out, const std::string& method) {
  out.writeMessageBegin(method, at::protocol::T_CALL, 1);
  out.writeStructBegin("args");
  out.writeFieldBegin("api_key", at::protocol::T_STRING, 1);
  out.writeI32(-5);
  out.writeMessageEnd();
}

}  // namespace

TEST_CASE("MethodName drops the service prefix", "[server]") {
  CHECK(server::MethodName("PartnerGraph.RecommendPartners") == "RecommendPartners");
  CHECK(server::MethodName("Health") == "Health");
}

TEST_CASE("CallEvents counts each answered call once, served or failed", "[server]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pg_call_events_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto engine = testing::OpenFixtureEngine(dir);
  REQUIRE(engine.ok());
  auto handler = std::make_shared<server::PartnerGraphHandler>(*engine, std::nullopt);
  server::ServingProcessor processor(handler);
  CallLoop loop(processor);
  auto counts = [&] {
    return std::make_pair(handler->requests_served(), handler->requests_failed());
  };

  rpc::HealthResponse health;
  loop.client().send_Health("");
  REQUIRE(loop.Process());
  loop.client().recv_Health(health);
  CHECK(counts() == std::make_pair(std::int64_t{1}, std::int64_t{0}));

  // The borrowed path counts as the generated ones do.
  rpc::RecommendPartnersRequest request;
  request.merchant_id = "m_bakery";
  request.__set_k(3);
  rpc::RecommendPartnersResponse partners;
  loop.client().send_RecommendPartners("", request);
  REQUIRE(loop.Process());
  loop.client().recv_RecommendPartners(partners);
  CHECK_FALSE(partners.partners.empty());
  CHECK(counts() == std::make_pair(std::int64_t{2}, std::int64_t{0}));
  request.__set_k(0);
  loop.client().send_RecommendPartners("", request);
  REQUIRE(loop.Process());
  CHECK_THROWS_AS(loop.client().recv_RecommendPartners(partners), rpc::InvalidArgument);
  CHECK(counts() == std::make_pair(std::int64_t{2}, std::int64_t{1}));

  // A fault inside the engine is a failed call (and Unavailable to the caller).
  rpc::Merchant merchant;
  loop.client().send_GetMerchant("", "fault:internal");
  REQUIRE(loop.Process());
  CHECK_THROWS_AS(loop.client().recv_GetMerchant(merchant), rpc::Unavailable);
  CHECK(counts() == std::make_pair(std::int64_t{2}, std::int64_t{2}));

  // Arguments that do not parse never reach the handler: not counted, on either path.
  for (const char* method : {"GetMerchant", "RecommendPartners"}) {
    INFO(method);
    WriteUnreadableCall(loop.request_protocol(), method);
    CHECK_THROWS_AS(loop.Process(), at::protocol::TProtocolException);
    CHECK(counts() == std::make_pair(std::int64_t{2}, std::int64_t{2}));
  }

  // A handler method called without a processor is not counted.
  handler->Health(health, "");
  CHECK(counts() == std::make_pair(std::int64_t{2}, std::int64_t{2}));

  // Stats answers the calls before it, then counts itself.
  rpc::StatsResponse stats;
  loop.client().send_Stats("");
  REQUIRE(loop.Process());
  loop.client().recv_Stats(stats);
  CHECK(stats.requests_served == 2);
  CHECK(stats.requests_failed == 2);
  CHECK(counts() == std::make_pair(std::int64_t{3}, std::int64_t{2}));
  std::filesystem::remove_all(dir);
}
