// Formatting attribution results as CSV and JSON (docs/attribution.md "Output").
//
// CSV (one header row, comma-separated, RFC 4180 quoting when needed):
//   model,order,sku,dimension,key,conversions,value,removal_effect,
//   value_removal_effect,conversions_error_bound,value_error_bound
// One row per channel (dimension "channel") and per partner ("partner") with
// sku "(all)": the totals; then, for native data, one row per SKU × key.
// `order` is empty except for Markov; the removal effects only for Markov, the
// error bounds only for sampled Shapley. Numbers are the shortest decimal text
// that reads back to the same double.
//
// JSON: one object
//   {"model": NAME, "order": K or null,
//    "input": {"journeys", "conversions", "value", "nulls", "paths", "rows"},
//    "channels": {CHANNEL: {"conversions": x, "value": x[, "removal_effect": x,
//                 "value_removal_effect": x][, "conversions_error_bound": x,
//                 "value_error_bound": x]}},
//    "partners": {...} (native data), "skus": {SKU: {"channels": {...},
//    "partners": {...}}} (native data),
//    "markov": {"conversion_probability", "value_per_journey", "states": [...],
//               "transitions": [{"from", "to", "count", "probability"}],
//               "solver": {...}} (Markov),
//    "shapley": {"exact", "players", "samples", "seed", "confidence"} (Shapley)}
// Keys keep the results' id order.
//
// Transitions CSV: from,to,count,probability (Markov; state names as in the JSON).
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "partnergraph/attribution/attribution.hpp"

namespace partnergraph {

// `by_partner` may be null (path files). Both results come from the same model
// and journeys.
std::string FormatAttributionCsv(const AttributionResult& by_channel,
                                 const AttributionResult* by_partner = nullptr);
std::string FormatAttributionJson(const AttributionResult& by_channel,
                                  const AttributionResult* by_partner = nullptr, int indent = 2);
// Empty (header only) when `result` has no Markov details.
std::string FormatTransitionsCsv(const AttributionResult& result);

}  // namespace partnergraph
