// Small helpers the recommender's parts share: the clamped and log-scaled score terms
// (partner_scoring, coupon_scoring), the contactable shares and a membership test for request
// filters.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "partnergraph/recommend/recommend_types.hpp"

namespace partnergraph::recommend_internal {

inline double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// log(x) / log(cap), clamped to [0, 1]; 0 for x <= 1 (and for NaN).
inline double LogScaled(double x, double cap) {
  if (!(x > 1.0)) return 0.0;
  return Clamp01(std::log(x) / std::log(cap));
}

// The share of p's customers it may contact, `contactable` being its live count
// (LiveOverlay::Contactable), and the same rounded to tenths: the only form in which a merchant's
// consent figures enter a score another merchant sees (docs/privacy.md).
inline double ContactableShare(const MerchantProfile& p, std::uint32_t contactable) {
  return p.customers == 0 ? 0.0 : static_cast<double>(contactable) / p.customers;
}
inline double DisclosedContactableShare(const MerchantProfile& p, std::uint32_t contactable) {
  return std::round(ContactableShare(p, contactable) * 10.0) / 10.0;
}

// Whether x is in v (a request's short filter list).
template <typename T>
bool Contains(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace partnergraph::recommend_internal
