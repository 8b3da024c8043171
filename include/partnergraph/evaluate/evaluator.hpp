// Offline evaluation of the partner and coupon-pairing recommenders against
// baselines on a temporal split (`partnergraph evaluate`, models/README.md
// "Evaluation").
//
// ==== Temporal split (SplitAtTimestamp) ====
// train = every order line with ts < split, plus every table without a time as
// it is (merchants, SKUs, customers, partnerships, merchant policies) and the
// timed tables cut at the split too (consent, engagement, touchpoints with
// ts < split). The graph, both merchant embeddings, the vector indexes and the
// Recommender are built from `train` only, with the model build's pipeline
// (TrainModel, engine/model_training.hpp); nothing dated at or after the split
// reaches them. test = the order lines with ts >= split: only the ground truth
// reads them.
//
// ==== Partner ground truth (GainedPartners) ====
// Customer x makes merchants (m, c) gain a shared customer when x bought at
// both m and c (in the whole data) but not at both before the split: at least
// one of the two purchases is in the test period and x was not already a
// shared customer of the pair in training. gained(m) = every such c.
// The relevant partners of query m are gained(m) ∩ candidates(m), where
// candidates(m), the same universe for every method, is every merchant c with
//   c != m, category(c) != category(m) (a cross-category comparison),
//   not a declared or derived competitor, not a blocked pair, not already a
//   declared partner, and discoverable (merchant_policy.csv);
// so that no method is credited or blamed for a pair none may recommend.
// Queries: merchants with >= 1 training order line and >= 1 relevant partner.
//
// ==== Planted ground truth (generated data only) ====
// ground_truth/best_partners.csv (datasets/generator/README.md) lists each
// merchant's planted best partners. Planted queries: merchants with >= 1
// training order line and >= 1 planted partner in candidates(m); relevant =
// those planted partners. The same ranked lists are scored against it.
//
// ==== Partner methods (ranked over candidates(m), ties by merchant id) ====
//   partnergraph            Recommender::RecommendPartners(m, k, default
//                           filters, EvaluationOptions::audience), results
//                           outside candidates(m) dropped
//   svd                     cosine of the PPMI-SVD merchant embeddings (exact)
//   random_walk             cosine of the random-walk skip-gram embeddings (exact)
//   baseline:popularity     distinct training customers of c
//   baseline:jaccard        |C(m) ∩ C(c)| / |C(m) ∪ C(c)|, C = training customers
//   baseline:adamic_adar    Σ over shared training customers x of 1 / ln(deg x),
//                           deg x = merchants x bought at in training
//   baseline:category_lift  training category-pair lift of (category(m),
//                           category(c)) (0 when none), ties by popularity
// Each method produces a list of `list_length` merchants (k, default 50).
// The audience (common/audience.hpp) changes the partnergraph lists only: the
// operator's view ranks by the exact evidence, the merchant's by the evidence
// disclosed to the query merchant (partner_recommender.hpp); the other methods
// and the ground truth are the same for both.
//
// ==== Coupon-pair ground truth and methods ====
// Test pairs: SKUs (a, b) of different merchants bought by one customer, both
// purchases in the test period. Queries: SKUs with >= 1 training buyer and >= 1
// test pair in their candidate universe (SKUs b of another merchant, not a
// competitor or blocked, both merchants allowing coupons), at most
// max_coupon_queries of them (evenly spaced by SKU id). Methods:
//   partnergraph            Recommender::RecommendCouponPairs(a, k, default filters,
//                           EvaluationOptions::audience)
//   item2vec                cosine of the item2vec SKU embeddings (exact)
//   baseline:popularity     training buyers of b
//   baseline:copurchase     training co-purchase support of (a, b) from the
//                           graph's co-purchase edges, ties by popularity
//
// ==== Metrics ====
// RankingAccumulator (ranking_metrics.hpp): recall@10, recall@50, NDCG@10,
// MRR, precision@10 averaged over the queries; coverage = distinct items in
// the top 10 lists / catalogue size (all merchants, all SKUs); long-tail share
// = share of top-10 items that are long-tail. Long-tail merchants are those
// outside the top (1 - RecommendOptions::long_tail_share) by training
// customers (MerchantProfile::long_tail, default: outside the top 20 %); a
// long-tail SKU is one outside the top 20 % by training buyers.
//
// Determinism: for a given dataset, options and thread count of OpenBLAS, the
// report is identical whatever EvaluationOptions::threads: queries are scored
// in parallel (oneTBB) into fixed slots and summed in query order.
//
// Thread safety: the functions are reentrant; Evaluate runs its own oneTBB
// arena of EvaluationOptions::threads and sets FAISS's OpenMP threads to 1 on
// the threads that score queries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/model_config.hpp"
#include "partnergraph/engine/model_training.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "partnergraph/recommend/ranking_metrics.hpp"

namespace partnergraph {

struct EvaluationOptions {
  // The split: order lines with ts < split_ts train, the others test. Must lie
  // strictly after the first order line and at or before the last one.
  Timestamp split_ts = 0;
  // Length of each method's ranked list (and the k of the recommender calls),
  // in [10, model.recommend.max_k]; recall@50 needs >= 50.
  std::uint32_t list_length = 50;
  // oneTBB threads for the whole evaluation; 0 = all cores.
  std::uint32_t threads = 0;
  // Graph build of the training data (threads are overridden by `threads`).
  GraphOptions graph;
  // The model configuration (models/default.json): the embeddings, the indexes and the
  // Recommender's options, trained as `partnergraph build` trains them (TrainModel,
  // engine/model_training.hpp), and model.partner_embedding, the merchant embedding of the
  // "partnergraph" method's Recommender. Whatever model.train_walk_embedding and
  // model.train_sku_embedding say, the random-walk embedding is trained (the random_walk
  // method needs it) and the SKU embedding is trained exactly when evaluate_coupons;
  // model.precompute and model.precompute_k are not read.
  ModelConfig model;
  // Whose view the partnergraph method's partner and coupon lists are ranked for:
  // kOperator (exact evidence, the model card's figures) or kMerchant (what a merchant API
  // key gets: disclosed evidence only). The baselines do not depend on it.
  Audience audience = Audience::kOperator;
  // Evaluate the coupon-pair side too (trains the item2vec SKU embedding).
  bool evaluate_coupons = true;
  // At most this many coupon queries (SKUs), evenly spaced by SKU id; 0 = all.
  std::uint32_t max_coupon_queries = 5000;
  // Keep every query's ranked lists in the report (for tests and debugging).
  bool keep_rankings = false;
};

// The training side of a temporal split, and what the split left out.
struct TemporalSplit {
  Dataset train;
  std::uint64_t train_order_lines = 0;
  std::uint64_t test_order_lines = 0;
  std::uint64_t train_orders = 0;  // distinct order ids with a training line
  std::uint64_t test_orders = 0;   // distinct order ids with a test line
  Timestamp first_order_ts = 0;
  Timestamp last_order_ts = 0;
};

// Splits `full` at `split_ts` (see "Temporal split"). `full` is not changed;
// the training Dataset keeps every dictionary and id of `full`, so ids mean the
// same in both.
// Errors: InvalidArgument when `full` has no order line, or when the split
// leaves one side empty, naming the split and the orders' time range
// ("split date 2030-01-01T00:00:00Z is after the last order
// (2026-03-05T12:00:00Z): no order is left to test on").
Result<TemporalSplit> SplitAtTimestamp(const Dataset& full, Timestamp split_ts);

// gained[m] = the merchants (any category, sorted by id) that gain a shared
// customer with m at `split_ts` (see "Partner ground truth"); one entry per
// merchant of `dataset`. Work: Σ over customers of new × all merchants they
// bought at.
std::vector<std::vector<MerchantId>> GainedPartners(const Dataset& dataset, Timestamp split_ts);

// Planted best partners per merchant (ground_truth/best_partners.csv), one
// entry per merchant of the dataset they were read against, in file order.
struct PlantedPartners {
  std::vector<std::vector<MerchantId>> partners;
};

// Reads best_partners.csv (columns merchant_id, partner_id, rank; score
// ignored), resolving ids with `dataset`'s merchant dictionary.
// Errors: IOError when unreadable; InvalidArgument naming file:line and the
// column for a malformed record, a missing column or an unknown merchant id.
Result<PlantedPartners> LoadPlantedPartners(const std::filesystem::path& path,
                                            const Dataset& dataset);

// The metrics of one method.
struct MethodEvaluation {
  std::string name;  // "partnergraph", "svd", "baseline:popularity", ...
  RankingMetrics metrics;                 // against the test period
  std::optional<RankingMetrics> planted;  // against best_partners.csv, when given
};

// One query's ranked lists (EvaluationOptions::keep_rankings).
struct QueryRankings {
  std::uint32_t query = 0;  // MerchantId or SkuId value
  std::vector<std::uint32_t> relevant;                 // sorted
  std::vector<std::vector<std::uint32_t>> by_method;  // in the report's method order
};

// A stage's wall seconds (and memory, not reported) as StageTimer records it.
using EvaluationStage = ModelBuildStage;

struct EvaluationReport {
  Timestamp split_ts = 0;
  std::uint64_t train_order_lines = 0;
  std::uint64_t test_order_lines = 0;
  std::uint64_t train_orders = 0;
  std::uint64_t test_orders = 0;
  std::uint32_t merchants = 0;
  std::uint32_t list_length = 0;
  Audience audience = Audience::kOperator;  // EvaluationOptions::audience

  // ---- Partners ----
  std::uint64_t queries = 0;          // temporal partner queries
  double mean_relevant = 0;           // relevant partners per query
  std::uint64_t planted_queries = 0;  // 0 without planted ground truth
  bool has_planted = false;
  std::vector<MethodEvaluation> methods;  // the order listed above
  std::vector<QueryRankings> rankings;    // keep_rankings only; temporal queries

  // ---- Coupon pairs (evaluate_coupons) ----
  bool has_coupons = false;
  std::uint64_t coupon_candidate_queries = 0;  // SKUs eligible before max_coupon_queries
  std::uint64_t coupon_queries = 0;
  double coupon_mean_relevant = 0;
  std::vector<MethodEvaluation> coupon_methods;

  std::vector<EvaluationStage> stages;  // wall seconds, in execution order
};

// Runs the whole evaluation of `dataset` (see the top of this file). `planted`
// may be null.
// Errors: InvalidArgument for options out of range (naming the field), a split
// that leaves a side empty (SplitAtTimestamp), a dataset without any partner
// query, or a `planted` of another size than the dataset's merchants; the
// errors of the graph build, the embedding training and the index build,
// prefixed with the stage ("train graph: ...").
Result<EvaluationReport> Evaluate(const Dataset& dataset, const PlantedPartners* planted,
                                  const EvaluationOptions& options);

// A markdown summary: the split, the audience, the counts, then one table per
// side (method rows x metric columns, 4 decimals). Ends with a newline.
std::string ToMarkdown(const EvaluationReport& report);

// One JSON object:
//   {"split_date": "YYYY-MM-DDTHH:MM:SSZ", "train_orders": n, "test_orders": n,
//    "train_order_lines": n, "test_order_lines": n, "merchants": n, "k": n,
//    "audience": "operator" | "merchant", "queries": n, "mean_relevant": x,
//    "planted_queries": n,
//    "methods": {NAME: {"recall@10": x, "recall@50": x, "ndcg@10": x, "mrr": x,
//                       "precision@10": x, "coverage": x, "long_tail_share": x,
//                       ["planted_precision@10": x, "planted_recall@10": x,
//                        "planted_ndcg@10": x]}, ...},
//    ["coupon_pairs": {"queries": n, "candidate_queries": n, "mean_relevant": x,
//                      "methods": {NAME: {same metric keys}}},]
//    "stages": [{"name": s, "seconds": x}, ...]}
// Keys in brackets appear only when that part was evaluated.
std::string ToJson(const EvaluationReport& report);

}  // namespace partnergraph
