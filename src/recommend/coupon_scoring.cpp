// CouponScoring: trigger SKUs, candidates, filters, scores and the top k of coupon queries
// (coupon_scoring.hpp).
#include "coupon_scoring.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "scoring_helpers.hpp"

namespace partnergraph::recommend_internal {

bool BetterCoupon(const CouponResult& a, const CouponResult& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.sku != b.sku) return a.sku < b.sku;
  return a.trigger < b.trigger;
}

std::vector<SkuId> CouponScoring::TriggerSkus(MerchantId m) const {
  const EcosystemGraph& g = *context_.model.graph;
  // The merchant's best sellers (buyers desc, id asc) are the triggers.
  std::vector<std::pair<std::uint32_t, SkuId>> sellers;
  for (SkuId s : g.SkusOf(m)) sellers.emplace_back(g.SkuStatsOf(s).buyers, s);
  std::sort(sellers.begin(), sellers.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (sellers.size() > context_.options.coupon_trigger_skus) {
    sellers.resize(context_.options.coupon_trigger_skus);
  }
  std::vector<SkuId> out;
  for (const auto& [buyers, s] : sellers) {
    if (buyers > 0) out.push_back(s);
  }
  return out;
}

std::vector<CouponResult> CouponScoring::TopCoupons(std::vector<CouponResult> all,
                                                    std::uint32_t k) {
  const std::size_t top = std::min<std::size_t>(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(top), all.end(),
                    BetterCoupon);
  all.resize(top);
  all.shrink_to_fit();  // k results, not every candidate's capacity (see PartnersFromHits)
  return all;
}

std::vector<CouponResult> CouponScoring::BestCoupons(std::vector<CouponResult> all,
                                                     std::uint32_t k) {
  // One pair per coupon SKU: its best trigger.
  std::sort(all.begin(), all.end(), [](const CouponResult& a, const CouponResult& b) {
    return a.sku != b.sku ? a.sku < b.sku : BetterCoupon(a, b);
  });
  all.erase(
      std::unique(all.begin(), all.end(),
                  [](const CouponResult& a, const CouponResult& b) { return a.sku == b.sku; }),
      all.end());
  return TopCoupons(std::move(all), k);
}

void CouponScoring::CouponCandidatesFor(SkuId s, const CouponFilters& f,
                                        std::span<const Neighbor> hits,
                                        std::vector<CouponResult>* out) const {
  const EcosystemGraph& g = *context_.model.graph;
  const SkuInfo trigger = g.Sku(s);
  const MerchantId x = trigger.merchant;
  const LiveOverlay& live = *context_.live;
  if (!live.Policy(x).allow_coupons) return;
  const auto& w = context_.options.coupon_weights;
  const PrecomputedProfiles& profiles = *context_.profiles;
  const MerchantProfile& px = profiles.Profile(x);
  const double reach = g.SkuStatsOf(s).buyers * ContactableShare(px, live.Contactable(x));
  const double reach_scaled =
      px.customers > 0 ? Clamp01(std::log1p(reach) / std::log1p(static_cast<double>(px.customers)))
                       : 0.0;

  auto keep = [&](SkuId cand) {
    const SkuInfo info = g.Sku(cand);
    const MerchantId y = info.merchant;
    if (y == x) return false;
    if (!live.Policy(y).allow_coupons) return false;
    if (live.IsCompetitor(x, y) || live.IsBlocked(x, y)) return false;
    if (f.min_price && info.price < *f.min_price) return false;
    if (f.max_price && info.price > *f.max_price) return false;
    if (!f.categories.empty() && !Contains(f.categories, info.category)) return false;
    return true;
  };
  auto similarity = [&](SkuId cand) {
    return context_.model.sku_vectors
               ? static_cast<double>(context_.model.sku_vectors->Dot(s.value, cand.value))
               : 0.0;
  };
  const double log_max_buyers = std::log1p(static_cast<double>(profiles.max_sku_buyers()));
  const bool merchant_view = f.audience == Audience::kMerchant;
  auto make = [&](SkuId cand, std::uint32_t support, double lift) {
    CouponResult r;
    r.trigger = s;
    r.sku = cand;
    r.embedding_similarity = similarity(cand);
    const std::uint32_t k_min = live.PairKMin(x, g.Sku(cand).merchant);
    std::uint32_t buyers = g.SkuStatsOf(cand).buyers;
    if (merchant_view) {
      // The merchant's view reads the other SKU's figures only where they are disclosed
      // (docs/privacy.md): a suppressed support takes the lift with it (the lift and the
      // support term would give the support back), and a SKU's buyers below k_min count as 0.
      if (support < k_min) {
        support = 0;
        lift = 0.0;
      }
      if (buyers < k_min) buyers = 0;
    }
    r.lift = lift;
    if (support >= k_min) r.support = support;
    r.reach = static_cast<std::uint32_t>(std::llround(reach));
    const double popularity =
        log_max_buyers > 0 ? std::log1p(static_cast<double>(buyers)) / log_max_buyers : 0.0;
    r.score =
        w.lift * LogScaled(lift, context_.options.coupon_lift_cap) +
        w.support * Clamp01(std::log1p(support) / std::log1p(context_.options.coupon_support_cap)) +
        w.reach * reach_scaled + w.embedding_similarity * r.embedding_similarity +
        w.popularity * popularity;
    return r;
  };

  std::vector<SkuId> seen;
  for (const CoPurchase& n : g.CoPurchaseNeighbors(s)) {
    // In the merchant's view an edge below k_min is no edge: the SKU may still come in as
    // an embedding or popular candidate, as any SKU without an edge does.
    if (merchant_view && n.support < live.PairKMin(x, g.Sku(n.sku).merchant)) continue;
    seen.push_back(n.sku);
    if (keep(n.sku)) out->push_back(make(n.sku, n.support, n.lift));
  }
  std::sort(seen.begin(), seen.end());
  const std::size_t copurchase_end = seen.size();
  auto add_unseen = [&](SkuId cand) {
    if (cand == s || std::binary_search(seen.begin(), seen.begin() + copurchase_end, cand)) return;
    if (keep(cand)) out->push_back(make(cand, 0, 0.0));
  };
  const std::size_t first_extra = out->size();
  for (const Neighbor& hit : hits) add_unseen(SkuId(hit.id));
  for (SkuId p : profiles.popular_skus()) add_unseen(p);
  // A SKU both near in the embedding and popular was added twice: keep one.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first_extra), out->end(),
            [](const CouponResult& a, const CouponResult& b) { return a.sku < b.sku; });
  out->erase(
      std::unique(out->begin() + static_cast<std::ptrdiff_t>(first_extra), out->end(),
                  [](const CouponResult& a, const CouponResult& b) { return a.sku == b.sku; }),
      out->end());
}

}  // namespace partnergraph::recommend_internal
