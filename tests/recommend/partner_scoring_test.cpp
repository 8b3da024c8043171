// PartnerScoring on datasets/tiny, whose right answers README.md states: the relations that
// exclude a merchant, the filters that read its profile, the reasons given for each audience,
// the score's terms (competition, disclosure of the reach and of the long tail), the order
// and size of the answer, its evidence, and the pair-level answers.
#include "partner_scoring.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "partnergraph/recommend/partner_recommender.hpp"
#include "recommend_fixture.hpp"

using namespace partnergraph;
using partnergraph::recommend_internal::PartnerScoring;
using testing::MerchantNamed;

namespace {

bool Has(const std::vector<std::string>& reasons, const std::string& reason) {
  return std::find(reasons.begin(), reasons.end(), reason) != reasons.end();
}

std::vector<MerchantId> Merchants(const std::vector<PartnerResult>& results) {
  std::vector<MerchantId> out;
  for (const auto& r : results) out.push_back(r.merchant);
  return out;
}

}  // namespace

TEST_CASE("relations exclude partners, competitors and blocked pairs, sorted", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), bakery2 = MerchantNamed(g, "m_bakery2");
  const MerchantId florist = MerchantNamed(g, "m_florist"),
                   hardware = MerchantNamed(g, "m_hardware");
  std::vector<MerchantId> excluded{MerchantId(99)};  // replaced, not appended to
  scoring.ExcludedByRelation(bakery, PartnerFilters{}, &excluded);
  CHECK(std::is_sorted(excluded.begin(), excluded.end()));
  CHECK(std::binary_search(excluded.begin(), excluded.end(), bakery2));   // competitor
  CHECK(std::binary_search(excluded.begin(), excluded.end(), hardware));  // blocked
  CHECK_FALSE(std::binary_search(excluded.begin(), excluded.end(), MerchantId(99)));
  CHECK_FALSE(std::binary_search(excluded.begin(), excluded.end(), florist));
  // The florist's partner is excluded unless the request includes partners.
  scoring.ExcludedByRelation(florist, PartnerFilters{}, &excluded);
  CHECK(excluded == std::vector<MerchantId>{hardware});
  PartnerFilters with_partners;
  with_partners.include_existing_partners = true;
  scoring.ExcludedByRelation(florist, with_partners, &excluded);
  CHECK(excluded.empty());
}

TEST_CASE("profile filters: the merchant itself, opted out, regions, categories, tiers",
          "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), wine = MerchantNamed(g, "m_wine");
  const MerchantId cheese = MerchantNamed(g, "m_cheese"), hardware = MerchantNamed(g, "m_hardware");
  PartnerFilters none;
  CHECK(scoring.ExcludedByProfile(bakery, bakery, none));
  CHECK(scoring.ExcludedByProfile(bakery, cheese, none));  // opted out of discovery
  CHECK_FALSE(scoring.ExcludedByProfile(bakery, wine, none));
  PartnerFilters south;
  south.regions = {*g.FindRegion("south")};
  CHECK(scoring.ExcludedByProfile(bakery, wine, south));
  CHECK_FALSE(scoring.ExcludedByProfile(bakery, hardware, south));
  PartnerFilters wine_only;
  wine_only.categories = {*g.FindCategory("wine")};
  CHECK_FALSE(scoring.ExcludedByProfile(bakery, wine, wine_only));
  CHECK(scoring.ExcludedByProfile(bakery, hardware, wine_only));
  PartnerFilters no_wine;
  no_wine.exclude_categories = {*g.FindCategory("wine")};
  CHECK(scoring.ExcludedByProfile(bakery, wine, no_wine));
  PartnerFilters other_tier;
  for (MerchantTier t : {MerchantTier::kGold, MerchantTier::kSilver, MerchantTier::kBronze}) {
    if (t != context.profiles->Profile(wine).tier) other_tier.tiers.push_back(t);
  }
  CHECK(scoring.ExcludedByProfile(bakery, wine, other_tier));
}

TEST_CASE("exclusion reasons: an operator sees the other merchant's settings and blocks",
          "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  PartnerFilters op, merchant;
  op.audience = Audience::kOperator;
  merchant.audience = Audience::kMerchant;
  std::vector<std::string> reasons;
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_cheese"), op, &reasons);
  CHECK(Has(reasons, "opted out of discovery"));
  reasons.clear();
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_cheese"), merchant, &reasons);
  CHECK(reasons.empty());
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_hardware"), op, &reasons);
  CHECK(reasons == std::vector<std::string>{"blocked pair"});
  reasons.clear();
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_bakery2"), merchant, &reasons);
  CHECK(Has(reasons, "declared competitor"));
  reasons.clear();
  scoring.ExclusionReasons(bakery, bakery, merchant, &reasons);
  CHECK(Has(reasons, "the merchant itself"));
  reasons.clear();
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_wine"), merchant, &reasons);
  CHECK(reasons.empty());
  PartnerFilters south = merchant;
  south.regions = {*g.FindRegion("south")};
  scoring.ExclusionReasons(bakery, MerchantNamed(g, "m_wine"), south, &reasons);
  CHECK(reasons == std::vector<std::string>{"region not in the request's regions"});
}

TEST_CASE("the score: competition, and what the merchant view discloses", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), bakery2 = MerchantNamed(g, "m_bakery2");
  const MerchantId florist = MerchantNamed(g, "m_florist"), cheese = MerchantNamed(g, "m_cheese");
  const auto& w = context.options.partner_weights;
  // Same category: the penalty, whatever the competitor flag says.
  auto same = scoring.ScorePair(bakery, bakery2, 0.5, 0.0, false, 2, Audience::kOperator);
  CHECK(same.competition_penalty == 1.0);
  auto competitor = scoring.ScorePair(bakery, florist, 0.5, 0.0, true, 6, Audience::kOperator);
  CHECK(competitor.competition_penalty == 1.0);
  auto plain = scoring.ScorePair(bakery, florist, 0.5, 0.0, false, 6, Audience::kOperator);
  CHECK(plain.competition_penalty == 0.0);
  CHECK(plain.audience_similarity == 0.5);
  CHECK(plain.shared_reach > 0.0);
  CHECK(plain.total == w.audience_similarity * 0.5 +
                           w.category_complementarity * plain.category_complementarity +
                           w.shared_reach * plain.shared_reach + plain.long_tail_boost);
  CHECK(competitor.total == plain.total - w.competition_penalty);
  // Two shared customers, below the pair's k_min of 3: the merchant view reaches nobody.
  REQUIRE(context.live->PairKMin(bakery, florist) == 3);
  REQUIRE(context.profiles->Profile(florist).contactable > 0);  // c01's newsletter opt-in
  CHECK(scoring.ScorePair(bakery, florist, 0.0, 1.0, false, 2, Audience::kOperator).shared_reach >
        0.0);
  CHECK(scoring.ScorePair(bakery, florist, 0.0, 1.0, false, 2, Audience::kMerchant).shared_reach ==
        0.0);
  CHECK(scoring.ScorePair(bakery, florist, 0.0, 1.0, false, 3, Audience::kMerchant).shared_reach >
        0.0);
  auto exact = scoring.ScorePair(bakery, cheese, 0.0, 1.0, false, 2, Audience::kOperator);
  auto disclosed = scoring.ScorePair(bakery, cheese, 0.0, 1.0, false, 2, Audience::kMerchant);
  // The long tail: one fixed factor in the merchant view, the exact one for an operator.
  REQUIRE(context.profiles->Profile(cheese).long_tail);
  CHECK(disclosed.long_tail_boost == Recommender::kDisclosedLongTailFactor);
  CHECK(exact.long_tail_boost == 1.0 - std::log1p(2.0) / std::log1p(11.0));
  CHECK(
      scoring.ScorePair(bakery, florist, 0.0, 1.0, false, 6, Audience::kOperator).long_tail_boost ==
      0.0);  // the florist is in the head
}

TEST_CASE("partners from hits: filtered, ranked, k kept, evidence attached", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(true));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  const MerchantId florist = MerchantNamed(g, "m_florist"), wine = MerchantNamed(g, "m_wine");
  for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
    PartnerFilters f;
    f.audience = audience;
    // Every merchant as an ANN hit: only the florist and the wine shop pass (README.md).
    std::vector<Neighbor> hits;
    for (std::uint32_t m = 0; m < g.merchant_count(); ++m) hits.push_back({m, 1.0f});
    auto results = scoring.PartnersFromHits(bakery, 10, f, hits);
    auto ids = Merchants(results);
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<MerchantId>{std::min(florist, wine), std::max(florist, wine)});
    REQUIRE(results.size() == 2);
    CHECK(results[0].score.total >= results[1].score.total);
    for (const auto& r : results) {
      CHECK(r.score.total == scoring
                                 .ScorePair(bakery, r.merchant,
                                            scoring.Similarity(bakery, r.merchant),
                                            context.options.partner_weights.long_tail_boost, false,
                                            g.SharedCustomerCount(bakery, r.merchant), audience)
                                 .total);
      // 6 shared customers: at or above both pairs' k_min (3 and 5).
      CHECK(r.shared_customers == g.SharedCustomerCount(bakery, r.merchant));
      CHECK(r.shared_segments.size() <= 3);
    }
    // No hits: the graph candidates alone find the same two.
    CHECK(Merchants(scoring.PartnersFromHits(bakery, 10, f, {})).size() == 2);
    auto one = scoring.PartnersFromHits(bakery, 1, f, hits);
    REQUIRE(one.size() == 1);
    CHECK(one.capacity() == 1);
    CHECK(one[0].merchant == results[0].merchant);
  }
}

TEST_CASE("pair answers: explanation, visibility, overlap permission", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), florist = MerchantNamed(g, "m_florist");
  const MerchantId cheese = MerchantNamed(g, "m_cheese"), hardware = MerchantNamed(g, "m_hardware");
  const MerchantId bakery2 = MerchantNamed(g, "m_bakery2"), wine = MerchantNamed(g, "m_wine");
  auto e = scoring.ExplainPair(bakery, bakery2, Audience::kOperator);
  CHECK(e.score.competition_penalty == 1.0);
  CHECK(Has(e.excluded_because, "declared competitor"));
  auto kept = scoring.ExplainPair(bakery, florist, Audience::kMerchant);
  CHECK(kept.excluded_because.empty());
  CHECK(kept.shared_customers == 6u);
  CHECK(scoring.ExplainPair(bakery, cheese, Audience::kOperator).shared_customers == std::nullopt);
  CHECK(scoring.Visible(bakery, florist, Audience::kMerchant));
  CHECK_FALSE(scoring.Visible(bakery, cheese, Audience::kMerchant));
  CHECK_FALSE(scoring.Visible(bakery, hardware, Audience::kMerchant));
  CHECK(scoring.Visible(bakery, cheese, Audience::kOperator));
  CHECK(scoring.Visible(bakery, hardware, Audience::kOperator));
  // The wine shop does not share overlaps.
  auto refused = scoring.OverlapReport(bakery, wine, Audience::kOperator);
  CHECK(refused.status().IsPermissionDenied());
  auto detail = scoring.OverlapReport(bakery, florist, Audience::kOperator);
  REQUIRE(detail.ok());
  CHECK(detail->k_min == 3);
  CHECK(detail->shared_customers == 6u);
  std::uint32_t listed = 0;
  for (std::size_t i = 0; i < detail->segments.size(); ++i) {
    if (detail->segments[i].count) listed += *detail->segments[i].count;
  }
  CHECK(listed <= 6);
  auto limited = scoring.SharedSegments(bakery, florist, 1, Audience::kOperator);
  CHECK(limited.size() <= 1);
  if (!detail->segments.empty()) {
    REQUIRE(limited.size() == 1);
    CHECK(limited[0].segment == detail->segments[0].segment);
  }
}
