// The serving fast path (server/serving_processor.hpp): a RecommendPartners answer, precomputed or
// live, written straight from the model must be byte for byte what the generated serialiser
// writes for the handler's answer, in both protocols (also through Engine's default
// BorrowPartners, which copies); and the borrowed call must refuse exactly what the generic one
// refuses, with the same typed exception and message.
#include <catch2/catch.hpp>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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

// An Engine that forwards every call but keeps Engine's default BorrowPartners (it copies
// RecommendPartners' views instead of lending the model's strings).
class CopyingEngine final : public Engine {
 public:
  explicit CopyingEngine(std::shared_ptr<const Engine> e) : e_(std::move(e)) {}
  EngineStats Stats() const override { return e_->Stats(); }
  Result<MerchantView> GetMerchant(const std::string& id) const override {
    return e_->GetMerchant(id);
  }
  Result<MerchantPage> ListMerchants(const std::optional<std::string>& token, int size,
                                     const std::string& category,
                                     const std::string& region) const override {
    return e_->ListMerchants(token, size, category, region);
  }
  Result<PartnerAnswer> RecommendPartners(const std::string& id, int k,
                                          const PartnerFiltersView& f) const override {
    return e_->RecommendPartners(id, k, f);
  }
  Result<CouponAnswer> RecommendCouponPairs(const std::string& sku, const std::string& merchant,
                                            int k, const CouponFiltersView& f) const override {
    return e_->RecommendCouponPairs(sku, merchant, k, f);
  }
  Result<PairExplanationView> ExplainPair(const std::string& a, const std::string& b,
                                          Audience audience) const override {
    return e_->ExplainPair(a, b, audience);
  }
  Result<OverlapReportView> OverlapReport(const std::string& a, const std::string& b,
                                          Audience audience) const override {
    return e_->OverlapReport(a, b, audience);
  }

 private:
  std::shared_ptr<const Engine> e_;
};

// The request variants of every answer checked: default filters (precomputed) and live ones.
std::vector<rpc::PartnerFilters> FilterVariants(const Engine& engine) {
  std::vector<rpc::PartnerFilters> out(1);  // unset: default
  rpc::PartnerFilters f;
  f.__set_include_existing_partners(true);
  out.push_back(f);
  f = {};
  auto bakery = engine.GetMerchant("m_bakery");
  REQUIRE(bakery.ok());
  f.__set_regions({bakery->region});
  out.push_back(f);
  f = {};
  f.__set_candidates(3);
  out.push_back(f);
  f = {};
  f.__set_long_tail_boost(0.5);
  f.__set_exclude_categories({bakery->category});
  out.push_back(f);
  return out;
}

// What a call throws: the exception's type name and message ("" when it returns).
template <typename Call>
std::string Outcome(Call&& call) {
  try {
    call();
    return "";
  } catch (const rpc::NotFound& e) {
    return "NotFound: " + e.message;
  } catch (const rpc::InvalidArgument& e) {
    return "InvalidArgument: " + e.message;
  } catch (const rpc::PermissionDenied& e) {
    return "PermissionDenied: " + e.message;
  } catch (const rpc::Unavailable& e) {
    return "Unavailable: " + e.message;
  }
}

std::shared_ptr<const Engine> OpenIntegrationEngine() {
  auto engine = Engine::Open(IntegrationModelDir());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

}  // namespace

TEST_CASE("a borrowed answer, precomputed or live, equals the generated serialiser's bytes",
          "[server]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the server tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  auto real = OpenIntegrationEngine();
  for (bool copying : {false, true}) {
    INFO((copying ? "Engine's default BorrowPartners (copies)" : "the model's strings"));
    std::shared_ptr<const Engine> engine = real;
    if (copying) engine = std::make_shared<CopyingEngine>(real);
    server::PartnerGraphHandler handler(engine, std::nullopt);
    auto page = engine->ListMerchants(std::nullopt, 100, "", "");
    REQUIRE(page.ok());
    REQUIRE(page->merchants.size() == 6);
    int precomputed = 0, live = 0, partners = 0, counted = 0, suppressed = 0, unset_customers = 0;
    BorrowedPartnerAnswer borrowed;  // reused, as on a server thread
    for (const auto& m : page->merchants) {
      for (int k : {1, 3, 10}) {
        for (const rpc::PartnerFilters& filters : FilterVariants(*engine)) {
          INFO(m.merchant_id << " k=" << k);
          rpc::RecommendPartnersRequest request;
          request.merchant_id = m.merchant_id;
          request.__set_k(k);
          if (filters != rpc::PartnerFilters{}) request.__set_filters(filters);
          handler.RecommendPartnersBorrowed("", request, &borrowed);
          (borrowed.precomputed ? precomputed : live)++;
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
    }
    // Every merchant's default answer is precomputed, the others live, and the answers
    // exercise every optional field both ways (datasets/tiny has pairs below and above k_min).
    CHECK(precomputed == 18);
    CHECK(live == 18 * 4);
    CHECK(partners > 0);
    CHECK(counted > 0);
    CHECK(suppressed > 0);
    CHECK(unset_customers > 0);
    CHECK(unset_customers < partners);
  }
}

TEST_CASE("the borrowed call refuses what RecommendPartners refuses, with the same error",
          "[server]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the server tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  auto engine = OpenIntegrationEngine();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pg_serving_processor_test_" + std::to_string(::getpid()));
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
  auto both = [&](const std::string& key, const rpc::RecommendPartnersRequest& request) {
    const std::string fast =
        Outcome([&] { handler.RecommendPartnersBorrowed(key, request, &borrowed); });
    rpc::RecommendPartnersResponse response;
    const std::string generic = Outcome([&] { handler.RecommendPartners(response, key, request); });
    CHECK(fast == generic);
    return fast;
  };
  rpc::RecommendPartnersRequest request;
  request.merchant_id = "m_bakery";
  request.__set_k(10);
  CHECK(both(*operator_key, request).empty());
  CHECK(both(*bakery_key, request).empty());
  CHECK(handler.requests_served() == 4);

  rpc::RecommendPartnersRequest other = request;
  other.merchant_id = "m_florist";
  CHECK(both(*bakery_key, other).rfind("PermissionDenied: ", 0) == 0);
  CHECK(both(*operator_key, other).empty());
  other.merchant_id = "m_nobody";  // refused as a merchant that exists: nothing revealed
  CHECK(both(*bakery_key, other).rfind("PermissionDenied: ", 0) == 0);
  CHECK(both("", request).rfind("PermissionDenied: ", 0) == 0);
  CHECK(both("pg_not_a_key", request).rfind("PermissionDenied: ", 0) == 0);
  for (int k : {0, -1, 101, 1000}) {
    rpc::RecommendPartnersRequest bad = request;
    bad.__set_k(k);
    INFO("k " << k);
    CHECK(both(*operator_key, bad).rfind("InvalidArgument: RecommendPartnersRequest.k", 0) == 0);
  }
  rpc::RecommendPartnersRequest unknown = request;
  unknown.merchant_id = "m_nobody";
  CHECK(both(*operator_key, unknown).rfind("NotFound: ", 0) == 0);
  unknown.merchant_id = "";
  CHECK(both(*operator_key, unknown).rfind("InvalidArgument: ", 0) == 0);
  rpc::RecommendPartnersRequest filtered = request;
  rpc::PartnerFilters filters;
  filters.__set_regions({"atlantis"});
  filtered.__set_filters(filters);
  CHECK(both(*operator_key, filtered) ==
        "InvalidArgument: filters.regions: unknown region \"atlantis\"");
  filters = {};
  filters.__set_candidates(0);
  filtered.__set_filters(filters);
  CHECK(both(*operator_key, filtered).rfind("InvalidArgument: PartnerFilters.candidates", 0) == 0);
  // Set but all at their defaults: the precomputed answer.
  filtered.__set_filters(rpc::PartnerFilters{});
  CHECK(both(*bakery_key, filtered).empty());
  handler.RecommendPartnersBorrowed(*bakery_key, filtered, &borrowed);
  CHECK(borrowed.precomputed);
  std::filesystem::remove_all(dir);
}
