// Small helpers the recommender's parts share: the clamped and log-scaled score terms
// (partner_scoring, coupon_scoring) and a membership test for request filters.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace partnergraph::recommend_internal {

inline double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// log(x) / log(cap), clamped to [0, 1]; 0 for x <= 1 (and for NaN).
inline double LogScaled(double x, double cap) {
  if (!(x > 1.0)) return 0.0;
  return Clamp01(std::log(x) / std::log(cap));
}

// Whether x is in v (a request's short filter list).
template <typename T>
bool Contains(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace partnergraph::recommend_internal
