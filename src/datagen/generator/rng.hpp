// Random numbers of the synthetic generator (GenerateEcosystem): counter-based
// SplitMix64 streams and the distributions drawn from them. Private to
// src/datagen; the model is described in datasets/generator/README.md.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <vector>

#include "partnergraph/common/splitmix64.hpp"

namespace partnergraph::generator_internal {

// ---------------------------------------------------------------------------
// Random numbers. Every random choice draws from a SplitMix64 stream seeded by
// Hash(seed, stream kind, index), so that a value depends only on what it
// describes (merchant i, customer c, block b), never on generation order or
// thread count. Distributions are implemented here (the std:: ones are not
// portable across standard libraries).

inline constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b) {
  return SplitMix64Hash(a ^ SplitMix64Hash(b));
}
inline constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return Hash(Hash(a, b), c);
}
inline constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                    std::uint64_t d) {
  return Hash(Hash(a, b, c), d);
}
inline double ToUnit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Kinds of random streams (the second Hash argument).
enum Stream : std::uint64_t {
  kStreamWorld = 1,
  kStreamMerchant = 2,
  kStreamSku = 3,
  kStreamCustomer = 4,
  kStreamBlock = 5,
  kStreamLoyalty = 6,
  kStreamTaste = 7,
  kStreamPartnership = 8,
  kStreamPolicy = 9,
  kStreamEngagement = 10,
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() { return SplitMix64Next(state_); }
  // Uniform in [0, 1).
  double Uniform() { return ToUnit(Next()); }
  // Uniform in [0, n), n >= 1 (modulo bias below n / 2^64, negligible here).
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Normal() {
    double u1 = 1.0 - Uniform();  // (0, 1]
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Number of failures before the first success when the mean is `mean` (>= 0).
  std::uint64_t Geometric(double mean) {
    if (mean <= 0.0) return 0;
    double p = 1.0 / (1.0 + mean);
    double u = 1.0 - Uniform();  // (0, 1]
    return static_cast<std::uint64_t>(std::floor(std::log(u) / std::log1p(-p)));
  }
  std::uint64_t Poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean < 30.0) {
      double limit = std::exp(-mean);
      double prod = Uniform();
      std::uint64_t k = 0;
      while (prod > limit) {
        ++k;
        prod *= Uniform();
      }
      return k;
    }
    double x = std::round(mean + std::sqrt(mean) * Normal());
    return x < 0.0 ? 0 : static_cast<std::uint64_t>(x);
  }
  // Index i with probability weights[i] / sum, from a cumulative array.
  std::size_t Pick(const std::vector<double>& cumulative) {
    double u = Uniform() * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    return std::min<std::size_t>(it - cumulative.begin(), cumulative.size() - 1);
  }

 private:
  std::uint64_t state_;
};

inline std::vector<double> Cumulative(const std::vector<double>& weights) {
  std::vector<double> c(weights.size());
  std::partial_sum(weights.begin(), weights.end(), c.begin());
  return c;
}

// Index i with probability weights[i] / sum (weights need not be normalised).
template <std::size_t N>
std::size_t PickFixed(Rng& rng, const std::array<double, N>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.Uniform() * total;
  for (std::size_t i = 0; i < N; ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return N - 1;
}

}  // namespace partnergraph::generator_internal
