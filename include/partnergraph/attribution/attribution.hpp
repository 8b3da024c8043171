// RunAttribution: credits the conversions and revenue of a JourneyTable to its
// keys (channels or partners) and, when the table has a SKU breakdown, per
// SKU × key, with one model (SPEC.md "Attribution"; formulas and conventions
// in docs/attribution.md).
//
// Heuristics (per path with touches k_1..k_n; weights w_i sum to 1; touch i
// gets w_i × the path's conversions and value, and each SKU share likewise):
//   first-touch  w_1 = 1;            last-touch  w_n = 1;     linear  w_i = 1/n
//   time-decay   w_i ∝ 2^(-age_i / half_life_seconds) with touch ages (native
//                data), else ∝ 2^(-(n-i) / half_life_touches) (path files)
//   position-based  n = 1: w_1 = 1; n = 2: first : last = first_share : last_share
//                (equal when both are 0); n >= 3: first_share, last_share and
//                (1 - first - last)/(n - 2) to each middle touch.
// Markov (order k): removal effect RE_c = 1 - P(conv | c removed) / P(conv),
//   the key's conversions = total conversions × RE_c / sum RE; value the same
//   with the value removal effects (reward = value instead of conversions).
//   Per SKU: the same with the SKU's own conversions (value) as the reward,
//   so each SKU's credits sum to the SKU's conversions (value).
// Shapley: see shapley.hpp (the value game gives the value credits).
//
// Every model's credits sum to the table's conversions and value (to
// floating-point rounding), except where nothing converted (all zero).
// Deterministic: the same table and options give the same bytes whatever
// options.threads is (fixed blocks, reductions in block order).
//
// Thread safety: reentrant; each call uses oneTBB inside its own arena.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/attribution/markov_chain.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

// The credit of one key (over all SKUs).
struct KeyCredit {
  double conversions = 0.0;
  double value = 0.0;
  // Markov only: removal effects for the conversion and the value rewards.
  double removal_effect = 0.0;
  double value_removal_effect = 0.0;
  // Sampled Shapley only: the stated error bounds of `conversions` and `value`.
  double conversions_error_bound = 0.0;
  double value_error_bound = 0.0;
};

// The credit of one key for one SKU.
struct SkuKeyCredit {
  std::uint32_t sku = 0;  // into AttributionResult::skus
  std::uint32_t key = 0;  // into AttributionResult::keys
  double conversions = 0.0;
  double value = 0.0;
  // Markov only: the SKU's removal effects of the key.
  double removal_effect = 0.0;
  double value_removal_effect = 0.0;
};

struct MarkovDetails {
  double conversion_probability = 0.0;  // P(conversion) of a journey from (start)
  double value_per_journey = 0.0;       // expected value of a journey
  std::vector<std::string> state_names;  // by state id; "(start)" first
  // Transitions with their counts; `to` is a state id, or state_names.size()
  // for (conversion) and state_names.size() + 1 for (null).
  struct Transition {
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    double count = 0.0;
    double probability = 0.0;
  };
  std::vector<Transition> transitions;
  MarkovSolveStats solve;  // over all solves
};

struct ShapleyDetails {
  bool exact = true;
  std::uint64_t players = 0;  // keys with weight (n)
  std::uint64_t samples = 0;  // 0 when exact
  std::uint64_t seed = 0;
  double confidence = 0.0;  // of the error bounds (sampled)
};

struct AttributionResult {
  AttributionModel model = AttributionModel::kLinear;
  int order = 0;  // the Markov order; 0 for the other models
  std::vector<std::string> keys;   // as in the table
  std::vector<KeyCredit> totals;   // per key
  std::vector<std::string> skus;   // as in the table (empty for path files)
  // Sorted by (sku, key); empty without a SKU breakdown. Heuristics and Shapley
  // list a pair when the SKU's converting journeys touched the key; Markov when
  // the SKU's removal effect of the key is not 0 (the chain can credit a key
  // through states shared with other journeys).
  std::vector<SkuKeyCredit> sku_credits;
  // Inputs: journeys = conversions + nulls.
  double journeys = 0.0;
  double conversions = 0.0;
  double value = 0.0;
  double nulls = 0.0;
  std::uint64_t paths = 0;       // entries of the table
  std::uint64_t input_rows = 0;  // JourneyTable::input_rows
  std::optional<MarkovDetails> markov;
  std::optional<ShapleyDetails> shapley;
};

// Runs options.model on `table`. `progress` (may be null; not owned) is advanced
// by the paths processed. Errors: InvalidArgument for invalid options or an
// invalid table; Internal when the Markov solver does not converge.
Result<AttributionResult> RunAttribution(const JourneyTable& table,
                                         const AttributionOptions& options,
                                         Progress* progress = nullptr);

// Markov attribution on an already built chain (e.g. counted straight from a
// binary journey file): `keys` and `skus` name the chain's key and SKU ids.
// Same results as RunAttribution with the chain's journeys.
Result<AttributionResult> RunMarkovAttribution(const MarkovChain& chain,
                                               std::vector<std::string> keys,
                                               std::vector<std::string> skus,
                                               const AttributionOptions& options);

}  // namespace partnergraph
