// MarkovChain: the absorbing Markov chain of order k estimated from journeys,
// and its exact solution (no simulation).
//
// States: state 0 is (start); every other transient state is the tuple of the
// last min(i, k) keys seen after the i-th touch of a path (shorter at the start
// of a path), numbered in order of first appearance. Two absorbing states,
// (conversion) and (null), are implicit. A path with c conversions and n nulls
// adds c + n journeys to (start) -> s1 -> ... -> s_last, then c to
// s_last -> (conversion) and n to s_last -> (null). Transition probabilities
// are count(x -> y) / count(x -> anything) (maximum likelihood).
//
// Removing key c sends every state whose tuple contains c to (null).
// ExpectedVisits() solves, for that chain, the expected number of visits u of
// each transient state by a journey from (start):
//     u = e_start + Q^T u      (Q: transient-to-transient probabilities)
// by a block-triangular direct method: the strongly connected components of
// the state graph (reachable from (start), removed states left out) are solved
// in topological order, each block by dense Gaussian elimination with partial
// pivoting when it has at most markov_dense_block_limit states, otherwise by
// Gauss-Seidel sweeps (self-loops eliminated exactly) until no u changes by
// more than markov_tolerance × max u of the block in a sweep.
// The conversion probability is then sum_x u_x P(x -> conversion), and any
// other reward (value, one SKU's conversions) is a dot product with u.
// Without removal, u equals the observed visits / journeys and the conversion
// probability equals conversions / journeys (flow conservation).
//
// Thread safety: a built chain is immutable; const members may be called from
// many threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

// What one or several ExpectedVisits() calls did.
struct MarkovSolveStats {
  std::uint64_t blocks = 0;            // strongly connected blocks solved
  std::uint64_t dense_blocks = 0;      // of which by Gaussian elimination (size >= 2)
  std::uint64_t iterative_blocks = 0;  // of which by Gauss-Seidel
  std::uint64_t largest_block = 0;     // states in the largest block
  std::uint64_t sweeps = 0;            // Gauss-Seidel sweeps, all blocks
  // Largest |u_y - (b_y + sum_x u_x Q_xy)| after solving, relative to max u.
  double max_relative_residual = 0.0;
  void Combine(const MarkovSolveStats& other);
};

class MarkovChain {
 public:
  static constexpr std::uint32_t kNoKey = std::numeric_limits<std::uint32_t>::max();
  static constexpr int kMaxOrder = 4;
  // A transition's target when it is absorbing.
  static constexpr std::uint32_t kConversionState = std::numeric_limits<std::uint32_t>::max() - 1;
  static constexpr std::uint32_t kNullState = std::numeric_limits<std::uint32_t>::max() - 2;

  struct Transition {
    std::uint32_t from = 0;
    std::uint32_t to = 0;  // a state, kConversionState or kNullState
    double count = 0.0;    // journeys
  };
  // A per-SKU reward: the SKU's conversions and value of the journeys whose
  // last state is `state` (native data).
  struct SkuReward {
    std::uint32_t state = 0;
    std::uint32_t sku = 0;
    double conversions = 0.0;
    double value = 0.0;
  };

  // Builds the chain of `order` (1..4) from `table` (paths in table order;
  // per-SKU rewards from its SKU shares). Errors: InvalidArgument for an order
  // out of range or an invalid table.
  static Result<MarkovChain> Build(const JourneyTable& table, int order);

  // Builds an order-1 chain from counts (the binary fast path). `key_count` n;
  // `counts` is (n + 1) × (n + 2) row-major: row 0 is (start), row 1 + c is
  // key c; column c < n is key c, column n is (conversion), n + 1 is (null).
  // `values[c]` is the value of the conversions that ended at key c.
  // Keys that never occur get no state. Counts are finite and >= 0 (asserted).
  static MarkovChain FromOrder1Counts(std::size_t key_count, std::span<const double> counts,
                                      std::span<const double> values);

  int order() const { return order_; }
  std::size_t state_count() const { return out_total_.size(); }
  // The keys of state s, oldest first; empty for (start).
  std::span<const std::uint32_t> state_keys(std::size_t s) const;
  // "(start)", "alpha", "alpha > beta" with `key_names`; "(conversion)", "(null)".
  std::string StateName(std::uint32_t state, const std::vector<std::string>& key_names) const;

  // Journeys leaving state s (to any state, conversion or null).
  double out_count(std::size_t s) const { return out_total_[s]; }
  double conversions_at(std::size_t s) const { return conversions_[s]; }
  double value_at(std::size_t s) const { return value_[s]; }
  double nulls_at(std::size_t s) const { return nulls_[s]; }
  // Journeys (= count out of (start)).
  double journeys() const { return out_total_.empty() ? 0.0 : out_total_[0]; }
  double total_conversions() const;
  double total_value() const;
  // Every transition with a positive count, sorted by (from, to) with the
  // absorbing targets after the states.
  std::vector<Transition> Transitions() const;
  // Rewards sorted by (state, sku); empty without a SKU breakdown.
  const std::vector<SkuReward>& sku_rewards() const { return sku_rewards_; }
  // True when state s contains `key`.
  bool StateContains(std::size_t s, std::uint32_t key) const;

  // Expected visits of every state (see the top of the file) with `removed`
  // sent to (null) (kNoKey: nothing removed); 0 for removed and unreachable
  // states. `stats` (may be null) receives what the solver did. Errors:
  // Internal when a Gauss-Seidel block does not converge within
  // options.markov_max_sweeps.
  Result<std::vector<double>> ExpectedVisits(std::uint32_t removed,
                                             const AttributionOptions& options,
                                             MarkovSolveStats* stats = nullptr) const;
  // sum_s visits[s] × conversions_at(s) / out_count(s).
  double ConversionProbability(std::span<const double> visits) const;
  // sum_s visits[s] × value_at(s) / out_count(s).
  double ExpectedValue(std::span<const double> visits) const;

 private:
  using StateTuple = std::array<std::uint32_t, kMaxOrder>;
  MarkovChain() = default;

  int order_ = 1;
  std::vector<StateTuple> tuples_;   // per state; unused slots kNoKey
  std::vector<std::uint8_t> sizes_;  // tuple size per state
  // CSR of transient-to-transient edges, sorted by target within a row.
  std::vector<std::uint64_t> edge_offsets_;
  std::vector<std::uint32_t> edge_to_;
  std::vector<double> edge_count_;
  std::vector<double> out_total_;
  std::vector<double> conversions_;
  std::vector<double> value_;
  std::vector<double> nulls_;
  std::vector<SkuReward> sku_rewards_;
};

}  // namespace partnergraph
