// Audience: who an answer is computed for, which decides what it may disclose about other
// merchants' customers (SPEC.md "Privacy", docs/privacy.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace partnergraph {

enum class Audience : std::uint8_t {
  // A platform operator, who holds every merchant's data: scores and components from the
  // exact evidence. Count fields still follow the k_min rule (they are the same fields a
  // merchant reads).
  kOperator = 0,
  // The merchant the request is about (a merchant API key): every figure about another
  // merchant's customers is computed from disclosed values only (counts at or above the
  // pair's k_min, coarse public attributes), and answers are ranked by that disclosed score,
  // so nothing returned depends on a suppressed count or on another merchant's customer count.
  kMerchant = 1,
};

constexpr std::string_view ToString(Audience a) {
  return a == Audience::kOperator ? "operator" : "merchant";
}

}  // namespace partnergraph
