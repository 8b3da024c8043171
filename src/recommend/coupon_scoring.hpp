// CouponScoring: the graph side of a coupon query. For a trigger SKU s it takes s's
// co-purchase neighbours, the embedding hits CandidateSearch found for s and the popular
// SKUs (precomputed profiles), drops the SKUs the pair's merchants may not pair (own
// merchant, competitor or blocked merchant, either side not allowing coupons) and the
// request's price band and categories, and scores the rest by lift, support, reach,
// embedding similarity and popularity. A merchant's query runs this for each of its trigger
// SKUs (TriggerSkus) and keeps each coupon SKU's best trigger (BestCoupons).
//
// Privacy (docs/privacy.md): for Audience::kMerchant a support below the pair's k_min is no
// edge, takes the lift with it, and a SKU's buyers below k_min count as 0.
// Thread safety: const methods only, callable from many threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "recommender_context.hpp"

namespace partnergraph::recommend_internal {

// The ranking of coupon answers: score desc, then coupon SKU id asc, then trigger id asc.
bool BetterCoupon(const CouponResult& a, const CouponResult& b);

class CouponScoring {
 public:
  // Keeps a reference to `context`, which must outlive it.
  explicit CouponScoring(const RecommenderContext& context) : context_(context) {}

  // The merchant's trigger SKUs: its coupon_trigger_skus best sellers (buyers desc, id asc)
  // that have buyers. m must be one of the graph's merchants.
  std::vector<SkuId> TriggerSkus(MerchantId m) const;
  // Appends to `out` the scored candidates of trigger s (a SKU of the graph) given its
  // embedding `hits`: nothing when s's merchant does not allow coupons; each candidate SKU
  // at most once.
  void CouponCandidatesFor(SkuId s, const CouponFilters& filters, std::span<const Neighbor> hits,
                           std::vector<CouponResult>* out) const;

  // The top k of one trigger's candidates (BetterCoupon order), capacity k.
  static std::vector<CouponResult> TopCoupons(std::vector<CouponResult> all, std::uint32_t k);
  // The top k of a merchant's trigger candidates: one pair per coupon SKU, its best trigger
  // (BetterCoupon order), capacity k.
  static std::vector<CouponResult> BestCoupons(std::vector<CouponResult> all, std::uint32_t k);

 private:
  const RecommenderContext& context_;
};

}  // namespace partnergraph::recommend_internal
