// Ranking metrics for offline evaluation (`partnergraph evaluate`).
//
// A query has a ranked list of recommended item ids (best first, no
// duplicates) and a set of relevant item ids (the ground truth). Metrics are
// averaged over the queries that have at least one relevant item; queries
// without any are not counted (RankingMetrics::queries says how many were).
//
// Thread safety: RankingAccumulator is not synchronised; use one per thread
// and Merge() them in a fixed order for deterministic sums.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

namespace partnergraph {

struct RankingMetrics {
  double recall_at_10 = 0;   // RecallAtK(ranked, relevant, 10), averaged
  double recall_at_50 = 0;
  double ndcg_at_10 = 0;     // binary gains, log2 discount, ideal = all relevant first
  double mrr = 0;            // 1 / rank of the first relevant item (0 if none in the list)
  double precision_at_10 = 0;
  double coverage = 0;       // distinct recommended items (top 10) / catalogue size
  double long_tail_share = 0;  // share of top-10 recommendations that are long-tail items
  std::uint64_t queries = 0;   // queries with at least one relevant item
};

// recall@k = |top-k ∩ relevant| / |relevant| (the standard definition: it can
// stay below 1 when |relevant| > k).
double RecallAtK(std::span<const std::uint32_t> ranked,
                 const std::unordered_set<std::uint32_t>& relevant, std::size_t k);
double NdcgAtK(std::span<const std::uint32_t> ranked,
               const std::unordered_set<std::uint32_t>& relevant, std::size_t k);
double ReciprocalRank(std::span<const std::uint32_t> ranked,
                      const std::unordered_set<std::uint32_t>& relevant);

class RankingAccumulator {
 public:
  // `catalogue_size`: number of recommendable items (for coverage);
  // `is_long_tail`: per item id, whether it is a long-tail item (may be empty).
  RankingAccumulator(std::size_t catalogue_size, std::vector<bool> is_long_tail);

  // Adds one query. A query with no relevant item only counts toward
  // coverage and long-tail share.
  void Add(std::span<const std::uint32_t> ranked, const std::unordered_set<std::uint32_t>& relevant);
  void Merge(const RankingAccumulator& other);
  RankingMetrics Finish() const;

 private:
  std::size_t catalogue_size_;
  std::vector<bool> is_long_tail_;
  std::vector<bool> recommended_;
  double recall10_ = 0, recall50_ = 0, ndcg10_ = 0, mrr_ = 0, precision10_ = 0;
  std::uint64_t queries_ = 0;
  std::uint64_t top10_total_ = 0;
  std::uint64_t top10_long_tail_ = 0;
};

}  // namespace partnergraph
