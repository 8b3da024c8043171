// The engine over a real model folder built from datasets/tiny: the partner
// and coupon answers the fixture was designed for, every filter, privacy
// suppression, precomputed == live, the SKU neighbour lists read unchanged, and
// damaged or mismatched model parts; and the Engine's request contract (every request checked
// against Limits() before an implementation answers). Over 600 lines until that last test moves
// to its own engine_requests_test.cpp (tests/engine/CMakeLists.txt does not list it yet).
#include "partnergraph/engine/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"
#include "tiny_model.hpp"

using namespace partnergraph;

namespace {

// datasets/tiny's model with models/default.json, except item2vec's min_count when
// `sku_min_count` > 0: the tiny fixture's SKUs are bought fewer than 5 times each, so under
// the default none gets a vector.
std::filesystem::path BuildTinyModel(const std::string& name, GraphOptions graph_options = {},
                                     int sku_min_count = 0) {
  if (sku_min_count == 0) return testing::BuildTinyModel(name, graph_options);
  return testing::BuildTinyModel(name, graph_options, [&](nlohmann::json& config) {
    config["embed"]["sku_item2vec"]["sequences"]["min_count"] = sku_min_count;
  });
}

const std::filesystem::path& TinyModel() {
  static const std::filesystem::path dir = BuildTinyModel("engine_tiny_model");
  return dir;
}

std::shared_ptr<const Engine> OpenTiny() {
  auto engine = Engine::Open(TinyModel());
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return *engine;
}

std::set<std::string> Ids(const PartnerAnswer& a) {
  std::set<std::string> out;
  for (const auto& p : a.partners) out.insert(p.merchant_id);
  return out;
}

}  // namespace

TEST_CASE("The bakery's partners are the florist and the wine shop", "[engine]") {
  auto engine = OpenTiny();
  auto answer = engine->RecommendPartners("m_bakery", 10, {});
  REQUIRE(answer.ok());
  CHECK(Ids(*answer) == std::set<std::string>{"m_florist", "m_wine"});
  for (const auto& p : answer->partners) {
    CHECK(p.merchant_id != "m_bakery2");  // a declared competitor: never
    CHECK(p.components.competition_penalty == 0.0);
    CHECK(p.components.category_complementarity >= 0.0);
    CHECK(p.shared_segments.size() <= 3);
  }
  // Sorted by score, best first.
  REQUIRE(answer->partners.size() == 2);
  CHECK(answer->partners[0].score >= answer->partners[1].score);
}

TEST_CASE("Each partner filter removes what it says", "[engine]") {
  auto engine = OpenTiny();
  SECTION("categories keeps only the listed categories") {
    PartnerFiltersView f;
    f.categories = {"wine"};
    auto a = engine->RecommendPartners("m_bakery", 10, f);
    REQUIRE(a.ok());
    CHECK(Ids(*a) == std::set<std::string>{"m_wine"});
    CHECK_FALSE(a->precomputed);
  }
  SECTION("exclude_categories drops them") {
    PartnerFiltersView f;
    f.exclude_categories = {"wine"};
    auto a = engine->RecommendPartners("m_bakery", 10, f);
    REQUIRE(a.ok());
    CHECK(Ids(*a) == std::set<std::string>{"m_florist"});
  }
  SECTION("regions: the only southern merchants are blocked or opted out") {
    PartnerFiltersView f;
    f.regions = {"south"};
    auto a = engine->RecommendPartners("m_bakery", 10, f);
    REQUIRE(a.ok());
    CHECK(a->partners.empty());
  }
  SECTION("existing partners only when asked") {
    auto without = engine->RecommendPartners("m_florist", 10, {});
    REQUIRE(without.ok());
    CHECK(Ids(*without).count("m_hardware") == 0);
    PartnerFiltersView f;
    f.include_existing_partners = true;
    auto with = engine->RecommendPartners("m_florist", 10, f);
    REQUIRE(with.ok());
    CHECK(Ids(*with).count("m_hardware") == 1);
  }
  SECTION("opted-out merchants are never suggested, to anyone") {
    for (const char* m : {"m_bakery", "m_bakery2", "m_florist", "m_wine", "m_hardware"}) {
      auto a = engine->RecommendPartners(m, 10, {});
      REQUIRE(a.ok());
      CHECK(Ids(*a).count("m_cheese") == 0);
    }
  }
  SECTION("blocked pairs never appear") {
    auto a = engine->RecommendPartners("m_hardware", 10, {});
    REQUIRE(a.ok());
    CHECK(Ids(*a).count("m_bakery") == 0);
  }
  SECTION("tiers must be known") {
    PartnerFiltersView f;
    f.tiers = {"platinum"};
    auto a = engine->RecommendPartners("m_bakery", 10, f);
    CHECK(a.status().IsInvalidArgument());
    f.tiers = {"gold", "silver", "bronze"};
    auto all = engine->RecommendPartners("m_bakery", 10, f);
    REQUIRE(all.ok());
    CHECK(Ids(*all) == std::set<std::string>{"m_florist", "m_wine"});
  }
  SECTION("unknown regions and categories are named") {
    PartnerFiltersView f;
    f.regions = {"atlantis"};
    auto a = engine->RecommendPartners("m_bakery", 10, f);
    REQUIRE(a.status().IsInvalidArgument());
    CHECK(a.status().message().find("atlantis") != std::string::npos);
  }
}

TEST_CASE("Counts below the pair's k_min are suppressed, never rounded", "[engine]") {
  auto engine = OpenTiny();
  // bakery k_min 3, florist 2: the pair's k_min is 3; 6 shared customers, both share.
  auto florist = engine->ExplainPair("m_bakery", "m_florist", Audience::kOperator);
  REQUIRE(florist.ok());
  REQUIRE(florist->shared_customers.has_value());
  CHECK(*florist->shared_customers == 6);
  // bakery and cheese share 2 customers (c01, c03) < 3: suppressed.
  auto cheese = engine->ExplainPair("m_bakery", "m_cheese", Audience::kOperator);
  REQUIRE(cheese.ok());
  CHECK_FALSE(cheese->shared_customers.has_value());
  for (const auto& s : cheese->shared_segments) CHECK_FALSE(s.count.has_value());
  CHECK(std::find(cheese->excluded_because.begin(), cheese->excluded_because.end(),
                  "opted out of discovery") != cheese->excluded_because.end());
  // wine (k_min 5, does not share overlaps): the total shows (6 >= 5), segment counts never.
  auto wine = engine->ExplainPair("m_bakery", "m_wine", Audience::kOperator);
  REQUIRE(wine.ok());
  REQUIRE(wine->shared_customers.has_value());
  CHECK(*wine->shared_customers == 6);
  CHECK_FALSE(wine->shared_segments.empty());
  for (const auto& s : wine->shared_segments) CHECK_FALSE(s.count.has_value());
  // Every shown segment count respects k_min.
  for (const auto& s : florist->shared_segments) {
    if (s.count) CHECK(*s.count >= 3);
  }
  auto competitor = engine->ExplainPair("m_bakery", "m_bakery2", Audience::kOperator);
  REQUIRE(competitor.ok());
  CHECK(competitor->components.competition_penalty == 1.0);
  CHECK_FALSE(competitor->excluded_because.empty());
}

TEST_CASE("Overlap reports need both merchants to share", "[engine]") {
  auto engine = OpenTiny();
  auto shared = engine->OverlapReport("m_bakery", "m_florist", Audience::kOperator);
  REQUIRE(shared.ok());
  CHECK(shared->k_min == 3);
  std::int64_t sum = 0;
  for (const auto& s : shared->segments) {
    if (s.count) {
      CHECK(*s.count >= 3);
      sum += *s.count;
    }
  }
  CHECK(sum <= 6);
  CHECK(engine->OverlapReport("m_bakery", "m_wine", Audience::kOperator).status().IsPermissionDenied());
  CHECK(engine->OverlapReport("m_bakery", "nope", Audience::kOperator).status().IsNotFound());
}

TEST_CASE("A merchant gets one answer for an unknown, opted-out or non-sharing merchant",
          "[engine][privacy]") {
  auto engine = OpenTiny();
  // cheese opted out of discovery; wine does not share overlaps; "m_nope" does not exist.
  auto masked = [](const Status& s, const std::string& id) {
    std::string text = s.ToString();
    for (auto at = text.find(id); at != std::string::npos; at = text.find(id)) {
      text.replace(at, id.size(), "<id>");
    }
    return text;
  };
  const Status unknown =
      engine->ExplainPair("m_bakery", "m_nope", Audience::kMerchant).status();
  REQUIRE(unknown.IsNotFound());
  const Status opted_out =
      engine->ExplainPair("m_bakery", "m_cheese", Audience::kMerchant).status();
  CHECK(masked(opted_out, "m_cheese") == masked(unknown, "m_nope"));
  for (const char* other : {"m_nope", "m_cheese", "m_wine"}) {
    INFO(other);
    const Status s = engine->OverlapReport("m_bakery", other, Audience::kMerchant).status();
    CHECK(masked(s, other) == masked(unknown, "m_nope"));
  }
  // A visible merchant's explanation never names the other side's settings.
  auto wine = engine->ExplainPair("m_bakery", "m_wine", Audience::kMerchant);
  REQUIRE(wine.ok());
  for (const auto& reason : wine->excluded_because) {
    CHECK(reason.find("opted out") == std::string::npos);
    CHECK(reason.find("blocked") == std::string::npos);
  }
  // The operator still sees each case for what it is.
  CHECK(engine->ExplainPair("m_bakery", "m_nope", Audience::kOperator).status().IsNotFound());
  CHECK(engine->ExplainPair("m_bakery", "m_cheese", Audience::kOperator).ok());
  CHECK(engine->OverlapReport("m_bakery", "m_wine", Audience::kOperator)
            .status()
            .IsPermissionDenied());
  // The caller's own setting is no secret to it: a merchant that does not share is told so.
  auto own = engine->OverlapReport("m_wine", "m_bakery", Audience::kMerchant);
  CHECK(own.status().IsPermissionDenied());
  CHECK(own.status().message().find("m_wine") != std::string::npos);
}

TEST_CASE("Page tokens are opaque and continue only the listing that issued them",
          "[engine]") {
  auto engine = OpenTiny();
  auto first = engine->ListMerchants(std::nullopt, 2, "", "");
  REQUIRE(first.ok());
  REQUIRE(first->next_page_token.has_value());
  const std::string token = *first->next_page_token;
  CHECK(token != "2");  // not the plain offset
  auto second = engine->ListMerchants(token, 2, "", "");
  REQUIRE(second.ok());
  REQUIRE(second->merchants.size() == 2);
  CHECK(second->merchants[0].merchant_id != first->merchants[0].merchant_id);
  // Walking every page lists every merchant once.
  std::set<std::string> seen;
  std::optional<std::string> next;
  do {
    auto page = engine->ListMerchants(next, 2, "", "");
    REQUIRE(page.ok());
    for (const auto& m : page->merchants) CHECK(seen.insert(m.merchant_id).second);
    next = page->next_page_token;
  } while (next);
  CHECK(seen.size() == 6);
  // A token of another listing (another filter), a typed-in offset, a damaged token and ""
  // are InvalidArgument naming page_token.
  auto north = engine->ListMerchants(std::nullopt, 2, "", "north");
  REQUIRE(north.ok());
  REQUIRE(north->next_page_token.has_value());
  std::string damaged = token;
  damaged[0] = damaged[0] == '0' ? '1' : '0';
  for (const std::string& bad : {*north->next_page_token, std::string("2"), damaged,
                                  std::string(""), token + "0"}) {
    INFO("token \"" << bad << "\"");
    auto page = engine->ListMerchants(bad, 2, "", "");
    REQUIRE(page.status().IsInvalidArgument());
    CHECK(page.status().message().find("page_token") != std::string::npos);
  }
  // The north listing's own token continues it.
  auto north2 = engine->ListMerchants(north->next_page_token, 2, "", "north");
  REQUIRE(north2.ok());
  for (const auto& m : north2->merchants) CHECK(m.region == "north");
}

TEST_CASE("Coupon pairs: co-purchased SKUs of other merchants, never a competitor's",
          "[engine]") {
  auto engine = OpenTiny();
  auto bread = engine->RecommendCouponPairs("s_bread", "", 10, {});
  REQUIRE(bread.ok());
  REQUIRE_FALSE(bread->pairs.empty());
  std::set<std::string> skus;
  for (const auto& p : bread->pairs) {
    skus.insert(p.sku_id);
    CHECK(p.trigger_sku_id == "s_bread");
    CHECK(p.merchant_id != "m_bakery");
    CHECK(p.merchant_id != "m_bakery2");  // competitor
    CHECK(p.merchant_id != "m_cheese");   // does not allow coupons
  }
  CHECK(skus.count("s_roses") + skus.count("s_tulips") + skus.count("s_red") >= 2);
  CHECK(skus.count("s_bread2") == 0);
  CHECK(skus.count("s_brie") == 0);

  CouponFiltersView cheap;
  cheap.max_price = 17.0;
  auto filtered = engine->RecommendCouponPairs("s_bread", "", 10, cheap);
  REQUIRE(filtered.ok());
  for (const auto& p : filtered->pairs) CHECK(p.price <= 17.0);

  auto merchant = engine->RecommendCouponPairs("", "m_bakery", 5, {});
  REQUIRE(merchant.ok());
  CHECK(merchant->precomputed);
  CHECK(engine->RecommendCouponPairs("s_bread", "m_bakery", 5, {}).status().IsInvalidArgument());
  CHECK(engine->RecommendCouponPairs("", "", 5, {}).status().IsInvalidArgument());
  CHECK(engine->RecommendCouponPairs("s_nope", "", 5, {}).status().IsNotFound());
  CouponFiltersView inverted;
  inverted.min_price = 10;
  inverted.max_price = 5;
  CHECK(engine->RecommendCouponPairs("s_bread", "", 5, inverted).status().IsInvalidArgument());
}

TEST_CASE("Precomputed answers equal the live recommender's", "[engine]") {
  auto engine = OpenTiny();
  auto live_engine = Engine::Open(TinyModel(), EngineOptions{1, /*use_precomputed=*/false});
  REQUIRE(live_engine.ok());
  for (const char* m : {"m_bakery", "m_bakery2", "m_florist", "m_wine", "m_hardware", "m_cheese"}) {
    for (int k : {1, 3, 10}) {
      auto pre = engine->RecommendPartners(m, k, {});
      auto live = (*live_engine)->RecommendPartners(m, k, {});
      REQUIRE(pre.ok());
      REQUIRE(live.ok());
      CHECK(pre->precomputed);
      CHECK_FALSE(live->precomputed);
      REQUIRE(pre->partners.size() == live->partners.size());
      for (std::size_t i = 0; i < pre->partners.size(); ++i) {
        CHECK(pre->partners[i].merchant_id == live->partners[i].merchant_id);
        CHECK(pre->partners[i].score == live->partners[i].score);
        CHECK(pre->partners[i].shared_customers == live->partners[i].shared_customers);
        REQUIRE(pre->partners[i].shared_segments.size() ==
                live->partners[i].shared_segments.size());
        for (std::size_t j = 0; j < pre->partners[i].shared_segments.size(); ++j) {
          CHECK(pre->partners[i].shared_segments[j].segment_id ==
                live->partners[i].shared_segments[j].segment_id);
          CHECK(pre->partners[i].shared_segments[j].count ==
                live->partners[i].shared_segments[j].count);
        }
      }
      auto pre_c = engine->RecommendCouponPairs("", m, k, {});
      auto live_c = (*live_engine)->RecommendCouponPairs("", m, k, {});
      REQUIRE(pre_c.ok());
      REQUIRE(live_c.ok());
      REQUIRE(pre_c->pairs.size() == live_c->pairs.size());
      for (std::size_t i = 0; i < pre_c->pairs.size(); ++i) {
        CHECK(pre_c->pairs[i].sku_id == live_c->pairs[i].sku_id);
        CHECK(pre_c->pairs[i].trigger_sku_id == live_c->pairs[i].trigger_sku_id);
        CHECK(pre_c->pairs[i].score == live_c->pairs[i].score);
      }
    }
  }
}

TEST_CASE("Bad requests get InvalidArgument or NotFound naming the field", "[engine]") {
  auto engine = OpenTiny();
  CHECK(engine->RecommendPartners("m_nope", 10, {}).status().IsNotFound());
  auto k0 = engine->RecommendPartners("m_bakery", 0, {});
  REQUIRE(k0.status().IsInvalidArgument());
  CHECK(k0.status().message() == "RecommendPartnersRequest.k = 0 is out of range 1..100");
  // The limits are the model's RecommendOptions (max_k 100 by default).
  CHECK(engine->Limits().max_k == 100);
  CHECK(engine->RecommendPartners("m_bakery", 101, {}).status().IsInvalidArgument());
  PartnerFiltersView f;
  f.candidates = 0;
  CHECK(engine->RecommendPartners("m_bakery", 10, f).status().IsInvalidArgument());
  f.candidates = 20000;
  CHECK(engine->RecommendPartners("m_bakery", 10, f).status().IsInvalidArgument());
  CHECK(engine->GetMerchant("m_nope").status().IsNotFound());
  CHECK(engine->ListMerchants(std::string("garbage"), 10, "", "").status().IsInvalidArgument());
  CHECK(engine->ListMerchants(std::nullopt, 0, "", "").status().IsInvalidArgument());
}

namespace {
// An Engine that answers every checked request with an empty answer and counts them.
class CountingEngine final : public Engine {
 public:
  explicit CountingEngine(RequestLimits limits) : limits_(limits) {}
  EngineStats Stats() const override { return {}; }
  RequestLimits Limits() const override { return limits_; }
  mutable int answered = 0;

 protected:
  Result<MerchantView> AnswerGetMerchant(const std::string&) const override {
    return ++answered, MerchantView{};
  }
  Result<MerchantPage> AnswerListMerchants(const std::optional<std::string>&, int,
                                           const std::string&, const std::string&) const override {
    return ++answered, MerchantPage{};
  }
  Status AnswerPartners(const std::string&, int, const PartnerFiltersView&,
                        BorrowedPartnerAnswer*) const override {
    return ++answered, Status::Ok();
  }
  Result<CouponAnswer> AnswerCouponPairs(const std::string&, const std::string&, int,
                                         const CouponFiltersView&) const override {
    return ++answered, CouponAnswer{};
  }
  Result<PairExplanationView> AnswerExplainPair(const std::string&, const std::string&,
                                                Audience) const override {
    return ++answered, PairExplanationView{};
  }
  Result<OverlapReportView> AnswerOverlapReport(const std::string&, const std::string&,
                                                Audience) const override {
    return ++answered, OverlapReportView{};
  }

 private:
  RequestLimits limits_;
};

std::string Refusal(const Status& s) { return s.IsInvalidArgument() ? s.message() : s.ToString(); }
}  // namespace

TEST_CASE("Every request is checked against Limits() before an implementation answers it",
          "[engine]") {
  RequestLimits limits;
  limits.max_k = 5;
  limits.max_candidates = 50;
  limits.max_page_size = 7;
  CountingEngine e(limits);
  PartnerFiltersView f;
  CHECK(Refusal(e.RecommendPartners("", 3, f).status()) ==
        "RecommendPartnersRequest.merchant_id is empty");
  CHECK(Refusal(e.RecommendPartners("m", 6, f).status()) ==
        "RecommendPartnersRequest.k = 6 is out of range 1..5");
  f.candidates = 51;
  BorrowedPartnerAnswer borrowed;
  CHECK(Refusal(e.BorrowPartners("m", 5, f, &borrowed)) ==
        "PartnerFilters.candidates = 51 is out of range 1..50");
  f.candidates = 50;
  f.long_tail_boost = -0.5;
  CHECK(Refusal(e.RecommendPartners("m", 5, f).status()) ==
        "PartnerFilters.long_tail_boost = -0.5 is out of range 0..100");
  f.long_tail_boost = std::nan("");
  CHECK(Refusal(e.RecommendPartners("m", 5, f).status()) ==
        "PartnerFilters.long_tail_boost is not a finite number");
  CouponFiltersView c;
  CHECK(Refusal(e.RecommendCouponPairs("s", "m", 1, c).status()) ==
        "RecommendCouponPairsRequest: set exactly one of sku_id and merchant_id (non-empty)");
  CHECK(Refusal(e.RecommendCouponPairs("", "m", 0, c).status()) ==
        "RecommendCouponPairsRequest.k = 0 is out of range 1..5");
  c.min_price = -1;
  CHECK(Refusal(e.RecommendCouponPairs("", "m", 1, c).status()) ==
        "CouponFilters.min_price = -1.000000 is not a finite non-negative price");
  c.min_price = 3;
  c.max_price = 2;
  CHECK(Refusal(e.RecommendCouponPairs("", "m", 1, c).status()) ==
        "CouponFilters.min_price is above CouponFilters.max_price");
  CHECK(Refusal(e.ListMerchants(std::nullopt, 8, "", "").status()) ==
        "ListMerchantsRequest.page_size = 8 is out of range 1..7");
  CHECK(Refusal(e.GetMerchant("").status()) == "merchant_id is empty");
  CHECK(Refusal(e.ExplainPair("m", "", Audience::kOperator).status()) ==
        "ExplainPairRequest.other_merchant_id is empty");
  CHECK(Refusal(e.OverlapReport("m", "m", Audience::kOperator).status()) ==
        "OverlapReportRequest.other_merchant_id equals merchant_id (\"m\")");
  CHECK(e.answered == 0);
  // At the limits every call reaches the implementation.
  f.long_tail_boost = 100;
  CHECK(e.RecommendPartners("m", 5, f).ok());
  CHECK(e.RecommendCouponPairs("", "m", 5, {}).ok());
  CHECK(e.ListMerchants(std::nullopt, 7, "", "").ok());
  CHECK(e.GetMerchant("m").ok());
  CHECK(e.ExplainPair("m", "n", Audience::kOperator).ok());
  CHECK(e.OverlapReport("m", "n", Audience::kOperator).ok());
  CHECK(e.answered == 6);
}

TEST_CASE("GetMerchant, ListMerchants and Stats", "[engine]") {
  auto engine = OpenTiny();
  auto m = engine->GetMerchant("m_cheese");
  REQUIRE(m.ok());
  CHECK(m->name == "Curd & Rind, Cheesemonger");
  CHECK(m->category == "cheese");
  CHECK_FALSE(m->discoverable);
  CHECK_FALSE(m->allow_coupons);
  CHECK(m->customers == 2);
  auto page1 = engine->ListMerchants(std::nullopt, 4, "", "");
  REQUIRE(page1.ok());
  CHECK(page1->merchants.size() == 4);
  CHECK(page1->total == 6);
  REQUIRE(page1->next_page_token.has_value());
  auto page2 = engine->ListMerchants(page1->next_page_token, 4, "", "");
  REQUIRE(page2.ok());
  CHECK(page2->merchants.size() == 2);
  CHECK_FALSE(page2->next_page_token.has_value());
  auto bakeries = engine->ListMerchants(std::nullopt, 10, "bakery", "");
  REQUIRE(bakeries.ok());
  CHECK(bakeries->total == 2);
  auto stats = engine->Stats();
  CHECK(stats.merchants == 6);
  CHECK(stats.skus == 9);
  CHECK(stats.order_lines == 30);
}

TEST_CASE("A model whose index was built for another graph is refused", "[engine]") {
  GraphOptions other;
  other.min_shared_customers = 2;  // a different graph, so a different fingerprint
  auto other_dir = BuildTinyModel("engine_other_model", other);
  auto dir = testing::FreshTempDir("engine_mixed_model");
  for (const auto& entry : std::filesystem::directory_iterator(TinyModel())) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename());
  }
  std::filesystem::copy(other_dir / "merchants.faiss", dir / "merchants.faiss",
                        std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy(other_dir / "merchants.faiss.meta", dir / "merchants.faiss.meta",
                        std::filesystem::copy_options::overwrite_existing);
  auto engine = Engine::Open(dir);
  REQUIRE_FALSE(engine.ok());
  INFO(engine.status().ToString());
  CHECK(engine.status().message().find("different graph") != std::string::npos);
  CHECK(engine.status().message().find("merchants.faiss") != std::string::npos);
}

TEST_CASE("Missing and damaged model parts are refused with the file named", "[engine]") {
  CHECK(Engine::Open(testing::FreshTempDir("engine_empty_model")).status().ToString().find(
            "graph.pgg") != std::string::npos);
  CHECK(Engine::Open("/nonexistent/model").status().IsNotFound());
  auto dir = testing::FreshTempDir("engine_damaged_model");
  for (const auto& entry : std::filesystem::directory_iterator(TinyModel())) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename());
  }
  {
    std::fstream f(dir / "precomputed.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  auto damaged = Engine::Open(dir);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.status().IsCorruption());
  CHECK(damaged.status().message().find("precomputed.bin") != std::string::npos);
  std::filesystem::resize_file(dir / "precomputed.bin", 10);
  CHECK(Engine::Open(dir).status().IsCorruption());
  std::filesystem::remove(dir / "config.json");
  CHECK_FALSE(Engine::Open(dir).ok());
}

TEST_CASE("The build writes the neighbour lists and queries read them unchanged", "[engine]") {
  // Every tiny SKU gets an item2vec vector (min_count 1), hence a stored list.
  const auto dir = BuildTinyModel("engine_tiny_lists", {}, /*sku_min_count=*/1);
  REQUIRE(std::filesystem::exists(dir / "sku_neighbors.bin"));
  REQUIRE(std::filesystem::exists(dir / "merchant_neighbors.bin"));
  // Live answers (no precomputed answers) with and without the neighbour lists.
  auto with = Engine::Open(dir, EngineOptions{1, /*use_precomputed=*/false});
  auto without = Engine::Open(dir, EngineOptions{1, /*use_precomputed=*/false,
                                                 /*use_neighbor_lists=*/false});
  REQUIRE(with.ok());
  REQUIRE(without.ok());
  CHECK((*with)->Stats().sku_neighbor_lists > 0);
  CHECK((*with)->Stats().merchant_neighbor_lists == 6);
  CHECK((*without)->Stats().sku_neighbor_lists == 0);
  CHECK((*without)->Stats().merchant_neighbor_lists == 0);
  for (const char* m : {"m_bakery", "m_bakery2", "m_florist", "m_wine", "m_hardware", "m_cheese"}) {
    INFO(m);
    auto a = (*with)->RecommendPartners(m, 10, {});
    auto b = (*without)->RecommendPartners(m, 10, {});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->partners.size() == b->partners.size());
    for (std::size_t i = 0; i < a->partners.size(); ++i) {
      CHECK(a->partners[i].merchant_id == b->partners[i].merchant_id);
      CHECK(a->partners[i].score == b->partners[i].score);
    }
  }
  auto same = [](const Result<CouponAnswer>& a, const Result<CouponAnswer>& b) {
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->pairs.size() == b->pairs.size());
    for (std::size_t i = 0; i < a->pairs.size(); ++i) {
      CHECK(a->pairs[i].sku_id == b->pairs[i].sku_id);
      CHECK(a->pairs[i].trigger_sku_id == b->pairs[i].trigger_sku_id);
      CHECK(a->pairs[i].score == b->pairs[i].score);
    }
  };
  for (const char* m : {"m_bakery", "m_bakery2", "m_florist", "m_wine", "m_hardware", "m_cheese"}) {
    INFO(m);
    same((*with)->RecommendCouponPairs("", m, 10, {}), (*without)->RecommendCouponPairs("", m, 10, {}));
  }
  for (const char* s : {"s_bread", "s_roses", "s_red", "s_hammer"}) {
    INFO(s);
    same((*with)->RecommendCouponPairs(s, "", 10, {}), (*without)->RecommendCouponPairs(s, "", 10, {}));
  }
}

TEST_CASE("A sku_neighbors.bin of another model or other options is refused naming the field",
          "[engine]") {
  GraphOptions other;
  other.min_shared_customers = 2;  // a different graph, so a different SKU index
  auto other_dir = BuildTinyModel("engine_other_neighbors", other);
  auto dir = testing::FreshTempDir("engine_neighbors_" + std::to_string(::getpid()));
  for (const auto& entry : std::filesystem::directory_iterator(TinyModel())) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename());
  }
  auto refused = [&](const std::string& field) {
    auto engine = Engine::Open(dir);
    REQUIRE_FALSE(engine.ok());
    INFO(engine.status().ToString());
    CHECK(engine.status().IsInvalidArgument());
    CHECK(engine.status().message().find("sku_neighbors.bin") != std::string::npos);
    CHECK(engine.status().message().find(field) != std::string::npos);
  };
  // Another graph's file (refused by the graph it records, before it is read).
  std::filesystem::copy(other_dir / "sku_neighbors.bin", dir / "sku_neighbors.bin",
                        std::filesystem::copy_options::overwrite_existing);
  refused("different graph");
  std::filesystem::copy(TinyModel() / "sku_neighbors.bin", dir / "sku_neighbors.bin",
                        std::filesystem::copy_options::overwrite_existing);
  REQUIRE(Engine::Open(dir).ok());
  // Recommend options changed after the build: the lists answer other searches.
  const std::string config_text = [&] {
    std::ifstream in(dir / "config.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  auto write_config = [&](const char* key, int value) {
    auto config = nlohmann::json::parse(config_text);
    config["recommend"][key] = value;
    std::ofstream(dir / "config.json", std::ios::trunc) << config.dump(2);
  };
  write_config("coupon_candidates", 7);
  refused("coupon_candidates 7");
  write_config("coupon_ef_search", 128);
  refused("coupon_ef_search 0 but the model's is 128");
  std::ofstream(dir / "config.json", std::ios::trunc) << config_text;
  // Truncated: Corruption naming the file.
  std::filesystem::resize_file(dir / "sku_neighbors.bin",
                               std::filesystem::file_size(dir / "sku_neighbors.bin") - 3);
  auto truncated = Engine::Open(dir);
  CHECK(truncated.status().IsCorruption());
  CHECK(truncated.status().message().find("sku_neighbors.bin") != std::string::npos);
  // Missing while manifest.json lists it: refused, also when the lists are not used.
  std::filesystem::remove(dir / "sku_neighbors.bin");
  for (bool use_lists : {true, false}) {
    auto missing = Engine::Open(dir, EngineOptions{1, true, use_lists});
    CHECK(missing.status().IsCorruption());
    CHECK(missing.status().message().find("sku_neighbors.bin: missing") != std::string::npos);
  }
}
