// JourneyTable: the journeys every attribution model runs on, as weighted paths.
//
// Layout: path i is the key sequence touches[offsets[i] .. offsets[i+1]) (keys
// are dense ids into `keys`: channel names, or partner names for the partner
// view of native data). Every path has at least one touch. A path carries
// weights: `conversions` journeys on it converted (bringing `value` revenue)
// and `nulls` did not; all three are finite and >= 0.
//
// Two producers fill it:
//  - the path-file readers (path_file_reader.hpp, journey_binary.hpp): one entry
//    per DISTINCT path, weights summed over the rows that repeat it; no ages,
//    no SKU breakdown;
//  - BuildNativeJourneys (native_journeys.hpp): one entry per order (1
//    conversion, its revenue) or per non-converting journey (1 null), with
//    `ages` (seconds from each touch to the order) and, per order, the SKU
//    breakdown `sku_shares` (the order's lines: share of the conversion in
//    proportion to line revenue, and the line revenue).
//
// A JourneyTable is a plain value, not synchronised; models only read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

// One SKU's part of a converting path: the share of the path's conversions and
// the revenue of that SKU's order lines.
struct SkuShare {
  std::uint32_t sku = 0;     // into JourneyTable::skus
  double conversions = 0.0;  // shares of one path sum to the path's conversions
  double value = 0.0;        // sum to the path's value
};

struct JourneyTable {
  // Key names by id (channels, or partners).
  std::vector<std::string> keys;
  // SKU names by id; empty when the journeys have no SKU breakdown (path files).
  std::vector<std::string> skus;

  std::vector<std::uint64_t> offsets{0};  // size path_count() + 1
  std::vector<std::uint32_t> touches;     // key ids
  // Empty, or parallel to `touches`: seconds between the touch and the
  // conversion (>= 0); only meaningful on converting paths.
  std::vector<double> ages;
  std::vector<double> conversions;  // per path
  std::vector<double> value;        // per path
  std::vector<double> nulls;        // per path
  // Empty, or size path_count() + 1: the SKU shares of path i are
  // sku_shares[sku_offsets[i] .. sku_offsets[i+1]).
  std::vector<std::uint64_t> sku_offsets;
  std::vector<SkuShare> sku_shares;

  // Input records behind the table (rows of a path file, journeys of a binary
  // file, orders plus non-converting journeys of native data).
  std::uint64_t input_rows = 0;

  std::size_t path_count() const { return conversions.size(); }
  std::span<const std::uint32_t> path(std::size_t i) const {
    return {touches.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
  std::span<const double> path_ages(std::size_t i) const {
    if (ages.empty()) return {};
    return {ages.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
  std::span<const SkuShare> path_skus(std::size_t i) const {
    if (sku_offsets.empty()) return {};
    return {sku_shares.data() + sku_offsets[i],
            static_cast<std::size_t>(sku_offsets[i + 1] - sku_offsets[i])};
  }
  bool has_skus() const { return !sku_offsets.empty(); }

  // Appends one path (`keys_of_path` non-empty; `touch_ages` empty or the same
  // size). `shares` are recorded when the table has a SKU breakdown, which a
  // producer turns on by setting sku_offsets = {0} before the first path.
  // No validation (see Validate()).
  void AddPath(std::span<const std::uint32_t> keys_of_path, double path_conversions,
               double path_value, double path_nulls, std::span<const double> touch_ages = {},
               std::span<const SkuShare> shares = {});

  // Sums over all paths (summed in path order).
  double total_conversions() const;
  double total_value() const;
  double total_nulls() const;

  // OK when the layout invariants above hold; InvalidArgument naming the first
  // broken one (path index, what is wrong) otherwise. O(size).
  Status Validate() const;
};

}  // namespace partnergraph
