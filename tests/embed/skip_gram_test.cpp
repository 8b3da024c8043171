#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "partnergraph/embed/random_walker.hpp"
#include "partnergraph/embed/skip_gram.hpp"

using namespace partnergraph;

namespace {

// Two cliques of 10 nodes (0-9 and 10-19) joined by the single edge 9-10.
struct TwoCommunities {
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> targets;
  TwoCommunities() {
    for (std::uint32_t v = 0; v < 20; ++v) {
      const std::uint32_t base = v < 10 ? 0 : 10;
      for (std::uint32_t u = base; u < base + 10; ++u) {
        if (u != v) targets.push_back(u);
      }
      if (v == 9) targets.push_back(10);
      if (v == 10) targets.push_back(9);
      offsets.push_back(targets.size());
    }
  }
  SequenceCorpus Walks(std::uint64_t seed) const {
    WalkOptions options;
    options.walks_per_node = 20;
    options.walk_length = 20;
    options.seed = seed;
    return RandomWalker::Create({offsets, targets, {}}, options).value().Walk().value();
  }
};

SgnsOptions SmallOptions() {
  SgnsOptions options;
  options.dim = 16;
  options.window = 3;
  options.negatives = 5;
  options.epochs = 3;
  options.shards = 4;
  options.block_tokens = 64;
  return options;
}

// `communities` cliques of `size` nodes; clique c's last node links to clique c+1's first.
struct Cliques {
  std::uint32_t size;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> targets;
  Cliques(std::uint32_t communities, std::uint32_t size_) : size(size_) {
    const std::uint32_t n = communities * size;
    for (std::uint32_t v = 0; v < n; ++v) {
      const std::uint32_t base = v / size * size;
      for (std::uint32_t u = base; u < base + size; ++u) {
        if (u != v) targets.push_back(u);
      }
      if (v % size == size - 1 && v + 1 < n) targets.push_back(v + 1);
      if (v % size == 0 && v > 0) targets.push_back(v - 1);
      offsets.push_back(targets.size());
    }
  }
  std::uint32_t nodes() const { return static_cast<std::uint32_t>(offsets.size() - 1); }
  SequenceCorpus Walks(std::uint32_t walks_per_node) const {
    WalkOptions options;
    options.walks_per_node = walks_per_node;
    options.walk_length = 20;
    return RandomWalker::Create({offsets, targets, {}}, options).value().Walk().value();
  }
};

// Share of nodes whose nearest other node (cosine) is in their own clique.
double NearestInClique(const Embeddings& e, std::uint32_t size) {
  std::uint32_t good = 0;
  for (std::uint32_t a = 0; a < e.rows(); ++a) {
    std::uint32_t best = a == 0 ? 1 : 0;
    for (std::uint32_t b = 0; b < e.rows(); ++b) {
      if (b != a && e.Dot(a, b) > e.Dot(a, best)) best = b;
    }
    good += a / size == best / size;
  }
  return static_cast<double>(good) / e.rows();
}

}  // namespace

TEST_CASE("Skip-gram is bit-identical for a seed, whatever the thread count", "[embed]") {
  // 1,000 tokens: 1000 / block_tokens 64 allows all 4 shards to run concurrently.
  const Cliques graph(50, 20);
  const SequenceCorpus walks = graph.Walks(2);
  SgnsOptions options = SmallOptions();
  options.threads = 1;
  auto one = TrainSkipGram(walks, graph.nodes(), options);
  options.threads = 2;
  auto two = TrainSkipGram(walks, graph.nodes(), options);
  auto two_again = TrainSkipGram(walks, graph.nodes(), options);
  options.threads = 3;
  auto three = TrainSkipGram(walks, graph.nodes(), options);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  REQUIRE(two_again.ok());
  REQUIRE(three.ok());
  CHECK(one->config_json().find("\"effective_shards\":4") != std::string::npos);
  CHECK(one->values() == two->values());
  CHECK(two->values() == two_again->values());
  CHECK(one->values() == three->values());

  options.seed = 43;
  auto other = TrainSkipGram(walks, graph.nodes(), options);
  REQUIRE(other.ok());
  CHECK(other->values() != one->values());
  options.seed = SmallOptions().seed;
  options.shards = 2;  // the number of shards is part of the configuration
  auto two_shards = TrainSkipGram(walks, graph.nodes(), options);
  REQUIRE(two_shards.ok());
  CHECK(two_shards->values() != one->values());
  CHECK(one->config_json().find("\"method\":\"sgns\"") != std::string::npos);
}

TEST_CASE("Skip-gram trained in concurrent shards recovers communities", "[embed]") {
  const Cliques graph(50, 20);
  auto e = TrainSkipGram(graph.Walks(4), graph.nodes(), SmallOptions());
  REQUIRE(e.ok());
  REQUIRE(e->config_json().find("\"effective_shards\":4") != std::string::npos);
  const double share = NearestInClique(*e, 20);
  INFO("nearest node in its own clique: " << share);
  CHECK(share > 0.95);
}

TEST_CASE("Skip-gram on walks places same-community nodes closer", "[embed]") {
  const SequenceCorpus walks = TwoCommunities().Walks(3);
  auto e = TrainSkipGram(walks, 20, SmallOptions());
  REQUIRE(e.ok());
  // 20 tokens: fewer than one block's worth, so the blocks run one at a time.
  CHECK(e->config_json().find("\"effective_shards\":1") != std::string::npos);
  double within = 0, across = 0;
  int n_within = 0, n_across = 0;
  for (std::uint32_t a = 0; a < 20; ++a) {
    CHECK(e->Dot(a, a) == Approx(1.0f));
    for (std::uint32_t b = a + 1; b < 20; ++b) {
      if ((a < 10) == (b < 10)) {
        within += e->Dot(a, b);
        ++n_within;
      } else {
        across += e->Dot(a, b);
        ++n_across;
      }
    }
  }
  within /= n_within;
  across /= n_across;
  INFO("mean cosine within communities " << within << ", across " << across);
  CHECK(within > across + 0.3);
  // Each node's nearest other node is in its own community.
  for (std::uint32_t a = 0; a < 20; ++a) {
    std::uint32_t best = a == 0 ? 1 : 0;
    for (std::uint32_t b = 0; b < 20; ++b) {
      if (b != a && e->Dot(a, b) > e->Dot(a, best)) best = b;
    }
    CHECK((a < 10) == (best < 10));
  }
}

TEST_CASE("Skip-gram leaves tokens absent from the corpus at zero", "[embed]") {
  SequenceCorpus corpus;
  for (int i = 0; i < 50; ++i) corpus.Add(std::vector<std::uint32_t>{0, 1, 2, 1, 0});
  auto e = TrainSkipGram(corpus, 5, SmallOptions());
  REQUIRE(e.ok());
  REQUIRE(e->rows() == 5);
  for (std::uint32_t t : {3u, 4u}) {
    for (float v : e->Row(t)) CHECK(v == 0.0f);
  }
  CHECK(e->Dot(0, 0) == Approx(1.0f));
  // 2 of 5 rows absent at dim 16: 32 floats saved against 8 slots and ids: not stored.
  CHECK(e->sparse());
  CHECK(e->stored_row_ids() == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(e->values().size() == 3 * 16);

  auto empty = TrainSkipGram(SequenceCorpus(), 3, SmallOptions());
  REQUIRE(empty.ok());
  CHECK(empty->rows() == 3);
  for (std::uint32_t t = 0; t < 3; ++t) {
    for (float v : empty->Row(t)) CHECK(v == 0.0f);
  }

  // Every token occurs (vocabulary 3 instead of 5): dense storage, and the same vectors, since
  // tokens that never occur take no part in training (not even as negatives).
  SequenceCorpus full;
  for (int i = 0; i < 50; ++i) full.Add(std::vector<std::uint32_t>{0, 1, 2, 1, 0});
  auto dense = TrainSkipGram(full, 3, SmallOptions());
  REQUIRE(dense.ok());
  CHECK_FALSE(dense->sparse());
  for (std::uint32_t t = 0; t < 3; ++t) {
    CHECK(std::equal(dense->Row(t).begin(), dense->Row(t).end(), e->Row(t).begin()));
  }
}

TEST_CASE("Skip-gram with subsampling and without negatives still runs deterministically", "[embed]") {
  const SequenceCorpus walks = TwoCommunities().Walks(5);
  SgnsOptions options = SmallOptions();
  options.subsample = 0.01;
  options.negatives = 0;
  auto a = TrainSkipGram(walks, 20, options);
  auto b = TrainSkipGram(walks, 20, options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->values() == b->values());
}

TEST_CASE("Skip-gram refuses out-of-vocabulary tokens and bad options", "[embed]") {
  SequenceCorpus corpus;
  corpus.Add(std::vector<std::uint32_t>{0, 1});
  corpus.Add(std::vector<std::uint32_t>{1, 7, 0});
  auto bad = TrainSkipGram(corpus, 5, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message() ==
        "skip-gram: sequence 1, position 1: token 7 is outside the vocabulary of 5");
  SgnsOptions options;
  options.window = 0;
  auto bad_window = TrainSkipGram(corpus, 8, options);
  REQUIRE_FALSE(bad_window.ok());
  CHECK(bad_window.status().message() == "sgns.window: 0 is out of range [1, 1000]");
}

TEST_CASE("Skip-gram's token-pass budget lowers the epochs, never below min_epochs", "[embed]") {
  const SequenceCorpus walks = TwoCommunities().Walks(3);
  const std::uint64_t tokens = walks.token_count();
  auto epochs_of = [&](const SgnsOptions& options) {
    auto e = TrainSkipGram(walks, 20, options);
    REQUIRE(e.ok());
    const std::string json = e->config_json();
    const std::string key = "\"effective_epochs\":";
    const auto at = json.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoul(json.substr(at + key.size()));
  };
  SgnsOptions options = SmallOptions();
  options.epochs = 10;
  CHECK(epochs_of(options) == 10);  // no budget
  options.max_token_passes = 3 * tokens + tokens / 2;
  CHECK(epochs_of(options) == 3);  // floor(budget / tokens)
  options.max_token_passes = 1;
  CHECK(epochs_of(options) == 1);  // below one pass: min_epochs (1)
  options.min_epochs = 4;
  CHECK(epochs_of(options) == 4);  // the budget grows to 4 passes
  options.max_token_passes = 6 * tokens;
  CHECK(epochs_of(options) == 6);  // a budget above the floor still applies
  options.min_epochs = 50;
  CHECK(epochs_of(options) == 10);  // never above `epochs`

  // A floored run is the run of that many epochs without a budget, bit for bit (the
  // learning rate decays over the epochs actually trained).
  SgnsOptions floored = SmallOptions();
  floored.epochs = 10;
  floored.max_token_passes = 1;
  floored.min_epochs = 4;
  SgnsOptions plain = SmallOptions();
  plain.epochs = 4;
  CHECK(TrainSkipGram(walks, 20, floored)->values() == TrainSkipGram(walks, 20, plain)->values());

  options.min_epochs = 0;
  CHECK(TrainSkipGram(walks, 20, options).status().message() ==
        "sgns.min_epochs: 0 is out of range [1, 1000]");
}

TEST_CASE("Skip-gram's output tokens select rows without changing any vector", "[embed]") {
  // Tokens 0-19 of the two communities, in a vocabulary of 50: 20-49 never occur (the model
  // keeps rows for the 20 that do).
  const SequenceCorpus walks = TwoCommunities().Walks(3);
  SgnsOptions options = SmallOptions();
  auto all = TrainSkipGram(walks, 50, options);
  REQUIRE(all.ok());
  REQUIRE(all->rows() == 50);
  for (std::uint32_t t = 20; t < 50; ++t) {
    auto row = all->Row(t);
    CHECK(std::all_of(row.begin(), row.end(), [](float x) { return x == 0.0f; }));
  }
  // A vocabulary of exactly the tokens that occur gives the same vectors.
  auto tight = TrainSkipGram(walks, 20, options);
  REQUIRE(tight.ok());
  for (std::uint32_t t = 0; t < 20; ++t) {
    auto a = all->Row(t), b = tight->Row(t);
    CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
  }
  // Any selection, in any order, with absent tokens and repeats: row i is token tokens[i]'s.
  const std::vector<std::uint32_t> tokens = {7, 3, 42, 3, 19, 0};
  auto picked = TrainSkipGram(walks, 50, options, tokens);
  REQUIRE(picked.ok());
  REQUIRE(picked->rows() == tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    INFO("row " << i << ", token " << tokens[i]);
    auto a = picked->Row(static_cast<std::uint32_t>(i)), b = all->Row(tokens[i]);
    CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
  }
  const std::vector<std::uint32_t> outside = {1, 50};
  CHECK(TrainSkipGram(walks, 50, options, outside).status().message() ==
        "skip-gram: output token 1 (50) is outside the vocabulary of 50");
}
