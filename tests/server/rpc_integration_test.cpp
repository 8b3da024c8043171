// Integration tests: the server binary on a free loopback port, called from C++ through
// RpcClient. They serve the engine chosen in CMakeLists.txt (fixture or real, see
// server_harness.hpp) and assert only what holds for a model of datasets/tiny (its README).
#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "partnergraph/engine/engine.hpp"
#include "server_harness.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// m_bakery's partners never include itself, its declared competitor, the blocked pair, or the
// merchant that opted out of discovery (datasets/tiny/README.md).
const std::set<std::string> kNeverPartnersOfBakery = {"m_bakery", "m_bakery2", "m_hardware",
                                                      "m_cheese"};

std::set<std::string> Ids(const std::vector<PartnerView>& partners) {
  std::set<std::string> ids;
  for (const auto& p : partners) ids.insert(p.merchant_id);
  return ids;
}

}  // namespace

TEST_CASE("the server prints one ready line naming host and the port it picked", "[server]") {
  auto server = ServerProcess::Start();
  CHECK(server->port() > 0);
  CHECK(server->ready_line().find("listening on 127.0.0.1:" + std::to_string(server->port())) !=
        std::string::npos);
  CHECK(server->Log().find("[info] listening on 127.0.0.1:") != std::string::npos);
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("every call answers over the binary protocol", "[server]") {
  auto server = ServerProcess::Start();
  auto client = server->Connect();

  auto health = client->Health();
  REQUIRE(health.ok());
  CHECK(health->status == "ok");
  CHECK(health->caller_role == "operator");  // no keys file: loopback callers are operators
  CHECK(!health->version.empty());
  CHECK(health->uptime_seconds >= 0);

  auto stats = client->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->engine.merchants == 6);
  CHECK(stats->engine.skus == 9);
  CHECK(stats->engine.customers == 12);
  CHECK(stats->engine.order_lines == 30);
  CHECK(stats->requests_served >= 1);  // the Health above

  auto bakery = client->GetMerchant("m_bakery");
  REQUIRE(bakery.ok());
  CHECK(bakery->name == "Sunrise Bakery");
  CHECK(bakery->category == "bakery");
  CHECK(bakery->region == "north");
  CHECK(bakery->sku_count == 2);
  auto cheese = client->GetMerchant("m_cheese");
  REQUIRE(cheese.ok());
  CHECK(cheese->name == "Curd & Rind, Cheesemonger");
  CHECK_FALSE(cheese->discoverable);
  CHECK_FALSE(cheese->allow_coupons);

  SECTION("ListMerchants pages through every merchant") {
    client::ListMerchantsQuery query;
    query.page_size = 4;
    auto first = client->ListMerchants(query);
    REQUIRE(first.ok());
    CHECK(first->total == 6);
    CHECK(first->merchants.size() == 4);
    REQUIRE(first->next_page_token.has_value());
    query.page_token = first->next_page_token;
    auto second = client->ListMerchants(query);
    REQUIRE(second.ok());
    CHECK(second->merchants.size() == 2);
    CHECK_FALSE(second->next_page_token.has_value());
    std::set<std::string> ids;
    for (const auto& page : {*first, *second}) {
      for (const auto& m : page.merchants) ids.insert(m.merchant_id);
    }
    CHECK(ids == std::set<std::string>{"m_bakery", "m_bakery2", "m_florist", "m_wine",
                                       "m_hardware", "m_cheese"});
    client::ListMerchantsQuery bakeries;
    bakeries.category = "bakery";
    auto filtered = client->ListMerchants(bakeries);
    REQUIRE(filtered.ok());
    CHECK(filtered->total == 2);
  }

  SECTION("RecommendPartners gives m_bakery's right answers and never a forbidden one") {
    auto answer = client->RecommendPartners("m_bakery", 5);
    REQUIRE(answer.ok());
    REQUIRE_FALSE(answer->partners.empty());
    for (const auto& p : answer->partners) {
      INFO(p.merchant_id);
      CHECK(kNeverPartnersOfBakery.count(p.merchant_id) == 0);
      CHECK(!p.name.empty());
      CHECK(p.shared_segments.size() <= 3);
    }
    CHECK(std::is_sorted(answer->partners.begin(), answer->partners.end(),
                         [](const auto& a, const auto& b) { return a.score > b.score; }));
    auto ids = Ids(answer->partners);
    CHECK((ids.count("m_florist") + ids.count("m_wine")) >= 1);

    auto one = client->RecommendPartners("m_bakery", 1);
    REQUIRE(one.ok());
    CHECK(one->partners.size() == 1);

    PartnerFiltersView filters;
    filters.exclude_categories = {"florist"};
    auto filtered = client->RecommendPartners("m_bakery", 5, filters);
    REQUIRE(filtered.ok());
    CHECK_FALSE(filtered->precomputed);
    CHECK(Ids(filtered->partners).count("m_florist") == 0);
  }

  SECTION("RecommendCouponPairs by merchant and by SKU") {
    auto by_merchant = client->RecommendCouponPairs(std::nullopt, "m_bakery", 10);
    REQUIRE(by_merchant.ok());
    for (const auto& p : by_merchant->pairs) {
      INFO(p.trigger_sku_id << " -> " << p.sku_id << " at " << p.merchant_id);
      CHECK((p.trigger_sku_id == "s_bread" || p.trigger_sku_id == "s_cake"));
      CHECK(kNeverPartnersOfBakery.count(p.merchant_id) == 0);
    }
    auto by_sku = client->RecommendCouponPairs("s_bread", std::nullopt, 3);
    REQUIRE(by_sku.ok());
    CHECK(by_sku->pairs.size() <= 3);
    for (const auto& p : by_sku->pairs) CHECK(p.trigger_sku_id == "s_bread");
  }

  SECTION("ExplainPair says why a competitor is excluded") {
    auto competitor = client->ExplainPair("m_bakery", "m_bakery2");
    REQUIRE(competitor.ok());
    CHECK_FALSE(competitor->excluded_because.empty());
    auto florist = client->ExplainPair("m_bakery", "m_florist");
    REQUIRE(florist.ok());
    CHECK(florist->excluded_because.empty());
  }

  SECTION("OverlapReport between two merchants that share, with the stricter k_min") {
    auto report = client->OverlapReport("m_bakery", "m_florist");
    REQUIRE(report.ok());
    CHECK(report->k_min == 3);  // m_bakery 3, m_florist 2
    for (const auto& s : report->segments) {
      if (s.count) CHECK(*s.count >= report->k_min);
    }
  }
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("the compact protocol serves the same answers", "[server]") {
  ServerStart start;
  start.args = {"--protocol", "compact"};
  auto server = ServerProcess::Start(start);
  CHECK(server->ready_line().find("protocol compact") != std::string::npos);
  auto compact = server->Connect("", client::RpcProtocol::kCompact);
  auto answer = compact->RecommendPartners("m_bakery", 5);
  REQUIRE(answer.ok());
  for (const auto& p : answer->partners) CHECK(kNeverPartnersOfBakery.count(p.merchant_id) == 0);
  REQUIRE(compact->Health().ok());

  // A binary client is a protocol mismatch: that connection fails, the server carries on.
  auto binary = server->Connect("", client::RpcProtocol::kBinary);
  auto mismatch = binary->Health();
  CHECK_FALSE(mismatch.ok());
  CHECK(server->WaitForLog("malformed request"));
  CHECK(compact->Health().ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("typed errors name the problem and leave the connection usable", "[server]") {
  auto server = ServerProcess::Start();
  auto client = server->Connect();

  auto unknown = client->GetMerchant("m_nope");
  CHECK(unknown.status().IsNotFound());
  CHECK(unknown.status().message().find("m_nope") != std::string::npos);

  auto unknown_partners = client->RecommendPartners("m_nope", 5);
  CHECK(unknown_partners.status().IsNotFound());
  auto unknown_sku = client->RecommendCouponPairs("s_nope", std::nullopt, 5);
  CHECK(unknown_sku.status().IsNotFound());
  CHECK(client->ExplainPair("m_bakery", "m_nope").status().IsNotFound());
  CHECK(client->OverlapReport("m_nope", "m_bakery").status().IsNotFound());

  struct Case {
    const char* what;
    Status status;
    const char* names;
  };
  PartnerFiltersView zero_candidates;
  zero_candidates.candidates = 0;
  CouponFiltersView inverted_band;
  inverted_band.min_price = 20;
  inverted_band.max_price = 10;
  client::ListMerchantsQuery zero_page;
  zero_page.page_size = 0;
  std::vector<Case> cases = {
      {"k = 0", client->RecommendPartners("m_bakery", 0).status(), "RecommendPartnersRequest.k"},
      {"k = 101", client->RecommendPartners("m_bakery", 101).status(), "k = 101"},
      {"empty merchant", client->RecommendPartners("", 5).status(), "merchant_id is empty"},
      {"candidates = 0", client->RecommendPartners("m_bakery", 5, zero_candidates).status(),
       "PartnerFilters.candidates"},
      {"both ids", client->RecommendCouponPairs("s_bread", "m_bakery", 5).status(),
       "exactly one of sku_id and merchant_id"},
      {"no id", client->RecommendCouponPairs(std::nullopt, std::nullopt, 5).status(),
       "exactly one of sku_id and merchant_id"},
      {"price band", client->RecommendCouponPairs(std::nullopt, "m_bakery", 5, inverted_band).status(),
       "min_price"},
      {"page size 0", client->ListMerchants(zero_page).status(), "page_size"},
      {"same pair", client->ExplainPair("m_bakery", "m_bakery").status(), "equals merchant_id"},
      {"empty merchant_id", client->GetMerchant("").status(), "merchant_id is empty"},
  };
  for (const auto& c : cases) {
    INFO(c.what << ": " << c.status.ToString());
    CHECK(c.status.IsInvalidArgument());
    CHECK(c.status.message().find(c.names) != std::string::npos);
  }

  // m_wine did not opt in to share overlaps.
  auto not_shared = client->OverlapReport("m_bakery", "m_wine");
  CHECK(not_shared.status().IsPermissionDenied());

  // Still the same connection, still answering.
  CHECK(client->Health().ok());
  auto stats = client->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->requests_failed >= static_cast<std::int64_t>(cases.size()) + 6);
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("API keys: a merchant key sees only its own merchant, an operator sees all",
          "[server]") {
  TestKeys keys = MakeTestKeys("tenancy", {"m_bakery", "m_florist"});
  ServerStart start;
  start.args = {"--keys", keys.file.string()};
  auto server = ServerProcess::Start(start);
  CHECK(server->Log().find("loaded 3 API keys") != std::string::npos);

  auto op = server->Connect(keys.operator_key);
  auto bakery = server->Connect(keys.MerchantKey("m_bakery"));

  SECTION("the operator key") {
    auto health = op->Health();
    REQUIRE(health.ok());
    CHECK(health->caller_role == "operator");
    CHECK(op->Stats().ok());
    CHECK(op->ListMerchants({}).ok());
    CHECK(op->GetMerchant("m_florist").ok());
    CHECK(op->RecommendPartners("m_wine", 3).ok());
    CHECK(op->RecommendCouponPairs("s_bread", std::nullopt, 3).ok());
    CHECK(op->GetMerchant("m_nope").status().IsNotFound());
  }

  SECTION("a merchant key on its own merchant") {
    auto health = bakery->Health();
    REQUIRE(health.ok());
    CHECK(health->caller_role == "merchant:m_bakery");
    auto self = bakery->GetMerchant("m_bakery");
    REQUIRE(self.ok());
    CHECK(self->name == "Sunrise Bakery");
    CHECK(bakery->RecommendPartners("m_bakery", 5).ok());
    CHECK(bakery->RecommendCouponPairs(std::nullopt, "m_bakery", 5).ok());
    CHECK(bakery->ExplainPair("m_bakery", "m_florist").ok());
    CHECK(bakery->OverlapReport("m_bakery", "m_florist").ok());
  }

  SECTION("a merchant key on another merchant: denied, the same whether it exists or not") {
    auto existing = bakery->GetMerchant("m_florist");
    auto missing = bakery->GetMerchant("m_nope");
    REQUIRE(existing.status().IsPermissionDenied());
    REQUIRE(missing.status().IsPermissionDenied());
    CHECK(existing.status().message() == missing.status().message());
    CHECK(existing.status().message().find("m_florist") == std::string::npos);

    auto partners_existing = bakery->RecommendPartners("m_florist", 5);
    auto partners_missing = bakery->RecommendPartners("m_nope", 5);
    REQUIRE(partners_existing.status().IsPermissionDenied());
    CHECK(partners_existing.status().message() == partners_missing.status().message());

    CHECK(bakery->RecommendCouponPairs(std::nullopt, "m_florist", 5).status().IsPermissionDenied());
    auto sku_existing = bakery->RecommendCouponPairs("s_roses", std::nullopt, 5);
    auto sku_missing = bakery->RecommendCouponPairs("s_nope", std::nullopt, 5);
    REQUIRE(sku_existing.status().IsPermissionDenied());
    CHECK(sku_existing.status().message() == sku_missing.status().message());
    CHECK(bakery->ExplainPair("m_florist", "m_bakery").status().IsPermissionDenied());
    CHECK(bakery->OverlapReport("m_florist", "m_bakery").status().IsPermissionDenied());
  }

  SECTION("operator-only calls") {
    CHECK(bakery->Stats().status().IsPermissionDenied());
    CHECK(bakery->ListMerchants({}).status().IsPermissionDenied());
  }

  SECTION("unknown and missing keys") {
    auto stranger = server->Connect("pg_not_a_key");
    auto denied = stranger->Health();
    REQUIRE(denied.status().IsPermissionDenied());
    CHECK(denied.status().message() == "unknown API key");
    CHECK(stranger->GetMerchant("m_bakery").status().IsPermissionDenied());
    auto nobody = server->Connect("");
    auto missing = nobody->RecommendPartners("m_bakery", 5);
    REQUIRE(missing.status().IsPermissionDenied());
    CHECK(missing.status().message() == "missing API key");
    // A refused call does not close the connection: the same client may switch keys.
    stranger->set_api_key(keys.operator_key);
    CHECK(stranger->Health().ok());
  }
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("the server refuses to start when it should", "[server]") {
  auto model = IntegrationModelDir().string();
  auto server = IntegrationServerBinary();

  SECTION("a non-loopback host without a keys file") {
    auto r = RunProcess(server, {"--model", model, "--host", "0.0.0.0", "--port", "0"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("refusing to listen on 0.0.0.0 without --keys") != std::string::npos);
    CHECK(r.out.empty());
  }
  SECTION("a non-loopback host with a keys file is allowed") {
    TestKeys keys = MakeTestKeys("any_host", {});
    ServerStart start;
    start.args = {"--host", "0.0.0.0", "--keys", keys.file.string()};
    auto open = ServerProcess::Start(start);
    CHECK(open->ready_line().find("listening on 0.0.0.0:") != std::string::npos);
    CHECK(open->Stop(SIGTERM) == 0);
  }
  SECTION("a damaged keys file names its line") {
    auto dir = FreshTempDir("server_bad_keys");
    std::ofstream(dir / "keys.tsv") << "not-a-hash\toperator\tops\n";
    auto r = RunProcess(server, {"--model", model, "--port", "0", "--keys",
                                 (dir / "keys.tsv").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("keys.tsv:1") != std::string::npos);
  }
  SECTION("a missing model folder") {
    auto r = RunProcess(server, {"--model", "/nonexistent/model", "--port", "0"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("/nonexistent/model") != std::string::npos);
  }
  SECTION("usage errors") {
    CHECK(RunProcess(server, {"--model", model, "--protocol", "json"}).exit_code == 1);
    CHECK(RunProcess(server, {"--model", model, "--server-type", "forking"}).exit_code == 1);
    CHECK(RunProcess(server, {"--port", "0"}).exit_code == 1);  // --model is required
    auto range = RunProcess(server, {"--model", model, "--port", "0", "--max-connections", "0"});
    CHECK(range.exit_code == 1);
    CHECK(range.err.find("max connections = 0") != std::string::npos);
  }
  SECTION("a port already in use") {
    auto first = ServerProcess::Start();
    auto r = RunProcess(server, {"--model", model, "--port", std::to_string(first->port())});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("127.0.0.1:" + std::to_string(first->port())) != std::string::npos);
    CHECK(first->Stop(SIGTERM) == 0);
  }
}

TEST_CASE("SIGINT stops the server like SIGTERM", "[server]") {
  auto server = ServerProcess::Start();
  auto client = server->Connect();
  REQUIRE(client->Health().ok());
  CHECK(server->Stop(SIGINT) == 0);
  CHECK(server->Log().find("SIGINT: stopped accepting") != std::string::npos);
  CHECK(server->Log().find("[info] stopped") != std::string::npos);
}

TEST_CASE("answers over the wire equal the in-process engine's", "[server]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the integration tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  auto engine = Engine::Open(IntegrationModelDir());
  REQUIRE(engine.ok());
  auto page = (*engine)->ListMerchants(std::nullopt, 100, "", "");
  REQUIRE(page.ok());
  REQUIRE(page->merchants.size() == 6);
  std::vector<std::string> ids;
  for (const auto& m : page->merchants) ids.push_back(m.merchant_id);
  TestKeys keys = MakeTestKeys("wire_equals_engine", ids);
  ServerStart start;
  start.args = {"--keys", keys.file.string()};
  auto server = ServerProcess::Start(start);
  auto operator_client = server->Connect(keys.operator_key);

  // Each merchant's own key gets the merchant view, the operator key the operator's.
  for (const auto& m : page->merchants)
  for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
    auto merchant_client = audience == Audience::kMerchant
                               ? server->Connect(keys.MerchantKey(m.merchant_id))
                               : nullptr;
    client::RpcClient* client =
        merchant_client ? merchant_client.get() : operator_client.get();
    PartnerFiltersView plain;
    plain.audience = audience;
    PartnerFiltersView live = plain;
    live.include_existing_partners = true;
    CouponFiltersView band;
    band.audience = audience;
    band.max_price = 25;
    CouponFiltersView plain_coupons;
    plain_coupons.audience = audience;
    for (const PartnerFiltersView& filters : {plain, live}) {
      INFO(m.merchant_id << (filters.is_default() ? " default filters" : " live filters")
                         << ", " << ToString(audience) << " view");
      auto local = (*engine)->RecommendPartners(m.merchant_id, 10, filters);
      auto remote = client->RecommendPartners(m.merchant_id, 10, filters);
      REQUIRE(local.ok() == remote.ok());
      if (!local.ok()) {
        CHECK(local.status().code() == remote.status().code());
        continue;
      }
      CHECK(local->precomputed == remote->precomputed);
      REQUIRE(local->partners.size() == remote->partners.size());
      for (std::size_t i = 0; i < local->partners.size(); ++i) {
        const auto& a = local->partners[i];
        const auto& b = remote->partners[i];
        CHECK(a.merchant_id == b.merchant_id);
        CHECK(a.score == b.score);  // doubles cross the wire bit for bit
        CHECK(a.components.audience_similarity == b.components.audience_similarity);
        CHECK(a.components.shared_reach == b.components.shared_reach);
        CHECK(a.components.long_tail_boost == b.components.long_tail_boost);
        CHECK(a.shared_customers == b.shared_customers);
        REQUIRE(a.shared_segments.size() == b.shared_segments.size());
        for (std::size_t s = 0; s < a.shared_segments.size(); ++s) {
          CHECK(a.shared_segments[s].segment_id == b.shared_segments[s].segment_id);
          CHECK(a.shared_segments[s].count == b.shared_segments[s].count);
        }
      }
    }
    for (const CouponFiltersView& filters : {plain_coupons, band}) {
      INFO(m.merchant_id << " coupons" << (filters.is_default() ? "" : " with a price band")
                         << ", " << ToString(audience) << " view");
      auto local = (*engine)->RecommendCouponPairs("", m.merchant_id, 10, filters);
      auto remote = client->RecommendCouponPairs(std::nullopt, m.merchant_id, 10, filters);
      REQUIRE(local.ok() == remote.ok());
      if (!local.ok()) continue;
      CHECK(local->precomputed == remote->precomputed);
      REQUIRE(local->pairs.size() == remote->pairs.size());
      for (std::size_t i = 0; i < local->pairs.size(); ++i) {
        CHECK(local->pairs[i].sku_id == remote->pairs[i].sku_id);
        CHECK(local->pairs[i].trigger_sku_id == remote->pairs[i].trigger_sku_id);
        CHECK(local->pairs[i].score == remote->pairs[i].score);
        CHECK(local->pairs[i].support == remote->pairs[i].support);
        CHECK(local->pairs[i].reach == remote->pairs[i].reach);
      }
    }
  }
  CHECK(server->Stop(SIGTERM) == 0);
}
