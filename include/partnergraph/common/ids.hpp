// Strong id types: dense 0-based indices into the engine's tables, one type per
// kind of node, so that a merchant index never passes for a SKU index.
// The string ids of the input files ("m000123") live in a Dictionary (see
// dictionary.hpp); the engine works on these dense indices.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

namespace partnergraph {

template <typename Tag>
struct StrongId {
  using value_type = std::uint32_t;
  static constexpr value_type kInvalidValue = std::numeric_limits<value_type>::max();

  value_type value = kInvalidValue;

  constexpr StrongId() = default;
  constexpr explicit StrongId(value_type v) : value(v) {}

  static constexpr StrongId Invalid() { return StrongId(); }
  constexpr bool valid() const { return value != kInvalidValue; }

  // clang-tidy 14 reads the defaulted <=>'s comparison with 0 as a null pointer constant; there
  // is no pointer here.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

struct MerchantTag {};
struct SkuTag {};
struct CustomerTag {};
struct SegmentTag {};
struct CategoryTag {};
struct RegionTag {};
struct OrderTag {};

using MerchantId = StrongId<MerchantTag>;
using SkuId = StrongId<SkuTag>;
using CustomerId = StrongId<CustomerTag>;
using SegmentId = StrongId<SegmentTag>;
using CategoryId = StrongId<CategoryTag>;
using RegionId = StrongId<RegionTag>;
using OrderId = StrongId<OrderTag>;

}  // namespace partnergraph

template <typename Tag>
struct std::hash<partnergraph::StrongId<Tag>> {
  std::size_t operator()(partnergraph::StrongId<Tag> id) const noexcept {
    return std::hash<std::uint32_t>()(id.value);
  }
};
