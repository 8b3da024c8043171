// ModelBuilder: everything `partnergraph build` writes into a model folder
// after the graph: embeddings, vector indexes and the precomputed default
// answers. Engine::Open (engine.hpp) reads the same folder.
//
// Model folder layout (all files written to *.tmp and renamed into place):
//   graph.pgg                 the ecosystem graph (graph_io.hpp)
//   config.json               the ModelConfig used (embed, index, recommend, model)
//   merchants_svd.emb         merchant audience embedding, PPMI-SVD (embeddings.hpp)
//   merchants_walk.emb        merchant audience embedding, random-walk skip-gram (optional)
//   skus_item2vec.emb         SKU embedding, item2vec (optional)
//   merchants.faiss(.meta)    index over the partner embedding (vector_index.hpp)
//   skus.faiss(.meta)         index over the SKU embedding (when trained)
//   precomputed.bin           default answers (precomputed_answers.hpp)
//   manifest.json             counts, stages and seconds, written last
//
// Thread safety: BuildModel runs its own parallel stages (oneTBB, OpenMP);
// call it from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/index/index_options.hpp"
#include "partnergraph/recommend/recommend_options.hpp"

namespace partnergraph {

// The "model" section of the configuration: which parts to train and serve.
struct ModelOptions {
  // The merchant embedding behind partner candidates and similarity: "svd" or "walk".
  std::string partner_embedding = "svd";
  // Train the random-walk merchant embedding too (needed when partner_embedding is
  // "walk"; otherwise only for evaluation).
  bool train_walk_embedding = true;
  // Train the item2vec SKU embedding (coupon candidates beyond co-purchase edges).
  bool train_sku_embedding = true;
  // Precompute every merchant's default answers (partners and coupon pairs) at build.
  bool precompute = true;
  // k of the precomputed answers; requests with k up to this are served from them.
  std::uint32_t precompute_k = 10;
};

struct ModelConfig {
  EmbedOptions embed;
  IndexOptions index;
  RecommendOptions recommend;
  ModelOptions model;
};

// Parses a configuration document (models/default.json's layout: keys "embed",
// "index", "recommend", "model"; absent keys keep defaults). Errors name
// `source_name` and the key.
Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source_name);
Result<ModelConfig> LoadModelConfig(const std::filesystem::path& path);

struct ModelBuildStage {
  std::string name;
  double seconds = 0;
  std::uint64_t rss_bytes = 0;       // resident set when the stage ended
  std::uint64_t peak_rss_bytes = 0;  // the process's peak so far
};

struct ModelBuildReport {
  std::vector<ModelBuildStage> stages;
  std::string merchant_factory;  // FAISS factory of the merchant index
  std::string sku_factory;
};

// Trains, indexes and precomputes into `model_dir` (which must exist; the
// graph file is written by the caller). Errors: those of the stages, naming
// the stage.
Status BuildModel(std::shared_ptr<const EcosystemGraph> graph, const ModelConfig& config,
                  const std::string& config_json, const std::filesystem::path& model_dir,
                  ModelBuildReport* report);

}  // namespace partnergraph
