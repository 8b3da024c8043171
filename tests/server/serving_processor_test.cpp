// The serving fast path (server/serving_processor.hpp): a precomputed RecommendPartners answer
// written straight from the model must be byte for byte what the generated serialiser writes for
// the handler's answer, in both protocols; and the handler must only take the fast path when the
// generic one would have served the precomputed answer to that caller.
#include <catch2/catch.hpp>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <filesystem>
#include <memory>
#include <string>

#include "handler.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/engine/engine.hpp"
#include "server_harness.hpp"
#include "serving_processor.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;
namespace at = apache::thrift;

namespace {

std::shared_ptr<at::protocol::TProtocol> ProtocolOn(
    const std::shared_ptr<at::transport::TMemoryBuffer>& buffer, bool compact) {
  if (compact) return std::make_shared<at::protocol::TCompactProtocol>(buffer);
  return std::make_shared<at::protocol::TBinaryProtocol>(buffer);
}

// The reply message the generated processor writes for `handler.RecommendPartners(request)`.
std::string GeneratedReply(server::PartnerGraphHandler& handler,
                           const rpc::RecommendPartnersRequest& request, bool compact) {
  rpc::PartnerGraph_RecommendPartners_result result;
  handler.RecommendPartners(result.success, "", request);
  result.__isset.success = true;
  auto buffer = std::make_shared<at::transport::TMemoryBuffer>();
  auto out = ProtocolOn(buffer, compact);
  out->writeMessageBegin("RecommendPartners", at::protocol::T_REPLY, 7);
  result.write(out.get());
  out->writeMessageEnd();
  return buffer->getBufferAsString();
}

std::string FastReply(const BorrowedPartnerAnswer& answer, bool compact) {
  auto buffer = std::make_shared<at::transport::TMemoryBuffer>();
  auto out = ProtocolOn(buffer, compact);
  server::WritePartnersReply(out.get(), 7, answer);
  return buffer->getBufferAsString();
}

std::shared_ptr<const Engine> OpenIntegrationEngine() {
  auto engine = Engine::Open(IntegrationModelDir());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

}  // namespace

TEST_CASE("a precomputed answer written from the model equals the generated serialiser's bytes",
          "[server]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the server tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  auto engine = OpenIntegrationEngine();
  server::PartnerGraphHandler handler(engine, std::nullopt);
  auto page = engine->ListMerchants(std::nullopt, 100, "", "");
  REQUIRE(page.ok());
  REQUIRE(page->merchants.size() == 6);
  int answers = 0, partners = 0, counted = 0, suppressed = 0, unset_customers = 0;
  BorrowedPartnerAnswer borrowed;  // reused, as on a server thread
  for (const auto& m : page->merchants) {
    for (int k : {1, 3, 10}) {
      INFO(m.merchant_id << " k=" << k);
      rpc::RecommendPartnersRequest request;
      request.merchant_id = m.merchant_id;
      request.__set_k(k);
      if (!handler.BorrowPrecomputedPartners("", request, &borrowed)) continue;
      ++answers;
      for (const auto& p : borrowed.partners) {
        ++partners;
        if (!p.shared_customers) ++unset_customers;
        for (const auto& s : p.shared_segments) (s.count ? counted : suppressed)++;
      }
      for (bool compact : {false, true}) {
        INFO((compact ? "compact" : "binary"));
        CHECK(FastReply(borrowed, compact) == GeneratedReply(handler, request, compact));
      }
    }
  }
  // Every merchant's default answer is precomputed, and the answers exercise every optional
  // field both ways (datasets/tiny has pairs below and above k_min).
  CHECK(answers == 18);
  CHECK(partners > 0);
  CHECK(counted > 0);
  CHECK(suppressed > 0);
  CHECK(unset_customers > 0);
  CHECK(unset_customers < partners);
}

TEST_CASE("the fast path is taken only where the precomputed answer would be served", "[server]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the server tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  auto engine = OpenIntegrationEngine();
  const auto dir = std::filesystem::temp_directory_path() / "pg_serving_processor_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto operator_key = ApiKeys::AddKey(dir / "keys.tsv", "operator", "ops");
  auto bakery_key = ApiKeys::AddKey(dir / "keys.tsv", "merchant:m_bakery", "bakery");
  REQUIRE(operator_key.ok());
  REQUIRE(bakery_key.ok());
  auto keys = ApiKeys::Load(dir / "keys.tsv");
  REQUIRE(keys.ok());
  server::PartnerGraphHandler handler(engine, std::move(keys).value());

  BorrowedPartnerAnswer borrowed;
  rpc::RecommendPartnersRequest request;
  request.merchant_id = "m_bakery";
  request.__set_k(10);
  CHECK(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
  CHECK(handler.BorrowPrecomputedPartners(*bakery_key, request, &borrowed));
  CHECK(handler.requests_served() == 2);

  SECTION("a merchant key asking about another merchant") {
    request.merchant_id = "m_florist";
    CHECK_FALSE(handler.BorrowPrecomputedPartners(*bakery_key, request, &borrowed));
    CHECK(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
  }
  SECTION("a missing or unknown key") {
    CHECK_FALSE(handler.BorrowPrecomputedPartners("", request, &borrowed));
    CHECK_FALSE(handler.BorrowPrecomputedPartners("pg_not_a_key", request, &borrowed));
  }
  SECTION("filters that make the answer live") {
    rpc::PartnerFilters filters;
    filters.__set_include_existing_partners(true);
    request.__set_filters(filters);
    CHECK_FALSE(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
  }
  SECTION("filters set but all at their defaults stay precomputed") {
    request.__set_filters(rpc::PartnerFilters{});
    CHECK(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
  }
  SECTION("k beyond the precomputed answers or out of range, an unknown or empty merchant") {
    for (int k : {0, -1, 101, 1000}) {
      request.__set_k(k);
      CHECK_FALSE(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
    }
    request.__set_k(10);
    request.merchant_id = "m_nobody";
    CHECK_FALSE(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
    request.merchant_id = "";
    CHECK_FALSE(handler.BorrowPrecomputedPartners(*operator_key, request, &borrowed));
  }
  std::filesystem::remove_all(dir);
}
