// Rng: the embed module's deterministic pseudo-random generator.
//
// xoshiro256** seeded through SplitMix64 from a key of up to four 64-bit
// words, so that every independent stream (a walk, a block of SGNS work, a
// row of a Gaussian test matrix) is a pure function of (seed, stream ids) and
// results do not depend on which thread runs it. The draws are written out
// here rather than taken from <random>'s distributions, whose output differs
// between standard libraries; only Gaussian() relies on libm (log, cos).
//
// Thread safety: none; each thread uses its own Rng.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "partnergraph/common/splitmix64.hpp"

namespace partnergraph::embed_internal {

class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t a = 0, std::uint64_t b = 0,
               std::uint64_t c = 0) {
    std::uint64_t mix = seed;
    // Fold the stream ids in one at a time, so (1, 2) and (2, 1) differ.
    for (std::uint64_t word : {a, b, c}) {
      mix = SplitMix64Next(mix) ^ word;
    }
    for (auto& s : state_) s = SplitMix64Next(mix);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
  std::uint32_t Below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((Next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller, one value per call).
  double Gaussian() {
    double u1 = Uniform();
    while (u1 <= 0.0) u1 = Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

}  // namespace partnergraph::embed_internal
