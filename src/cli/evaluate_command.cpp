// `partnergraph evaluate --data DIR --split-date DATE [--json] [--config FILE] [--k N]
// [--audience operator|merchant]`:
// trains every model and baseline on the orders before DATE and scores their
// partner (and coupon-pair) rankings against what happened after it
// (include/partnergraph/evaluate/evaluator.hpp, models/README.md "Evaluation").
// --audience picks the view the recommender's own lists are ranked for: the
// operator's (exact evidence, the default) or a merchant's (disclosed evidence
// only, what a merchant API key gets); the baselines are the same for both.
// On generated data (DIR/ground_truth/best_partners.csv present) the rankings
// are also scored against the planted best partners.
//
// Exit codes: 0 ok; 1 usage: a missing or malformed option, including a
// --split-date that is not an ISO-8601 date, and a --data that is not a
// folder; 2 bad input: the dataset or the configuration is refused, the
// split date leaves no order on one side, or there is nothing to evaluate.
#include <fmt/format.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/engine/model_config.hpp"
#include "partnergraph/evaluate/evaluator.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph::cli {
namespace {

struct EvaluateArgs {
  std::string data;
  std::string split_date;
  std::string config;
  bool json = false;
  std::uint32_t k = EvaluationOptions().list_length;
  std::uint32_t threads = 0;
  bool skip_bad_rows = false;
  bool no_coupons = false;
  std::uint32_t max_coupon_queries = EvaluationOptions().max_coupon_queries;
  std::string audience = "operator";  // checked by the option: operator | merchant
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "partnergraph evaluate: %s\n", message.c_str());
  return code;
}

int RunEvaluate(const EvaluateArgs& args) {
  std::error_code ec;
  if (!std::filesystem::is_directory(args.data, ec)) {
    return Fail(kExitUsage, fmt::format("{}: {}", args.data,
                                        std::filesystem::exists(args.data, ec) ? "not a folder"
                                                                               : "no such folder"));
  }
  std::optional<Timestamp> split = ParseTimestamp(args.split_date);
  if (!split) {
    return Fail(kExitUsage, fmt::format("--split-date: \"{}\" is not an ISO-8601 date (YYYY-MM-DD "
                                        "or YYYY-MM-DDTHH:MM:SS, optionally with Z or an offset)",
                                        args.split_date));
  }
  // Like `build`: the project's models/default.json when no --config is given and the
  // source tree is there, else the built-in defaults.
  std::filesystem::path config_path = args.config;
  if (config_path.empty() && std::filesystem::exists(PG_DEFAULT_MODEL_CONFIG, ec)) {
    config_path = PG_DEFAULT_MODEL_CONFIG;
  }
  ModelConfig config;
  if (!config_path.empty()) {
    Result<ModelConfig> loaded = LoadModelConfig(config_path);
    if (!loaded.ok()) return Fail(kExitBadInput, loaded.status().ToString());
    config = std::move(loaded).value();
  }
  EvaluationOptions options;
  options.split_ts = *split;
  options.list_length = args.k;
  options.threads = args.threads;
  options.model = config;
  options.evaluate_coupons = !args.no_coupons;
  options.max_coupon_queries = args.max_coupon_queries;
  options.audience = args.audience == "merchant" ? Audience::kMerchant : Audience::kOperator;
  if (options.list_length < 10 || options.list_length > options.model.recommend.max_k) {
    return Fail(kExitUsage, fmt::format("--k: {} is out of range [10, {}]", options.list_length,
                                        options.model.recommend.max_k));
  }

  const int threads = args.threads == 0 ? tbb::this_task_arena::max_concurrency()
                                        : static_cast<int>(args.threads);
  tbb::task_arena arena(threads);
  LoadOptions load_options;
  load_options.skip_bad_rows = args.skip_bad_rows;
  Result<Dataset> dataset = Status::Internal("not loaded");
  arena.execute([&] { dataset = LoadDataset(args.data, load_options, nullptr); });
  if (!dataset.ok()) return Fail(kExitBadInput, dataset.status().ToString());

  std::optional<PlantedPartners> planted;
  const std::filesystem::path truth =
      std::filesystem::path(args.data) / "ground_truth" / "best_partners.csv";
  if (std::filesystem::exists(truth, ec)) {
    Result<PlantedPartners> loaded = LoadPlantedPartners(truth, *dataset);
    if (!loaded.ok()) return Fail(kExitBadInput, loaded.status().ToString());
    planted = std::move(loaded).value();
  }

  Result<EvaluationReport> report =
      Evaluate(*dataset, planted ? &*planted : nullptr, options);
  if (!report.ok()) return Fail(kExitBadInput, report.status().ToString());
  if (args.json) {
    std::cout << ToJson(*report) << '\n';
  } else {
    for (const EvaluationStage& s : report->stages) {
      std::fprintf(stderr, "  %-40s %9.3f s\n", s.name.c_str(), s.seconds);
    }
    std::cout << ToMarkdown(*report);
  }
  return kExitOk;
}

}  // namespace

void AddEvaluateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand(
      "evaluate",
      "Train on the orders before --split-date, test on those after: recall@10/50, NDCG@10, "
      "MRR, coverage and long-tail share of the partner recommender, the embeddings and the "
      "baselines (and of the coupon pairs). Exit 0 ok, 1 usage, 2 bad input");
  cmd->add_option("--data", args->data, "Dataset folder in the native format")->required();
  cmd->add_option("--split-date", args->split_date,
                  "ISO-8601 date or date-time (UTC unless an offset is given): orders before "
                  "it train, the others test")
      ->required();
  cmd->add_option("--config", args->config,
                  "Model configuration; default: the project's models/default.json, else the "
                  "built-in defaults");
  cmd->add_option("--k", args->k, "Length of each method's ranked list, in [10, recommend.max_k]")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Load the valid rows and report the rejected ones instead of refusing the load");
  cmd->add_flag("--no-coupons", args->no_coupons, "Evaluate the partner side only");
  cmd->add_option("--max-coupon-queries", args->max_coupon_queries,
                  "At most this many coupon queries (SKUs, evenly spaced); 0 = all")
      ->capture_default_str();
  cmd->add_option("--audience", args->audience,
                  "Rank the recommender's partner and coupon lists for the operator (exact "
                  "evidence) or a merchant (disclosed evidence only, as a merchant API key "
                  "gets); the baselines are unchanged")
      ->check(CLI::IsMember({"operator", "merchant"}))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object instead of markdown tables");
  cmd->callback([args, &exit_code] { exit_code = RunEvaluate(*args); });
}

}  // namespace partnergraph::cli
