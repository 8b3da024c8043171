#include "partnergraph/engine/model_training.hpp"

#include <utility>

#include "partnergraph/common/memory_usage.hpp"
#include "partnergraph/embed/graph_embeddings.hpp"
#include "partnergraph/recommend/embedding_index.hpp"

namespace partnergraph {

StageTimer::StageTimer(std::vector<ModelBuildStage>* stages, std::string name)
    : stages_(stages), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}

StageTimer::~StageTimer() {
  if (stages_ == nullptr) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  stages_->push_back({name_, seconds, CurrentRssBytes(), PeakRssBytes()});
}

RecommendModel TrainedModel::recommend_model() const {
  RecommendModel model;
  model.graph = graph;
  model.merchant_vectors = partner_vectors;
  model.merchant_index = merchant_index;
  model.sku_vectors = sku_item2vec;
  model.sku_index = sku_index;
  return model;
}

Result<TrainedModel> TrainModel(std::shared_ptr<const EcosystemGraph> graph,
                                const ModelConfig& config, std::vector<ModelBuildStage>* stages,
                                const PartTrained& part_trained) {
  TrainedModel t;
  t.graph = std::move(graph);
  auto done = [&](ModelPart part) { return part_trained ? part_trained(part, t) : Status::Ok(); };
  const bool walk_is_partner = config.model.partner_embedding == "walk";
  {
    StageTimer timer(stages, "embed: merchant PPMI-SVD");
    auto e = TrainMerchantSvdEmbeddings(*t.graph, config.embed.merchant_svd);
    if (!e.ok()) return e.status().WithContext("merchant PPMI-SVD embedding");
    t.merchant_svd = std::make_shared<const Embeddings>(std::move(e).value());
    if (!walk_is_partner) t.partner_vectors = t.merchant_svd;
    PG_RETURN_IF_ERROR(done(ModelPart::kMerchantSvd));
  }
  if (config.model.train_walk_embedding) {
    StageTimer timer(stages, "embed: merchant random-walk skip-gram");
    auto e = TrainMerchantWalkEmbeddings(*t.graph, config.embed.merchant_walk);
    if (!e.ok()) return e.status().WithContext("merchant random-walk embedding");
    t.merchant_walk = std::make_shared<const Embeddings>(std::move(e).value());
    if (walk_is_partner) t.partner_vectors = t.merchant_walk;
    PG_RETURN_IF_ERROR(done(ModelPart::kMerchantWalk));
  }
  if (config.model.train_sku_embedding) {
    StageTimer timer(stages, "embed: SKU item2vec");
    auto e = TrainSkuItem2vecEmbeddings(*t.graph, config.embed.sku_item2vec);
    if (!e.ok()) return e.status().WithContext("SKU item2vec embedding");
    t.sku_item2vec = std::make_shared<const Embeddings>(std::move(e).value());
    PG_RETURN_IF_ERROR(done(ModelPart::kSkuItem2vec));
  }
  if (t.partner_vectors == nullptr) {
    return Status::InvalidArgument(
        "model.partner_embedding: \"walk\" needs train_walk_embedding = true");
  }
  {
    StageTimer timer(stages, "index: merchants");
    auto index = IndexNonZeroRows(*t.partner_vectors, config.index.merchants);
    if (!index.ok()) return index.status().WithContext("merchant index");
    t.merchant_index = std::make_shared<VectorIndex>(std::move(index).value());
    PG_RETURN_IF_ERROR(done(ModelPart::kMerchantIndex));
  }
  if (t.sku_item2vec) {
    StageTimer timer(stages, "index: SKUs");
    auto index = IndexNonZeroRows(*t.sku_item2vec, config.index.skus);
    if (!index.ok()) return index.status().WithContext("SKU index");
    t.sku_index = std::make_shared<VectorIndex>(std::move(index).value());
    PG_RETURN_IF_ERROR(done(ModelPart::kSkuIndex));
  }
  return t;
}

}  // namespace partnergraph
