// PartnerScoring: steps 2 and 3 of a partner query and the pair-level answers. Given the ANN
// hits CandidateSearch found for merchant m, it adds m's graph candidates (precomputed
// profiles), drops the excluded ones (m itself, partners unless asked, competitors, blocked
// pairs, opted-out merchants, the request's filters), scores the rest (ScorePair), keeps the
// top k and attaches the evidence (shared customers, SharedSegments). ExplainPair,
// Visible and OverlapReport answer about one pair with the same score and evidence.
//
// Privacy (docs/privacy.md): for Audience::kMerchant, scores and evidence are computed from
// the disclosed values only (ScorePair, SharedSegments).
// Thread safety: const methods only, callable from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "recommender_context.hpp"

namespace partnergraph::recommend_internal {

class PartnerScoring {
 public:
  // Keeps a reference to `context`, which must outlive it.
  explicit PartnerScoring(const RecommenderContext& context) : context_(context) {}

  // The top k partners of m from the ANN `hits` (empty: no ANN stage) and m's graph
  // candidates, filtered, scored and ranked (total desc, merchant id asc), with their
  // evidence. The request must have been checked (m a merchant, k >= 1).
  std::vector<PartnerResult> PartnersFromHits(MerchantId m, std::uint32_t k,
                                              const PartnerFilters& filters,
                                              std::span<const Neighbor> hits) const;

  // The score of candidate c for m; `competitor`: whether c is m's declared or derived
  // competitor, `shared_customers`: the pair's shared customers (the caller knows them or
  // looks them up). kMerchant: from the disclosed evidence only (docs/privacy.md): the
  // shared count only at or above the pair's k_min, c's contactable share in tenths, one
  // fixed long-tail factor, and the category lift only when it does not reveal the pair's
  // overlap.
  PartnerScore ScorePair(MerchantId m, MerchantId c, double similarity, double long_tail_weight,
                         bool competitor, std::uint32_t shared_customers, Audience audience) const;
  // The dot product of the two merchants' embedding rows; 0 without merchant embeddings.
  double Similarity(MerchantId a, MerchantId b) const;
  // The shared segments of (a, b), largest first (ties by segment id), at most `limit`.
  // kMerchant: only segments whose count is disclosed (both share overlaps, count >= k_min),
  // so that neither the presence nor the order of a segment tells anything about a
  // suppressed count; and when the pair's total minus the listed segments would be a count
  // below k_min, also the smallest listed ones (complementary suppression), in every answer
  // alike. A count is set only when disclosed (nullopt: suppressed).
  std::vector<SegmentCount> SharedSegments(MerchantId a, MerchantId b, std::size_t limit,
                                           Audience audience) const;

  // Appends to `reasons` every filter that excludes c for m under `filters` (none: kept).
  // For kMerchant it leaves out c's own settings (opted out of discovery) and blocked pairs.
  void ExclusionReasons(MerchantId m, MerchantId c, const PartnerFilters& filters,
                        std::vector<std::string>* reasons) const;
  // Whether c is excluded for m by the filters that read c's profile (m itself, opted out of
  // discovery, the request's regions, categories and tiers).
  bool ExcludedByProfile(MerchantId m, MerchantId c, const PartnerFilters& filters) const;
  // Replaces *out with the merchants m's relations exclude, sorted (may repeat): its partners
  // (unless the filters include them), declared and derived competitors, and blocked pairs.
  void ExcludedByRelation(MerchantId m, const PartnerFilters& filters,
                          std::vector<MerchantId>* out) const;

  // Recommender::ExplainPair, Visible and OverlapReport (partner_recommender.hpp has the
  // contracts).
  PairExplanation ExplainPair(MerchantId m, MerchantId other, Audience audience) const;
  bool Visible(MerchantId m, MerchantId other, Audience audience) const;
  Result<OverlapDetail> OverlapReport(MerchantId m, MerchantId other, Audience audience) const;

 private:
  const PrecomputedProfiles& profiles() const { return *context_.profiles; }
  const LiveOverlay& live() const { return *context_.live; }

  const RecommenderContext& context_;
};

}  // namespace partnergraph::recommend_internal
