// CandidateSearch on datasets/tiny with hand-written embeddings and exact indexes: which
// filters run inside the search, what the in-index filter refuses, when a stored list is
// read instead of a search, that a batch gives each merchant its own hits, that stored and
// searched SKU lists mix, and the refusals (tables without an index, nothing to precompute).
#include "candidate_search.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "recommend_fixture.hpp"

using namespace partnergraph;
using partnergraph::recommend_internal::CandidateFilter;
using partnergraph::recommend_internal::CandidateSearch;
using partnergraph::recommend_internal::HasInIndexFilter;
using testing::MerchantNamed;
using testing::SkuNamed;

namespace {

std::vector<std::uint32_t> Ids(std::span<const Neighbor> hits) {
  std::vector<std::uint32_t> ids;
  for (const Neighbor& h : hits) ids.push_back(h.id);
  return ids;
}

// A table of one list: `item` -> `hits`, under `key`.
template <typename Id>
std::shared_ptr<const NeighborTable<Id>> OneList(const NeighborKey& key, Id item,
                                                 std::vector<Neighbor> hits) {
  const std::uint64_t n = hits.size();
  auto table = NeighborTable<Id>::FromLists(key, {item}, {0, n}, std::move(hits));
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  return std::make_shared<const NeighborTable<Id>>(std::move(table).value());
}

}  // namespace

TEST_CASE("in-index filters: regions, categories, excluded categories, tiers", "[recommend]") {
  PartnerFilters f;
  CHECK_FALSE(HasInIndexFilter(f));
  f.include_existing_partners = true;
  f.long_tail_boost = 1.0;
  f.candidates = 5;
  f.audience = Audience::kOperator;
  CHECK_FALSE(HasInIndexFilter(f));
  PartnerFilters regions, categories, excluded, tiers;
  regions.regions = {RegionId(0)};
  categories.categories = {CategoryId(0)};
  excluded.exclude_categories = {CategoryId(0)};
  tiers.tiers = {MerchantTier::kGold};
  for (const PartnerFilters* with : {&regions, &categories, &excluded, &tiers}) {
    CHECK(HasInIndexFilter(*with));
  }
}

TEST_CASE("the in-index filter refuses the merchant itself, unknown ids and filtered ones",
          "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  const MerchantId hardware = MerchantNamed(g, "m_hardware");  // south
  const MerchantId florist = MerchantNamed(g, "m_florist");    // north
  PartnerFilters none;
  CandidateFilter all(context, bakery, none);
  CHECK_FALSE(all.active());
  CHECK_FALSE(all.Allows(bakery.value));
  CHECK_FALSE(all.Allows(g.merchant_count()));
  CHECK(all.Allows(hardware.value));
  PartnerFilters south;
  south.regions = {*g.FindRegion("south")};
  CandidateFilter in_south(context, bakery, south);
  CHECK(in_south.active());
  CHECK(in_south.Allows(hardware.value));
  CHECK_FALSE(in_south.Allows(florist.value));
  PartnerFilters no_florists;
  no_florists.exclude_categories = {*g.FindCategory("florist")};
  CHECK_FALSE(CandidateFilter(context, bakery, no_florists).Allows(florist.value));
  CHECK(CandidateFilter(context, bakery, no_florists).Allows(hardware.value));
  PartnerFilters tier;
  tier.tiers = {context.profiles->Profile(florist).tier};
  CHECK(CandidateFilter(context, bakery, tier).Allows(florist.value));
  CHECK_FALSE(CandidateFilter(context, bakery, tier).Allows(bakery.value));
}

TEST_CASE("without indexes nothing is searched", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const CandidateSearch search(context);
  const EcosystemGraph& g = *context.model.graph;
  CHECK_FALSE(search.HasMerchantVector(MerchantNamed(g, "m_bakery")));
  CHECK_FALSE(search.HasSkuVector(SkuNamed(g, "s_bread")));
  const SkuId skus[] = {SkuNamed(g, "s_bread"), SkuNamed(g, "s_roses")};
  auto lists = search.SkuNeighbors(skus);
  REQUIRE(lists.ok());
  REQUIRE(lists->size() == 2);
  CHECK(((*lists)[0].empty() && (*lists)[1].empty()));
  const MerchantId merchants[] = {MerchantNamed(g, "m_bakery"), MerchantNamed(g, "m_wine")};
  auto batch = search.PartnerCandidatesBatch(merchants, PartnerFilters{});
  REQUIRE(batch.ok());
  CHECK((batch->Hits(0).empty() && batch->Hits(1).empty()));
  CHECK(search.ComputeSkuNeighbors().status().IsInvalidArgument());
  CHECK(search.ComputeMerchantNeighbors().status().IsInvalidArgument());
}

TEST_CASE("partner candidates: C + 1 hits, filtered inside the search, batched alike",
          "[recommend]") {
  RecommendOptions options;
  options.partner_candidates = 2;
  const auto context = testing::TinyContext(testing::TinyModel(true), options);
  const CandidateSearch search(context);
  const EcosystemGraph& g = *context.model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  REQUIRE(search.HasMerchantVector(bakery));
  auto hits = search.SearchPartnerCandidates(bakery, PartnerFilters{});
  REQUIRE(hits.ok());
  // Nearest first: the bakery itself (unfiltered), bakery2, the florist.
  CHECK(Ids(hits->Query(0)) == std::vector<std::uint32_t>{bakery.value,
                                                          MerchantNamed(g, "m_bakery2").value,
                                                          MerchantNamed(g, "m_florist").value});
  PartnerFilters wider;
  wider.candidates = 4;
  CHECK(search.SearchPartnerCandidates(bakery, wider)->Query(0).size() == 5);
  PartnerFilters south;
  south.regions = {*g.FindRegion("south")};
  auto filtered = search.SearchPartnerCandidates(bakery, south);
  REQUIRE(filtered.ok());
  for (const Neighbor& h : filtered->Query(0)) {
    CHECK(context.profiles->Profile(MerchantId(h.id)).region == *g.FindRegion("south"));
  }
  CHECK(filtered->Query(0).size() == 2);  // hardware and cheese: the south has no more
  // A batch gives each merchant the hits of its own search.
  std::vector<MerchantId> merchants;
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) merchants.push_back(MerchantId(m));
  auto batch = search.PartnerCandidatesBatch(merchants, PartnerFilters{});
  REQUIRE(batch.ok());
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    auto alone = search.SearchPartnerCandidates(merchants[i], PartnerFilters{});
    REQUIRE(alone.ok());
    CHECK(Ids(batch->Hits(i)) == Ids(alone->Query(0)));
  }
}

TEST_CASE("a stored merchant list answers only the search it holds", "[recommend]") {
  RecommendOptions options;
  options.partner_candidates = 2;
  RecommendModel model = testing::TinyModel(true);
  const EcosystemGraph& g = *model.graph;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  const MerchantId wine = MerchantNamed(g, "m_wine");
  const NeighborKey key =
      ExpectedMerchantNeighborKey(*model.merchant_index, g.merchant_count(), options);
  // A list no search would give: the stored list is read, not searched.
  model.merchant_neighbors = OneList(key, bakery, {{wine.value, 0.5f}});
  const auto context = testing::TinyContext(model, options);
  const CandidateSearch search(context);
  auto stored = search.StoredPartnerCandidates(bakery, PartnerFilters{});
  REQUIRE(stored);
  CHECK(Ids(*stored) == std::vector<std::uint32_t>{wine.value});
  CHECK_FALSE(search.StoredPartnerCandidates(wine, PartnerFilters{}));  // not covered
  PartnerFilters same_c;
  same_c.candidates = 2;
  CHECK(search.StoredPartnerCandidates(bakery, same_c));
  PartnerFilters other_c;
  other_c.candidates = 3;
  CHECK_FALSE(search.StoredPartnerCandidates(bakery, other_c));
  PartnerFilters tiers;
  tiers.tiers = {MerchantTier::kBronze};
  CHECK_FALSE(search.StoredPartnerCandidates(bakery, tiers));
  // The batch reads the stored list for the bakery and searches the wine shop.
  const MerchantId merchants[] = {bakery, wine};
  auto batch = search.PartnerCandidatesBatch(merchants, PartnerFilters{});
  REQUIRE(batch.ok());
  CHECK(Ids(batch->Hits(0)) == std::vector<std::uint32_t>{wine.value});
  CHECK(Ids(batch->Hits(1)) == Ids(search.SearchPartnerCandidates(wine, {})->Query(0)));
}

TEST_CASE("SKU lists: stored where the table covers, searched elsewhere, none without a vector",
          "[recommend]") {
  RecommendOptions options;
  options.coupon_candidates = 3;
  RecommendModel model = testing::TinyModel(true);
  const EcosystemGraph& g = *model.graph;
  const SkuId bread = SkuNamed(g, "s_bread"), roses = SkuNamed(g, "s_roses"),
              brie = SkuNamed(g, "s_brie");
  const auto plain = testing::TinyContext(model, options);
  const CandidateSearch searching(plain);
  CHECK(searching.HasSkuVector(bread));
  CHECK_FALSE(searching.HasSkuVector(brie));
  const SkuId skus[] = {bread, roses, brie};
  auto searched = searching.SkuNeighbors(skus);
  REQUIRE(searched.ok());
  CHECK((*searched)[0].size() == 4);  // coupon_candidates + 1
  CHECK((*searched)[1].size() == 4);
  CHECK((*searched)[2].empty());
  CHECK((*searched)[0].front().id == bread.value);  // a SKU is its own nearest
  auto direct = searching.SearchSkuNeighbors(skus);
  REQUIRE(direct.ok());
  CHECK(*direct == *searched);

  model.sku_neighbors = OneList(ExpectedSkuNeighborKey(*model.sku_index, g.sku_count(), options),
                                roses, {{brie.value, 0.25f}});
  const auto with_table = testing::TinyContext(model, options);
  const CandidateSearch reading(with_table);
  auto mixed = reading.SkuNeighbors(skus);
  REQUIRE(mixed.ok());
  CHECK((*mixed)[0] == (*searched)[0]);
  CHECK(Ids((*mixed)[1]) == std::vector<std::uint32_t>{brie.value});
  CHECK((*mixed)[2].empty());
  // SearchSkuNeighbors never reads the table.
  CHECK(*reading.SearchSkuNeighbors(skus) == *searched);

  RecommendOptions off = options;
  off.coupon_candidates = 0;
  const auto no_candidates = testing::TinyContext(model, off);
  auto none = CandidateSearch(no_candidates).SkuNeighbors(skus);
  REQUIRE(none.ok());
  CHECK(((*none)[0].empty() && (*none)[1].empty()));
}

TEST_CASE("neighbour tables need their index and the model's key", "[recommend]") {
  RecommendOptions options;
  RecommendModel model = testing::TinyModel(true);
  const EcosystemGraph& g = *model.graph;
  CHECK(CandidateSearch::CheckNeighborTables(model, options).ok());
  const NeighborKey sku_key = ExpectedSkuNeighborKey(*model.sku_index, g.sku_count(), options);
  const NeighborKey merchant_key =
      ExpectedMerchantNeighborKey(*model.merchant_index, g.merchant_count(), options);
  RecommendModel sku_lists = model;
  sku_lists.sku_neighbors = OneList(sku_key, SkuNamed(g, "s_bread"), {});
  CHECK(CandidateSearch::CheckNeighborTables(sku_lists, options).ok());
  sku_lists.sku_index = nullptr;
  Status s = CandidateSearch::CheckNeighborTables(sku_lists, options);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "SKU neighbour lists given for a model without a SKU index");
  RecommendOptions other = options;
  other.coupon_candidates = options.coupon_candidates + 1;
  RecommendModel stale = model;
  stale.sku_neighbors = OneList(sku_key, SkuNamed(g, "s_bread"), {});
  s = CandidateSearch::CheckNeighborTables(stale, other);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().rfind("the SKU neighbour lists do not match the model: ", 0) == 0);
  RecommendModel merchant_lists = model;
  merchant_lists.merchant_neighbors = OneList(merchant_key, MerchantNamed(g, "m_bakery"), {});
  CHECK(CandidateSearch::CheckNeighborTables(merchant_lists, options).ok());
  other = options;
  other.partner_candidates = options.partner_candidates + 1;
  s = CandidateSearch::CheckNeighborTables(merchant_lists, other);
  CHECK(s.message().rfind("the merchant neighbour lists do not match the model: ", 0) == 0);
  merchant_lists.merchant_index = nullptr;
  s = CandidateSearch::CheckNeighborTables(merchant_lists, options);
  CHECK(s.message() == "merchant neighbour lists given for a model without a merchant index");
}

TEST_CASE("neighbour tables are computed only for indexes with an identity", "[recommend]") {
  const auto context = testing::TinyContext(testing::TinyModel(true));
  const CandidateSearch search(context);
  // The fixture's indexes were never saved or loaded.
  auto skus = search.ComputeSkuNeighbors();
  CHECK(skus.status().message() ==
        "SKU neighbour lists: the SKU index has no identity (save or load it first)");
  auto merchants = search.ComputeMerchantNeighbors();
  CHECK(merchants.status().message() ==
        "merchant neighbour lists: the merchant index has no identity (save or load it first)");
}
