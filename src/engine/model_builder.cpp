#include "partnergraph/engine/model_builder.hpp"

#include <fmt/format.h>

#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/file_checksum.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {
namespace {

// Runs `body` (a model stage sequence), turning an allocation failure into Unavailable naming
// the stage it happened in (the last stage StageTimer recorded: its destructor runs while the
// exception unwinds) and the memory used. Files written before are complete: each is written
// to a temporary file and renamed.
template <typename Body>
Status OrOutOfMemory(ModelBuildReport* report, Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    std::string where = "the model build";
    if (report != nullptr && !report->stages.empty()) {
      where = fmt::format("stage '{}'", report->stages.back().name);
    }
    return Status::Unavailable(fmt::format(
        "out of memory in {} (peak resident set {:.2f} GiB); the files written before it are "
        "complete, the rest was not written",
        where, static_cast<double>(PeakRssBytes()) / (1024.0 * 1024.0 * 1024.0)));
  }
}

Status BuildModelStages(std::shared_ptr<const EcosystemGraph> graph, const ModelConfig& config,
                        const std::string& config_json, const std::filesystem::path& dir,
                        ModelBuildReport* report);
Status PrecomputeStages(const RecommendModel& parts, const ModelConfig& config,
                        const std::filesystem::path& dir, ModelBuildReport* report,
                        std::vector<std::string>* written);
Status PrecomputeAndSeal(const RecommendModel& parts, const ModelConfig& config,
                         const std::filesystem::path& dir, ModelBuildReport* report);

}  // namespace

Status BuildModel(std::shared_ptr<const EcosystemGraph> graph, const ModelConfig& config,
                  const std::string& config_json, const std::filesystem::path& dir,
                  ModelBuildReport* report) {
  return OrOutOfMemory(report, [&] { return BuildModelStages(graph, config, config_json, dir, report); });
}

Status PrecomputeModel(const RecommendModel& parts, const ModelConfig& config,
                       const std::filesystem::path& dir, ModelBuildReport* report) {
  return OrOutOfMemory(report, [&] { return PrecomputeAndSeal(parts, config, dir, report); });
}

namespace {

Status BuildModelStages(std::shared_ptr<const EcosystemGraph> graph, const ModelConfig& config,
                        const std::string& config_json, const std::filesystem::path& dir,
                        ModelBuildReport* report) {
  const std::uint64_t fingerprint = graph->Fingerprint();
  // The files of the model, as written: manifest.json lists them at the end.
  std::vector<std::string> files = {kGraphFileName, kConfigFileName};
  PG_RETURN_IF_ERROR(WriteFileAtomically(dir / kConfigFileName, config_json));
  // The answers record the digest of the text just written (which `config` was parsed from).
  ModelConfig written_config = config;
  written_config.digest = ConfigDigest(config_json);
  // Each part is written inside its training stage; a merchant embedding that is not the
  // partner embedding is freed once written.
  auto write_embeddings = [&](std::shared_ptr<const Embeddings>& e, const char* file,
                              const TrainedModel& t) -> Status {
    PG_RETURN_IF_ERROR(e->Save(dir / file));
    files.push_back(file);
    if (e != t.partner_vectors && e != t.sku_item2vec) e.reset();
    return Status::Ok();
  };
  auto write_index = [&](VectorIndex& index, const char* file, std::string* factory) -> Status {
    PG_RETURN_IF_ERROR(index.Save(dir / file, fingerprint));
    files.insert(files.end(), {file, fmt::format("{}.meta", file)});
    if (factory != nullptr) *factory = index.factory();
    return Status::Ok();
  };
  auto write_part = [&](ModelPart part, TrainedModel& t) -> Status {
    switch (part) {
      case ModelPart::kMerchantSvd:
        return write_embeddings(t.merchant_svd, "merchants_svd.emb", t);
      case ModelPart::kMerchantWalk:
        return write_embeddings(t.merchant_walk, "merchants_walk.emb", t);
      case ModelPart::kSkuItem2vec:
        return write_embeddings(t.sku_item2vec, "skus_item2vec.emb", t);
      case ModelPart::kMerchantIndex:
        return write_index(*t.merchant_index, "merchants.faiss",
                           report ? &report->merchant_factory : nullptr);
      case ModelPart::kSkuIndex:
        return write_index(*t.sku_index, "skus.faiss", report ? &report->sku_factory : nullptr);
    }
    return Status::Ok();
  };
  PG_ASSIGN_OR_RETURN(
      TrainedModel trained,
      TrainModel(std::move(graph), config, report ? &report->stages : nullptr, write_part));
  PG_RETURN_IF_ERROR(
      PrecomputeStages(trained.recommend_model(), written_config, dir, report, &files));
  PG_RETURN_IF_ERROR(WriteModelManifest(dir, fingerprint, files, nlohmann::json::object()));
  if (report) report->files = files;
  return Status::Ok();
}

// `partnergraph precompute`'s stages: the config must be the folder's config.json (the
// answers record its digest); the manifest is then rewritten for the new outputs and the
// current config.json, keeping its statistics and its other files.
Status PrecomputeAndSeal(const RecommendModel& parts, const ModelConfig& config,
                         const std::filesystem::path& dir, ModelBuildReport* report) {
  PG_ASSIGN_OR_RETURN(ModelManifest manifest, ModelManifest::Read(dir));
  PG_ASSIGN_OR_RETURN(FileDigest config_file, DigestFile(dir / kConfigFileName));
  if (config_file.crc != config.digest) {
    return Status::InvalidArgument(fmt::format(
        "the configuration given is not {} (the precomputed files record the digest of the "
        "folder's config.json)",
        (dir / kConfigFileName).string()));
  }
  std::vector<std::string> files;
  for (const std::string& name : manifest.file_names()) {
    if (name != kSkuNeighborsFileName && name != kMerchantNeighborsFileName &&
        name != kPrecomputedFileName && name != kConfigFileName) {
      files.push_back(name);
    }
  }
  files.push_back(kConfigFileName);
  PG_RETURN_IF_ERROR(PrecomputeStages(parts, config, dir, report, &files));
  PG_RETURN_IF_ERROR(WriteModelManifest(dir, parts.graph->Fingerprint(), files,
                                        manifest.document(), &manifest));
  if (report) report->files = files;
  return Status::Ok();
}

Status PrecomputeStages(const RecommendModel& parts, const ModelConfig& config,
                        const std::filesystem::path& dir, ModelBuildReport* report,
                        std::vector<std::string>* written) {
  auto remove = [](const std::filesystem::path& path) -> Status {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec)
      return Status::IOError(fmt::format("{}: cannot remove: {}", path.string(), ec.message()));
    return Status::Ok();
  };
  if (!config.model.precompute) {
    PG_RETURN_IF_ERROR(remove(dir / kSkuNeighborsFileName));
    PG_RETURN_IF_ERROR(remove(dir / kMerchantNeighborsFileName));
    return remove(dir / kPrecomputedFileName);
  }
  RecommendModel model = parts;
  model.sku_neighbors = nullptr;
  model.merchant_neighbors = nullptr;
  PG_ASSIGN_OR_RETURN(auto recommender, Recommender::Create(model, config.recommend));
  // One kind of neighbour lists: computed (`compute(recommender)`), saved as `file`, counted in
  // *covered and read by the recommender from then on; or, when `wanted` is false, the file
  // removed.
  auto lists = [&](bool wanted, const char* stage, const char* file, auto compute,
                   std::uint32_t* covered) -> Status {
    if (!wanted) return remove(dir / file);
    StageTimer t(report ? &report->stages : nullptr, stage);
    auto table = compute(*recommender);
    if (!table.ok()) return table.status().WithContext(file);
    PG_RETURN_IF_ERROR(table->Save(dir / file, config.digest));
    written->push_back(file);
    if (covered) *covered = table->covered();
    using Table = std::remove_cvref_t<decltype(*table)>;
    PG_ASSIGN_OR_RETURN(recommender, recommender->WithNeighbors(std::make_shared<const Table>(
                                         std::move(table).value())));
    return Status::Ok();
  };
  PG_RETURN_IF_ERROR(lists(
      model.sku_index && config.recommend.coupon_candidates > 0, "precompute SKU neighbour lists",
      kSkuNeighborsFileName, [](const Recommender& r) { return r.ComputeSkuNeighbors(); },
      report ? &report->sku_neighbor_skus : nullptr));
  PG_RETURN_IF_ERROR(lists(
      model.merchant_index != nullptr, "precompute merchant neighbour lists",
      kMerchantNeighborsFileName, [](const Recommender& r) { return r.ComputeMerchantNeighbors(); },
      report ? &report->merchant_neighbor_merchants : nullptr));
  {
    StageTimer t(report ? &report->stages : nullptr, "precompute default answers");
    PG_ASSIGN_OR_RETURN(auto answers,
                        PrecomputedAnswers::Compute(*recommender, config.model.precompute_k));
    PG_RETURN_IF_ERROR(
        answers.Save(dir / kPrecomputedFileName, parts.graph->Fingerprint(), config.digest));
    written->push_back(kPrecomputedFileName);
    if (report) report->precomputed_answers = true;
  }
  return Status::Ok();
}

// InvalidArgument naming `path` when `e` was not trained on the graph of `fingerprint`.
Status CheckTrainedOn(const Embeddings& e, const std::filesystem::path& path,
                      std::uint64_t fingerprint) {
  if (e.graph_fingerprint() == fingerprint) return Status::Ok();
  if (e.graph_fingerprint() == 0) {
    return Status::InvalidArgument(fmt::format(
        "{}: records no graph (embeddings written by an older partnergraph): rebuild the model",
        path.string()));
  }
  return Status::InvalidArgument(fmt::format(
      "{}: trained on another graph (fingerprint {:016x}, the model's graph is {:016x}): "
      "rebuild the model",
      path.string(), e.graph_fingerprint(), fingerprint));
}

}  // namespace

std::vector<std::string> ModelFilesRead(const ModelConfig& config) {
  std::vector<std::string> files = {
      kGraphFileName, kConfigFileName,
      config.model.partner_embedding == "walk" ? "merchants_walk.emb" : "merchants_svd.emb",
      "merchants.faiss", "merchants.faiss.meta"};
  if (config.model.train_sku_embedding) {
    files.insert(files.end(), {"skus_item2vec.emb", "skus.faiss", "skus.faiss.meta"});
  }
  return files;
}

Result<RecommendModel> LoadRecommendModel(const std::filesystem::path& dir, bool neighbor_lists,
                                          ModelConfig* config_out) {
  PG_ASSIGN_OR_RETURN(auto graph, LoadGraph(dir / kGraphFileName));
  PG_ASSIGN_OR_RETURN(*config_out, LoadModelConfig(dir / kConfigFileName));
  const ModelConfig& config = *config_out;
  const std::uint64_t fingerprint = graph->Fingerprint();
  RecommendModel model;
  model.graph = graph;
  const auto merchant_file = dir / (config.model.partner_embedding == "walk"
                                        ? "merchants_walk.emb"
                                        : "merchants_svd.emb");
  PG_ASSIGN_OR_RETURN(Embeddings merchants,
                      Embeddings::Load(merchant_file, graph->merchant_count()));
  PG_RETURN_IF_ERROR(CheckTrainedOn(merchants, merchant_file, fingerprint));
  model.merchant_vectors = std::make_shared<const Embeddings>(std::move(merchants));
  PG_ASSIGN_OR_RETURN(VectorIndex merchant_index,
                      VectorIndex::Load(dir / "merchants.faiss", fingerprint));
  model.merchant_index = std::make_shared<const VectorIndex>(std::move(merchant_index));
  if (config.model.train_sku_embedding) {
    PG_ASSIGN_OR_RETURN(Embeddings skus,
                        Embeddings::Load(dir / "skus_item2vec.emb", graph->sku_count()));
    PG_RETURN_IF_ERROR(CheckTrainedOn(skus, dir / "skus_item2vec.emb", fingerprint));
    model.sku_vectors = std::make_shared<const Embeddings>(std::move(skus));
    PG_ASSIGN_OR_RETURN(VectorIndex sku_index, VectorIndex::Load(dir / "skus.faiss", fingerprint));
    model.sku_index = std::make_shared<const VectorIndex>(std::move(sku_index));
  }
  const auto neighbors_file = dir / kSkuNeighborsFileName;
  if (neighbor_lists && std::filesystem::exists(neighbors_file)) {
    if (!model.sku_index) {
      return Status::InvalidArgument(fmt::format(
          "{} does not match the model: the model has no SKU index (model.train_sku_embedding "
          "is false); `partnergraph precompute --model {}` removes it",
          kSkuNeighborsFileName, dir.string()));
    }
    PG_ASSIGN_OR_RETURN(
        SkuNeighborTable table,
        SkuNeighborTable::Load(neighbors_file, ExpectedSkuNeighborKey(*model.sku_index,
                                                                      graph->sku_count(),
                                                                      config.recommend)));
    model.sku_neighbors = std::make_shared<const SkuNeighborTable>(std::move(table));
  }
  const auto merchant_lists_file = dir / kMerchantNeighborsFileName;
  if (neighbor_lists && std::filesystem::exists(merchant_lists_file)) {
    PG_ASSIGN_OR_RETURN(MerchantNeighborTable table,
                        MerchantNeighborTable::Load(
                            merchant_lists_file,
                            ExpectedMerchantNeighborKey(*model.merchant_index,
                                                        graph->merchant_count(), config.recommend)));
    model.merchant_neighbors = std::make_shared<const MerchantNeighborTable>(std::move(table));
  }
  return model;
}

}  // namespace partnergraph
