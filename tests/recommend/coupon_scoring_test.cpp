// CouponScoring on datasets/tiny: the ranking and the per-SKU best trigger, the top k, the
// trigger SKUs, and the pairs a trigger's merchant may not make (its own SKUs, a competitor's,
// a blocked merchant's, a merchant that refuses coupons) and the request's price band.
#include "coupon_scoring.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "recommend_fixture.hpp"

using namespace partnergraph;
using partnergraph::recommend_internal::BetterCoupon;
using partnergraph::recommend_internal::CouponScoring;
using testing::MerchantNamed;
using testing::SkuNamed;

namespace {

CouponResult Coupon(std::uint32_t trigger, std::uint32_t sku, double score) {
  CouponResult r;
  r.trigger = SkuId(trigger);
  r.sku = SkuId(sku);
  r.score = score;
  return r;
}

}  // namespace

TEST_CASE("coupon order: score desc, then SKU, then trigger", "[recommend]") {
  CHECK(BetterCoupon(Coupon(5, 9, 2.0), Coupon(1, 1, 1.0)));
  CHECK(BetterCoupon(Coupon(5, 1, 1.0), Coupon(1, 2, 1.0)));
  CHECK(BetterCoupon(Coupon(1, 3, 1.0), Coupon(2, 3, 1.0)));
  CHECK_FALSE(BetterCoupon(Coupon(1, 3, 1.0), Coupon(1, 3, 1.0)));
}

TEST_CASE("top coupons keep k in order; best coupons keep each SKU's best trigger", "[recommend]") {
  std::vector<CouponResult> all{Coupon(1, 7, 0.5), Coupon(1, 4, 0.9), Coupon(2, 7, 0.8),
                                Coupon(3, 4, 0.9), Coupon(2, 5, 0.1)};
  auto top = CouponScoring::TopCoupons(all, 2);
  REQUIRE(top.size() == 2);
  CHECK(top.capacity() == 2);
  CHECK((top[0].sku == SkuId(4) && top[0].trigger == SkuId(1)));
  CHECK((top[1].sku == SkuId(4) && top[1].trigger == SkuId(3)));  // the same SKU twice
  CHECK(CouponScoring::TopCoupons(all, 10).size() == 5);
  auto best = CouponScoring::BestCoupons(all, 10);
  REQUIRE(best.size() == 3);
  CHECK((best[0].sku == SkuId(4) && best[0].trigger == SkuId(1)));  // tie: the lower trigger
  CHECK((best[1].sku == SkuId(7) && best[1].trigger == SkuId(2)));  // 0.8 beats 0.5
  CHECK(best[2].sku == SkuId(5));
  auto two = CouponScoring::BestCoupons(all, 2);
  CHECK(two.size() == 2);
  CHECK(two.capacity() == 2);
  CHECK(CouponScoring::BestCoupons({}, 3).empty());
}

TEST_CASE("trigger SKUs are the best sellers with buyers, capped", "[recommend]") {
  const auto g = testing::TinyGraph();
  const MerchantId bakery = MerchantNamed(*g, "m_bakery");
  const auto context = testing::TinyContext(testing::TinyModel(false));
  // s_bread has 9 buyers, s_cake 3 (orders.csv).
  CHECK(CouponScoring(context).TriggerSkus(bakery) ==
        std::vector<SkuId>{SkuNamed(*g, "s_bread"), SkuNamed(*g, "s_cake")});
  RecommendOptions one;
  one.coupon_trigger_skus = 1;
  const auto capped = testing::TinyContext(testing::TinyModel(false), one);
  CHECK(CouponScoring(capped).TriggerSkus(bakery) == std::vector<SkuId>{SkuNamed(*g, "s_bread")});
}

TEST_CASE("coupon candidates leave out the pairs the merchants may not make", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(true));
  const CouponScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const SkuId bread = SkuNamed(g, "s_bread");
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  // Every SKU as an embedding hit, and the popular SKUs: still each SKU once, and none of the
  // bakery's own, its competitor's, the blocked hardware store's or the cheesemonger's (no
  // coupons).
  std::vector<Neighbor> hits;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) hits.push_back({s, 1.0f});
  for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
    CouponFilters f;
    f.audience = audience;
    std::vector<CouponResult> out;
    scoring.CouponCandidatesFor(bread, f, hits, &out);
    std::vector<SkuId> skus;
    for (const auto& r : out) {
      CHECK(r.trigger == bread);
      skus.push_back(r.sku);
      const MerchantId y = g.Sku(r.sku).merchant;
      CHECK(y != bakery);
      CHECK(y != MerchantNamed(g, "m_bakery2"));
      CHECK(y != MerchantNamed(g, "m_hardware"));
      CHECK(y != MerchantNamed(g, "m_cheese"));
    }
    std::sort(skus.begin(), skus.end());
    CHECK(std::adjacent_find(skus.begin(), skus.end()) == skus.end());
    // The florist's and the wine shop's four SKUs.
    CHECK(skus.size() == 4);
    // A price band.
    CouponFilters cheap = f;
    cheap.max_price = 16.0;
    std::vector<CouponResult> banded;
    scoring.CouponCandidatesFor(bread, cheap, hits, &banded);
    CHECK(banded.size() == 2);  // s_tulips 15, s_white 16
    for (const auto& r : banded) CHECK(g.Sku(r.sku).price <= 16.0);
  }
  // A trigger of a merchant that refuses coupons has no candidates.
  std::vector<CouponResult> none;
  scoring.CouponCandidatesFor(SkuNamed(g, "s_brie"), CouponFilters{}, hits, &none);
  CHECK(none.empty());
  // Appends: what was there stays.
  std::vector<CouponResult> appended{Coupon(0, 0, 9.0)};
  scoring.CouponCandidatesFor(bread, CouponFilters{}, {}, &appended);
  CHECK(appended.size() > 1);
  CHECK(appended[0].score == 9.0);
}
