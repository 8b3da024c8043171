#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "partnergraph/embed/random_walker.hpp"

using namespace partnergraph;

namespace {

// An undirected graph held as CSR arrays (each edge stored both ways).
struct TestGraph {
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint32_t> targets;
  std::vector<float> weights;
  CsrAdjacency View() const { return {offsets, targets, weights}; }
  bool HasEdge(std::uint32_t a, std::uint32_t b) const {
    return std::find(targets.begin() + static_cast<std::ptrdiff_t>(offsets[a]),
                     targets.begin() + static_cast<std::ptrdiff_t>(offsets[a + 1]),
                     b) != targets.begin() + static_cast<std::ptrdiff_t>(offsets[a + 1]);
  }
};

TestGraph FromEdges(std::uint32_t n, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& edges) {
  std::vector<std::vector<std::uint32_t>> adj(n);
  for (auto [a, b] : edges) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  TestGraph g;
  g.offsets.push_back(0);
  for (auto& row : adj) {
    g.targets.insert(g.targets.end(), row.begin(), row.end());
    g.offsets.push_back(g.targets.size());
  }
  return g;
}

TestGraph Ring(std::uint32_t n) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (std::uint32_t i = 0; i < n; ++i) edges.emplace_back(i, (i + 1) % n);
  return FromEdges(n, edges);
}

}  // namespace

TEST_CASE("Walks follow edges, have the configured length and are deterministic", "[embed]") {
  // A ring plus chords, and node 12 isolated.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (std::uint32_t i = 0; i < 12; ++i) edges.emplace_back(i, (i + 1) % 12);
  edges.emplace_back(0, 6);
  edges.emplace_back(3, 9);
  const TestGraph g = FromEdges(13, edges);
  WalkOptions options;
  options.walks_per_node = 3;
  options.walk_length = 7;
  options.threads = 1;
  auto walker = RandomWalker::Create(g.View(), options);
  REQUIRE(walker.ok());
  auto walks = walker->Walk();
  REQUIRE(walks.ok());
  REQUIRE(walks->size() == 13 * 3);
  std::vector<int> starts(13, 0);
  for (std::size_t i = 0; i < walks->size(); ++i) {
    const auto walk = walks->Sequence(i);
    REQUIRE(!walk.empty());
    ++starts[walk[0]];
    if (walk[0] == 12) {
      CHECK(walk.size() == 1);
      continue;
    }
    CHECK(walk.size() == 7);
    for (std::size_t k = 1; k < walk.size(); ++k) CHECK(g.HasEdge(walk[k - 1], walk[k]));
  }
  for (int count : starts) CHECK(count == 3);

  // Same seed: the same walks, with any thread count; another seed: other walks.
  options.threads = 2;
  auto again = RandomWalker::Create(g.View(), options).value().Walk();
  REQUIRE(again.ok());
  CHECK(again->tokens() == walks->tokens());
  CHECK(again->offsets() == walks->offsets());
  options.seed = 7;
  auto other = RandomWalker::Create(g.View(), options).value().Walk();
  REQUIRE(other.ok());
  CHECK(other->tokens() != walks->tokens());
}

TEST_CASE("Walks from chosen start nodes, and a walk's content depends only on (node, pass)", "[embed]") {
  const TestGraph g = Ring(10);
  WalkOptions options;
  options.walks_per_node = 2;
  options.walk_length = 5;
  auto walker = RandomWalker::Create(g.View(), options).value();
  auto all = walker.Walk().value();
  const std::vector<std::uint32_t> chosen = {4};
  auto some = walker.Walk(chosen);
  REQUIRE(some.ok());
  REQUIRE(some->size() == 2);
  // Pass 0's walk from node 4 is among pass 0's walks of the full run.
  bool found = false;
  for (std::size_t i = 0; i < 10; ++i) {
    const auto w = all.Sequence(i);
    if (w[0] == 4) found = std::equal(w.begin(), w.end(), some->Sequence(0).begin());
  }
  CHECK(found);
  const std::vector<std::uint32_t> bad = {3, 10};
  auto refused = walker.Walk(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("start node 10") != std::string::npos);
}

TEST_CASE("Walks stop at nodes without out-edges", "[embed]") {
  // Directed chain 0 -> 1 -> 2.
  const std::vector<std::uint64_t> offsets = {0, 1, 2, 2};
  const std::vector<std::uint32_t> targets = {1, 2};
  WalkOptions options;
  options.walks_per_node = 1;
  options.walk_length = 10;
  auto walks = RandomWalker::Create({offsets, targets, {}}, options).value().Walk();
  REQUIRE(walks.ok());
  std::set<std::vector<std::uint32_t>> seen;
  for (std::size_t i = 0; i < walks->size(); ++i) {
    const auto w = walks->Sequence(i);
    seen.insert(std::vector<std::uint32_t>(w.begin(), w.end()));
  }
  CHECK(seen == std::set<std::vector<std::uint32_t>>{{0, 1, 2}, {1, 2}, {2}});
}

TEST_CASE("Weighted walks pick edges in proportion to their weight", "[embed]") {
  // Node 0 -> 1 (weight 1) and 0 -> 2 (weight 9); 1 and 2 lead back to 0.
  const std::vector<std::uint64_t> offsets = {0, 2, 3, 4};
  const std::vector<std::uint32_t> targets = {1, 2, 0, 0};
  const std::vector<float> weights = {1, 9, 1, 1};
  WalkOptions options;
  options.walks_per_node = 2000;
  options.walk_length = 2;
  auto walks = RandomWalker::Create({offsets, targets, weights}, options).value().Walk(
      std::vector<std::uint32_t>{0});
  REQUIRE(walks.ok());
  int to_two = 0;
  for (std::size_t i = 0; i < walks->size(); ++i) to_two += walks->Sequence(i)[1] == 2;
  CHECK(to_two / 2000.0 == Approx(0.9).margin(0.03));
}

TEST_CASE("node2vec p and q bias the second-order steps", "[embed]") {
  // On a ring every step either goes back (x == previous) or forward (not adjacent to it).
  const TestGraph g = Ring(50);
  auto backtrack_share = [&](double p, double q) {
    WalkOptions options;
    options.walks_per_node = 20;
    options.walk_length = 20;
    options.return_p = p;
    options.inout_q = q;
    auto walks = RandomWalker::Create(g.View(), options).value().Walk().value();
    int back = 0, steps = 0;
    for (std::size_t i = 0; i < walks.size(); ++i) {
      const auto w = walks.Sequence(i);
      for (std::size_t k = 2; k < w.size(); ++k, ++steps) back += w[k] == w[k - 2];
    }
    return static_cast<double>(back) / steps;
  };
  // Weights: back 1/p, forward 1/q.
  CHECK(backtrack_share(1, 1) == Approx(0.5).margin(0.03));
  CHECK(backtrack_share(0.25, 1) == Approx(0.8).margin(0.03));
  CHECK(backtrack_share(1, 0.25) == Approx(0.2).margin(0.03));
}

TEST_CASE("node2vec treats a node adjacent to the previous one as distance 1", "[embed]") {
  // Triangle 0-1-2 plus a tail 2-3; rows deliberately unsorted. From 1 (coming from 0),
  // node 2 is adjacent to 0 (weight 1) and 0 is the return (weight 1/p).
  const std::vector<std::uint64_t> offsets = {0, 2, 4, 7, 8};
  const std::vector<std::uint32_t> targets = {2, 1, 2, 0, 3, 1, 0, 2};
  WalkOptions options;
  options.walks_per_node = 3000;
  options.walk_length = 4;
  options.return_p = 1e9;  // never return
  options.inout_q = 1e9;   // never move away from the previous node's neighbourhood
  auto walker = RandomWalker::Create({offsets, targets, {}}, options);
  REQUIRE(walker.ok());
  auto walks = walker->Walk(std::vector<std::uint32_t>{0}).value();
  for (std::size_t i = 0; i < walks.size(); ++i) {
    const auto w = walks.Sequence(i);
    REQUIRE(w.size() == 4);
    // 0 -> a -> b with b != 0 and b adjacent to 0 means {a, b} = {1, 2}.
    CHECK(((w[1] == 1 && w[2] == 2) || (w[1] == 2 && w[2] == 1)));
    // From b (coming from a), the only neighbour adjacent to a that is not a is 0.
    CHECK(w[3] == 0);
  }
}

TEST_CASE("RandomWalker refuses a malformed adjacency", "[embed]") {
  const std::vector<std::uint32_t> targets = {1, 5};
  const std::vector<std::uint64_t> offsets = {0, 1, 2};
  auto out_of_range = RandomWalker::Create({offsets, targets, {}}, {});
  REQUIRE_FALSE(out_of_range.ok());
  CHECK(out_of_range.status().message().find("target 5") != std::string::npos);

  const std::vector<std::uint64_t> short_offsets = {0, 1};
  CHECK(RandomWalker::Create({short_offsets, targets, {}}, {}).status().IsInvalidArgument());
  const std::vector<std::uint64_t> decreasing = {0, 2, 1, 2};
  const std::vector<std::uint32_t> small = {1, 0};
  CHECK(RandomWalker::Create({decreasing, small, {}}, {}).status().IsInvalidArgument());
  const std::vector<float> negative = {1, -1};
  CHECK(RandomWalker::Create({offsets, small, negative}, {}).status().IsInvalidArgument());
  const std::vector<float> one_weight = {1};
  CHECK(RandomWalker::Create({offsets, small, one_weight}, {}).status().IsInvalidArgument());
  WalkOptions options;
  options.return_p = 0;
  CHECK(RandomWalker::Create({offsets, small, {}}, options).status().IsInvalidArgument());
  // The empty graph is fine and walks to nothing.
  auto empty = RandomWalker::Create({}, {});
  REQUIRE(empty.ok());
  CHECK(empty->Walk().value().empty());
}

TEST_CASE("BudgetWalks lowers walks per node, then walk length, within the budget",
          "[embed]") {
  WalkOptions o;
  o.walks_per_node = 10;
  o.walk_length = 40;
  o.max_total_tokens = 0;  // no budget: unchanged
  CHECK(BudgetWalks(o, 1000000).walks_per_node == 10);
  o.max_total_tokens = 8000000;
  // 2,000 starts x 10 x 40 = 800,000 tokens fit.
  CHECK(BudgetWalks(o, 2000).walks_per_node == 10);
  CHECK(BudgetWalks(o, 2000).walk_length == 40);
  // 100,000 starts: 2 walks of 40.
  CHECK(BudgetWalks(o, 100000).walks_per_node == 2);
  CHECK(BudgetWalks(o, 100000).walk_length == 40);
  // 1,000,000 starts: 1 walk of 8.
  CHECK(BudgetWalks(o, 1000000).walks_per_node == 1);
  CHECK(BudgetWalks(o, 1000000).walk_length == 8);
  // Never below 8 nodes (nor above the configured length), even when over budget.
  CHECK(BudgetWalks(o, 10000000).walk_length == 8);
  o.walk_length = 5;
  CHECK(BudgetWalks(o, 10000000).walk_length == 5);
  // Zero walks stay zero.
  o.walks_per_node = 0;
  CHECK(BudgetWalks(o, 10000000).walks_per_node == 0);
}
