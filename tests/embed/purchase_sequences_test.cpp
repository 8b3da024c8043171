#include <catch2/catch.hpp>

#include <vector>

#include "partnergraph/embed/purchase_sequences.hpp"

using namespace partnergraph;

namespace {
std::vector<std::vector<std::uint32_t>> AsVectors(const SequenceCorpus& corpus) {
  std::vector<std::vector<std::uint32_t>> out;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const auto s = corpus.Sequence(i);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}
}  // namespace

TEST_CASE("Purchase sequences are per customer and in time order", "[embed]") {
  const std::vector<PurchaseEvent> purchases = {
      {2, 30, 7}, {1, 20, 5}, {1, 10, 4}, {2, 10, 8}, {1, 20, 3}, {0, 5, 9}, {2, 20, 8},
  };
  SequenceOptions options;
  auto corpus = BuildPurchaseSequences(purchases, options);
  REQUIRE(corpus.ok());
  // Customer 0 has one purchase: dropped (min_length 2). Customer 1: 4 at t=10, then 3 and
  // 5 at t=20 (same instant: ordered by SKU). Customer 2: 8, 8 (collapsed), 7.
  CHECK(AsVectors(*corpus) == std::vector<std::vector<std::uint32_t>>{{4, 3, 5}, {8, 7}});

  options.collapse_repeats = false;
  options.min_length = 1;
  CHECK(AsVectors(BuildPurchaseSequences(purchases, options).value()) ==
        std::vector<std::vector<std::uint32_t>>{{9}, {4, 3, 5}, {8, 8, 7}});
}

TEST_CASE("Long purchase sequences are cut into pieces", "[embed]") {
  std::vector<PurchaseEvent> purchases;
  for (std::uint32_t i = 0; i < 7; ++i) purchases.push_back({0, i, i});
  SequenceOptions options;
  options.max_length = 3;
  // 0 1 2 | 3 4 5 | 6 (too short, dropped)
  CHECK(AsVectors(BuildPurchaseSequences(purchases, options).value()) ==
        std::vector<std::vector<std::uint32_t>>{{0, 1, 2}, {3, 4, 5}});
  options.max_length = 1;
  CHECK(BuildPurchaseSequences(purchases, options).status().IsInvalidArgument());
  CHECK(BuildPurchaseSequences({}, SequenceOptions{}).value().empty());
}
