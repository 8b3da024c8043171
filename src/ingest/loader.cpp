// LoadDataset: finds the files of a dataset folder, runs the per-table loaders
// (load_entities.cpp, load_orders.cpp, load_relations.cpp) in dependency order,
// and turns their errors into the refusal message, the report and the reject
// report.
#include "partnergraph/ingest/loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <system_error>

#include "load_context.hpp"
#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/memory_usage.hpp"

namespace partnergraph {
namespace {

using ingest_internal::ErrorSink;
using ingest_internal::LoadContext;
using ingest_internal::TableCounts;

struct TableSpec {
  std::string_view name;
  bool required;
  Status (*load)(const CsvReader&, LoadContext&, TableCounts&);
};

// Load order: every table after the ones it refers to.
constexpr TableSpec kTables[] = {
    {"merchants", true, ingest_internal::LoadMerchants},
    {"skus", true, ingest_internal::LoadSkus},
    {"customers", false, ingest_internal::LoadCustomers},
    {"orders", true, ingest_internal::LoadOrders},
    {"partnerships", false, ingest_internal::LoadPartnerships},
    {"consent", false, ingest_internal::LoadConsent},
    {"engagement", false, ingest_internal::LoadEngagement},
    {"touchpoints", false, ingest_internal::LoadTouchpoints},
    {"merchant_policy", false, ingest_internal::LoadMerchantPolicies},
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A CsvReader error ("orders.csv:1: header names ..." or "orders.csv: file is
// empty ...") as a LoadError of file `file`.
LoadError ReaderError(const std::string& file, const Status& status) {
  LoadError error{file, 0, "", status.message(), ""};
  const std::string& msg = status.message();
  if (msg.rfind(file + ":", 0) != 0) return error;
  std::size_t pos = file.size() + 1;
  std::size_t line = 0;
  std::size_t digits = pos;
  while (digits < msg.size() && msg[digits] >= '0' && msg[digits] <= '9') {
    line = line * 10 + static_cast<std::size_t>(msg[digits] - '0');
    ++digits;
  }
  if (digits > pos && msg.compare(digits, 2, ": ") == 0) {
    error.line = line;
    pos = digits;
  }
  if (msg.compare(pos, 1, ":") == 0) ++pos;
  if (msg.compare(pos, 1, " ") == 0) ++pos;
  error.reason = msg.substr(pos);
  return error;
}

std::string ErrorListing(const LoadReport& report, const std::string& headline) {
  std::string out = headline;
  for (const LoadError& e : report.errors) out += "\n  " + e.ToString();
  if (report.total_errors > report.errors.size()) {
    out += fmt::format("\n  ... and {} more", report.total_errors - report.errors.size());
  }
  return out;
}

std::string CountErrors(std::size_t n) {
  return fmt::format("{} {}", n, n == 1 ? "error" : "errors");
}

Status WriteRejectReport(const std::filesystem::path& path, const std::vector<LoadError>& errors) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  PG_ASSIGN_OR_RETURN(CsvWriter writer, CsvWriter::Create(path));
  PG_RETURN_IF_ERROR(writer.WriteRow({"file", "line", "column", "reason", "raw"}));
  for (const LoadError& e : errors) {
    const std::string line = e.line == 0 ? std::string() : std::to_string(e.line);
    PG_RETURN_IF_ERROR(writer.WriteRow({e.file, line, e.column, e.reason, e.raw}));
  }
  return writer.Commit();
}

// Runs the table loaders in order; returns the first whole-file problem.
Status LoadTables(const std::filesystem::path& dir, const LoadOptions& options,
                  LoadContext& ctx, LoadReport& report) {
  CsvOptions csv_options;
  csv_options.chunk_bytes = options.chunk_bytes;
  for (std::size_t i = 0; i < std::size(kTables); ++i) {
    const TableSpec& spec = kTables[i];
    FileLoadReport& file = report.files[i];
    const std::string plain = std::string(spec.name) + ".csv";
    const std::string gz = plain + ".gz";
    std::error_code ec;
    const bool has_plain = std::filesystem::is_regular_file(dir / plain, ec);
    const bool has_gz = std::filesystem::is_regular_file(dir / gz, ec);
    file.checked = true;
    if (std::find(options.skip_tables.begin(), options.skip_tables.end(), spec.name) !=
        options.skip_tables.end()) {
      file.skipped = true;
      file.present = has_plain || has_gz;
      if (file.present) file.file = has_plain ? plain : gz;
      continue;
    }
    if (has_plain && has_gz) {
      ctx.errors.Add({plain, 0, "", fmt::format("both {} and {} exist; keep one", plain, gz), ""});
      return Status::InvalidArgument(fmt::format("{}: both {} and {} exist", plain, plain, gz));
    }
    if (!has_plain && !has_gz) {
      if (!spec.required) continue;
      ctx.errors.Add({plain, 0, "",
                      fmt::format("required file is missing (looked for {} and {})", plain, gz),
                      ""});
      return Status::InvalidArgument(fmt::format("{}: required file is missing", plain));
    }
    file.present = true;
    file.file = has_plain ? plain : gz;
    const auto start = std::chrono::steady_clock::now();
    Result<CsvReader> reader = CsvReader::Open(dir / file.file, csv_options);
    if (!reader.ok()) {
      ctx.errors.Add(ReaderError(file.file, reader.status()));
      return reader.status();
    }
    file.bytes = reader->text_bytes();
    if (spec.name == "customers") ctx.has_customer_file = true;
    TableCounts counts;
    const Status status = spec.load(*reader, ctx, counts);
    file.rows_read = counts.read;
    file.rows_loaded = counts.loaded;
    file.rows_rejected = counts.read - counts.loaded;
    if (spec.name == "merchants") {
      ctx.dataset.policies.assign(ctx.dataset.merchants.size(), MerchantPolicy{});
    }
    file.seconds = SecondsSince(start);
    file.rss_bytes = CurrentRssBytes();
    file.peak_rss_bytes = PeakRssBytes();
    PG_RETURN_IF_ERROR(status);
    // A file changed or truncated during its load gave rows that are not the file's: the
    // whole load is refused, naming it (csv_reader.hpp).
    if (Status unchanged = reader->CheckUnchanged(); !unchanged.ok()) {
      ctx.errors.Add(ReaderError(file.file, unchanged));
      return unchanged;
    }
  }
  return Status::Ok();
}

}  // namespace

std::string LoadError::ToString() const {
  std::string out = file;
  if (line != 0) out += fmt::format(":{}", line);
  out += ": ";
  if (!column.empty()) out += "column " + column + ": ";
  out += reason;
  return out;
}

const FileLoadReport* LoadReport::Find(std::string_view table) const {
  for (const FileLoadReport& f : files) {
    if (f.table == table) return &f;
  }
  return nullptr;
}

std::string LoadReport::Summary() const {
  std::string out = fmt::format("dataset {}: {} in {:.3f} s\n", dir.string(),
                                loaded ? "loaded" : "not loaded", seconds);
  out += fmt::format("  {:<24} {:>12} {:>12} {:>12} {:>10}\n", "file", "rows read", "loaded",
                     "rejected", "seconds");
  for (const FileLoadReport& f : files) {
    if (f.skipped) {
      out += fmt::format("  {:<24} {:>12}\n", f.file, f.present ? "skipped" : "absent");
    } else if (!f.present) {
      const char* state = !f.checked ? "not checked" : f.required ? "MISSING" : "absent";
      out += fmt::format("  {:<24} {:>12}\n", f.file, state);
    } else {
      out += fmt::format("  {:<24} {:>12} {:>12} {:>12} {:>10.3f}\n", f.file, f.rows_read,
                         f.rows_loaded, f.rows_rejected, f.seconds);
    }
  }
  if (total_errors == 0) {
    out += "no errors\n";
  } else {
    out += CountErrors(total_errors);
    if (errors.size() < total_errors) out += fmt::format(" (first {} listed)", errors.size());
    out += ":\n";
    for (const LoadError& e : errors) out += "  " + e.ToString() + "\n";
  }
  if (!reject_report.empty()) out += "reject report: " + reject_report.string() + "\n";
  return out;
}

Result<Dataset> LoadDataset(const std::filesystem::path& dir, const LoadOptions& options,
                            LoadReport* report_out) {
  const auto start = std::chrono::steady_clock::now();
  LoadReport local_report;
  LoadReport& report = report_out != nullptr ? *report_out : local_report;
  report = LoadReport();
  report.dir = dir;
  for (const auto& spec : kTables) {
    FileLoadReport file;
    file.table = spec.name;
    file.file = std::string(spec.name) + ".csv";
    file.required = spec.required;
    report.files.push_back(std::move(file));
  }

  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    const std::string reason = std::filesystem::exists(dir, ec) ? "is not a folder" : "does not exist";
    report.errors.push_back({dir.string(), 0, "", "dataset folder " + reason, ""});
    report.total_errors = 1;
    report.seconds = SecondsSince(start);
    return Status::NotFound("dataset folder " + dir.string() + " " + reason);
  }

  for (const std::string& name : options.skip_tables) {
    const auto it = std::find_if(std::begin(kTables), std::end(kTables),
                                 [&](const TableSpec& spec) { return spec.name == name; });
    if (it == std::end(kTables) || it->required) {
      const std::string reason =
          "LoadOptions::skip_tables: \"" + name + "\" is " +
          (it == std::end(kTables) ? "not a table of the native format" : "a required table");
      report.errors.push_back({dir.string(), 0, "", reason, ""});
      report.total_errors = 1;
      report.seconds = SecondsSince(start);
      return Status::InvalidArgument(reason);
    }
  }

  std::filesystem::path reject_path = options.reject_report;
  if (reject_path.empty() && options.skip_bad_rows) reject_path = dir / "rejected_rows.csv";

  Dataset dataset;
  ErrorSink errors(options.max_listed_errors, !reject_path.empty());
  LoadContext ctx(options, dataset, errors);
  const Status fatal = LoadTables(dir, options, ctx, report);
  report.errors = errors.listed();
  report.total_errors = errors.total();

  if (!reject_path.empty()) {
    Status written = WriteRejectReport(reject_path, errors.all());
    if (!written.ok()) {
      report.seconds = SecondsSince(start);
      report.reject_report_error = "cannot write the reject report: " + written.message();
      return Status::IOError(report.reject_report_error);
    }
    report.reject_report = reject_path;
  }
  report.seconds = SecondsSince(start);
  if (!fatal.ok()) {
    const std::string listing = ErrorListing(
        report, "dataset " + dir.string() + " cannot be loaded (" + CountErrors(report.total_errors) + "):");
    return fatal.IsIOError() ? Status::IOError(listing) : Status::InvalidArgument(listing);
  }
  if (report.total_errors > 0 && !options.skip_bad_rows) {
    return Status::InvalidArgument(ErrorListing(
        report, "dataset " + dir.string() + " has " + CountErrors(report.total_errors) +
                    "; load refused (skip_bad_rows loads the valid rows):"));
  }
  report.loaded = true;
  return dataset;
}

}  // namespace partnergraph
