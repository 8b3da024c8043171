// RecommenderContext: what every part of a Recommender reads — the model, the options and
// the precomputed profiles. The parts (CandidateSearch, PartnerScoring, CouponScoring) keep a
// reference to one context, which must outlive them; Recommender::Impl holds the context and
// the parts together (partner_recommender.cpp).
//
// How the parts fit, for one request (partner_recommender.cpp runs them):
//   partner query: CandidateSearch (stored or searched ANN hits) -> PartnerScoring
//                  (graph candidates, filters, scores, top k, evidence);
//   coupon query:  CouponScoring::TriggerSkus -> CandidateSearch::SkuNeighbors (stored or
//                  searched hits) -> CouponScoring (candidates, filters, scores, top k).
// Thread safety: immutable once built, but for `live`, which is safe to read while one writer
// changes it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "partnergraph/recommend/live_overlay.hpp"
#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "precomputed_profiles.hpp"

namespace partnergraph::recommend_internal {

struct RecommenderContext {
  RecommendModel model;  // graph is set; the other parts may be null (recommend_types.hpp)
  RecommendOptions options;
  std::shared_ptr<const PrecomputedProfiles> profiles;  // set; computed for model.graph
  // Set: the policies, contactable counts and relations, as events changed them
  // (live_overlay.hpp). The parts read those from here, never from the graph or the profiles.
  std::shared_ptr<LiveOverlay> live;
};

// The overlay of a model whose profiles are `profiles`: the graph's policies and relations and the
// profiles' contactable counts, unchanged by any event yet.
inline std::shared_ptr<LiveOverlay> NewLiveOverlay(std::shared_ptr<const EcosystemGraph> graph,
                                                   const PrecomputedProfiles& profiles) {
  const std::uint32_t n = graph->merchant_count();
  std::vector<std::uint32_t> contactable(n);
  std::vector<std::uint32_t> by_channel;
  by_channel.reserve(std::size_t{n} * kContactChannelCount);
  for (std::uint32_t m = 0; m < n; ++m) {
    const MerchantProfile& p = profiles.Profile(MerchantId(m));
    contactable[m] = p.contactable;
    by_channel.insert(by_channel.end(), p.contactable_by_channel.begin(),
                      p.contactable_by_channel.end());
  }
  return std::make_shared<LiveOverlay>(std::move(graph), std::move(contactable),
                                       std::move(by_channel));
}

}  // namespace partnergraph::recommend_internal
