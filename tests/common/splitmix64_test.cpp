// SplitMix64: the published reference outputs, computed at compile time and at run time; the
// stateless hash is the step from a copied state.
#include <catch2/catch.hpp>

#include <cstdint>

#include "partnergraph/common/splitmix64.hpp"

using namespace partnergraph;

namespace {

// The n-th output (from 1) of the generator seeded with `seed`, at compile time.
constexpr std::uint64_t NthOutput(std::uint64_t seed, int n) {
  std::uint64_t out = 0;
  for (int i = 0; i < n; ++i) out = SplitMix64Next(seed);
  return out;
}

}  // namespace

// Vigna's splitmix64.c from seed 0 and from seed 1234567 (the values widely used to check ports).
static_assert(NthOutput(0, 1) == 0xE220A8397B1DCDAFull);
static_assert(NthOutput(0, 2) == 0x6E789E6AA1B965F4ull);
static_assert(NthOutput(0, 3) == 0x06C45D188009454Full);
static_assert(NthOutput(1234567, 1) == 6457827717110365317ull);
static_assert(NthOutput(1234567, 2) == 3203168211198807973ull);

TEST_CASE("SplitMix64 gives the reference stream and the hash is one step of it", "[common]") {
  std::uint64_t state = 1234567;
  CHECK(SplitMix64Next(state) == 6457827717110365317ull);
  CHECK(state == 1234567 + kSplitMix64Increment);
  CHECK(SplitMix64Next(state) == 3203168211198807973ull);

  for (std::uint64_t seed : {0ull, 1ull, 42ull, 0xFFFFFFFFFFFFFFFFull}) {
    std::uint64_t copy = seed;
    CHECK(SplitMix64Hash(seed) == SplitMix64Next(copy));
  }
  CHECK(SplitMix64Hash(42) == 0xBDD732262FEB6E95ull);
  CHECK(SplitMix64Finalize(0) == 0);  // xor-shifts and multiplications keep 0 at 0
}
