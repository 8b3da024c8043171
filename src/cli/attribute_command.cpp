// `partnergraph attribute`: a batch attribution job (SPEC.md "Attribution",
// docs/attribution.md). Reads journeys from a path file (or a binary journey
// file) or from a native dataset folder, runs one model and writes the credits
// per channel (and, for native data, per partner and per SKU) as CSV or JSON:
// the command line of RunAttributionJob (attribution_job.hpp).
// Exit 0 on success, 1 on a usage error (bad model name, option values or
// combinations), 2 on bad input (unreadable or malformed files, refused loads).
#include <oneapi/tbb/global_control.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "partnergraph/attribution/attribution_job.hpp"

namespace partnergraph::cli {
namespace {

struct AttributeArgs {
  std::string journeys;
  std::string data;
  std::string model;
  int order = 1;
  std::string out;
  std::string transitions;
  bool json = false;
  std::string half_life;
  std::string lookback = "30d";
  double first_share = AttributionOptions().position_first_share;
  double last_share = AttributionOptions().position_last_share;
  std::uint64_t shapley_samples = AttributionOptions().shapley_samples;
  std::uint64_t seed = AttributionOptions().shapley_seed;
  int max_exact = AttributionOptions().shapley_max_exact_channels;
  std::vector<std::string> channels;
  bool skip_bad_rows = false;
  int threads = 0;
};

// "7d", "12h", "30m", "45s" -> seconds; a plain number -> nullopt unit (the
// caller decides what it means). Returns false when not a positive number.
bool ParseDuration(const std::string& text, double* value, bool* has_unit) {
  if (text.empty()) return false;
  double scale = 1;
  std::string_view num = text;
  *has_unit = true;
  switch (text.back()) {
    case 'd': scale = 86400; break;
    case 'h': scale = 3600; break;
    case 'm': scale = 60; break;
    case 's': scale = 1; break;
    default: *has_unit = false;
  }
  if (*has_unit) num.remove_suffix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc() || ptr != num.data() + num.size() || !(v >= 0)) {
    return false;
  }
  *value = v * scale;
  return true;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "partnergraph attribute: %s\n", message.c_str());
  return kExitUsage;
}

int BadInput(const Status& status) {
  std::fprintf(stderr, "partnergraph attribute: %s\n", status.ToString().c_str());
  return kExitBadInput;
}

// Draws each stage's progress on stderr (when it is a terminal) and says what was loaded.
class CliObserver : public AttributionJobObserver {
 public:
  Progress* StageStarted(AttributionJobStage stage, const std::string& label,
                         std::uint64_t total) override {
    progress_.reset();
    if (stage == AttributionJobStage::kSolvingChain) return nullptr;
    progress_ = std::make_unique<Progress>(label, total);
    return progress_.get();
  }
  void DatasetLoaded(const LoadReport& report) override {
    if (report.total_errors > 0) {
      std::fprintf(stderr, "partnergraph attribute: %zu bad rows skipped (report: %s)\n",
                   report.total_errors, report.reject_report.string().c_str());
    }
  }
  void JourneysBuilt(const NativeJourneys& journeys) override {
    std::fprintf(stderr, "journeys: %llu orders (%llu direct), %llu non-converting journeys\n",
                 static_cast<unsigned long long>(journeys.orders),
                 static_cast<unsigned long long>(journeys.direct_orders),
                 static_cast<unsigned long long>(journeys.null_journeys));
  }

 private:
  std::unique_ptr<Progress> progress_;
};

int Run(const AttributeArgs& a) {
  // ---- Options ----
  auto model = ParseAttributionModel(a.model);
  if (!model) {
    return Usage("unknown model \"" + a.model +
                 "\" (first-touch, last-touch, linear, time-decay, position-based, markov, "
                 "shapley)");
  }
  AttributionJobSpec spec;
  spec.journeys_path = a.journeys;
  spec.data_dir = a.data;
  spec.load.skip_bad_rows = a.skip_bad_rows;
  spec.report = a.out.empty() ? AttributionReportSink::kStdout : AttributionReportSink::kFile;
  spec.report_path = a.out;
  spec.report_format = a.json ? AttributionReportFormat::kJson : AttributionReportFormat::kCsv;
  spec.transitions_path = a.transitions;
  AttributionOptions& o = spec.options;
  o.model = *model;
  o.markov_order = a.order;
  o.position_first_share = a.first_share;
  o.position_last_share = a.last_share;
  o.shapley_samples = a.shapley_samples;
  o.shapley_seed = a.seed;
  o.shapley_max_exact_channels = a.max_exact;
  o.known_channels = a.channels;
  o.threads = a.threads;
  const bool native = !a.data.empty();
  if (!a.half_life.empty()) {
    double v = 0;
    bool has_unit = false;
    if (!ParseDuration(a.half_life, &v, &has_unit) || v <= 0) {
      return Usage("--half-life " + a.half_life +
                   ": expected a positive number of touches (\"2\") or a duration (\"7d\", "
                   "\"12h\", \"30m\", \"90s\")");
    }
    if (has_unit) {
      if (!native) {
        return Usage("--half-life " + a.half_life +
                     ": path files have no timestamps; give the half-life in touches (e.g. "
                     "--half-life 2)");
      }
      o.half_life_seconds = v;
    } else {
      o.half_life_touches = v;
      o.decay_by_touches = true;
    }
  }
  {
    double v = 0;
    bool has_unit = false;
    if (!ParseDuration(a.lookback, &v, &has_unit)) {
      return Usage("--lookback " + a.lookback + ": expected a duration (\"30d\", \"12h\", ...)");
    }
    o.lookback_seconds = static_cast<std::int64_t>(v);
  }
  if (Status s = ValidateAttributionOptions(o); !s.ok()) return Usage(s.message());
  std::optional<tbb::global_control> limit;
  if (a.threads > 0) {
    limit.emplace(tbb::global_control::max_allowed_parallelism,
                  static_cast<std::size_t>(a.threads));
  }

  // ---- Journeys, model and report ----
  CliObserver observer;
  auto out = RunAttributionJob(spec, &observer);
  if (!out.ok()) return BadInput(out.status());
  const AttributionResult& by_channel = out->by_channel;
  std::fprintf(stderr, "%s%s: %.0f journeys (%.0f conversions, value %.2f) over %zu channels\n",
               std::string(ToString(o.model)).c_str(),
               o.model == AttributionModel::kMarkov
                   ? (" order " + std::to_string(o.markov_order)).c_str()
                   : "",
               by_channel.journeys, by_channel.conversions, by_channel.value,
               by_channel.keys.size());
  return kExitOk;
}

}  // namespace

void AddAttributeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AttributeArgs>();
  auto* cmd = app.add_subcommand(
      "attribute",
      "Batch attribution: credit conversions and revenue to channels, partners and SKUs "
      "(docs/attribution.md). Exit 0 ok, 1 usage error, 2 bad input");
  auto* journeys = cmd->add_option(
      "--journeys", args->journeys,
      "Path file (path;total_conversions;total_conversion_value;total_null, channels joined by "
      "\" > \") or binary journey file (PGJ1)");
  auto* data = cmd->add_option("--data", args->data,
                               "Native dataset folder: touchpoints.csv joined to orders.csv");
  journeys->excludes(data);
  data->excludes(journeys);
  cmd->add_option("--model", args->model,
                  "first-touch, last-touch, linear, time-decay, position-based, markov, shapley")
      ->required();
  cmd->add_option("--order", args->order, "Markov order (1..4)")->capture_default_str();
  cmd->add_option("--out", args->out, "Write the result here (default: stdout)");
  cmd->add_flag("--json", args->json, "JSON instead of CSV");
  cmd->add_option("--transitions", args->transitions,
                  "Markov: write the transition matrix (from,to,count,probability) here");
  cmd->add_option("--half-life", args->half_life,
                  "Time-decay half-life: a duration (7d, 12h, 30m, 90s; native data) or a "
                  "number of touches (2; path files, or native data decayed by steps). Default: "
                  "7d for native data, 1 touch for path files");
  cmd->add_option("--lookback", args->lookback,
                  "Native data: how long before an order a touchpoint still counts")
      ->capture_default_str();
  cmd->add_option("--first-share", args->first_share, "Position-based: share of the first touch")
      ->capture_default_str();
  cmd->add_option("--last-share", args->last_share, "Position-based: share of the last touch")
      ->capture_default_str();
  cmd->add_option("--shapley-samples", args->shapley_samples,
                  "Sampled Shapley: number of random channel orders")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Sampled Shapley: seed")->capture_default_str();
  cmd->add_option("--shapley-max-exact", args->max_exact,
                  "Exact Shapley up to this many channels (0..24), sampled above")
      ->capture_default_str();
  cmd->add_option("--channels", args->channels,
                  "Path files: the only channel names accepted (comma-separated)")
      ->delimiter(',');
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Native data: load the valid rows and report the rejected ones");
  cmd->add_option("--threads", args->threads, "Worker threads (0: all cores)")
      ->capture_default_str();
  cmd->callback([args, &exit_code] {
    if (args->journeys.empty() && args->data.empty()) {
      exit_code = Usage("give --journeys FILE or --data DIR");
      return;
    }
    if (args->threads < 0) {
      exit_code = Usage("--threads must be >= 0");
      return;
    }
    exit_code = Run(*args);
  });
}

}  // namespace partnergraph::cli
