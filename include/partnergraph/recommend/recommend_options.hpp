// RecommendOptions: every knob of the partner and coupon-pairing
// recommenders, with its default. The model configuration
// (models/default.json, key "recommend") holds them; docs/recommendations.md
// explains the scores they weigh.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct PartnerScoreWeights {
  // Weight of the audience similarity (cosine of the merchant embeddings, -1..1).
  double audience_similarity = 1.0;
  // Weight of the category complementarity (0..1, from the category-pair lift).
  // 1.0 and shared_reach 2.0 were tuned on generated data (models/README.md
  // "Model card"); 0.5 / 0.5 lost to Adamic-Adar on recall@10.
  double category_complementarity = 1.0;
  // Weight of the consented shared reach (0..1).
  double shared_reach = 2.0;
  // Weight of the competition penalty (0..1), subtracted.
  double competition_penalty = 1.0;
  // Weight of the long-tail boost (0..1); a request may override it.
  double long_tail_boost = 0.05;
};

struct CouponScoreWeights {
  // Weight of the normalised log-lift of the SKU pair (0..1).
  double lift = 1.0;
  // Weight of the normalised log-support (0..1).
  double support = 0.5;
  // Weight of the reachable audience (0..1).
  double reach = 0.25;
  // Weight of the SKU embedding similarity (-1..1).
  double embedding_similarity = 0.5;
  // Weight of the coupon SKU's popularity: log(1 + buyers) / log(1 + most buyers of any
  // SKU) (0..1). Test-period co-purchases are dominated by popular SKUs (models/README.md).
  double popularity = 0.0;
};

struct RecommendOptions {
  // ANN candidates fetched per partner query before the graph filters (top C).
  std::uint32_t partner_candidates = 200;
  // Shared-customer neighbours (largest first) added to the ANN candidates, so that a
  // merchant whose vector is noisy (few customers) still reaches the merchants its
  // customers already visit. 0 disables this second source.
  std::uint32_t partner_graph_candidates = 100;
  PartnerScoreWeights partner_weights;
  // A category-pair lift at or above this maps to complementarity 1 (log scale).
  double complementarity_lift_cap = 10.0;
  // The long tail: this share of merchants with the fewest customers (0.8: all but the top 20 %).
  double long_tail_share = 0.8;
  // SKU-embedding neighbours fetched per trigger SKU (0 disables that source). 20 scored
  // as well as 100 on the held-out seed and makes each search cheaper.
  std::uint32_t coupon_candidates = 20;
  // The most-bought SKUs (by training buyers) added as candidates of every trigger, so that
  // a trigger with few co-purchase edges still reaches the SKUs most customers buy
  // (0 disables this source).
  std::uint32_t coupon_popular_candidates = 100;
  // Trigger SKUs of a merchant considered for a merchant-level coupon query (its best
  // sellers by buyers).
  std::uint32_t coupon_trigger_skus = 20;
  // HNSW beam width (efSearch) of the trigger SKUs' embedding searches; 0 = the SKU index's
  // own (its index.skus.hnsw_ef_search, 64 by default). A query-time knob: it needs no
  // rebuild. Ignored by exact (Flat) indexes. Range [0, 65536].
  std::uint32_t coupon_ef_search = 0;
  CouponScoreWeights coupon_weights;
  // A pair lift at or above this maps to 1; a support at or above this maps to 1 (log).
  double coupon_lift_cap = 20.0;
  double coupon_support_cap = 1000.0;
  // Maximum k of one request.
  std::uint32_t max_k = 100;
  // Maximum candidates a request may ask for.
  std::uint32_t max_candidates = 10000;
};

// OK, or InvalidArgument naming the first field out of range.
Status Validate(const RecommendOptions& options);

// Reads the "recommend" object of a model configuration (JSON text); absent
// keys keep their defaults. Errors: InvalidArgument naming `source_name` and the
// key for malformed JSON, an unknown key or a value of the wrong type or range.
Result<RecommendOptions> ParseRecommendOptions(std::string_view json_text,
                                               std::string_view source_name);
std::string ToJson(const RecommendOptions& options);

}  // namespace partnergraph
