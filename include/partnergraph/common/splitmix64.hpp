// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014;
// the constants of Vigna's splitmix64.c): the project's one definition of the generator behind
// the dataset generator's streams, the sampled Shapley orderings and the seeding of the embed
// module's xoshiro256**. Datasets, models and attribution results are reproduced bit for bit
// from their seeds, so these constants and steps never change.
//
// The generator's state is one 64-bit word; a step adds kSplitMix64Increment to it and returns
// SplitMix64Finalize of the new state.
//
// Thread safety: pure functions; a state word belongs to one thread.
#pragma once

#include <cstdint>

namespace partnergraph {

// The state's increment per step (2^64 / the golden ratio, odd).
inline constexpr std::uint64_t kSplitMix64Increment = 0x9E3779B97F4A7C15ull;

// The output function: a bijective mix of one 64-bit word.
constexpr std::uint64_t SplitMix64Finalize(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One step of the generator: advances `state` and returns the next 64 random bits.
constexpr std::uint64_t SplitMix64Next(std::uint64_t& state) {
  state += kSplitMix64Increment;
  return SplitMix64Finalize(state);
}

// The value SplitMix64Next would return from `state`, without keeping the state: a stateless
// 64-bit hash (good avalanche) of `state`.
constexpr std::uint64_t SplitMix64Hash(std::uint64_t state) {
  return SplitMix64Finalize(state + kSplitMix64Increment);
}

}  // namespace partnergraph
