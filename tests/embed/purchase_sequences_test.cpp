#include <catch2/catch.hpp>

#include <algorithm>
#include <span>
#include <vector>

#include "partnergraph/embed/purchase_sequences.hpp"
#include "partnergraph/embed/skip_gram.hpp"

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

TEST_CASE("min_count removes rare SKUs from the sequences", "[embed]") {
  // Sequences 1 3 2 | 2 4 1 | 1 4 1 | 5 6 5: SKU 1 occurs 4 times, 2, 4 and 5 twice, 3 and 6
  // once.
  const std::vector<PurchaseEvent> purchases = {
      {0, 1, 1}, {0, 2, 3}, {0, 3, 2}, {1, 1, 2}, {1, 2, 4}, {1, 3, 1},
      {2, 1, 1}, {2, 2, 4}, {2, 3, 1}, {3, 1, 5}, {3, 2, 6}, {3, 3, 5},
  };
  SequenceOptions options;
  const auto all = AsVectors(BuildPurchaseSequences(purchases, options).value());
  CHECK(all == std::vector<std::vector<std::uint32_t>>{{1, 3, 2}, {2, 4, 1}, {1, 4, 1}, {5, 6, 5}});

  // 2 drops 3 and 6; customer 3's 5 5 collapses to one token, too short to keep.
  options.min_count = 2;
  CHECK(AsVectors(BuildPurchaseSequences(purchases, options).value()) ==
        std::vector<std::vector<std::uint32_t>>{{1, 2}, {2, 4, 1}, {1, 4, 1}});

  // 3 keeps SKU 1 only: 1 | 1 | 1 1 (collapsed to 1): every sequence is too short.
  options.min_count = 3;
  CHECK(BuildPurchaseSequences(purchases, options).value().empty());
  options.collapse_repeats = false;
  CHECK(AsVectors(BuildPurchaseSequences(purchases, options).value()) ==
        std::vector<std::vector<std::uint32_t>>{{1, 1}});

  options.min_count = 0;
  CHECK(BuildPurchaseSequences(purchases, options).status().message() ==
        "sequences.min_count: 0 is out of range [1, inf)");
}

TEST_CASE("Item2vec with min_count: rare SKUs get zero rows, the rest is deterministic", "[embed]") {
  // 200 customers buying 3 of 40 popular SKUs (0-39), plus 20 SKUs (40-59) bought once each.
  std::vector<PurchaseEvent> purchases;
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(state >> 33);
  };
  for (std::uint32_t c = 0; c < 200; ++c) {
    for (std::int64_t t = 0; t < 3; ++t) purchases.push_back({c, t, next() % 40});
    if (c < 20) purchases.push_back({c, 3, 40 + c});
  }
  SequenceOptions sequences;
  sequences.min_count = 2;
  const SequenceCorpus corpus = BuildPurchaseSequences(purchases, sequences).value();
  SgnsOptions sgns;
  sgns.dim = 16;
  sgns.epochs = 3;
  sgns.block_tokens = 64;
  sgns.threads = 1;
  auto one = TrainSkipGram(corpus, 60, sgns);
  sgns.threads = 2;
  auto two = TrainSkipGram(corpus, 60, sgns);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  CHECK(one->values() == two->values());
  auto zero = [](std::span<const float> row) {
    return std::all_of(row.begin(), row.end(), [](float x) { return x == 0.0f; });
  };
  for (std::uint32_t s = 40; s < 60; ++s) CHECK(zero(one->Row(s)));
  std::uint32_t with_vector = 0;
  for (std::uint32_t s = 0; s < 40; ++s) with_vector += !zero(one->Row(s));
  CHECK(with_vector == 40);

  // Without min_count the once-bought SKUs are trained (and get vectors).
  sequences.min_count = 1;
  auto all = TrainSkipGram(BuildPurchaseSequences(purchases, sequences).value(), 60, sgns);
  REQUIRE(all.ok());
  for (std::uint32_t s = 40; s < 60; ++s) CHECK_FALSE(zero(all->Row(s)));
}
