#include "partnergraph/graph/graph_options.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace partnergraph {

Status GraphOptions::Validate() const {
  auto bad = [](const char* field, const auto& value, const char* rule) {
    return Status::InvalidArgument(fmt::format("graph option {} = {}: {}", field, value, rule));
  };
  // Doubles as std::to_string wrote them (6 decimals), as the messages have always shown them.
  auto fixed = [](double v) { return fmt::format("{:f}", v); };
  if (copurchase_window_seconds < 0) {
    return bad("copurchase_window_seconds", copurchase_window_seconds, "must be >= 0");
  }
  if (min_copurchase_support < 1) {
    return bad("min_copurchase_support", min_copurchase_support, "must be >= 1");
  }
  if (max_purchases_per_customer < 2) {
    return bad("max_purchases_per_customer", max_purchases_per_customer, "must be >= 2");
  }
  if (min_shared_customers < 1) {
    return bad("min_shared_customers", min_shared_customers, "must be >= 1");
  }
  if (price_bands < 1 || price_bands > 100) {
    return bad("price_bands", price_bands, "must be in 1..100");
  }
  if (max_segments < 2) {
    return bad("max_segments", max_segments, "must be >= 2");
  }
  if (!std::isfinite(competitor_price_band_ratio) || competitor_price_band_ratio <= 1.0) {
    return bad("competitor_price_band_ratio", fixed(competitor_price_band_ratio),
               "must be a number > 1");
  }
  if (!(competitor_min_jaccard > 0.0 && competitor_min_jaccard <= 1.0)) {
    return bad("competitor_min_jaccard", fixed(competitor_min_jaccard), "must be in (0, 1]");
  }
  if (threads > 1024) return bad("threads", threads, "must be <= 1024");
  return Status::Ok();
}

}  // namespace partnergraph
