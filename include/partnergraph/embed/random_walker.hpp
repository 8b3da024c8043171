// RandomWalker: DeepWalk (uniform or edge-weighted, first-order) and node2vec
// (second-order, return parameter p and in-out parameter q) random walks over
// a graph given as CSR adjacency arrays, the corpus of the random-walk
// skip-gram embeddings.
//
// node2vec steps use rejection sampling (as in KnightKing, Yang et al. 2019):
// from node v, reached from t, draw a neighbour x of v in proportion to the
// edge weight, and accept it with probability bias(x) / max(1/p, 1, 1/q),
// where bias = 1/p if x == t, 1 if t has an edge to x, 1/q otherwise. This
// needs no per-edge transition tables; the expected number of draws per step
// is at most max(1/p, 1, 1/q) / min(1/p, 1, 1/q).
//
// Determinism: the walk started from node v in pass w uses its own random
// stream keyed by (seed, v, w), and the start order of pass w is shuffled by a
// stream keyed by (seed, w); the output is identical for any thread count.
//
// Thread safety: Walk() is const and may be called from many threads; the
// walker reads (never writes) the caller's arrays.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/sequence_corpus.hpp"

namespace partnergraph {

// A non-owning view of a directed graph in CSR form. Node v's out-edges are
// targets[offsets[v] .. offsets[v + 1]) (with weights at the same positions);
// offsets has num_nodes() + 1 entries, starts at 0 and ends at targets.size().
// An undirected graph lists each edge in both directions. Empty spans are the
// graph without nodes.
struct CsrAdjacency {
  std::span<const std::uint64_t> offsets;
  std::span<const std::uint32_t> targets;
  // Empty for an unweighted graph; otherwise one finite weight > 0 per edge.
  std::span<const float> weights;

  std::uint32_t num_nodes() const {
    return offsets.empty() ? 0 : static_cast<std::uint32_t>(offsets.size() - 1);
  }
};

// `options` fitted to its token budget for `start_nodes` start nodes: unchanged when
// max_total_tokens is 0 or start_nodes x walks_per_node x walk_length fits; otherwise
// walks_per_node = max(1, budget / (start_nodes x walk_length)), and when one walk per
// node still does not fit, walk_length = max(8, budget / start_nodes) (never above the
// configured length). Why this order: every start node keeps at least one walk (so every
// merchant gets a vector), and on these graphs a walk visits other merchants, so fewer
// walks per node lose less than shorter walks, which shrink every context window.
WalkOptions BudgetWalks(const WalkOptions& options, std::uint64_t start_nodes);

class RandomWalker {
 public:
  // Checks `adjacency` (the layout above, every target < num_nodes(), weights) and
  // `options`, and precomputes what the walks need: cumulative edge weights when
  // weighted, and when p or q != 1 a sorted copy of the targets if the rows are not
  // already sorted. Errors: InvalidArgument naming the first violation ("node 7: target
  // 12 at edge 31 is out of range (9 nodes)") or the option.
  // Ownership: the walker keeps referring to the arrays of `adjacency`; they must
  // outlive it and stay unchanged.
  static Result<RandomWalker> Create(CsrAdjacency adjacency, const WalkOptions& options);

  // Generates options.walks_per_node walks from each of `start_nodes` (all nodes when
  // empty), in parallel on a oneTBB arena of options.threads threads. Sequence
  // w * S + j of the result (S = number of start nodes) is pass w's walk from the j-th
  // node of that pass's shuffled start order. Each walk starts with its start node and has
  // options.walk_length nodes, fewer when it reaches a node without out-edges (a start
  // node without out-edges gives a walk of length 1). Memory: up to
  // walks_per_node * S * walk_length * 4 bytes, transiently twice that while the result
  // is compacted.
  // Errors: InvalidArgument for a start node >= num_nodes().
  Result<SequenceCorpus> Walk(std::span<const std::uint32_t> start_nodes = {}) const;

  std::uint32_t num_nodes() const { return adjacency_.num_nodes(); }
  const WalkOptions& options() const { return options_; }

 private:
  RandomWalker() = default;
  template <typename Rng>
  std::uint32_t SampleNeighbor(std::uint32_t node, Rng& rng) const;
  bool HasEdge(std::uint32_t from, std::uint32_t to) const;
  template <typename Rng>
  std::uint32_t WalkFrom(std::uint32_t start, Rng& rng, std::uint32_t* out) const;

  CsrAdjacency adjacency_;
  WalkOptions options_;
  bool second_order_ = false;
  // Per edge: the sum of the weights of its row up to and including it (weighted graphs).
  std::vector<double> cumulative_weights_;
  // Targets with each row sorted, for HasEdge; empty when adjacency_.targets already is.
  std::vector<std::uint32_t> sorted_targets_;
};

}  // namespace partnergraph
