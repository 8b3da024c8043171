// `partnergraph build --data DIR [--events LOG] --out MODEL_DIR`: loads a dataset folder
// (LoadDataset), folds an event log into it (event_fold.hpp), builds the ecosystem graph (GraphBuilder), writes graph.pgg, the model
// (BuildModel) and last manifest.json (every file's size and checksum, and the build's
// statistics: model_manifest.hpp) into a staging folder beside MODEL_DIR, and publishes it
// at MODEL_DIR in one step (ModelFolder: a model already there is replaced only by a
// complete new one). Prints the seconds of each stage and the peak RSS. Exit 0 ok, 1 usage
// error (MODEL_DIR is not a model folder included), 2 bad input (the loader's or builder's
// message on stderr), 3 when the model cannot be written.
#include <fmt/format.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/model_folder.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/events/event_fold.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph::cli {
namespace {

constexpr int kExitWriteFailed = 3;

struct BuildArgs {
  std::string data;
  std::string out;
  bool skip_bad_rows = false;
  std::uint32_t threads = 0;
  bool json = false;
  double window_days = GraphOptions().copurchase_window_seconds / 86400.0;
  std::uint32_t min_copurchase_support = GraphOptions().min_copurchase_support;
  std::uint32_t max_segments = GraphOptions().max_segments;
  // Model configuration (embeddings, indexes, recommenders); empty: the project's
  // models/default.json when the source tree is there, else the built-in defaults.
  std::string config;
  // Only the graph: no embeddings, indexes or precomputed answers.
  bool graph_only = false;
  // An event log (`partnergraph-server --events`) to fold into the dataset before the build.
  std::string events;
};

// The configuration text to use and where it came from.
Result<std::pair<std::string, std::string>> ReadModelConfigText(const std::string& path) {
  std::filesystem::path file = path;
  if (file.empty()) {
    const std::filesystem::path bundled = PG_DEFAULT_MODEL_CONFIG;
    if (!std::filesystem::exists(bundled)) return std::pair<std::string, std::string>{"{}", "built-in defaults"};
    file = bundled;
  }
  std::ifstream in(file);
  if (!in) return Status::InvalidArgument(fmt::format("--config: cannot read {}", file.string()));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::pair<std::string, std::string>{text, file.string()};
}

// The dataset folder as the manifest records it: absolute, or as given when it cannot be made
// absolute (the working folder unreadable, or no memory for it).
std::string SourceDir(const std::string& data) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(data, ec);
  return ec ? data : absolute.lexically_normal().string();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

nlohmann::json OptionsJson(const GraphOptions& o) {
  return {{"copurchase_window_seconds", o.copurchase_window_seconds},
          {"min_copurchase_support", o.min_copurchase_support},
          {"max_copurchase_neighbors", o.max_copurchase_neighbors},
          {"max_purchases_per_customer", o.max_purchases_per_customer},
          {"min_shared_customers", o.min_shared_customers},
          {"price_bands", o.price_bands},
          {"max_segments", o.max_segments},
          {"derive_competitors", o.derive_competitors},
          {"competitor_price_band_ratio", o.competitor_price_band_ratio},
          {"competitor_min_jaccard", o.competitor_min_jaccard},
          {"competitor_max_candidates", o.competitor_max_candidates},
          {"max_derived_competitors", o.max_derived_competitors}};
}

int RunBuild(const BuildArgs& args) {
  std::error_code ec;
  if (!std::filesystem::is_directory(args.data, ec)) {
    std::fprintf(stderr, "partnergraph build: %s: %s\n", args.data.c_str(),
                 std::filesystem::exists(args.data, ec) ? "not a folder" : "no such folder");
    return kExitUsage;
  }
  if (!(args.window_days >= 0)) {
    std::fprintf(stderr, "partnergraph build: --window-days must be >= 0\n");
    return kExitUsage;
  }
  GraphOptions options;
  options.threads = args.threads;
  options.show_progress = !args.json;
  options.copurchase_window_seconds = static_cast<std::int64_t>(args.window_days * 86400.0);
  options.min_copurchase_support = args.min_copurchase_support;
  options.max_segments = args.max_segments;
  if (Status valid = options.Validate(); !valid.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", valid.message().c_str());
    return kExitUsage;
  }
  auto config_text = ReadModelConfigText(args.config);
  if (!config_text.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", config_text.status().message().c_str());
    return kExitUsage;
  }
  auto config = ParseModelConfig(config_text->first, config_text->second);
  if (!config.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", config.status().message().c_str());
    return kExitUsage;
  }
  // The model folder is checked (and the staging folder made) before the work: a folder that
  // is not a model's is refused at once.
  Result<ModelFolder> folder = ModelFolder::BeginNew(args.out);
  if (!folder.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", folder.status().ToString().c_str());
    return folder.status().IsInvalidArgument() ? kExitUsage : kExitWriteFailed;
  }
  const std::filesystem::path staging = folder->staging();
  int threads = args.threads == 0 ? tbb::this_task_arena::max_concurrency()
                                  : static_cast<int>(args.threads);
  tbb::task_arena arena(threads);
  nlohmann::json stages = nlohmann::json::array();
  // Each stage with its time, the resident set size when it ended and the
  // process's peak so far (to see which stage holds the memory).
  auto note = [&](const std::string& name, double seconds, std::uint64_t rss_bytes = 0,
                  std::uint64_t peak_rss_bytes = 0) {
    stages.push_back({{"name", name},
                      {"seconds", seconds},
                      {"rss_bytes", rss_bytes != 0 ? rss_bytes : CurrentRssBytes()},
                      {"peak_rss_bytes", peak_rss_bytes != 0 ? peak_rss_bytes : PeakRssBytes()}});
  };
  Progress overall("build", 3);

  // ---- Load ----
  auto start = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.skip_bad_rows = args.skip_bad_rows;
  // The graph and the model use neither engagement nor touchpoints (attribution
  // reads them itself); not loading them saves their memory (docs/formats.md).
  load_options.skip_tables = {"engagement", "touchpoints"};
  LoadReport load_report;
  Result<Dataset> dataset = Status::Internal("not loaded");
  arena.execute([&] { dataset = LoadDataset(args.data, load_options, &load_report); });
  if (!dataset.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", dataset.status().ToString().c_str());
    return kExitBadInput;
  }
  note("load", Seconds(start));
  // ---- Fold the event log ----
  // After the load, so that the events see the folder's ids; the manifest records the last
  // event folded, and a server on this model replays only the events after it.
  nlohmann::json events_record = nullptr;
  std::uint64_t event_sequence = 0;
  if (!args.events.empty()) {
    start = std::chrono::steady_clock::now();
    Result<EventFoldReport> folded = FoldEventLog(args.events, &dataset.value());
    if (!folded.ok()) {
      std::fprintf(stderr, "partnergraph build: --events %s: %s\n", args.events.c_str(),
                   folded.status().ToString().c_str());
      return folded.status().IsInvalidArgument() || folded.status().IsCorruption() ? kExitBadInput
                                                                                  : kExitUsage;
    }
    event_sequence = folded->last_sequence;
    nlohmann::json by_kind = nlohmann::json::object();
    for (std::size_t k = 0; k < kEventKindCount; ++k) {
      by_kind[std::string(ToString(static_cast<EventKind>(k)))] = folded->by_kind[k];
    }
    events_record = {{"dir", SourceDir(args.events)},
                     {"events", folded->events},
                     {"by_kind", by_kind},
                     {"skipped_existing", folded->skipped}};
    note("fold events", Seconds(start));
  }
  overall.Advance();
  nlohmann::json input = {{"merchants", dataset->merchants.size()},
                          {"skus", dataset->skus.size()},
                          {"customers", dataset->customers.size()},
                          {"orders", dataset->order_ids.size()},
                          {"order_lines", dataset->orders.size()},
                          {"partnerships", dataset->partnerships.size()},
                          {"consent_records", dataset->consent.size()},
                          {"rows_rejected", load_report.total_errors}};
  // Per file: rows, decompressed bytes and seconds (skipped files say so).
  nlohmann::json load_files = nlohmann::json::array();
  for (const FileLoadReport& f : load_report.files) {
    if (!f.present) continue;
    load_files.push_back({{"table", f.table},
                          {"file", f.file},
                          {"skipped", f.skipped},
                          {"rows_loaded", f.rows_loaded},
                          {"bytes", f.bytes},
                          {"seconds", f.seconds},
                          {"rss_bytes", f.rss_bytes},
                          {"peak_rss_bytes", f.peak_rss_bytes}});
  }
  input["files"] = std::move(load_files);

  // ---- Build ----
  start = std::chrono::steady_clock::now();
  GraphBuilder builder(options);
  Status built = Status::Internal("not built");
  arena.execute([&] { built = builder.Build(std::move(*dataset)); });  // frees tables as it goes
  if (!built.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", built.ToString().c_str());
    return kExitBadInput;
  }
  for (const auto& stage : builder.report().stages) {
    note("graph: " + stage.name, stage.seconds, stage.rss_bytes, stage.peak_rss_bytes);
  }
  auto frozen = builder.Freeze();
  if (!frozen.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", frozen.status().ToString().c_str());
    return kExitBadInput;
  }
  std::shared_ptr<const EcosystemGraph> graph = std::move(frozen).value();
  dataset = Status::Internal("released");  // the Dataset is not needed any more
  overall.Advance();

  // ---- Save ----
  start = std::chrono::steady_clock::now();
  const std::filesystem::path out = args.out;
  if (Status saved = SaveGraph(*graph, staging / kGraphFileName); !saved.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", saved.ToString().c_str());
    return kExitWriteFailed;
  }
  note("save", Seconds(start));
  overall.Advance();

  // ---- Embeddings, indexes, precomputed answers ----
  nlohmann::json model = nullptr;
  // The files manifest.json lists.
  std::vector<std::string> files = {kGraphFileName};
  if (!args.graph_only) {
    ModelBuildReport model_report;
    Status model_built = Status::Internal("not built");
    arena.execute(
        [&] { model_built = BuildModel(graph, *config, config_text->first, staging, &model_report); });
    if (!model_built.ok()) {
      std::fprintf(stderr, "partnergraph build: %s\n", model_built.ToString().c_str());
      return model_built.IsIOError() ? kExitWriteFailed : kExitBadInput;
    }
    for (const auto& stage : model_report.stages) {
      note(stage.name, stage.seconds, stage.rss_bytes, stage.peak_rss_bytes);
    }
    files = model_report.files;
    model = {{"config", config_text->second},
             {"merchant_index", model_report.merchant_factory},
             {"sku_index", model_report.sku_factory},
             {"partner_embedding", config->model.partner_embedding},
             {"precomputed", model_report.precomputed_answers},
             {"sku_neighbors", model_report.sku_neighbor_skus},
             {"merchant_neighbors", model_report.merchant_neighbor_merchants}};
  }
  overall.Finish();

  nlohmann::json nodes = nlohmann::json::object(), edges = nlohmann::json::object();
  for (int t = 0; t < kNodeTypeCount; ++t) {
    auto type = static_cast<NodeType>(t);
    nodes[std::string(ToString(type))] = graph->NodeCount(type);
  }
  for (int k = 0; k < kEdgeKindCount; ++k) {
    auto kind = static_cast<EdgeKind>(k);
    edges[std::string(ToString(kind))] = graph->EdgeCount(kind);
  }
  const BuildReport& report = builder.report();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  nlohmann::json manifest = {
      {"graph_file", kGraphFileName},
      {"graph_format_version", kGraphFormatVersion},
      {"source_dir", SourceDir(args.data)},
      {"build_date", FormatTimestamp(now)},
      {"input", input},
      // The last event of --events folded in (0: none; engine.hpp reads it).
      {"event_sequence", event_sequence},
      {"events", events_record},
      {"nodes", nodes},
      {"edges", edges},
      {"edges_total", graph->edge_count()},
      {"regions", graph->region_count()},
      {"active_customers", graph->active_customer_count()},
      {"options", OptionsJson(graph->options())},
      {"threads", threads},
      {"guards",
       {{"customers_capped_copurchase", report.customers_capped_copurchase},
        {"customers_capped_merchant_pairs", report.customers_capped_merchant_pairs},
        {"customers_capped_category_pairs", report.customers_capped_category_pairs},
        {"copurchase_edges_capped", report.copurchase_edges_capped},
        {"merchants_capped_competitor_candidates", report.merchants_capped_competitor_candidates},
        {"segment_keys_merged", report.segment_keys_merged}}},
      {"model", model},
      {"stages", stages},
      {"graph_memory_bytes", graph->MemoryBytes()},
      {"peak_rss_bytes", PeakRssBytes()},
  };
  // Last: the manifest lists every file written above with its checksums
  // (model_manifest.hpp), those BuildModel's manifest computed kept.
  auto built_manifest = ModelManifest::Read(staging);
  if (Status written = WriteModelManifest(staging, graph->Fingerprint(), files, manifest,
                                          args.graph_only || !built_manifest.ok()
                                              ? nullptr
                                              : &built_manifest.value());
      !written.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", written.ToString().c_str());
    return written.IsIOError() ? kExitWriteFailed : kExitBadInput;
  }
  if (Status published = folder->Publish(); !published.ok()) {
    std::fprintf(stderr, "partnergraph build: %s\n", published.ToString().c_str());
    return kExitWriteFailed;
  }
  if (!folder->old_model_left().empty()) {
    std::fprintf(stderr, "partnergraph build: warning: %s\n", folder->old_model_left().c_str());
  }
  if (args.json) {
    auto sealed = ModelManifest::Read(out);
    std::cout << JsonText(sealed.ok() ? sealed->document() : manifest, 2) << '\n';
  } else {
    std::printf("built %s: %u merchants, %u SKUs, %u customers, %u segments, %u categories, "
                "%llu edges\n",
                (out / kGraphFileName).c_str(), graph->merchant_count(), graph->sku_count(),
                graph->customer_count(), graph->segment_count(), graph->category_count(),
                static_cast<unsigned long long>(graph->edge_count()));
    double total = 0;
    for (const auto& s : stages) {
      std::printf("  %-36s %9.3f s\n", s["name"].get<std::string>().c_str(),
                  s["seconds"].get<double>());
      total += s["seconds"].get<double>();
    }
    std::printf("  %-36s %9.3f s\n", "total", total);
    std::printf("graph in memory %.1f MiB; peak RSS %.1f MiB\n", graph->MemoryBytes() / 1048576.0,
                PeakRssBytes() / 1048576.0);
    if (load_report.total_errors > 0) {
      std::printf("%zu rows were rejected (see %s)\n", load_report.total_errors,
                  load_report.reject_report.string().c_str());
    }
  }
  return kExitOk;
}

}  // namespace

void AddBuildCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BuildArgs>();
  auto* cmd = app.add_subcommand(
      "build",
      "Load a dataset folder, build the ecosystem graph, train the embeddings and indexes and "
      "precompute the default answers into MODEL_DIR. Exit 0 ok, 1 usage, 2 bad input, "
      "3 cannot write");
  cmd->add_option("--data", args->data, "Dataset folder in the native format")->required();
  cmd->add_option("--out", args->out, "Model folder to write (created if missing)")->required();
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Load the valid rows and report the rejected ones instead of refusing the load");
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--window-days", args->window_days,
                  "Co-purchase time window in days")
      ->capture_default_str();
  cmd->add_option("--min-copurchase-support", args->min_copurchase_support,
                  "Minimum customers for a co-purchase edge")
      ->capture_default_str();
  cmd->add_option("--max-segments", args->max_segments, "Maximum number of customer segments")
      ->capture_default_str();
  cmd->add_option("--config", args->config,
                  "Model configuration JSON (default: models/default.json of the source tree)");
  cmd->add_flag("--graph-only", args->graph_only,
                "Build and save only the graph (no embeddings, indexes or precomputed answers)");
  cmd->add_option("--events", args->events,
                  "Event log folder of a server (`partnergraph-server --events`) to fold in: the "
                  "model then includes every event durable when the build started, and records "
                  "the last one (docs/events.md)");
  cmd->add_flag("--json", args->json, "Print the manifest as JSON on stdout");
  cmd->callback([args, &exit_code] { exit_code = RunBuild(*args); });
}

}  // namespace partnergraph::cli
