// Shapley-value attribution over channel coalitions.
//
// Characteristic function (Zhao et al. 2018, "Shapley value methods for
// attribution modeling in online advertising"): for a coalition S of channels,
//     v(S) = conversions of the journeys whose SET of channels is a subset of S
// (the value game w(S) likewise with revenue). Journeys with no conversion add
// nothing; v(empty set) = 0 and v(all channels) = all conversions, so the
// Shapley values sum exactly to the conversions (efficiency).
// phi_c = sum over S not containing c of |S|!(n-|S|-1)!/n! (v(S u {c}) - v(S)).
//
// Exact: when the n channels present are at most shapley_max_exact_channels,
// v is tabulated over all 2^n coalitions (a subset-sum transform of the
// conversions per exact channel set) and phi is the sum above: O(n 2^n) time,
// 2^n doubles per game.
// Sampled: otherwise, phi is the mean marginal contribution over
// shapley_samples uniformly random channel orders (seeded with shapley_seed;
// the same seed gives the same orders and the same result on any number of
// threads). In one order, channel c's marginal contribution is the weight of
// the channel sets whose last member in that order is c; it lies in [0, R_c],
// R_c = weight of the sets containing c. Hoeffding's inequality and a union
// bound over the n channels give, with probability >= shapley_confidence,
//     |phi_hat_c - phi_c| <= R_c sqrt(ln(2n / (1 - confidence)) / (2 M))
// for all channels at once (M samples): the stated per-channel error bound.
//
// Splitting one set's weight: the game is the sum over channel sets T of
// f(T) × u_T (u_T(S) = 1 when T is a subset of S), and the Shapley value is
// linear, so the credit of T's weight to its member c is f(T) × share_T(c),
// where share_T(c) = 1/|T| exactly (the Shapley value of u_T), or, sampled, the
// fraction of the sampled orders in which c is T's last member. This is how
// per-SKU credits are split (the SKU's own weight on T); summed over SKUs it
// gives the channel totals.
//
// Thread safety: the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

// Journeys aggregated by their set of channels.
struct CoalitionWeights {
  std::size_t key_count = 0;  // members are < key_count
  std::vector<std::uint64_t> offsets{0};
  // Per set: members[offsets[i] .. offsets[i+1]), ascending, distinct, non-empty.
  std::vector<std::uint32_t> members;
  std::vector<double> conversions;  // per set
  std::vector<double> value;        // per set

  std::size_t set_count() const { return conversions.size(); }
  std::span<const std::uint32_t> set(std::size_t i) const {
    return {members.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
};

// Groups the paths of `table` by channel set (sets in order of first
// appearance; weights summed in path order). `set_of_path` (may be null)
// receives the set index of every path.
CoalitionWeights CollectCoalitions(const JourneyTable& table,
                                   std::vector<std::uint32_t>* set_of_path = nullptr);

struct ShapleyValues {
  bool exact = true;
  std::uint64_t samples = 0;  // 0 when exact
  std::uint64_t players = 0;  // n: keys in a set with conversions or value
  // Per key (size key_count): Shapley value of the conversion game and of the
  // value game; 0 for keys in no set.
  std::vector<double> conversions;
  std::vector<double> value;
  // Per key: the error bound stated above (0 when exact).
  std::vector<double> conversions_bound;
  std::vector<double> value_bound;
  // Parallel to CoalitionWeights::members: share_T(c) as defined above.
  std::vector<double> member_shares;
};

// Errors: InvalidArgument for invalid options or malformed sets.
Result<ShapleyValues> ComputeShapley(const CoalitionWeights& weights,
                                     const AttributionOptions& options);

}  // namespace partnergraph
