#include "partnergraph/engine/model_builder.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <type_traits>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/file_checksum.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "partnergraph/embed/graph_embeddings.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/embedding_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::json;

Status ParseModelOptions(const Json& doc, const std::string& src, ModelOptions* out) {
  if (!doc.contains("model")) return Status::Ok();
  const Json& m = doc["model"];
  const std::string p = src + ": model.";
  if (!m.is_object()) return Status::InvalidArgument(src + ": model: expected an object");
  for (auto it = m.begin(); it != m.end(); ++it) {
    const std::string& key = it.key();
    if (key == "partner_embedding") {
      if (!it->is_string() || (*it != "svd" && *it != "walk")) {
        return Status::InvalidArgument(p + key + ": expected \"svd\" or \"walk\"");
      }
      out->partner_embedding = it->get<std::string>();
    } else if (key == "train_walk_embedding" || key == "train_sku_embedding" ||
               key == "precompute") {
      if (!it->is_boolean()) return Status::InvalidArgument(p + key + ": expected true or false");
      bool v = it->get<bool>();
      if (key == "train_walk_embedding") out->train_walk_embedding = v;
      if (key == "train_sku_embedding") out->train_sku_embedding = v;
      if (key == "precompute") out->precompute = v;
    } else if (key == "precompute_k") {
      if (!it->is_number_unsigned() || it->get<std::uint64_t>() < 1 ||
          it->get<std::uint64_t>() > 100) {
        return Status::InvalidArgument(p + key + ": expected an integer in [1, 100]");
      }
      out->precompute_k = it->get<std::uint32_t>();
    } else {
      return Status::InvalidArgument(p + key + ": unknown key");
    }
  }
  if (out->partner_embedding == "walk" && !out->train_walk_embedding) {
    return Status::InvalidArgument(
        p + "partner_embedding: \"walk\" needs train_walk_embedding = true");
  }
  return Status::Ok();
}

// Times one stage and records it.
class StageTimer {
 public:
  StageTimer(ModelBuildReport* report, std::string name)
      : report_(report), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() {
    if (report_ == nullptr) return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    report_->stages.push_back({name_, s, CurrentRssBytes(), PeakRssBytes()});
  }

 private:
  ModelBuildReport* report_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source_name) {
  const std::string src(source_name);
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument(src + ": not a JSON object");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    if (key != "embed" && key != "index" && key != "recommend" && key != "model") {
      return Status::InvalidArgument(src + ": " + key +
                                     ": unknown key (known: embed, index, recommend, model)");
    }
  }
  ModelConfig config;
  PG_ASSIGN_OR_RETURN(config.embed, ParseEmbedOptions(json_text, source_name));
  PG_ASSIGN_OR_RETURN(config.index, ParseIndexOptions(json_text, source_name));
  PG_ASSIGN_OR_RETURN(config.recommend, ParseRecommendOptions(json_text, source_name));
  PG_RETURN_IF_ERROR(ParseModelOptions(doc, src, &config.model));
  config.digest = ConfigDigest(json_text);
  return config;
}

Result<ModelConfig> LoadModelConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read model configuration " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseModelConfig(text.str(), path.string());
}

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
      where = "stage '" + report->stages.back().name + "'";
    }
    char peak[64];
    std::snprintf(peak, sizeof peak, "%.2f GiB",
                  static_cast<double>(PeakRssBytes()) / (1024.0 * 1024.0 * 1024.0));
    return Status::Unavailable("out of memory in " + where + " (peak resident set " + peak +
                               "); the files written before it are complete, the rest was "
                               "not written");
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
  RecommendModel model;
  model.graph = graph;
  {
    StageTimer t(report, "embed: merchant PPMI-SVD");
    auto e = TrainMerchantSvdEmbeddings(*graph, config.embed.merchant_svd);
    if (!e.ok()) return e.status().WithContext("merchant PPMI-SVD embedding");
    PG_RETURN_IF_ERROR(e->Save(dir / "merchants_svd.emb"));
    files.push_back("merchants_svd.emb");
    if (config.model.partner_embedding == "svd") {
      model.merchant_vectors = std::make_shared<const Embeddings>(std::move(e).value());
    }
  }
  if (config.model.train_walk_embedding) {
    StageTimer t(report, "embed: merchant random-walk skip-gram");
    auto e = TrainMerchantWalkEmbeddings(*graph, config.embed.merchant_walk);
    if (!e.ok()) return e.status().WithContext("merchant random-walk embedding");
    PG_RETURN_IF_ERROR(e->Save(dir / "merchants_walk.emb"));
    files.push_back("merchants_walk.emb");
    if (config.model.partner_embedding == "walk") {
      model.merchant_vectors = std::make_shared<const Embeddings>(std::move(e).value());
    }
  }
  if (config.model.train_sku_embedding) {
    StageTimer t(report, "embed: SKU item2vec");
    auto e = TrainSkuItem2vecEmbeddings(*graph, config.embed.sku_item2vec);
    if (!e.ok()) return e.status().WithContext("SKU item2vec embedding");
    PG_RETURN_IF_ERROR(e->Save(dir / "skus_item2vec.emb"));
    files.push_back("skus_item2vec.emb");
    model.sku_vectors = std::make_shared<const Embeddings>(std::move(e).value());
  }
  {
    StageTimer t(report, "index: merchants");
    auto index = IndexNonZeroRows(*model.merchant_vectors, config.index.merchants);
    if (!index.ok()) return index.status().WithContext("merchant index");
    PG_RETURN_IF_ERROR(index->Save(dir / "merchants.faiss", fingerprint));
    files.insert(files.end(), {"merchants.faiss", "merchants.faiss.meta"});
    if (report) report->merchant_factory = index->factory();
    model.merchant_index = std::make_shared<const VectorIndex>(std::move(index).value());
  }
  if (model.sku_vectors) {
    StageTimer t(report, "index: SKUs");
    auto index = IndexNonZeroRows(*model.sku_vectors, config.index.skus);
    if (!index.ok()) return index.status().WithContext("SKU index");
    PG_RETURN_IF_ERROR(index->Save(dir / "skus.faiss", fingerprint));
    files.insert(files.end(), {"skus.faiss", "skus.faiss.meta"});
    if (report) report->sku_factory = index->factory();
    model.sku_index = std::make_shared<const VectorIndex>(std::move(index).value());
  }
  PG_RETURN_IF_ERROR(PrecomputeStages(model, written_config, dir, report, &files));
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
    return Status::InvalidArgument(
        "the configuration given is not " + (dir / kConfigFileName).string() +
        " (the precomputed files record the digest of the folder's config.json)");
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
    if (ec) return Status::IOError(path.string() + ": cannot remove: " + ec.message());
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
    StageTimer t(report, stage);
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
    StageTimer t(report, "precompute default answers");
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
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx, the model's graph is %016llx",
                static_cast<unsigned long long>(e.graph_fingerprint()),
                static_cast<unsigned long long>(fingerprint));
  if (e.graph_fingerprint() == 0) {
    return Status::InvalidArgument(path.string() +
                                   ": records no graph (embeddings written by an older "
                                   "partnergraph): rebuild the model");
  }
  return Status::InvalidArgument(path.string() + ": trained on another graph (fingerprint " +
                                 buf + "): rebuild the model");
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
      return Status::InvalidArgument(
          std::string(kSkuNeighborsFileName) +
          " does not match the model: the model has no SKU index (model.train_sku_embedding "
          "is false); `partnergraph precompute --model " + dir.string() + "` removes it");
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
