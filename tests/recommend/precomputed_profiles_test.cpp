// PrecomputedProfiles on datasets/tiny: the profile fields against the graph, tiers and the
// long tail by rank, the graph candidate lists (order, cap, none), the popular SKUs and the
// pair k_min.
#include "precomputed_profiles.hpp"
#include "recommender_context.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>

#include "recommend_fixture.hpp"

using namespace partnergraph;
using partnergraph::recommend_internal::PrecomputedProfiles;
using testing::MerchantNamed;
using testing::SkuNamed;

TEST_CASE("profiles copy the graph's merchant fields and count customers", "[recommend]") {
  auto g = testing::TinyGraph();
  auto p = PrecomputedProfiles::Compute(*g, RecommendOptions{});
  for (std::uint32_t i = 0; i < g->merchant_count(); ++i) {
    const MerchantId m(i);
    const MerchantInfo info = g->Merchant(m);
    const MerchantProfile& profile = p->Profile(m);
    CHECK(profile.category == info.category);
    CHECK(profile.region == info.region);
    CHECK(profile.customers == g->CustomersOf(m).size());
    CHECK(profile.log1p_customers == std::log1p(static_cast<double>(profile.customers)));
    CHECK(profile.contactable <= profile.customers);
  }
  // README.md: customers c01-c10 and c12 bought at the bakery; the cheesemonger opted out.
  CHECK(p->Profile(MerchantNamed(*g, "m_bakery")).customers == 11);
  CHECK(p->Profile(MerchantNamed(*g, "m_florist")).customers == 6);
  CHECK(p->max_customers() == 11);
  CHECK(p->log1p_max_customers() == std::log1p(11.0));
  const CategoryId bakery = p->Profile(MerchantNamed(*g, "m_bakery")).category;
  CHECK(p->CategoryMerchants(bakery) == 2);
  CHECK(p->CategoryMerchants(p->Profile(MerchantNamed(*g, "m_wine")).category) == 1);
}

TEST_CASE("profiles count contactable customers per channel under each permission model",
          "[recommend]") {
  auto g = testing::TinyGraph();
  auto p = PrecomputedProfiles::Compute(*g, RecommendOptions{});
  using Counts = std::array<std::uint32_t, kContactChannelCount>;
  // Channels in ContactChannel order: email, newsletter, call_centre, sms, post, events,
  // account_manager (datasets/tiny/consent.csv and merchant_policy.csv).
  // m_bakery (building, 11 customers): email opt-ins c01 and c02 (c03 pending, c04 unclear,
  // c05 unsubscribed); no opt-in on newsletter, sms or call centre (c06 blocked there by
  // sales); post, events and account manager reach every customer without a record.
  const MerchantProfile& bakery = p->Profile(MerchantNamed(*g, "m_bakery"));
  CHECK(bakery.contactable_by_channel == Counts{2, 0, 0, 0, 11, 11, 11});
  CHECK(bakery.contactable == 11);
  // m_florist (full): only c01's newsletter double opt-in; c02's unclear events record is no
  // consent.
  const MerchantProfile& florist = p->Profile(MerchantNamed(*g, "m_florist"));
  CHECK(florist.contactable_by_channel == Counts{0, 1, 0, 0, 0, 0, 0});
  CHECK(florist.contactable == 1);
  // m_cheese (weakened) has no opt-in at all: nobody, on any channel.
  const MerchantProfile& cheese = p->Profile(MerchantNamed(*g, "m_cheese"));
  REQUIRE(cheese.customers > 0);
  CHECK(cheese.contactable_by_channel == Counts{});
  CHECK(cheese.contactable == 0);
  // m_wine (opt_out_only) without records: every customer on every channel.
  const MerchantProfile& wine = p->Profile(MerchantNamed(*g, "m_wine"));
  Counts all;
  all.fill(wine.customers);
  CHECK(wine.contactable_by_channel == all);
  CHECK(wine.contactable == wine.customers);
  for (std::uint32_t i = 0; i < g->merchant_count(); ++i) {
    const MerchantProfile& profile = p->Profile(MerchantId(i));
    std::uint32_t sum = 0;
    for (std::uint32_t n : profile.contactable_by_channel) {
      CHECK(n <= profile.contactable);
      sum += n;
    }
    CHECK(profile.contactable <= sum);
  }
}

TEST_CASE("profiles rank tiers by revenue and the long tail by customers", "[recommend]") {
  auto g = testing::TinyGraph();
  RecommendOptions options;
  options.long_tail_share = 0.5;  // the head: ceil(0.5 * 6) = 3 merchants
  auto p = PrecomputedProfiles::Compute(*g, options);
  int gold = 0, silver = 0, long_tail = 0;
  MerchantId top(0);
  for (std::uint32_t i = 0; i < g->merchant_count(); ++i) {
    const MerchantProfile& profile = p->Profile(MerchantId(i));
    gold += profile.tier == MerchantTier::kGold;
    silver += profile.tier == MerchantTier::kSilver;
    long_tail += profile.long_tail;
    if (g->MerchantStatsOf(MerchantId(i)).revenue > g->MerchantStatsOf(top).revenue) {
      top = MerchantId(i);
    }
  }
  // Six merchants: rank 0 (q = 0) is gold, rank 1 (q = 1/6) silver, the rest bronze.
  CHECK(gold == 1);
  CHECK(silver == 1);
  CHECK(p->Profile(top).tier == MerchantTier::kGold);
  CHECK(long_tail == 3);
  // The three with the most customers (bakery 11, florist 6, wine 6) are the head.
  CHECK_FALSE(p->Profile(MerchantNamed(*g, "m_bakery")).long_tail);
  CHECK_FALSE(p->Profile(MerchantNamed(*g, "m_florist")).long_tail);
  CHECK_FALSE(p->Profile(MerchantNamed(*g, "m_wine")).long_tail);
  CHECK(p->Profile(MerchantNamed(*g, "m_cheese")).long_tail);
}

TEST_CASE("graph candidates are the largest shared-customer neighbours, capped", "[recommend]") {
  auto g = testing::TinyGraph();
  for (std::uint32_t cap : {0u, 1u, 2u, 100u}) {
    RecommendOptions options;
    options.partner_graph_candidates = cap;
    auto p = PrecomputedProfiles::Compute(*g, options);
    for (std::uint32_t i = 0; i < g->merchant_count(); ++i) {
      const MerchantId m(i);
      const auto list = p->GraphCandidates(m);
      const auto shared = g->SharedCustomersOf(m);
      CHECK(list.size() == std::min<std::size_t>(cap, shared.size()));
      auto customers = [&](MerchantId c) { return g->SharedCustomerCount(m, c); };
      for (std::size_t j = 1; j < list.size(); ++j) {
        const bool ordered =
            customers(list[j - 1]) > customers(list[j]) ||
            (customers(list[j - 1]) == customers(list[j]) && list[j - 1] < list[j]);
        CHECK(ordered);
      }
      // Nothing left out is larger than the last one kept.
      if (!list.empty()) {
        for (const SharedCustomers& s : shared) {
          if (std::find(list.begin(), list.end(), s.merchant) == list.end()) {
            CHECK(s.customers <= customers(list.back()));
          }
        }
      }
    }
  }
  RecommendOptions two;
  two.partner_graph_candidates = 2;
  auto p = PrecomputedProfiles::Compute(*g, two);
  // The bakery shares 6 customers with the florist and with the wine shop, 2 with others.
  const auto bakery = p->GraphCandidates(MerchantNamed(*g, "m_bakery"));
  REQUIRE(bakery.size() == 2);
  CHECK(std::min(bakery[0], bakery[1]) ==
        std::min(MerchantNamed(*g, "m_florist"), MerchantNamed(*g, "m_wine")));
  CHECK(bakery[0] < bakery[1]);  // tied at 6: by id
}

TEST_CASE("popular SKUs are the most bought, capped, and max buyers is the largest",
          "[recommend]") {
  auto g = testing::TinyGraph();
  std::uint32_t most = 0;
  for (std::uint32_t s = 0; s < g->sku_count(); ++s) {
    most = std::max(most, g->SkuStatsOf(SkuId(s)).buyers);
  }
  for (std::uint32_t cap : {0u, 3u, 100u}) {
    RecommendOptions options;
    options.coupon_popular_candidates = cap;
    auto p = PrecomputedProfiles::Compute(*g, options);
    CHECK(p->max_sku_buyers() == most);
    const auto popular = p->popular_skus();
    CHECK(popular.size() == std::min<std::size_t>(cap, g->sku_count()));
    for (std::size_t i = 0; i < popular.size(); ++i) {
      const std::uint32_t buyers = g->SkuStatsOf(popular[i]).buyers;
      CHECK(buyers > 0);
      if (i > 0) {
        const std::uint32_t before = g->SkuStatsOf(popular[i - 1]).buyers;
        CHECK((before > buyers || (before == buyers && popular[i - 1] < popular[i])));
      }
    }
    if (!popular.empty()) CHECK(g->SkuStatsOf(popular[0]).buyers == most);
  }
  // s_bread: c01, c02, c03, c05, c07, c08, c09, c10, c12.
  auto p = PrecomputedProfiles::Compute(*g, RecommendOptions{});
  CHECK(p->popular_skus()[0] == SkuNamed(*g, "s_bread"));
}

TEST_CASE("the pair k_min the scoring reads is the larger of the two", "[recommend]") {
  auto g = testing::TinyGraph();
  auto profiles = PrecomputedProfiles::Compute(*g, RecommendOptions{});
  auto p = NewLiveOverlay(g, *profiles);  // the policies as the model holds them
  const MerchantId bakery = MerchantNamed(*g, "m_bakery");      // k_min 3
  const MerchantId wine = MerchantNamed(*g, "m_wine");          // k_min 5
  const MerchantId hardware = MerchantNamed(*g, "m_hardware");  // no policy row: 20
  CHECK(p->PairKMin(bakery, wine) == 5);
  CHECK(p->PairKMin(wine, bakery) == 5);
  CHECK(p->PairKMin(bakery, hardware) == 20);
  CHECK(p->PairKMin(bakery, bakery) == 3);
}
