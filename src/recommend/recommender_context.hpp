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
// Thread safety: immutable once built.
#pragma once

#include <memory>

#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "precomputed_profiles.hpp"

namespace partnergraph::recommend_internal {

struct RecommenderContext {
  RecommendModel model;  // graph is set; the other parts may be null (recommend_types.hpp)
  RecommendOptions options;
  std::shared_ptr<const PrecomputedProfiles> profiles;  // set; computed for model.graph
};

}  // namespace partnergraph::recommend_internal
