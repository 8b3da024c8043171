// The value types of the recommenders' public API (partner_recommender.hpp): the
// request filters, the answers, the merchant profile a recommender precomputes, and the
// model parts it reads. Plain values: copyable, no invariants beyond their comments.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/ids.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"

namespace partnergraph {

// Scorecard-free merchant tiers used by the tier filter: by revenue rank,
// "gold" = top 5 %, "silver" = next 15 %, "bronze" = the rest.
enum class MerchantTier : std::uint8_t { kGold = 0, kSilver = 1, kBronze = 2 };
std::string_view ToString(MerchantTier tier);
std::optional<MerchantTier> ParseMerchantTier(std::string_view s);

// What the recommenders precompute per merchant when they are built.
struct MerchantProfile {
  // Copies of the graph's fields that every candidate of a partner query reads, kept together
  // so that scoring a candidate touches one record instead of the graph's separate arrays.
  // Policies (discoverable, k_min...) are not here: they change with events, and the
  // recommenders read them from the live overlay (live_overlay.hpp).
  CategoryId category;
  RegionId region;
  MerchantTier tier = MerchantTier::kBronze;
  bool long_tail = true;          // outside the top RecommendOptions::long_tail_share
  std::uint32_t customers = 0;    // distinct customers
  double log1p_customers = 0;     // log1p(customers), which every score of the merchant divides by
  // Customers it may contact on at least one channel, and per ContactChannel (index = its
  // value; each <= contactable), under the model's consent records and policy: the live
  // overlay's starting counts (events change the overlay's, never these).
  std::uint32_t contactable = 0;
  std::array<std::uint32_t, kContactChannelCount> contactable_by_channel{};
};

struct PartnerFilters {
  bool include_existing_partners = false;
  std::vector<RegionId> regions;       // empty: any
  std::vector<CategoryId> categories;  // empty: any
  std::vector<CategoryId> exclude_categories;
  std::vector<MerchantTier> tiers;          // empty: any
  std::optional<double> long_tail_boost;    // unset: options' weight
  std::optional<std::uint32_t> candidates;  // unset: options' C
  // Who the answer is for (not a filter: is_default ignores it). The default discloses least.
  Audience audience = Audience::kMerchant;
  bool is_default() const {
    return !include_existing_partners && regions.empty() && categories.empty() &&
           exclude_categories.empty() && tiers.empty() && !long_tail_boost && !candidates;
  }
};

struct PartnerScore {
  double audience_similarity = 0;
  double category_complementarity = 0;
  double shared_reach = 0;
  double competition_penalty = 0;
  double long_tail_boost = 0;
  double total = 0;
};

struct SegmentCount {
  SegmentId segment;
  std::optional<std::uint32_t> count;  // nullopt: suppressed
};

struct PartnerResult {
  MerchantId merchant;
  PartnerScore score;
  std::vector<SegmentCount> shared_segments;      // up to 3, largest first
  std::optional<std::uint32_t> shared_customers;  // nullopt: suppressed
};

struct PairExplanation {
  PartnerScore score;
  std::vector<SegmentCount> shared_segments;
  std::optional<std::uint32_t> shared_customers;
  std::vector<std::string> excluded_because;  // empty: the pair passes every filter
};

struct OverlapDetail {
  std::vector<SegmentCount> segments;  // every shared segment, largest first
  std::optional<std::uint32_t> shared_customers;
  std::uint32_t k_min = 0;
};

struct CouponFilters {
  std::optional<double> min_price;
  std::optional<double> max_price;
  std::vector<CategoryId> categories;  // empty: any
  // Who the answer is for (not a filter: is_default ignores it). Coupon pairs of a merchant
  // are answered to that merchant (the trigger side) or an operator.
  Audience audience = Audience::kMerchant;
  bool is_default() const { return !min_price && !max_price && categories.empty(); }
};

struct CouponResult {
  SkuId trigger;
  SkuId sku;
  double score = 0;
  std::optional<std::uint32_t> support;  // nullopt: suppressed
  double lift = 0;                       // kMerchant: 0 when the support is suppressed
  // The trigger merchant's own contactable buyers of the trigger SKU: its own figure, never
  // suppressed (a coupon answer goes to the trigger merchant or an operator only).
  std::optional<std::uint32_t> reach;
  double embedding_similarity = 0;
};

// The parts of a model a recommender reads. Embeddings have one row per
// merchant (merchant_vectors) and per SKU (sku_vectors); an index may be null
// (then only the graph supplies candidates). sku_neighbors and merchant_neighbors,
// optional, hold precomputed hits of sku_index and merchant_index: items they cover are
// not searched.
struct RecommendModel {
  std::shared_ptr<const EcosystemGraph> graph;
  std::shared_ptr<const Embeddings> merchant_vectors;
  std::shared_ptr<const VectorIndex> merchant_index;
  std::shared_ptr<const Embeddings> sku_vectors;
  std::shared_ptr<const VectorIndex> sku_index;
  std::shared_ptr<const SkuNeighborTable> sku_neighbors;
  std::shared_ptr<const MerchantNeighborTable> merchant_neighbors;
};

}  // namespace partnergraph
