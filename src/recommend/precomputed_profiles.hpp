// PrecomputedProfiles: what a Recommender computes once per model when it is created, so
// that a query reads it instead of recomputing it: one MerchantProfile per merchant (the
// graph fields every partner candidate reads, tiers, the long tail, contactable customers),
// each merchant's largest shared-customer neighbours (the graph candidates of a partner
// query), merchants per category, and the most-bought SKUs (the popular coupon candidates).
//
// Read by candidate_search (the in-index filter reads the profiles), partner_scoring and
// coupon_scoring; created by Recommender::Create and shared, never recomputed, by the copies
// WithNeighbors makes. Thread safety: immutable once Compute returns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/recommend_types.hpp"

namespace partnergraph::recommend_internal {

class PrecomputedProfiles {
 public:
  // The profiles of `graph` under `options` (reads long_tail_share,
  // partner_graph_candidates and coupon_popular_candidates). Parallel (oneTBB); the result
  // does not depend on the thread count.
  static std::shared_ptr<const PrecomputedProfiles> Compute(const EcosystemGraph& graph,
                                                            const RecommendOptions& options);

  // m's profile; m must be one of the graph's merchants.
  const MerchantProfile& Profile(MerchantId m) const { return profiles_[m.value]; }
  // m's partner_graph_candidates largest shared-customer neighbours (customers desc,
  // merchant id asc); fewer when m has fewer, none when the option is 0.
  std::span<const MerchantId> GraphCandidates(MerchantId m) const {
    return std::span<const MerchantId>(
        graph_candidate_ids_.data() + graph_candidate_offsets_[m.value],
        graph_candidate_offsets_[m.value + 1] - graph_candidate_offsets_[m.value]);
  }
  // The most customers of any merchant, and log1p of it (0 and 0 without merchants).
  std::uint32_t max_customers() const { return max_customers_; }
  double log1p_max_customers() const { return log1p_max_customers_; }
  // How many merchants have category c (c must be one of the graph's categories).
  std::uint32_t CategoryMerchants(CategoryId c) const { return category_merchants_[c.value]; }
  // The coupon_popular_candidates most-bought SKUs with buyers (buyers desc, id asc).
  std::span<const SkuId> popular_skus() const { return popular_skus_; }
  // The most buyers of any SKU (0 without SKUs).
  std::uint32_t max_sku_buyers() const { return max_sku_buyers_; }

 private:
  PrecomputedProfiles() = default;

  std::vector<MerchantProfile> profiles_;
  // Merchant m's graph candidates are ids[offsets[m] .. offsets[m + 1]) (up to 100 ids per
  // merchant by default: 400 MB at 1M merchants, hence shared and not copied).
  std::vector<std::uint64_t> graph_candidate_offsets_;
  std::vector<MerchantId> graph_candidate_ids_;
  std::uint32_t max_customers_ = 0;
  double log1p_max_customers_ = 0;
  // Merchants per category (the category-pair lift between two one-merchant categories is
  // the pair's own overlap: PartnerScoring::ScorePair).
  std::vector<std::uint32_t> category_merchants_;
  std::vector<SkuId> popular_skus_;
  std::uint32_t max_sku_buyers_ = 0;
};

}  // namespace partnergraph::recommend_internal
