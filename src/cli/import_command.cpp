// `partnergraph import <source> SRC --out DIR`: converts a public dataset to
// the native format. Sources: `completejourney` (ImportCompleteJourney).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/datagen/completejourney.hpp"

namespace partnergraph::cli {
namespace {

struct ImportArgs {
  std::string src;
  std::string out;
  bool json = false;
};

nlohmann::json StatsJson(const ImportStats& s, const ImportArgs& args) {
  return {
      {"source", "completejourney"},
      {"src", args.src},
      {"out", args.out},
      {"merchants", s.merchants},
      {"skus", s.skus},
      {"skus_never_sold", s.skus_never_sold},
      {"customers", s.customers},
      {"orders", s.orders},
      {"order_lines", s.order_lines},
      {"rejected_rows", s.rejected_rows},
      {"rejected_by_reason", s.rejected_by_reason},
      {"rows_read", s.rows_read},
      {"rows_written", s.rows_written},
      {"ambiguous_timestamps", s.ambiguous_timestamps},
      {"nonexistent_timestamps", s.nonexistent_timestamps},
      {"seconds", s.seconds},
  };
}

void PrintSummary(const ImportStats& s, const ImportArgs& args) {
  std::printf("imported %s into %s in %.2f s\n", args.src.c_str(), args.out.c_str(), s.seconds);
  auto row = [](const std::string& what, std::uint64_t n) {
    std::printf("  %-36s %10llu\n", what.c_str(), static_cast<unsigned long long>(n));
  };
  row("merchants (manufacturers)", s.merchants);
  row("skus (products)", s.skus);
  row("  never sold (price 0)", s.skus_never_sold);
  row("customers (households)", s.customers);
  row("orders (baskets)", s.orders);
  row("order lines", s.order_lines);
  row("rejected rows (rejected_rows.csv)", s.rejected_rows);
  for (const auto& [reason, n] : s.rejected_by_reason) row("  " + reason, n);
  std::printf("  details: %s/IMPORT.md\n", args.out.c_str());
}

}  // namespace

void AddImportCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("import", "Convert a public dataset to the native format");
  cmd->require_subcommand(1);
  auto args = std::make_shared<ImportArgs>();
  auto* cj = cmd->add_subcommand(
      "completejourney",
      "84.51 Complete Journey CSVs (manufacturers become merchants; see IMPORT.md)");
  cj->add_option("SRC", args->src, "Folder with the Complete Journey CSV files")->required();
  cj->add_option("--out", args->out, "Output folder (created if missing)")->required();
  cj->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  cj->callback([args, &exit_code] {
    std::fprintf(stderr, "importing Complete Journey from %s\n", args->src.c_str());
    ImportStats stats;
    Status s = ImportCompleteJourney(args->src, args->out, &stats);
    if (!s.ok()) {
      std::fprintf(stderr, "partnergraph import completejourney: %s\n", s.ToString().c_str());
      exit_code = kExitBadInput;
      return;
    }
    if (args->json) {
      std::cout << JsonText(StatsJson(stats, *args), 2) << '\n';
    } else {
      PrintSummary(stats, *args);
    }
    exit_code = kExitOk;
  });
}

}  // namespace partnergraph::cli
