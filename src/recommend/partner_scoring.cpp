// PartnerScoring: graph candidates, filters, scores, top k and evidence of a partner query,
// and the pair-level answers (partner_scoring.hpp).
#include "partner_scoring.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "partnergraph/recommend/partner_recommender.hpp"
#include "scoring_helpers.hpp"

namespace partnergraph::recommend_internal {

double PartnerScoring::Similarity(MerchantId a, MerchantId b) const {
  if (!context_.model.merchant_vectors) return 0.0;
  return context_.model.merchant_vectors->Dot(a.value, b.value);
}

PartnerScore PartnerScoring::ScorePair(MerchantId m, MerchantId c, double similarity,
                                       double long_tail_weight, bool competitor,
                                       std::uint32_t shared_customers, Audience audience) const {
  const EcosystemGraph& g = *context_.model.graph;
  const auto& w = context_.options.partner_weights;
  PartnerScore s;
  s.audience_similarity = similarity;
  const MerchantProfile& pm = profiles().Profile(m);
  const MerchantProfile& pc = profiles().Profile(c);
  const CategoryId cm = pm.category;
  const CategoryId cc = pc.category;
  const bool merchant_view = audience == Audience::kMerchant;
  const std::uint32_t k_min = live().PairKMin(m, c);
  if (cm != cc) {
    if (auto lift = g.CategoryLift(cm, cc)) {
      // Between two categories of one merchant each, the category pair's customers are the
      // pair's shared customers: a merchant's view reads the lift only when that count is
      // disclosed or the categories hold more merchants than the pair.
      const bool disclosed = !merchant_view || lift->customers_both >= k_min ||
                             profiles().CategoryMerchants(cm) > 1 ||
                             profiles().CategoryMerchants(cc) > 1;
      if (disclosed) {
        s.category_complementarity =
            LogScaled(lift->lift, context_.options.complementarity_lift_cap);
      }
    }
  }
  // The two terms that read c's customers. An operator's score reads them exactly. A
  // merchant's reads only what the answer discloses anyway (docs/privacy.md): the shared
  // count when it is at or above the pair's k_min (else 0, like no overlap at all), c's
  // contactable share in tenths, and whether c is in the long tail (one fixed factor for
  // every long-tail merchant), so no suppressed count and no customer count of c can be
  // solved for from the components, the total or the ranking.
  double reachable = 0;
  double long_tail_factor = 0;
  if (!merchant_view) {
    reachable = shared_customers * ContactableShare(pc, live().Contactable(c));
    if (profiles().max_customers() > 0) {
      long_tail_factor = 1.0 - pc.log1p_customers / profiles().log1p_max_customers();
    }
  } else {
    const bool disclosed = shared_customers >= k_min;
    reachable =
        disclosed ? shared_customers * DisclosedContactableShare(pc, live().Contactable(c)) : 0.0;
    long_tail_factor = Recommender::kDisclosedLongTailFactor;
  }
  if (pm.customers > 0) s.shared_reach = Clamp01(std::log1p(reachable) / pm.log1p_customers);
  s.competition_penalty = (cm == cc || competitor) ? 1.0 : 0.0;
  if (pc.long_tail) s.long_tail_boost = long_tail_weight * long_tail_factor;
  s.total = w.audience_similarity * s.audience_similarity +
            w.category_complementarity * s.category_complementarity +
            w.shared_reach * s.shared_reach - w.competition_penalty * s.competition_penalty +
            s.long_tail_boost;
  return s;
}

std::vector<SegmentCount> PartnerScoring::SharedSegments(MerchantId a, MerchantId b,
                                                         std::size_t limit,
                                                         Audience audience) const {
  const EcosystemGraph& g = *context_.model.graph;
  auto ta = g.CustomersOf(a).targets();
  auto tb = g.CustomersOf(b).targets();
  std::unordered_map<std::uint32_t, std::uint32_t> per_segment;
  auto count = [&](GraphVertex v) {
    SegmentId seg = g.Customer(g.IdOf<CustomerId>(v)).segment;
    if (seg.valid()) ++per_segment[seg.value];
  };
  // Both lists are sorted by customer vertex. Lopsided pairs (a small merchant and a
  // large one): each customer of the small list is looked up in the large one with a
  // binary search that starts where the previous one ended, O(small * log large);
  // otherwise a merge walk, O(small + large).
  if (ta.size() > tb.size()) std::swap(ta, tb);
  if (ta.size() * 16 < tb.size()) {
    auto from = tb.begin();
    for (GraphVertex v : ta) {
      from = std::lower_bound(from, tb.end(), v);
      if (from == tb.end()) break;
      if (*from == v) count(v);
    }
  } else {
    std::size_t i = 0, j = 0;
    while (i < ta.size() && j < tb.size()) {
      if (ta[i] < tb[j]) {
        ++i;
      } else if (tb[j] < ta[i]) {
        ++j;
      } else {
        count(ta[i]);
        ++i;
        ++j;
      }
    }
  }
  const std::uint32_t k_min = live().PairKMin(a, b);
  const bool both_share = live().Policy(a).share_overlaps && live().Policy(b).share_overlaps;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranked;
  ranked.reserve(per_segment.size());
  for (const auto& [seg, count] : per_segment) {
    // A merchant sees only disclosed segments: which segments hold a few shared customers,
    // and in which order, would tell about counts below k_min.
    if (audience == Audience::kMerchant && !(both_share && count >= k_min)) continue;
    ranked.emplace_back(seg, count);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (audience == Audience::kMerchant && !ranked.empty()) {
    // Complementary suppression: the pair's total is shown (it is >= k_min whenever a segment
    // is), so the rest (total minus the segments shown) is a count too; when it is below
    // k_min, the smallest shown segments join it until it is not (one suppressed segment
    // would otherwise be the difference).
    std::uint64_t rest = g.SharedCustomerCount(a, b);
    for (const auto& entry : ranked) rest -= entry.second;
    while (!ranked.empty() && rest > 0 && rest < k_min) {
      rest += ranked.back().second;
      ranked.pop_back();
    }
  }
  if (ranked.size() > limit) ranked.resize(limit);
  std::vector<SegmentCount> out;
  out.reserve(ranked.size());
  for (const auto& [seg, count] : ranked) {
    SegmentCount sc;
    sc.segment = SegmentId(seg);
    if (both_share && count >= k_min) sc.count = count;
    out.push_back(sc);
  }
  return out;
}

void PartnerScoring::ExclusionReasons(MerchantId m, MerchantId c, const PartnerFilters& f,
                                      std::vector<std::string>* reasons) const {
  const EcosystemGraph& g = *context_.model.graph;
  if (m == c) reasons->push_back("the merchant itself");
  if (!f.include_existing_partners && live().IsPartner(m, c))
    reasons->push_back("already a partner");
  if (live().IsDeclaredCompetitor(m, c)) reasons->push_back("declared competitor");
  if (g.IsDerivedCompetitor(m, c)) {
    reasons->push_back("derived competitor (same category, overlapping assortment)");
  }
  const MerchantInfo info = g.Merchant(c);
  // The other merchant's own setting and a block are an operator's to see: a merchant asking
  // about such a pair is answered as about an unknown merchant (Visible, the Engine).
  if (f.audience == Audience::kOperator) {
    if (live().IsBlocked(m, c)) reasons->push_back("blocked pair");
    if (!live().Policy(c).discoverable) reasons->push_back("opted out of discovery");
  }
  if (!f.regions.empty() && !Contains(f.regions, info.region)) {
    reasons->push_back("region not in the request's regions");
  }
  if (!f.categories.empty() && !Contains(f.categories, info.category)) {
    reasons->push_back("category not in the request's categories");
  }
  if (Contains(f.exclude_categories, info.category)) {
    reasons->push_back("category excluded by the request");
  }
  if (!f.tiers.empty() && !Contains(f.tiers, profiles().Profile(c).tier)) {
    reasons->push_back("tier not in the request's tiers");
  }
}

bool PartnerScoring::ExcludedByProfile(MerchantId m, MerchantId c, const PartnerFilters& f) const {
  if (m == c) return true;
  const MerchantProfile& info = profiles().Profile(c);
  if (!live().Policy(c).discoverable) return true;
  if (!f.regions.empty() && !Contains(f.regions, info.region)) return true;
  if (!f.categories.empty() && !Contains(f.categories, info.category)) return true;
  if (Contains(f.exclude_categories, info.category)) return true;
  if (!f.tiers.empty() && !Contains(f.tiers, info.tier)) return true;
  return false;
}

void PartnerScoring::ExcludedByRelation(MerchantId m, const PartnerFilters& f,
                                        std::vector<MerchantId>* out) const {
  out->clear();
  live().Excluded(m, f.include_existing_partners, out);
}

std::vector<PartnerResult> PartnerScoring::PartnersFromHits(MerchantId m, std::uint32_t k,
                                                            const PartnerFilters& filters,
                                                            std::span<const Neighbor> hits) const {
  const EcosystemGraph& g = *context_.model.graph;
  const double lt_weight =
      filters.long_tail_boost.value_or(context_.options.partner_weights.long_tail_boost);
  std::vector<MerchantId> candidates;
  const std::span<const MerchantId> graph_candidates = profiles().GraphCandidates(m);
  candidates.reserve(hits.size() + graph_candidates.size());
  for (const Neighbor& hit : hits) candidates.push_back(MerchantId(hit.id));

  // m's partners (unless asked), competitors and blocked pairs, looked up once (sorted); and
  // m's shared-customer list, walked in step with the sorted candidates (merchant vertices
  // are merchant ids: ecosystem_graph.hpp).
  thread_local std::vector<MerchantId> excluded;
  ExcludedByRelation(m, filters, &excluded);
  const auto shared = g.SharedCustomersOf(m);
  const std::span<const GraphVertex> shared_targets = shared.targets();
  auto shared_count = [&](MerchantId c) -> std::uint32_t {
    auto it = std::lower_bound(shared_targets.begin(), shared_targets.end(), g.VertexOf(c));
    if (it == shared_targets.end() || *it != g.VertexOf(c)) return 0;
    return shared[static_cast<std::size_t>(it - shared_targets.begin())].customers;
  };
  if (filters.audience == Audience::kOperator) {
    candidates.insert(candidates.end(), graph_candidates.begin(), graph_candidates.end());
  } else {
    // A merchant's candidates come from the graph only through disclosed overlaps: that a
    // merchant with a handful of shared customers entered the list would tell about them.
    for (MerchantId c : graph_candidates) {
      if (shared_count(c) >= live().PairKMin(m, c)) candidates.push_back(c);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  auto next_shared = shared_targets.begin();

  // The candidates are scattered over the merchant tables: each one's profile and embedding
  // row is fetched a few candidates ahead of its use (cache misses were most of this loop).
  constexpr std::size_t kAhead = 6;
  auto prefetch = [&](std::size_t i) {
    __builtin_prefetch(&profiles().Profile(candidates[i]));
    if (context_.model.merchant_vectors) {
      const auto row = context_.model.merchant_vectors->Row(candidates[i].value);
      const char* bytes = reinterpret_cast<const char*>(row.data());
      for (std::size_t line = 0; line < row.size_bytes(); line += 64) {
        __builtin_prefetch(bytes + line);
      }
    }
  };
  for (std::size_t i = 0; i < std::min(kAhead, candidates.size()); ++i) prefetch(i);

  // 2. Filters, 3. score (the similarity recomputed from the embeddings, so that the
  // score does not depend on how the ANN stage summed).
  std::vector<PartnerResult> results;
  results.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i + kAhead < candidates.size()) prefetch(i + kAhead);
    const MerchantId cand = candidates[i];
    if (ExcludedByProfile(m, cand, filters)) continue;
    if (std::binary_search(excluded.begin(), excluded.end(), cand)) continue;
    next_shared = std::lower_bound(next_shared, shared_targets.end(), g.VertexOf(cand));
    std::uint32_t shared_customers = 0;
    if (next_shared != shared_targets.end() && *next_shared == g.VertexOf(cand)) {
      shared_customers =
          shared[static_cast<std::size_t>(next_shared - shared_targets.begin())].customers;
    }
    PartnerResult r;
    r.merchant = cand;
    // Not a competitor: those were excluded above.
    r.score = ScorePair(m, cand, Similarity(m, cand), lt_weight, /*competitor=*/false,
                        shared_customers, filters.audience);
    results.push_back(r);
  }
  auto better = [](const PartnerResult& a, const PartnerResult& b) {
    return a.score.total != b.score.total ? a.score.total > b.score.total : a.merchant < b.merchant;
  };
  const std::size_t top = std::min<std::size_t>(k, results.size());
  std::partial_sort(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(top),
                    results.end(), better);
  results.resize(top);
  // The answer keeps k results, not the capacity of every candidate: the precompute holds
  // one answer per merchant (at 100k merchants the spare capacity was gigabytes).
  results.shrink_to_fit();

  // Evidence for the kept results only.
  for (auto& r : results) {
    r.shared_segments = SharedSegments(m, r.merchant, 3, filters.audience);
    const std::uint32_t shared = g.SharedCustomerCount(m, r.merchant);
    if (shared >= live().PairKMin(m, r.merchant)) r.shared_customers = shared;
  }
  return results;
}

PairExplanation PartnerScoring::ExplainPair(MerchantId m, MerchantId other,
                                            Audience audience) const {
  const EcosystemGraph& g = *context_.model.graph;
  PairExplanation e;
  const std::uint32_t shared = g.SharedCustomerCount(m, other);
  e.score =
      ScorePair(m, other, Similarity(m, other), context_.options.partner_weights.long_tail_boost,
                live().IsCompetitor(m, other), shared, audience);
  e.shared_segments = SharedSegments(m, other, 3, audience);
  if (shared >= live().PairKMin(m, other)) e.shared_customers = shared;
  PartnerFilters filters;
  filters.audience = audience;
  ExclusionReasons(m, other, filters, &e.excluded_because);
  return e;
}

bool PartnerScoring::Visible(MerchantId m, MerchantId other, Audience audience) const {
  if (audience == Audience::kOperator) return true;
  return live().Policy(other).discoverable && !live().IsBlocked(m, other);
}

Result<OverlapDetail> PartnerScoring::OverlapReport(MerchantId m, MerchantId other,
                                                    Audience audience) const {
  const EcosystemGraph& g = *context_.model.graph;
  if (!live().Policy(m).share_overlaps || !live().Policy(other).share_overlaps) {
    return Status::PermissionDenied(
        "overlap detail needs both merchants to opt in to sharing (merchant_policy.csv "
        "share_overlaps)");
  }
  OverlapDetail d;
  d.k_min = live().PairKMin(m, other);
  // Both share. An operator sees every shared segment (those below k_min as suppressed); a
  // merchant the disclosed ones (SharedSegments).
  d.segments = SharedSegments(m, other, g.segment_count(), audience);
  const std::uint32_t shared = g.SharedCustomerCount(m, other);
  if (shared >= d.k_min) d.shared_customers = shared;
  return d;
}

}  // namespace partnergraph::recommend_internal
