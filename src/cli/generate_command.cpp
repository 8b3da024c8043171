// `partnergraph generate`: writes a synthetic ecosystem (GenerateEcosystem,
// datasets/generator/README.md) and prints what it wrote.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/datagen/generator.hpp"

namespace partnergraph::cli {
namespace {

struct GenerateArgs {
  GeneratorOptions options;
  std::string out;
  bool json = false;
};

nlohmann::json StatsJson(const GeneratorStats& s, const GeneratorOptions& o,
                         const std::string& out) {
  return {
      {"out", out},
      {"seed", o.seed},
      {"merchants", s.merchants},
      {"skus", s.skus},
      {"customers", s.customers},
      {"orders", s.orders},
      {"order_lines", s.order_lines},
      {"partnerships", s.partnerships},
      {"consent_records", s.consent_records},
      {"engagement_events", s.engagement_events},
      {"touchpoints", s.touchpoints},
      {"journeys", s.journeys},
      {"policies", s.policies},
      {"categories", s.categories},
      {"regions", s.regions},
      {"complementary_pairs", s.complementary_pairs},
      {"best_partner_rows", s.best_partner_rows},
      {"bytes_written", s.bytes_written},
      {"seconds", s.seconds},
      {"order_lines_per_second", s.seconds > 0 ? s.order_lines / s.seconds : 0.0},
  };
}

void PrintSummary(const GeneratorStats& s, const GeneratorOptions& o, const std::string& out) {
  std::printf("generated %s (seed %llu) in %.2f s, %.0f order lines/s, %.1f MB\n", out.c_str(),
              static_cast<unsigned long long>(o.seed), s.seconds,
              s.seconds > 0 ? s.order_lines / s.seconds : 0.0, s.bytes_written / 1e6);
  auto row = [](const char* what, std::uint64_t n) {
    std::printf("  %-22s %14llu\n", what, static_cast<unsigned long long>(n));
  };
  row("merchants", s.merchants);
  row("categories", s.categories);
  row("regions", s.regions);
  row("skus", s.skus);
  row("customers", s.customers);
  row("orders", s.orders);
  row("order lines", s.order_lines);
  row("partnerships", s.partnerships);
  row("merchant policies", s.policies);
  row("consent records", s.consent_records);
  row("engagement events", s.engagement_events);
  row("journeys", s.journeys);
  row("touchpoints", s.touchpoints);
  row("complementary pairs", s.complementary_pairs);
  row("best-partner rows", s.best_partner_rows);
}

}  // namespace

void AddGenerateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand(
      "generate", "Write a synthetic ecosystem with planted structure and its ground truth");
  cmd->add_option("--merchants", args->options.merchants, "Number of merchants")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{50'000'000}));
  cmd->add_option("--seed", args->options.seed, "Random seed (same seed, same bytes)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output folder (created if missing)")->required();
  cmd->add_option("--order-lines-per-merchant", args->options.order_lines_per_merchant,
                  "Mean order lines per merchant (total = merchants x this)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100'000}));
  cmd->add_option("--customers", args->options.customers,
                  "Number of customers (0: merchants x 20, within [100, 10M])")
      ->capture_default_str();
  cmd->add_option("--categories", args->options.categories,
                  "Number of categories (0: merchants / 50 within [12, 120])")
      ->capture_default_str();
  cmd->add_option("--regions", args->options.regions,
                  "Number of regions (0: merchants / 500 within [2, 8])")
      ->capture_default_str();
  cmd->add_option("--skus-per-merchant", args->options.skus_per_merchant,
                  "Mean SKUs per merchant")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  cmd->callback([args, &exit_code] {
    args->options.show_progress = true;
    std::fprintf(stderr, "generating %llu merchants, %llu order lines into %s\n",
                 static_cast<unsigned long long>(args->options.merchants),
                 static_cast<unsigned long long>(args->options.merchants *
                                                 args->options.order_lines_per_merchant),
                 args->out.c_str());
    GeneratorStats stats;
    Status s = GenerateEcosystem(args->options, args->out, &stats);
    if (!s.ok()) {
      std::fprintf(stderr, "partnergraph generate: %s\n", s.ToString().c_str());
      // Inconsistent option values are usage errors; a folder that cannot be
      // written is bad input.
      exit_code = s.IsInvalidArgument() ? kExitUsage : kExitBadInput;
      return;
    }
    if (args->json) {
      std::cout << JsonText(StatsJson(stats, args->options, args->out), 2) << '\n';
    } else {
      PrintSummary(stats, args->options, args->out);
    }
    exit_code = kExitOk;
  });
}

}  // namespace partnergraph::cli
