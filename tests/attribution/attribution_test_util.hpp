// Helpers shared by the attribution tests.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "partnergraph/attribution/attribution.hpp"
#include "partnergraph/attribution/path_file_reader.hpp"

namespace partnergraph::testing {

// The hand-computed example of the heuristic, Markov and Shapley tests:
// 8 journeys, 4 conversions, value 46, 4 nulls.
inline constexpr std::string_view kExampleA =
    "path;total_conversions;total_conversion_value;total_null\n"
    "a > b > c;2;30;1\n"
    "b;1;10;1\n"
    "a > c;0;0;2\n"
    "c > a > b > a;1;6;0\n";

inline JourneyTable ParseOrFail(std::string_view text, const AttributionOptions& options = {}) {
  auto table = ParsePathText(text, "test.csv", options);
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  return std::move(table).value();
}

inline AttributionResult RunOrFail(const JourneyTable& table, AttributionOptions options) {
  auto r = RunAttribution(table, options);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline AttributionResult RunModel(const JourneyTable& table, AttributionModel model,
                                  AttributionOptions options = {}) {
  options.model = model;
  return RunOrFail(table, options);
}

// The totals of key `name` (fails the test when absent).
inline const KeyCredit& Credit(const AttributionResult& r, std::string_view name) {
  for (std::size_t k = 0; k < r.keys.size(); ++k) {
    if (r.keys[k] == name) return r.totals[k];
  }
  FAIL("no key " << name);
  static KeyCredit none;
  return none;
}

inline double SumConversions(const AttributionResult& r) {
  double s = 0;
  for (const auto& c : r.totals) s += c.conversions;
  return s;
}

inline double SumValue(const AttributionResult& r) {
  double s = 0;
  for (const auto& c : r.totals) s += c.value;
  return s;
}

}  // namespace partnergraph::testing
