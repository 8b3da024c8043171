// TrainModel and StageTimer (engine/model_training.hpp): the training pipeline that
// `partnergraph build` (BuildModel) and `partnergraph evaluate` (Evaluate) share. The model
// build's files are checked by tests/engine; here the pipeline itself and the evaluator's use.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "partnergraph/common/time.hpp"
#include "partnergraph/engine/model_training.hpp"
#include "partnergraph/evaluate/evaluator.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

std::shared_ptr<const EcosystemGraph> TinyGraph() {
  auto dataset = LoadDataset(testing::TinyDataset(), LoadOptions{}, nullptr);
  REQUIRE(dataset.ok());
  GraphBuilder builder;
  REQUIRE(builder.Build(*dataset).ok());
  auto graph = builder.Freeze();
  REQUIRE(graph.ok());
  return std::move(graph).value();
}

// Small, fast embeddings: the tests check the pipeline, not embedding quality.
ModelConfig FastConfig() {
  ModelConfig c;
  c.embed.merchant_svd.svd.dim = 8;
  c.embed.merchant_svd.svd.power_iterations = 2;
  c.embed.merchant_walk.walks.walks_per_node = 2;
  c.embed.merchant_walk.walks.walk_length = 10;
  c.embed.merchant_walk.sgns.dim = 8;
  c.embed.merchant_walk.sgns.epochs = 1;
  c.embed.sku_item2vec.sgns.dim = 8;
  c.embed.sku_item2vec.sgns.epochs = 1;
  return c;
}

std::vector<std::string> Names(const std::vector<ModelBuildStage>& stages) {
  std::vector<std::string> names;
  for (const ModelBuildStage& s : stages) names.push_back(s.name);
  return names;
}

}  // namespace

TEST_CASE("TrainModel trains the configured parts, one stage each, in order", "[engine]") {
  auto graph = TinyGraph();
  std::vector<ModelBuildStage> stages;
  auto trained = TrainModel(graph, FastConfig(), &stages);
  REQUIRE(trained.ok());
  CHECK(Names(stages) == std::vector<std::string>{
                             "embed: merchant PPMI-SVD", "embed: merchant random-walk skip-gram",
                             "embed: SKU item2vec", "index: merchants", "index: SKUs"});
  for (const ModelBuildStage& s : stages) {
    CHECK(s.seconds >= 0);
    CHECK(s.peak_rss_bytes >= s.rss_bytes);
  }
  CHECK(trained->graph == graph);
  REQUIRE(trained->merchant_svd);
  REQUIRE(trained->merchant_walk);
  REQUIRE(trained->sku_item2vec);
  CHECK(trained->merchant_svd->rows() == graph->merchant_count());
  CHECK(trained->sku_item2vec->rows() == graph->sku_count());
  CHECK(trained->partner_vectors == trained->merchant_svd);  // the default, "svd"
  REQUIRE(trained->merchant_index);
  REQUIRE(trained->sku_index);
  const RecommendModel parts = trained->recommend_model();
  CHECK(parts.graph == graph);
  CHECK(parts.merchant_vectors == trained->merchant_svd);
  CHECK(parts.merchant_index == trained->merchant_index);
  CHECK(parts.sku_vectors == trained->sku_item2vec);
  CHECK(parts.sku_index == trained->sku_index);
  CHECK(parts.sku_neighbors == nullptr);
  CHECK(Recommender::Create(parts, RecommendOptions{}).ok());
}

TEST_CASE("TrainModel leaves out the parts the configuration does not ask for", "[engine]") {
  ModelConfig config = FastConfig();
  config.model.train_walk_embedding = false;
  config.model.train_sku_embedding = false;
  std::vector<ModelBuildStage> stages;
  auto trained = TrainModel(TinyGraph(), config, &stages);
  REQUIRE(trained.ok());
  CHECK(Names(stages) == std::vector<std::string>{"embed: merchant PPMI-SVD", "index: merchants"});
  CHECK(trained->merchant_walk == nullptr);
  CHECK(trained->sku_item2vec == nullptr);
  CHECK(trained->sku_index == nullptr);
  CHECK(trained->recommend_model().sku_vectors == nullptr);

  config.model.train_walk_embedding = true;
  config.model.partner_embedding = "walk";
  auto walk = TrainModel(TinyGraph(), config, nullptr);  // no stages recorded: allowed
  REQUIRE(walk.ok());
  CHECK(walk->partner_vectors == walk->merchant_walk);
  CHECK(walk->recommend_model().merchant_vectors == walk->merchant_walk);
  CHECK(walk->merchant_index->size() > 0);
}

TEST_CASE("TrainModel refuses a walk partner embedding it does not train", "[engine]") {
  ModelConfig config = FastConfig();
  config.model.partner_embedding = "walk";
  config.model.train_walk_embedding = false;
  auto trained = TrainModel(TinyGraph(), config, nullptr);
  REQUIRE_FALSE(trained.ok());
  CHECK(trained.status().IsInvalidArgument());
  CHECK(trained.status().message() ==
        "model.partner_embedding: \"walk\" needs train_walk_embedding = true");
}

TEST_CASE("TrainModel reports each part inside its stage and stops at the callback's error",
          "[engine]") {
  std::vector<ModelBuildStage> stages;
  std::vector<ModelPart> seen;
  std::vector<std::size_t> stages_when_seen;
  auto record = [&](ModelPart part, TrainedModel& parts) -> Status {
    seen.push_back(part);
    stages_when_seen.push_back(stages.size());
    if (part == ModelPart::kMerchantWalk) {
      CHECK(parts.merchant_walk != nullptr);
      parts.merchant_walk.reset();  // allowed: not the partner embedding
    }
    return Status::Ok();
  };
  auto trained = TrainModel(TinyGraph(), FastConfig(), &stages, record);
  REQUIRE(trained.ok());
  CHECK(seen == std::vector<ModelPart>{ModelPart::kMerchantSvd, ModelPart::kMerchantWalk,
                                       ModelPart::kSkuItem2vec, ModelPart::kMerchantIndex,
                                       ModelPart::kSkuIndex});
  // Each call comes before its own stage is recorded: its work is timed with the stage.
  CHECK(stages_when_seen == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(trained->merchant_walk == nullptr);

  stages.clear();
  seen.clear();
  auto fail = [&](ModelPart part, TrainedModel&) -> Status {
    seen.push_back(part);
    if (part == ModelPart::kSkuItem2vec) return Status::IOError("skus_item2vec.emb: disk full");
    return Status::Ok();
  };
  auto failed = TrainModel(TinyGraph(), FastConfig(), &stages, fail);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().IsIOError());
  CHECK(failed.status().message() == "skus_item2vec.emb: disk full");
  CHECK(seen.back() == ModelPart::kSkuItem2vec);  // nothing trained after it
  CHECK(Names(stages).back() == "embed: SKU item2vec");
}

TEST_CASE("StageTimer records its scope once, or nothing without a list", "[engine]") {
  std::vector<ModelBuildStage> stages;
  { StageTimer timer(&stages, "one"); }
  { StageTimer timer(nullptr, "ignored"); }
  REQUIRE(stages.size() == 1);
  CHECK(stages[0].name == "one");
  CHECK(stages[0].seconds >= 0);
  CHECK(stages[0].rss_bytes > 0);
}

TEST_CASE("Evaluate trains with the model build's pipeline", "[recommend]") {
  auto dataset = LoadDataset(testing::TinyDataset(), LoadOptions{}, nullptr);
  REQUIRE(dataset.ok());
  EvaluationOptions o;
  o.split_ts = *ParseTimestamp("2026-02-01");
  o.threads = 2;
  o.model = FastConfig();
  // The random_walk method needs the walk embedding whatever the configuration says.
  o.model.model.train_walk_embedding = false;
  auto report = Evaluate(*dataset, nullptr, o);
  REQUIRE(report.ok());
  CHECK(Names(report->stages) ==
        std::vector<std::string>{"split", "train graph", "embed: merchant PPMI-SVD",
                                 "embed: merchant random-walk skip-gram", "embed: SKU item2vec",
                                 "index: merchants", "index: SKUs", "recommender",
                                 "partner ground truth", "rank partners", "coupon ground truth",
                                 "rank coupon pairs"});
  o.evaluate_coupons = false;
  o.model.model.train_sku_embedding = true;  // not trained without the coupon side
  auto partners_only = Evaluate(*dataset, nullptr, o);
  REQUIRE(partners_only.ok());
  for (const std::string& name : Names(partners_only->stages)) {
    CHECK(name.find("SKU") == std::string::npos);
  }
}
