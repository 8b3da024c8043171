// The serving fast path (server/serving_processor.hpp): a RecommendPartners answer, precomputed or
// live, written straight from the model must be byte for byte what the generated serialiser
// writes for the same answer (the Engine's RecommendPartners views, converted here to the wire
// structs), in both protocols; and the borrowed call must refuse what the Engine refuses, with
// the typed exception and the Engine's one message.
#include "serving_processor.hpp"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "handler.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/engine/engine.hpp"
#include "server_harness.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;
namespace at = apache::thrift;

namespace {

std::shared_ptr<at::protocol::TProtocol> ProtocolOn(
    const std::shared_ptr<at::transport::TMemoryBuffer>& buffer, bool compact) {
  if (compact) return std::make_shared<at::protocol::TCompactProtocol>(buffer);
  return std::make_shared<at::protocol::TBinaryProtocol>(buffer);
}

rpc::ScoreComponents ToWire(const ScoreComponentsView& c) {
  rpc::ScoreComponents out;
  out.audience_similarity = c.audience_similarity;
  out.category_complementarity = c.category_complementarity;
  out.shared_reach = c.shared_reach;
  out.competition_penalty = c.competition_penalty;
  out.long_tail_boost = c.long_tail_boost;
  return out;
}

// The reference: the wire structs of `answer` as the IDL defines them, independent of
// WritePartnersReply.
rpc::RecommendPartnersResponse ToWire(const PartnerAnswer& answer) {
  rpc::RecommendPartnersResponse out;
  for (const PartnerView& p : answer.partners) {
    rpc::PartnerRecommendation w;
    w.merchant_id = p.merchant_id;
    w.name = p.name;
    w.category = p.category;
    w.region = p.region;
    w.score = p.score;
    w.components = ToWire(p.components);
    for (const SharedSegmentView& s : p.shared_segments) {
      rpc::SharedSegment ws;
      ws.segment_id = s.segment_id;
      ws.description = s.description;
      if (s.count) ws.__set_count(*s.count);
      ws.suppressed = !s.count.has_value();
      w.shared_segments.push_back(std::move(ws));
    }
    if (p.shared_customers) w.__set_shared_customers(*p.shared_customers);
    out.partners.push_back(std::move(w));
  }
  out.precomputed = answer.precomputed;
  return out;
}

// The reply message the generated serialiser writes for `answer`.
std::string GeneratedReply(const PartnerAnswer& answer, bool compact) {
  rpc::PartnerGraph_RecommendPartners_result result;
  result.success = ToWire(answer);
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

// The request variants of every answer checked: default filters (precomputed) and live ones,
// as sent on the wire and as the Engine takes them for an operator.
struct FilterVariant {
  rpc::PartnerFilters wire;
  PartnerFiltersView view;
};

std::vector<FilterVariant> FilterVariants(const Engine& engine) {
  std::vector<FilterVariant> out(1);  // unset: default
  out[0].view.audience = Audience::kOperator;
  auto bakery = engine.GetMerchant("m_bakery");
  REQUIRE(bakery.ok());
  FilterVariant v = out[0];
  v.wire.__set_include_existing_partners(true);
  v.view.include_existing_partners = true;
  out.push_back(v);
  v = out[0];
  v.wire.__set_regions({bakery->region});
  v.view.regions = {bakery->region};
  out.push_back(v);
  v = out[0];
  v.wire.__set_candidates(3);
  v.view.candidates = 3;
  out.push_back(v);
  v = out[0];
  v.wire.__set_long_tail_boost(0.5);
  v.wire.__set_exclude_categories({bakery->category});
  v.view.long_tail_boost = 0.5;
  v.view.exclude_categories = {bakery->category};
  out.push_back(v);
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
  std::shared_ptr<const Engine> engine = OpenIntegrationEngine();
  {
    server::PartnerGraphHandler handler(engine, std::nullopt);
    auto page = engine->ListMerchants(std::nullopt, 100, "", "");
    REQUIRE(page.ok());
    REQUIRE(page->merchants.size() == 6);
    int precomputed = 0, live = 0, partners = 0, counted = 0, suppressed = 0, unset_customers = 0;
    BorrowedPartnerAnswer borrowed;  // reused, as on a server thread
    std::shared_ptr<const Engine> held;  // the Engine `borrowed` points into
    for (const auto& m : page->merchants) {
      for (int k : {1, 3, 10}) {
        for (const FilterVariant& filters : FilterVariants(*engine)) {
          INFO(m.merchant_id << " k=" << k);
          rpc::RecommendPartnersRequest request;
          request.merchant_id = m.merchant_id;
          request.__set_k(k);
          if (filters.wire != rpc::PartnerFilters{}) request.__set_filters(filters.wire);
          handler.RecommendPartnersBorrowed("", request, &borrowed, &held);
          auto views = engine->RecommendPartners(m.merchant_id, k, filters.view);
          REQUIRE(views.ok());
          (borrowed.precomputed ? precomputed : live)++;
          for (const auto& p : borrowed.partners) {
            ++partners;
            if (!p.shared_customers) ++unset_customers;
            for (const auto& s : p.shared_segments) (s.count ? counted : suppressed)++;
          }
          for (bool compact : {false, true}) {
            INFO((compact ? "compact" : "binary"));
            CHECK(FastReply(borrowed, compact) == GeneratedReply(*views, compact));
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

TEST_CASE("the borrowed call refuses what the Engine refuses, with its message", "[server]") {
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
  std::shared_ptr<const Engine> held;
  auto fast = [&](const std::string& key, const rpc::RecommendPartnersRequest& request) {
    return Outcome([&] { handler.RecommendPartnersBorrowed(key, request, &borrowed, &held); });
  };
  // What the Engine answers an operator for the same request, as "Type: message".
  auto engine_says = [&](const rpc::RecommendPartnersRequest& request, PartnerFiltersView f) {
    f.audience = Audience::kOperator;
    const Status s = engine->RecommendPartners(request.merchant_id, request.k, f).status();
    if (s.ok()) return std::string();
    return (s.IsNotFound()          ? "NotFound: "
            : s.IsInvalidArgument() ? "InvalidArgument: "
                                    : "?: ") +
           s.message();
  };
  // The fast path's outcome for an operator; it must be the Engine's.
  auto refused = [&](const rpc::RecommendPartnersRequest& request, const PartnerFiltersView& f) {
    const std::string got = fast(*operator_key, request);
    CHECK(got == engine_says(request, f));
    return got;
  };
  rpc::RecommendPartnersRequest request;
  request.merchant_id = "m_bakery";
  request.__set_k(10);
  CHECK(fast(*operator_key, request).empty());
  CHECK(fast(*bakery_key, request).empty());

  rpc::RecommendPartnersRequest other = request;
  other.merchant_id = "m_florist";
  CHECK(fast(*bakery_key, other).rfind("PermissionDenied: ", 0) == 0);
  CHECK(fast(*operator_key, other).empty());
  other.merchant_id = "m_nobody";  // refused as a merchant that exists: nothing revealed
  CHECK(fast(*bakery_key, other).rfind("PermissionDenied: ", 0) == 0);
  other.k = 0;  // the role is checked before the request's values
  CHECK(fast(*bakery_key, other).rfind("PermissionDenied: ", 0) == 0);
  CHECK(fast("", request).rfind("PermissionDenied: ", 0) == 0);
  CHECK(fast("pg_not_a_key", request).rfind("PermissionDenied: ", 0) == 0);
  for (int k : {0, -1, 101, 1000}) {
    rpc::RecommendPartnersRequest bad = request;
    bad.__set_k(k);
    INFO("k " << k);
    CHECK(refused(bad, {}) == "InvalidArgument: RecommendPartnersRequest.k = " + std::to_string(k) +
                                  " is out of range 1..100");
    CHECK(fast(*bakery_key, bad) == refused(bad, {}));
  }
  rpc::RecommendPartnersRequest unknown = request;
  unknown.merchant_id = "m_nobody";
  CHECK(refused(unknown, {}).rfind("NotFound: ", 0) == 0);
  unknown.merchant_id = "";
  CHECK(refused(unknown, {}) == "InvalidArgument: RecommendPartnersRequest.merchant_id is empty");
  rpc::RecommendPartnersRequest filtered = request;
  rpc::PartnerFilters filters;
  PartnerFiltersView view;
  filters.__set_regions({"atlantis"});
  view.regions = {"atlantis"};
  filtered.__set_filters(filters);
  CHECK(refused(filtered, view) == "InvalidArgument: filters.regions: unknown region \"atlantis\"");
  filters = {};
  view = {};
  filters.__set_candidates(0);
  view.candidates = 0;
  filtered.__set_filters(filters);
  CHECK(refused(filtered, view) ==
        "InvalidArgument: PartnerFilters.candidates = 0 is out of range 1..10000");
  filters = {};
  view = {};
  filters.__set_long_tail_boost(200);
  view.long_tail_boost = 200;
  filtered.__set_filters(filters);
  CHECK(refused(filtered, view) ==
        "InvalidArgument: PartnerFilters.long_tail_boost = 200 is out of range 0..100");
  filters.__set_long_tail_boost(std::numeric_limits<double>::infinity());
  view.long_tail_boost = std::numeric_limits<double>::infinity();
  filtered.__set_filters(filters);
  CHECK(refused(filtered, view) ==
        "InvalidArgument: PartnerFilters.long_tail_boost is not a finite number");
  // Set but all at their defaults: the precomputed answer.
  filtered.__set_filters(rpc::PartnerFilters{});
  CHECK(fast(*bakery_key, filtered).empty());
  handler.RecommendPartnersBorrowed(*bakery_key, filtered, &borrowed, &held);
  CHECK(borrowed.precomputed);
  // The copying method of the generated interface is not a way in: ServingProcessor answers
  // RecommendPartners.
  rpc::RecommendPartnersResponse response;
  CHECK(Outcome([&] { handler.RecommendPartners(response, *operator_key, request); }) ==
        "Unavailable: internal error while answering; the server logged the cause");
  std::filesystem::remove_all(dir);
}
