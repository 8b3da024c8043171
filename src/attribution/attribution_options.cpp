#include "partnergraph/attribution/attribution_options.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <utility>

namespace partnergraph {
namespace {

constexpr std::array<std::pair<std::string_view, AttributionModel>, kAttributionModelCount>
    kModelNames{{
        {"first-touch", AttributionModel::kFirstTouch},
        {"last-touch", AttributionModel::kLastTouch},
        {"linear", AttributionModel::kLinear},
        {"time-decay", AttributionModel::kTimeDecay},
        {"position-based", AttributionModel::kPositionBased},
        {"markov", AttributionModel::kMarkov},
        {"shapley", AttributionModel::kShapley},
    }};

template <typename Value>
Status Bad(std::string_view field, const Value& value, std::string_view expected) {
  return Status::InvalidArgument(
      fmt::format("attribution option {} = {}: {}", field, value, expected));
}

std::string Num(double v) { return fmt::format("{:g}", v); }

}  // namespace

std::optional<AttributionModel> ParseAttributionModel(std::string_view name) {
  for (const auto& [text, model] : kModelNames) {
    if (text == name) return model;
  }
  return std::nullopt;
}

std::string_view ToString(AttributionModel model) {
  for (const auto& [text, m] : kModelNames) {
    if (m == model) return text;
  }
  return "?";
}

bool IsHeuristic(AttributionModel model) {
  return model != AttributionModel::kMarkov && model != AttributionModel::kShapley;
}

Status ValidateAttributionOptions(const AttributionOptions& o) {
  if (static_cast<int>(o.model) >= kAttributionModelCount) {
    return Bad("model", static_cast<int>(o.model), "unknown model");
  }
  if (o.markov_order < 1 || o.markov_order > 4) {
    return Bad("markov_order", o.markov_order, "must be 1..4");
  }
  if (!(std::isfinite(o.half_life_seconds) && o.half_life_seconds > 0)) {
    return Bad("half_life_seconds", Num(o.half_life_seconds), "must be a positive number");
  }
  if (!(std::isfinite(o.half_life_touches) && o.half_life_touches > 0)) {
    return Bad("half_life_touches", Num(o.half_life_touches), "must be a positive number");
  }
  if (!(o.position_first_share >= 0 && o.position_last_share >= 0 &&
        o.position_first_share + o.position_last_share <= 1.0 + 1e-12)) {
    return Bad("position_first_share/position_last_share",
               fmt::format("{}/{}", Num(o.position_first_share), Num(o.position_last_share)),
               "must be >= 0 and sum to at most 1");
  }
  if (o.markov_dense_block_limit < 1) {
    return Bad("markov_dense_block_limit", "0", "must be >= 1");
  }
  if (!(o.markov_tolerance > 0 && o.markov_tolerance < 1)) {
    return Bad("markov_tolerance", Num(o.markov_tolerance), "must be in (0, 1)");
  }
  if (o.markov_max_sweeps < 1) return Bad("markov_max_sweeps", "0", "must be >= 1");
  if (o.shapley_max_exact_channels < 0 || o.shapley_max_exact_channels > 24) {
    return Bad("shapley_max_exact_channels", o.shapley_max_exact_channels,
               "must be 0..24 (the exact computation holds 2^n values)");
  }
  if (o.shapley_samples < 1) return Bad("shapley_samples", "0", "must be >= 1");
  if (!(o.shapley_confidence > 0 && o.shapley_confidence < 1)) {
    return Bad("shapley_confidence", Num(o.shapley_confidence), "must be in (0, 1)");
  }
  if (o.lookback_seconds < 0) {
    return Bad("lookback_seconds", o.lookback_seconds, "must be >= 0");
  }
  if (o.direct_key.empty()) return Bad("direct_key", "\"\"", "must not be empty");
  if (o.no_partner_key.empty()) return Bad("no_partner_key", "\"\"", "must not be empty");
  if (o.no_partner_key == o.direct_key) {
    return Bad("no_partner_key", o.no_partner_key, "must differ from direct_key");
  }
  if (o.chunk_bytes < 1) return Bad("chunk_bytes", "0", "must be >= 1");
  if (o.chunks_per_wave < 1) return Bad("chunks_per_wave", "0", "must be >= 1");
  if (o.threads < 0) return Bad("threads", o.threads, "must be >= 0");
  return Status::Ok();
}

}  // namespace partnergraph
