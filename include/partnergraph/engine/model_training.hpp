// TrainModel: the model's training pipeline after the graph, in memory: the merchant and SKU
// embeddings and the vector indexes over them. `partnergraph build` (BuildModel,
// model_builder.hpp) runs it and writes each part into the model folder;
// `partnergraph evaluate` (evaluate/evaluator.hpp) runs it on the training side of a
// temporal split. StageTimer times the stages of both.
//
// Thread safety: TrainModel runs its own parallel stages (oneTBB in the caller's arena,
// OpenMP); call it from one thread. StageTimer is not thread-safe (one per stage).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/model_config.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {

// One timed stage of a model build or an evaluation.
struct ModelBuildStage {
  std::string name;
  double seconds = 0;
  std::uint64_t rss_bytes = 0;       // resident set when the stage ended
  std::uint64_t peak_rss_bytes = 0;  // the process's peak so far
};

// Appends the wall time and the memory of its scope to *stages (when not null) as it ends,
// an exception unwinding included (so the last stage recorded names where an allocation
// failed).
class StageTimer {
 public:
  StageTimer(std::vector<ModelBuildStage>* stages, std::string name);
  ~StageTimer();
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  std::vector<ModelBuildStage>* stages_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

// The parts of a model trained on one graph, before any file is written.
struct TrainedModel {
  std::shared_ptr<const EcosystemGraph> graph;
  std::shared_ptr<const Embeddings> merchant_svd;   // PPMI-SVD, always trained
  std::shared_ptr<const Embeddings> merchant_walk;  // config.model.train_walk_embedding
  std::shared_ptr<const Embeddings> sku_item2vec;   // config.model.train_sku_embedding
  // The partner embedding: merchant_svd or merchant_walk (config.model.partner_embedding).
  std::shared_ptr<const Embeddings> partner_vectors;
  // Not const: VectorIndex::Save records the file identity that the neighbour lists computed
  // from an index record (neighbor_table.hpp).
  std::shared_ptr<VectorIndex> merchant_index;  // over partner_vectors
  std::shared_ptr<VectorIndex> sku_index;       // over sku_item2vec, when trained

  // The parts a Recommender reads (graph, partner embedding, SKU embedding, indexes; no
  // neighbour lists).
  RecommendModel recommend_model() const;
};

// The parts TrainModel reports as each is ready, in this order (those configured).
enum class ModelPart : std::uint8_t {
  kMerchantSvd,    // stage "embed: merchant PPMI-SVD"
  kMerchantWalk,   // stage "embed: merchant random-walk skip-gram"
  kSkuItem2vec,    // stage "embed: SKU item2vec"
  kMerchantIndex,  // stage "index: merchants"
  kSkuIndex,       // stage "index: SKUs"
};

// Called inside a part's stage once the part is in `parts`, so that the stage's time and
// memory include what it does (the build writes the part's file). It may reset a merchant
// embedding it no longer needs other than partner_vectors. An error stops the training and
// is returned as it is.
using PartTrained = std::function<Status(ModelPart part, TrainedModel& parts)>;

// Trains `graph`'s embeddings under config.embed (the random-walk and item2vec ones as
// config.model says) and indexes the partner and SKU embeddings under config.index, in
// ModelPart's order, each in its stage (timed into *stages when not null), calling
// `part_trained` (when set) after each. config.recommend and the precompute settings are not
// read. Errors: those of the training and the index build, prefixed with the part ("merchant
// PPMI-SVD embedding: ...", "SKU index: ..."); those of `part_trained`; InvalidArgument when
// config.model.partner_embedding is "walk" without train_walk_embedding.
Result<TrainedModel> TrainModel(std::shared_ptr<const EcosystemGraph> graph,
                                const ModelConfig& config, std::vector<ModelBuildStage>* stages,
                                const PartTrained& part_trained = nullptr);

}  // namespace partnergraph
