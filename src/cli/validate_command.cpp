// `partnergraph validate DIR`: loads a dataset folder with the native loader
// (partnergraph/ingest/loader.hpp) and prints what it found: rows per file and
// every error with file:line:column. Exit 0 when the dataset has no error, 2
// when it has any (even when --skip-bad-rows loads the rest), 1 for a usage
// error such as a missing folder.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph::cli {
namespace {

struct ValidateArgs {
  std::string dir;
  std::string report;
  bool skip_bad_rows = false;
  bool json = false;
  std::size_t max_errors = LoadOptions().max_listed_errors;
};

nlohmann::json ReportJson(const LoadReport& report, const Dataset* dataset,
                          const Status& status) {
  nlohmann::json files = nlohmann::json::array();
  for (const FileLoadReport& f : report.files) {
    files.push_back({{"table", f.table},
                     {"file", f.file},
                     {"required", f.required},
                     {"present", f.present},
                     {"checked", f.checked},
                     {"bytes", f.bytes},
                     {"rows_read", f.rows_read},
                     {"rows_loaded", f.rows_loaded},
                     {"rows_rejected", f.rows_rejected},
                     {"seconds", f.seconds}});
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const LoadError& e : report.errors) {
    errors.push_back({{"file", e.file},
                      {"line", e.line},
                      {"column", e.column},
                      {"reason", e.reason},
                      {"raw", e.raw},
                      {"message", e.ToString()}});
  }
  nlohmann::json out = {
      {"dir", report.dir.string()},
      {"valid", report.total_errors == 0},
      {"loaded", report.loaded},
      {"seconds", report.seconds},
      {"files", files},
      {"total_errors", report.total_errors},
      {"errors", errors},
      {"reject_report", report.reject_report.empty() ? nlohmann::json(nullptr)
                                                     : nlohmann::json(report.reject_report.string())},
      {"status", status.ok() ? std::string("OK") : std::string(Status::CodeName(status.code()))},
      {"reject_report_error", report.reject_report_error.empty()
                                  ? nlohmann::json(nullptr)
                                  : nlohmann::json(report.reject_report_error)},
  };
  if (dataset != nullptr) {
    out["counts"] = {{"merchants", dataset->merchants.size()},
                     {"skus", dataset->skus.size()},
                     {"customers", dataset->customers.size()},
                     {"orders", dataset->order_ids.size()},
                     {"order_lines", dataset->orders.size()},
                     {"partnerships", dataset->partnerships.size()},
                     {"consent", dataset->consent.size()},
                     {"engagement", dataset->engagement.size()},
                     {"touchpoints", dataset->touchpoints.size()},
                     {"policies", dataset->policies.size()}};
  }
  return out;
}

void PrintCounts(const Dataset& ds) {
  std::printf(
      "dataset: %zu merchants, %zu skus, %zu customers, %zu orders (%zu lines), %zu "
      "partnerships, %zu consent records, %zu engagement events, %zu touchpoints, %zu policies\n",
      ds.merchants.size(), ds.skus.size(), ds.customers.size(), std::size_t{ds.order_ids.size()},
      ds.orders.size(), ds.partnerships.size(), ds.consent.size(), ds.engagement.size(),
      ds.touchpoints.size(), ds.policies.size());
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Check a dataset folder in the native format (docs/formats.md): rows per file, every "
      "error as file:line: column: reason. Exit 0 if valid, 2 if not, 1 on usage errors");
  cmd->add_option("DIR", args->dir, "Dataset folder (merchants.csv, skus.csv, orders.csv, ...)")
      ->required();
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Load the valid rows and write the rejected ones to the reject report "
                "(default DIR/rejected_rows.csv)");
  cmd->add_option("--report", args->report,
                  "Write every rejected row (file,line,column,reason,raw) to this CSV file");
  cmd->add_option("--max-errors", args->max_errors, "How many errors to list")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the report as JSON on stdout");
  cmd->callback([args, &exit_code] {
    std::error_code ec;
    if (!std::filesystem::is_directory(args->dir, ec)) {
      std::fprintf(stderr, "partnergraph validate: %s: %s\n", args->dir.c_str(),
                   std::filesystem::exists(args->dir, ec) ? "not a folder"
                                                          : "no such folder");
      exit_code = kExitUsage;
      return;
    }
    LoadOptions options;
    options.skip_bad_rows = args->skip_bad_rows;
    options.reject_report = args->report;
    options.max_listed_errors = args->max_errors;
    LoadReport report;
    Result<Dataset> result = LoadDataset(args->dir, options, &report);
    const Dataset* dataset = result.ok() ? &result.value() : nullptr;
    if (args->json) {
      std::cout << JsonText(ReportJson(report, dataset, result.status()), 2) << '\n';
    } else {
      std::fputs(report.Summary().c_str(), stdout);
      if (dataset != nullptr) PrintCounts(*dataset);
      if (!result.ok() && report.errors.empty()) {
        std::fprintf(stderr, "partnergraph validate: %s\n", result.status().ToString().c_str());
      }
    }
    // Said whatever else went wrong, and in --json mode too (there also in the document).
    if (!report.reject_report_error.empty()) {
      std::fprintf(stderr, "partnergraph validate: %s\n", report.reject_report_error.c_str());
    }
    exit_code = report.total_errors == 0 && result.ok() ? kExitOk : kExitBadInput;
  });
}

}  // namespace partnergraph::cli
