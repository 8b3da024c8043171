#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "partnergraph/recommend/ranking_metrics.hpp"

using namespace partnergraph;

TEST_CASE("Ranking metrics on a hand-computed query", "[recommend]") {
  // Ranked 5,3,9,1; relevant {3,1,7}.
  std::vector<std::uint32_t> ranked{5, 3, 9, 1};
  std::unordered_set<std::uint32_t> relevant{3, 1, 7};
  CHECK(RecallAtK(ranked, relevant, 10) == Approx(2.0 / 3.0));
  CHECK(RecallAtK(ranked, relevant, 2) == Approx(1.0 / 3.0));
  CHECK(ReciprocalRank(ranked, relevant) == Approx(0.5));
  // DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4).
  double dcg = 1.0 / std::log2(3.0) + 1.0 / std::log2(5.0);
  double idcg = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  CHECK(NdcgAtK(ranked, relevant, 10) == Approx(dcg / idcg));
}

TEST_CASE("Accumulator averages over queries with ground truth only", "[recommend]") {
  RankingAccumulator acc(10, std::vector<bool>{false, false, false, false, false, true, true, true,
                                               true, true});
  std::vector<std::uint32_t> a{0, 5};
  std::vector<std::uint32_t> b{6, 1};
  acc.Add(a, {0});      // recall 1, rr 1
  acc.Add(b, {2});      // recall 0, rr 0
  acc.Add(b, {});       // counts for coverage only
  auto m = acc.Finish();
  CHECK(m.queries == 2);
  CHECK(m.recall_at_10 == Approx(0.5));
  CHECK(m.mrr == Approx(0.5));
  CHECK(m.coverage == Approx(4.0 / 10.0));        // items 0,5,6,1
  CHECK(m.long_tail_share == Approx(3.0 / 6.0));  // 5,6,6 of 6 slots
  CHECK(m.precision_at_10 == Approx(0.05));
}

TEST_CASE("Empty lists and empty ground truth give zeros, not NaN", "[recommend]") {
  RankingAccumulator acc(0, {});
  auto m = acc.Finish();
  CHECK(m.queries == 0);
  CHECK(m.recall_at_10 == 0.0);
  CHECK(m.coverage == 0.0);
  CHECK(NdcgAtK({}, {}, 10) == 0.0);
}
