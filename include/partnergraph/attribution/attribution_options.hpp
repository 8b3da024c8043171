// AttributionOptions: the one options struct of the attribution module
// (SPEC.md "Attribution"), and the names of the models.
//
// Every field has a default; ValidateAttributionOptions() says which values
// are accepted. The conventions behind each field (formulas, units, edge
// cases) are written down in docs/attribution.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

enum class AttributionModel : std::uint8_t {
  kFirstTouch = 0,     // "first-touch"
  kLastTouch = 1,      // "last-touch"
  kLinear = 2,         // "linear"
  kTimeDecay = 3,      // "time-decay"
  kPositionBased = 4,  // "position-based"
  kMarkov = 5,         // "markov"
  kShapley = 6,        // "shapley"
};
inline constexpr int kAttributionModelCount = 7;

// The CLI spelling ("first-touch", ..., "shapley"); std::nullopt for anything else.
std::optional<AttributionModel> ParseAttributionModel(std::string_view name);
std::string_view ToString(AttributionModel model);
// True for the five position/time heuristics (all but Markov and Shapley).
bool IsHeuristic(AttributionModel model);

struct AttributionOptions {
  // ---- Model ----
  // The model to run.
  AttributionModel model = AttributionModel::kLinear;
  // Markov: order k in 1..4; a state is the tuple of the last k channels seen.
  int markov_order = 1;
  // Time-decay on journeys with touch timestamps (native data): a touch
  // `age` seconds before the conversion weighs 2^(-age / half_life_seconds).
  double half_life_seconds = 7 * 86400.0;
  // Time-decay on journeys without timestamps (the path format), or on native
  // data when decay_by_touches: the touch `s` steps before the last one weighs
  // 2^(-s / half_life_touches).
  double half_life_touches = 1.0;
  // Native data: decay by touch steps (half_life_touches) instead of by time.
  bool decay_by_touches = false;
  // Position-based: share of the first and of the last touch (journeys of 3 or
  // more touches; the middle touches share the rest equally). A 2-touch journey
  // splits first_share : last_share; a 1-touch journey gives everything to it.
  double position_first_share = 0.4;
  double position_last_share = 0.4;

  // ---- Markov solver ----
  // Strongly connected blocks of the state graph up to this many states are
  // solved by dense Gaussian elimination; larger blocks by Gauss-Seidel.
  std::size_t markov_dense_block_limit = 512;
  // Gauss-Seidel stops when no visit count changes by more than
  // markov_tolerance × the largest visit count of the block in one sweep.
  double markov_tolerance = 1e-15;
  // Gauss-Seidel gives up (an Internal error) after this many sweeps of a block.
  std::uint64_t markov_max_sweeps = 1'000'000;

  // ---- Shapley ----
  // Exact over all 2^n coalitions when the number n of channels (keys present
  // in the journeys) is at most this (<= 24); sampled otherwise.
  int shapley_max_exact_channels = 20;
  // Sampled Shapley: number of random channel orderings (>= 1).
  std::uint64_t shapley_samples = 2000;
  // Sampled Shapley: seed of the orderings (same seed, same result).
  std::uint64_t shapley_seed = 42;
  // Sampled Shapley: the stated error bound holds for all channels at once
  // with this probability (0 < confidence < 1; Hoeffding + union bound).
  double shapley_confidence = 0.95;

  // ---- Journeys from the native format (touchpoints.csv joined to orders.csv) ----
  // A touchpoint counts towards an order of the same customer when it is at most
  // this many seconds before the order (and after the customer's previous order).
  std::int64_t lookback_seconds = std::int64_t{30} * 86400;
  // Key credited with an order that has no touchpoint in its window.
  std::string direct_key = "(direct)";
  // Partner key of a touchpoint without partner_id.
  std::string no_partner_key = "(none)";

  // ---- Path files (path;total_conversions;total_conversion_value;total_null) ----
  // When non-empty, only these channel names are accepted; a row naming another
  // channel is an error that names its line.
  std::vector<std::string> known_channels;
  // Bytes per chunk read and parsed as one unit. Chunks are fixed by size, not by
  // thread count, and reduced in file order: that is what makes results identical
  // whatever the number of threads.
  std::size_t chunk_bytes = 4u << 20;
  // Chunks (binary files: blocks) in flight at once in the read -> parse ->
  // merge pipeline (memory: about chunk_bytes × this for path files).
  std::size_t chunks_per_wave = 8;

  // ---- Execution ----
  // Worker threads (0: oneTBB's default, all cores). Results never depend on it.
  int threads = 0;
  // When set (not owned) and it becomes true, reading a file (path or binary) and the heuristic
  // models stop early and return Unavailable("... cancelled"); a server sets it on shutdown.
  const std::atomic<bool>* cancel = nullptr;
};

// True when options.cancel is set and true.
inline bool Cancelled(const AttributionOptions& options) {
  return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

// OK, or InvalidArgument naming the first bad field and its value.
Status ValidateAttributionOptions(const AttributionOptions& options);

}  // namespace partnergraph
