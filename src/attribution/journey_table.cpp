#include "partnergraph/attribution/journey_table.hpp"

#include <fmt/format.h>

#include <cmath>

namespace partnergraph {
namespace {

bool IsWeight(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

void JourneyTable::AddPath(std::span<const std::uint32_t> keys_of_path, double path_conversions,
                           double path_value, double path_nulls,
                           std::span<const double> touch_ages,
                           std::span<const SkuShare> shares) {
  touches.insert(touches.end(), keys_of_path.begin(), keys_of_path.end());
  if (!touch_ages.empty()) ages.insert(ages.end(), touch_ages.begin(), touch_ages.end());
  offsets.push_back(touches.size());
  conversions.push_back(path_conversions);
  value.push_back(path_value);
  nulls.push_back(path_nulls);
  if (!sku_offsets.empty()) {
    sku_shares.insert(sku_shares.end(), shares.begin(), shares.end());
    sku_offsets.push_back(sku_shares.size());
  }
}

double JourneyTable::total_conversions() const {
  double s = 0;
  for (double v : conversions) s += v;
  return s;
}

double JourneyTable::total_value() const {
  double s = 0;
  for (double v : value) s += v;
  return s;
}

double JourneyTable::total_nulls() const {
  double s = 0;
  for (double v : nulls) s += v;
  return s;
}

Status JourneyTable::Validate() const {
  const std::size_t n = path_count();
  auto fail = [](std::string what) {
    return Status::InvalidArgument("journey table: " + std::move(what));
  };
  if (value.size() != n || nulls.size() != n) return fail("weight columns differ in size");
  if (offsets.size() != n + 1 || offsets.front() != 0 || offsets.back() != touches.size()) {
    return fail("offsets do not match the paths");
  }
  if (!ages.empty() && ages.size() != touches.size()) return fail("ages are not one per touch");
  if (!sku_offsets.empty() &&
      (sku_offsets.size() != n + 1 || sku_offsets.front() != 0 ||
       sku_offsets.back() != sku_shares.size())) {
    return fail("sku_offsets do not match the paths");
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string where = fmt::format("path {}: ", i);
    if (offsets[i + 1] <= offsets[i]) return fail(where + "has no touch");
    if (!IsWeight(conversions[i]) || !IsWeight(value[i]) || !IsWeight(nulls[i])) {
      return fail(where + "a weight is negative or not finite");
    }
    if (value[i] > 0 && conversions[i] == 0) return fail(where + "has value but no conversion");
    for (std::uint32_t k : path(i)) {
      if (k >= keys.size()) return fail(fmt::format("{}key id {} out of range", where, k));
    }
    for (double a : path_ages(i)) {
      if (!IsWeight(a)) return fail(where + "a touch age is negative or not finite");
    }
    for (const SkuShare& s : path_skus(i)) {
      if (s.sku >= skus.size()) {
        return fail(fmt::format("{}SKU id {} out of range", where, s.sku));
      }
      if (!IsWeight(s.conversions) || !IsWeight(s.value)) {
        return fail(where + "a SKU share is negative or not finite");
      }
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph
