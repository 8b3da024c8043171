// Recommender (partner_recommender.hpp): what Create refuses, and that requests at the limits the
// Engine holds requests to are answered. The Engine's refusals of requests beyond them (with the
// messages callers see) are tested in tests/engine/engine_test.cpp: the Recommender only
// asserts its preconditions.
#include "partnergraph/recommend/partner_recommender.hpp"

#include <catch2/catch.hpp>

#include "recommend_fixture.hpp"

namespace partnergraph {
namespace {

using testing::MerchantNamed;
using testing::SkuNamed;

TEST_CASE("Create refuses default candidates above max_candidates", "[recommend]") {
  RecommendOptions options;
  options.partner_candidates = 5;
  options.max_candidates = 4;
  auto refused = Recommender::Create(testing::TinyModel(true), options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().IsInvalidArgument());
  CHECK(refused.status().message() ==
        "recommend.partner_candidates: 5 is above recommend.max_candidates (4): a request "
        "without candidates would ask for more than any request may");
  options.max_candidates = 5;
  CHECK(Recommender::Create(testing::TinyModel(true), options).ok());
}

TEST_CASE("Create refuses a model without a graph and invalid options", "[recommend]") {
  CHECK(Recommender::Create(RecommendModel{}, RecommendOptions{}).status().IsInvalidArgument());
  RecommendOptions options;
  options.max_k = 0;
  CHECK(Recommender::Create(testing::TinyModel(true), options).status().IsInvalidArgument());
}

TEST_CASE("Requests at the Engine's limits are answered", "[recommend]") {
  RecommendOptions options;
  options.max_k = 2;
  options.max_candidates = 6;
  options.partner_candidates = 2;
  auto rec = Recommender::Create(testing::TinyModel(true), options);
  REQUIRE(rec.ok());
  const EcosystemGraph& g = *(*rec)->model().graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");

  PartnerFilters widest;
  widest.candidates = options.max_candidates;
  widest.long_tail_boost = 100;
  widest.include_existing_partners = true;
  auto partners = (*rec)->RecommendPartners(bakery, options.max_k, widest);
  REQUIRE(partners.ok());
  CHECK(partners->size() == options.max_k);  // m_florist and m_wine, the two it may be shown
  auto one = (*rec)->RecommendPartners(bakery, 1, widest);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(one->front().merchant == partners->front().merchant);

  auto all = (*rec)->RecommendCouponPairs(SkuNamed(g, "s_bread"), options.max_k, CouponFilters{});
  REQUIRE(all.ok());
  REQUIRE_FALSE(all->empty());
  CouponFilters exact;  // min_price equal to max_price: the band of one price
  exact.min_price = g.Sku(all->front().sku).price;
  exact.max_price = exact.min_price;
  auto band = (*rec)->RecommendCouponPairs(SkuNamed(g, "s_bread"), options.max_k, exact);
  REQUIRE(band.ok());
  REQUIRE_FALSE(band->empty());
  for (const CouponResult& r : *band) CHECK(g.Sku(r.sku).price == *exact.min_price);
  auto batch = (*rec)->RecommendCouponPairsBatch(std::vector<MerchantId>{bakery}, 1, exact);
  REQUIRE(batch.ok());
  CHECK(batch->size() == 1);
}

}  // namespace
}  // namespace partnergraph
