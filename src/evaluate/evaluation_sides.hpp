// The evaluator's private parts (src/evaluate/): the model it trains, the partner side and
// the coupon side of an evaluation (evaluate/evaluator.hpp documents what each scores), and
// the ranking helpers they share.
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/model_training.hpp"
#include "partnergraph/evaluate/evaluator.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph::evaluation {

// Everything trained on the training side of the split: the model build's parts
// (TrainModel) and the Recommender over them.
struct EvaluationModel {
  TrainedModel parts;
  std::shared_ptr<const Recommender> recommender;
};

// The partner side: ground truth, every partner method's lists and their metrics into
// report->methods (and report->rankings with keep_rankings). InvalidArgument when no
// merchant is a partner query; the recommender's errors, naming the query.
Status EvaluatePartnerSide(const Dataset& dataset, const PlantedPartners* planted,
                           const EvaluationModel& model, const EvaluationOptions& options,
                           EvaluationReport* report);

// The coupon side: into report->coupon_*; needs model.parts.sku_item2vec. The recommender's
// errors, naming the query.
Status EvaluateCouponSide(const Dataset& dataset, const EvaluationModel& model,
                          const EvaluationOptions& options, EvaluationReport* report);

// One scored candidate: ranked by primary desc, secondary desc, id asc.
struct Scored {
  double primary = 0;
  double secondary = 0;
  std::uint32_t id = 0;
};

inline bool Better(const Scored& a, const Scored& b) {
  if (a.primary != b.primary) return a.primary > b.primary;
  if (a.secondary != b.secondary) return a.secondary > b.secondary;
  return a.id < b.id;
}

// The ids of the best `k` of `items` (which it reorders), best first.
std::vector<std::uint32_t> TopK(std::vector<Scored>& items, std::size_t k);

// Marks the top `head_share` of items by `size` (ties by id) as head; the others are the
// long tail.
std::vector<bool> LongTailBySize(const std::vector<std::uint32_t>& size, double head_share);

// "query 12", the context RankAll gives a query's error.
std::string QueryContext(std::uint32_t query);

// One query's lists, one per method.
using MethodLists = std::vector<std::vector<std::uint32_t>>;

// Runs `rank(query)` (a Result<MethodLists>) for every query in parallel into fixed slots,
// with FAISS single-threaded; the first error (in query order) wins, naming its query.
template <typename RankFn>
Result<std::vector<MethodLists>> RankAll(const std::vector<std::uint32_t>& queries, RankFn rank) {
  std::vector<MethodLists> lists(queries.size());
  std::vector<Status> errors(queries.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, queries.size(), 8), [&](const auto& r) {
    ScopedFaissThreads one_thread(1);
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      auto result = rank(queries[i]);
      if (result.ok()) {
        lists[i] = std::move(result).value();
      } else {
        errors[i] = result.status();
      }
    }
  });
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (!errors[i].ok()) return errors[i].WithContext(QueryContext(queries[i]));
  }
  return lists;
}

}  // namespace partnergraph::evaluation
