// ModelBuilder: everything `partnergraph build` writes into a model folder
// after the graph: embeddings, vector indexes (trained by TrainModel, model_training.hpp,
// the pipeline `partnergraph evaluate` runs too) and the precomputed default
// answers. Engine::Open (engine.hpp) reads the same folder. The configuration is
// model_config.hpp's ModelConfig.
//
// Model folder layout (every file written through common's AtomicFileWriter: to *.tmp,
// fsynced, renamed into place, the folder fsynced; the folder as a whole is written as a
// staging folder and published in one step, model_folder.hpp):
//   graph.pgg                 the ecosystem graph (graph_io.hpp)
//   config.json               the ModelConfig used (embed, index, recommend, model)
//   merchants_svd.emb         merchant audience embedding, PPMI-SVD (embeddings.hpp)
//   merchants_walk.emb        merchant audience embedding, random-walk skip-gram (optional)
//   skus_item2vec.emb         SKU embedding, item2vec (optional)
//   merchants.faiss(.meta)    index over the partner embedding (vector_index.hpp)
//   skus.faiss(.meta)         index over the SKU embedding (when trained)
//   sku_neighbors.bin         every SKU's SKU-index hits (neighbor_table.hpp; optional)
//   merchant_neighbors.bin    every merchant's partner-candidate hits (neighbor_table.hpp;
//   optional) precomputed.bin           default answers (precomputed_answers.hpp) manifest.json
//   every file's size, SHA-256 and recorded CRC-32, the graph
//                             fingerprint each derived file records, the config digest;
//                             counts, stages and seconds; written last (model_manifest.hpp)
// sku_neighbors.bin, merchant_neighbors.bin and precomputed.bin are the "precompute" stage's
// outputs; `partnergraph precompute` (PrecomputeModel) rewrites them in a copy of an existing
// folder (ModelFolder::BeginUpdate).
//
// Thread safety: BuildModel and PrecomputeModel run their own parallel stages
// (oneTBB, OpenMP); call them from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/model_config.hpp"
#include "partnergraph/engine/model_training.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {

struct ModelBuildReport {
  std::vector<ModelBuildStage> stages;
  std::string merchant_factory;  // FAISS factory of the merchant index
  std::string sku_factory;
  std::uint32_t sku_neighbor_skus = 0;  // SKUs in sku_neighbors.bin (0: not written)
  std::uint32_t merchant_neighbor_merchants = 0;  // merchants in merchant_neighbors.bin
  bool precomputed_answers = false;     // precomputed.bin written
  // The files manifest.json lists after BuildModel or PrecomputeModel (graph.pgg and
  // config.json included).
  std::vector<std::string> files;
};

// The file names of the precompute stage's outputs in a model folder.
inline constexpr const char* kSkuNeighborsFileName = "sku_neighbors.bin";
inline constexpr const char* kMerchantNeighborsFileName = "merchant_neighbors.bin";
inline constexpr const char* kPrecomputedFileName = "precomputed.bin";

// Writes `config_json` (the text `config` was parsed from) as config.json, trains and
// indexes (TrainModel, writing each part in its stage) and precomputes into `model_dir` (which must
// exist, with graph.pgg of `graph` already written by the caller: normally a ModelFolder's staging
// folder, published afterwards), then writes manifest.json for them (WriteModelManifest, with no
// statistics: a caller with some writes it again). Errors: those of the stages, naming the stage or
// the file.
Status BuildModel(std::shared_ptr<const EcosystemGraph> graph, const ModelConfig& config,
                  const std::string& config_json, const std::filesystem::path& model_dir,
                  ModelBuildReport* report);

// The build's last stage, on the model parts `model` (saved or loaded: the indexes need
// their file identity; model.sku_neighbors and model.merchant_neighbors are ignored): with
// config.model.precompute, writes sku_neighbors.bin (when the model has a SKU index and
// coupon_candidates > 0; else removes it), merchant_neighbors.bin (when it has a merchant
// index), and then precomputed.bin, whose answers read the new lists; without, removes all
// three. Each file is written to a temporary file and renamed: an existing file (or a hard
// link to it) is never rewritten in place, so `model_dir` may be the staging folder of
// ModelFolder::BeginUpdate, whose files are links to the published model's. The new files
// record config.digest, and manifest.json is rewritten for them and for the current config.json (its statistics and
// its other files kept). Errors: those of the stages, naming the file; those of
// ModelManifest::Read (the folder needs a manifest); InvalidArgument when `config` was not
// parsed from the folder's config.json (its digest differs).
Status PrecomputeModel(const RecommendModel& model, const ModelConfig& config,
                       const std::filesystem::path& model_dir, ModelBuildReport* report);

// Reads the parts a recommender needs from a model folder written by BuildModel: the
// graph, the folder's config.json (into *config), the partner embedding and index, the
// SKU embedding and index (config->model.train_sku_embedding), and, with
// `neighbor_lists`, sku_neighbors.bin and merchant_neighbors.bin when present. Errors:
// those of each file's loader, naming the file; InvalidArgument naming an embeddings file
// trained on another graph (or recording none); for the neighbour lists, InvalidArgument
// when they were computed for another model or other recommend options
// (NeighborTable::Load), Corruption when damaged or truncated. Does not read manifest.json:
// Engine::Open checks the folder against it (model_manifest.hpp).
// The files LoadRecommendModel reads under `config` besides the neighbour lists (which it
// reads when present): graph.pgg, config.json, the partner embedding, the indexes.
std::vector<std::string> ModelFilesRead(const ModelConfig& config);

Result<RecommendModel> LoadRecommendModel(const std::filesystem::path& model_dir,
                                          bool neighbor_lists, ModelConfig* config);

}  // namespace partnergraph
