// Recommender: the recommendation stage over one model (graph + embeddings + vector
// indexes), partner and coupon-pairing answers. See docs/recommendations.md for the scores,
// with every formula. The value types are in recommend_types.hpp; the parts behind this
// class live in src/recommend/ (precomputed_profiles, candidate_search, partner_scoring,
// coupon_scoring; partner_recommender.cpp runs a request through them).
//
// Partner query for merchant m:
//   1. candidates: the top C merchants by audience-embedding similarity (ANN
//      index; read from the model's merchant neighbour table when the request has
//      no region, category or tier filter and the default C: neighbor_table.hpp),
//      plus m's largest shared-customer neighbours in the graph;
//   2. filters: m itself; existing partners (unless asked); declared and
//      derived competitors; blocked pairs; merchants that opted out of
//      discovery; the request's region, category and tier filters;
//   3. score = w_sim·similarity + w_comp·complementarity + w_reach·reach
//              − w_pen·competition + long-tail boost; ties broken by merchant id.
// Coupon query for SKU s (or each of a merchant's best sellers): candidates are
// s's co-purchase neighbours plus its SKU-embedding neighbours at other
// merchants (read from the model's SKU neighbour table when it covers s, else
// searched: neighbor_table.hpp); filtered (own merchant, competitor or blocked merchant, either
// side not allowing coupons, price band, categories); scored by lift, support, reach and embedding
// similarity; ties broken by SKU id.
//
// Privacy: results carry counts about the other merchant's customers only as
// aggregates, and only when >= k_min of the pair (the larger k_min); per-segment
// counts additionally need both merchants to share overlaps. Otherwise the
// count is nullopt (suppressed, never rounded). For Audience::kMerchant (filters'
// `audience`) the scores, their components and the ranking are computed from the
// disclosed evidence only (PartnerScoring::ScorePair, docs/privacy.md), so that no
// suppressed count and no other merchant's customer count can be derived from them.
//
// Requests: the Engine checks every request's values (engine_requests.cpp, against the limits
// of these options: max_k, max_candidates) and resolves its ids before it calls here, so the
// request methods below take valid requests only. Their preconditions are stated on each and
// checked by assert in debug builds; a caller other than the Engine (precompute, evaluate, the
// benches) passes the graph's own ids and a k of its validated options.
//
// Thread safety: immutable after construction; every const method may be
// called from many threads at once. Ownership: a recommender keeps shared
// pointers to the model parts it reads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/recommend/live_overlay.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"
#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/recommend_types.hpp"

namespace partnergraph {

class Recommender {
 public:
  // The long-tail boost factor kMerchant answers give every long-tail merchant, in place of
  // the exact 1 - log1p(customers) / log1p(max customers), which would tell its size. A fixed
  // number: a mean over the long tail would move with any one merchant's count.
  static constexpr double kDisclosedLongTailFactor = 0.5;

  // Checks that the parts match (embedding rows equal node counts; the neighbour tables'
  // keys equal ExpectedSkuNeighborKey / ExpectedMerchantNeighborKey of the indexes and
  // options) and precomputes the merchant profiles (parallel). InvalidArgument on mismatch
  // or invalid options (Validate; also partner_candidates above max_candidates, which would
  // give a request without `candidates` more candidates than any request may ask for).
  static Result<std::shared_ptr<const Recommender>> Create(RecommendModel model,
                                                           RecommendOptions options);
  // The same recommender reading `table` (checked as in Create) instead of searching the
  // SKUs (merchants) it covers; the merchant profiles are shared, not recomputed.
  Result<std::shared_ptr<const Recommender>> WithNeighbors(
      std::shared_ptr<const SkuNeighborTable> table) const;
  Result<std::shared_ptr<const Recommender>> WithNeighbors(
      std::shared_ptr<const MerchantNeighborTable> table) const;

  // The SKU-embedding hits of every SKU with a vector, each searched alone exactly as the
  // live coupon query searches it (CandidateSearch::SearchSkuNeighbors; a table this
  // recommender already reads is not consulted); parallel (oneTBB tasks, FAISS one thread per
  // task). InvalidArgument when the model has no SKU index or coupon_candidates is 0 (nothing is
  // searched), or the SKU index was not saved or loaded (no identity for the key); the
  // index's errors otherwise.
  Result<SkuNeighborTable> ComputeSkuNeighbors() const;
  // The same for the partner query: every merchant with a vector, searched as
  // RecommendPartners searches without a filter (k = partner_candidates + 1, the index's
  // own efSearch). InvalidArgument when the model has no merchant index or it has no
  // identity.
  Result<MerchantNeighborTable> ComputeMerchantNeighbors() const;

  // Top k partners for m (at most k results). Preconditions: m is a merchant of the graph,
  // k >= 1, filters.candidates (when set) >= 1, filters.long_tail_boost (when set) finite and
  // >= 0 (the Engine holds requests to k <= max_k, candidates <= max_candidates and a boost
  // <= 100). Errors: the ANN index's. The ANN search (when m's list is not stored) runs on
  // the calling thread.
  Result<std::vector<PartnerResult>> RecommendPartners(MerchantId m, std::uint32_t k,
                                                       const PartnerFilters& filters) const;
  // Score components and shared segments of (m, other), and every filter that
  // would exclude `other` from m's recommendations. For kMerchant the score is the disclosed
  // one and the reasons leave out the other merchant's own settings (opted out of
  // discovery) and blocked pairs: the Engine answers such pairs as an unknown merchant.
  PairExplanation ExplainPair(MerchantId m, MerchantId other, Audience audience) const;
  // Whether m may learn anything about `other` (kMerchant): `other` takes part in discovery
  // and the pair is not blocked. Always true for kOperator.
  bool Visible(MerchantId m, MerchantId other, Audience audience) const;
  // Per-segment shared counts (PartnerScoring::SharedSegments: kMerchant lists only
  // disclosed segments);
  // PermissionDenied unless both share overlaps.
  Result<OverlapDetail> OverlapReport(MerchantId m, MerchantId other, Audience audience) const;

  // Top k coupon SKUs for trigger SKU s. Preconditions: s is a SKU of the graph, k >= 1,
  // filters.min_price not above filters.max_price (the Engine holds requests to k <= max_k
  // and to finite non-negative prices). Errors: the ANN index's.
  Result<std::vector<CouponResult>> RecommendCouponPairs(SkuId s, std::uint32_t k,
                                                         const CouponFilters& filters) const;
  // Top k over the merchant's best-selling trigger SKUs (one pair per coupon SKU, its best
  // trigger). The triggers' embedding searches run as one batched FAISS search.
  // Preconditions and errors as above, m a merchant of the graph.
  Result<std::vector<CouponResult>> RecommendCouponPairs(MerchantId m, std::uint32_t k,
                                                         const CouponFilters& filters) const;

  // Batched forms for bulk work (precomputed answers): entry i is the answer for
  // merchants[i], computed like the single-merchant call except that the ANN stage of all
  // the merchants (their partner queries; their trigger SKUs' queries) runs as one FAISS
  // search with many queries (BLAS for a Flat index), on the calling thread's OpenMP
  // setting. The answers equal the single calls' up to float rounding of the ANN scores at
  // the C-th candidate (a batched Flat search sums in another order); the final scores are
  // recomputed from the embeddings either way. Preconditions: the single call's, for every
  // merchant. Errors: the first error of any merchant.
  Result<std::vector<std::vector<PartnerResult>>> RecommendPartnersBatch(
      std::span<const MerchantId> merchants, std::uint32_t k, const PartnerFilters& filters) const;
  Result<std::vector<std::vector<CouponResult>>> RecommendCouponPairsBatch(
      std::span<const MerchantId> merchants, std::uint32_t k, const CouponFilters& filters) const;

  // m's precomputed profile (m must be one of the graph's merchants).
  const MerchantProfile& Profile(MerchantId m) const;
  const RecommendModel& model() const;
  const RecommendOptions& options() const;
  // The policies, contactable counts and relations the answers read, which live events change
  // (live_overlay.hpp; the Engine's LiveState writes it). Shared by the copies WithNeighbors
  // makes.
  const std::shared_ptr<LiveOverlay>& live() const;
  // The stricter (larger) k_min of a pair, as the overlay holds it.
  std::uint32_t PairKMin(MerchantId a, MerchantId b) const;

 private:
  // The parts behind the API (src/recommend/: precomputed profiles, candidate search,
  // partner scoring, coupon scoring), immutable; copies made by WithNeighbors share the
  // profiles.
  struct Impl;
  explicit Recommender(std::shared_ptr<const Impl> impl);
  Result<std::shared_ptr<const Recommender>> WithModel(RecommendModel model) const;

  std::shared_ptr<const Impl> impl_;
};

}  // namespace partnergraph
