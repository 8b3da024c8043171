#include "partnergraph/recommend/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace partnergraph {

double RecallAtK(std::span<const std::uint32_t> ranked,
                 const std::unordered_set<std::uint32_t>& relevant, std::size_t k) {
  if (relevant.empty()) return 0.0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) hits += relevant.count(ranked[i]);
  return static_cast<double>(hits) / static_cast<double>(relevant.size());
}

double NdcgAtK(std::span<const std::uint32_t> ranked,
               const std::unordered_set<std::uint32_t>& relevant, std::size_t k) {
  if (relevant.empty()) return 0.0;
  double dcg = 0.0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    if (relevant.count(ranked[i])) dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  }
  double ideal = 0.0;
  for (std::size_t i = 0; i < std::min(k, relevant.size()); ++i) {
    ideal += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  }
  return dcg / ideal;
}

double ReciprocalRank(std::span<const std::uint32_t> ranked,
                      const std::unordered_set<std::uint32_t>& relevant) {
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    if (relevant.count(ranked[i])) return 1.0 / static_cast<double>(i + 1);
  }
  return 0.0;
}

RankingAccumulator::RankingAccumulator(std::size_t catalogue_size, std::vector<bool> is_long_tail)
    : catalogue_size_(catalogue_size),
      is_long_tail_(std::move(is_long_tail)),
      recommended_(catalogue_size, false) {}

void RankingAccumulator::Add(std::span<const std::uint32_t> ranked,
                             const std::unordered_set<std::uint32_t>& relevant) {
  const std::size_t top = std::min<std::size_t>(10, ranked.size());
  for (std::size_t i = 0; i < top; ++i) {
    std::uint32_t item = ranked[i];
    if (item < recommended_.size()) recommended_[item] = true;
    ++top10_total_;
    if (item < is_long_tail_.size() && is_long_tail_[item]) ++top10_long_tail_;
  }
  if (relevant.empty()) return;
  ++queries_;
  recall10_ += RecallAtK(ranked, relevant, 10);
  recall50_ += RecallAtK(ranked, relevant, 50);
  ndcg10_ += NdcgAtK(ranked, relevant, 10);
  mrr_ += ReciprocalRank(ranked, relevant);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < top; ++i) hits += relevant.count(ranked[i]);
  precision10_ += static_cast<double>(hits) / 10.0;
}

void RankingAccumulator::Merge(const RankingAccumulator& other) {
  for (std::size_t i = 0; i < recommended_.size() && i < other.recommended_.size(); ++i) {
    if (other.recommended_[i]) recommended_[i] = true;
  }
  recall10_ += other.recall10_;
  recall50_ += other.recall50_;
  ndcg10_ += other.ndcg10_;
  mrr_ += other.mrr_;
  precision10_ += other.precision10_;
  queries_ += other.queries_;
  top10_total_ += other.top10_total_;
  top10_long_tail_ += other.top10_long_tail_;
}

RankingMetrics RankingAccumulator::Finish() const {
  RankingMetrics m;
  m.queries = queries_;
  if (queries_ > 0) {
    const double q = static_cast<double>(queries_);
    m.recall_at_10 = recall10_ / q;
    m.recall_at_50 = recall50_ / q;
    m.ndcg_at_10 = ndcg10_ / q;
    m.mrr = mrr_ / q;
    m.precision_at_10 = precision10_ / q;
  }
  if (catalogue_size_ > 0) {
    m.coverage = static_cast<double>(std::count(recommended_.begin(), recommended_.end(), true)) /
                 static_cast<double>(catalogue_size_);
  }
  if (top10_total_ > 0) {
    m.long_tail_share = static_cast<double>(top10_long_tail_) / static_cast<double>(top10_total_);
  }
  return m;
}

}  // namespace partnergraph
