// `partnergraph precompute --model DIR`: reruns the build's precompute stage
// (PrecomputeModel) on an existing model folder, from its own files and its config.json:
// writes sku_neighbors.bin, merchant_neighbors.bin and precomputed.bin again without
// retraining (into a staging folder holding links to the other files, published in one step
// with the new manifest: ModelFolder), e.g. after the "recommend" options of config.json changed or when they are
// missing. The other files are checked against manifest.json first (the quick checks of
// model_manifest.hpp); the new files record config.json's digest, and manifest.json then
// lists them, the new config digest, the outputs and the stages ("model" and
// "precompute"). Exit 0 ok, 1 usage error, 2 when the model cannot be read (the reason on
// stderr), 3 when a file cannot be written.
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/model_folder.hpp"
#include "partnergraph/engine/model_manifest.hpp"

namespace partnergraph::cli {
namespace {

constexpr int kExitWriteFailed = 3;

struct PrecomputeArgs {
  std::string model;
  std::uint32_t threads = 0;
  bool json = false;
};

// Sets the precompute outputs and `record` in the folder's manifest.json (PrecomputeModel
// has already listed the new files in it).
Status UpdateManifest(const std::filesystem::path& dir, const ModelBuildReport& report,
                      const nlohmann::json& record) {
  return EditModelManifest(dir, [&](nlohmann::json& manifest) {
    if (!manifest["model"].is_object()) manifest["model"] = nlohmann::json::object();
    manifest["model"]["precomputed"] = report.precomputed_answers;
    manifest["model"]["sku_neighbors"] = report.sku_neighbor_skus;
    manifest["model"]["merchant_neighbors"] = report.merchant_neighbor_merchants;
    manifest["precompute"] = record;
  });
}

// The model's parts without the files this command rewrites, after the quick checks of
// every other file against manifest.json (model_manifest.hpp). config.json may have changed
// since the build: adopting it is what this command is for.
Result<RecommendModel> LoadModelToPrecompute(const std::filesystem::path& dir,
                                             ModelConfig* config) {
  PG_ASSIGN_OR_RETURN(ModelManifest manifest, ModelManifest::Read(dir));
  ModelCheckOptions checks;
  checks.precompute_outputs = false;
  PG_RETURN_IF_ERROR(FirstProblem(CheckModelFiles(dir, manifest, checks)));
  PG_ASSIGN_OR_RETURN(RecommendModel model,
                      LoadRecommendModel(dir, /*neighbor_lists=*/false, config));
  if (auto problem = CheckGraphFingerprint(manifest, model.graph->Fingerprint())) {
    return problem->status;
  }
  return model;
}

int RunPrecompute(const PrecomputeArgs& args) {
  const std::filesystem::path dir = args.model;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "partnergraph precompute: %s: no such model folder\n",
                 args.model.c_str());
    return kExitUsage;
  }
  const int threads = args.threads == 0 ? tbb::this_task_arena::max_concurrency()
                                        : static_cast<int>(args.threads);
  tbb::task_arena arena(threads);
  const auto start = std::chrono::steady_clock::now();
  // The model's parts without the files this command rewrites.
  Result<RecommendModel> model = Status::Internal("not loaded");
  ModelConfig config;
  arena.execute([&] { model = LoadModelToPrecompute(dir, &config); });
  if (!model.ok()) {
    std::fprintf(stderr, "partnergraph precompute: %s\n", model.status().ToString().c_str());
    return kExitBadInput;
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Result<ModelFolder> folder = ModelFolder::BeginUpdate(dir);
  if (!folder.ok()) {
    std::fprintf(stderr, "partnergraph precompute: %s\n", folder.status().ToString().c_str());
    return folder.status().IsIOError() ? kExitWriteFailed : kExitBadInput;
  }
  ModelBuildReport report;
  Status done = Status::Internal("not run");
  arena.execute([&] { done = PrecomputeModel(*model, config, folder->staging(), &report); });
  if (!done.ok()) {
    std::fprintf(stderr, "partnergraph precompute: %s\n", done.ToString().c_str());
    return done.IsIOError() ? kExitWriteFailed : kExitBadInput;
  }

  nlohmann::json stages = nlohmann::json::array();
  stages.push_back({{"name", "load model"}, {"seconds", load_seconds}});
  for (const ModelBuildStage& s : report.stages) {
    stages.push_back({{"name", s.name},
                      {"seconds", s.seconds},
                      {"rss_bytes", s.rss_bytes},
                      {"peak_rss_bytes", s.peak_rss_bytes}});
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::json record = {{"date", FormatTimestamp(now)},
                           {"threads", threads},
                           {"sku_neighbors", report.sku_neighbor_skus},
                           {"merchant_neighbors", report.merchant_neighbor_merchants},
                           {"precomputed", report.precomputed_answers},
                           {"stages", stages},
                           {"peak_rss_bytes", PeakRssBytes()}};
  if (Status written = UpdateManifest(folder->staging(), report, record); !written.ok()) {
    std::fprintf(stderr, "partnergraph precompute: %s\n", written.ToString().c_str());
    return written.IsIOError() ? kExitWriteFailed : kExitBadInput;
  }
  if (Status published = folder->Publish(); !published.ok()) {
    std::fprintf(stderr, "partnergraph precompute: %s\n", published.ToString().c_str());
    return kExitWriteFailed;
  }
  if (!folder->old_model_left().empty()) {
    std::fprintf(stderr, "partnergraph precompute: warning: %s\n",
                 folder->old_model_left().c_str());
  }
  if (args.json) {
    std::cout << JsonText(record, 2) << '\n';
    return kExitOk;
  }
  if (!config.model.precompute) {
    std::printf("%s: model.precompute is false in config.json: removed %s, %s and %s\n",
                dir.c_str(), kSkuNeighborsFileName, kMerchantNeighborsFileName,
                kPrecomputedFileName);
  } else {
    if (report.sku_neighbor_skus > 0) {
      std::printf("wrote %s: neighbour lists of %u SKUs\n",
                  (dir / kSkuNeighborsFileName).c_str(), report.sku_neighbor_skus);
    } else {
      std::printf("%s: not written (no SKU index, or coupon_candidates is 0)\n",
                  kSkuNeighborsFileName);
    }
    if (report.merchant_neighbor_merchants > 0) {
      std::printf("wrote %s: partner candidates of %u merchants\n",
                  (dir / kMerchantNeighborsFileName).c_str(), report.merchant_neighbor_merchants);
    } else {
      std::printf("%s: not written (no merchant vectors)\n", kMerchantNeighborsFileName);
    }
    std::printf("wrote %s\n", (dir / kPrecomputedFileName).c_str());
  }
  for (const auto& s : stages) {
    std::printf("  %-36s %9.3f s\n", s["name"].get<std::string>().c_str(),
                s["seconds"].get<double>());
  }
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(PeakRssBytes()) / 1048576.0);
  return kExitOk;
}

}  // namespace

void AddPrecomputeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<PrecomputeArgs>();
  auto* cmd = app.add_subcommand(
      "precompute",
      "Recompute the precomputed outputs of an existing model folder (sku_neighbors.bin, "
      "merchant_neighbors.bin, precomputed.bin) from its files and config.json, without retraining. Exit 0 ok, "
      "1 usage, 2 bad model, 3 cannot write");
  cmd->add_option("--model", args->model, "Model folder written by `partnergraph build`")
      ->required();
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the record added to manifest.json as JSON");
  cmd->callback([args, &exit_code] { exit_code = RunPrecompute(*args); });
}

}  // namespace partnergraph::cli
