// LoadDataset: reads a dataset folder in the native format (docs/formats.md,
// SPEC.md "Native input format") into a validated Dataset.
//
// Files, loaded in this order (each may be `X.csv` or `X.csv.gz`, not both):
//   merchants, skus, customers?, orders, partnerships?, consent?, engagement?,
//   touchpoints?, merchant_policy?   (? = optional)
// Columns are found by header name; extra columns are ignored.
//
// Validation: every row is checked (types, ranges, timestamps, booleans, enum
// values, empty required fields, references to other files, duplicate ids);
// each problem becomes a LoadError naming file, line, column and reason. A row
// with several problems is reported once, for the first one found. A row that
// refers to a rejected row is rejected too, with a reason that says so.
// Problems with a whole file (a required file or column missing, an empty or
// unreadable file, a malformed header) stop the load whatever the options.
//
// By default any error refuses the load. With LoadOptions::skip_bad_rows the
// valid rows load and every rejected row is written to the reject report.
//
// Determinism: ids (Dictionary order) and row order depend only on the files,
// never on the number of threads or on LoadOptions::chunk_bytes.
// Threads: orders.csv is parsed in parallel with oneTBB in the caller's task
// arena (limit it with tbb::global_control or tbb::task_arena). LoadDataset may
// be called from several threads at once for different folders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

struct LoadOptions {
  // Load the valid rows and write the rejected ones to the reject report, instead
  // of refusing the whole load when any row is bad.
  bool skip_bad_rows = false;
  // How many errors LoadReport::errors and the refusal message list (the count is
  // always complete).
  std::size_t max_listed_errors = 100;
  // Where the reject report goes. Empty (the default): `<dir>/rejected_rows.csv`
  // when skip_bad_rows, none otherwise. A path set here is written in both modes,
  // so that a refused load can list every bad row too.
  std::filesystem::path reject_report;
  // Target size in bytes of the blocks of orders.csv parsed in parallel. Changing
  // it changes nothing in the result; small values exercise chunking in tests.
  std::size_t chunk_bytes = 4u << 20;
  // Optional tables not to read at all ("engagement", "touchpoints", ...), for
  // callers that do not use them: `partnergraph build` skips engagement and
  // touchpoints, which the graph does not use, to save their memory and time.
  // Their files are then neither parsed nor validated (`validate` checks them).
  // A required or unknown table name here is an InvalidArgument.
  std::vector<std::string> skip_tables;
};

// One problem found by the loader.
struct LoadError {
  // File name as found in the folder ("orders.csv", "orders.csv.gz"); for a
  // problem with the folder itself, the folder's path.
  std::string file;
  // 1-based physical line of the row (the header is line 1); 0 for a problem
  // with the whole file.
  std::size_t line = 0;
  // The column at fault; empty when the whole row or file is (e.g. a wrong field count).
  std::string column;
  // What is wrong, quoting the offending value: "\"12,5x\" is not a number".
  std::string reason;
  // The row's raw text (without its line end); empty for file problems.
  std::string raw;

  // "orders.csv:1832: column price: \"12,5x\" is not a number"; the line and
  // column parts are left out when absent ("orders.csv: required file is missing").
  std::string ToString() const;
};

// Row counts and time of one file.
struct FileLoadReport {
  // Table name: "merchants", "skus", "customers", "orders", "partnerships",
  // "consent", "engagement", "touchpoints", "merchant_policy".
  std::string table;
  // File name found ("orders.csv.gz"), or `<table>.csv` when absent.
  std::string file;
  bool required = false;
  bool present = false;
  // Whether the loader got to this file (a file-level error stops the load).
  bool checked = false;
  // Not read because LoadOptions::skip_tables names it.
  bool skipped = false;
  std::size_t bytes = 0;  // decompressed text size
  std::size_t rows_read = 0;
  std::size_t rows_loaded = 0;
  std::size_t rows_rejected = 0;
  double seconds = 0.0;
  // The process's resident set size when this file was done, and its peak by
  // then (common/memory_usage.hpp), to see what each table costs.
  std::uint64_t rss_bytes = 0;
  std::uint64_t peak_rss_bytes = 0;
};

struct LoadReport {
  std::filesystem::path dir;
  // All nine tables, in load order, present or not.
  std::vector<FileLoadReport> files;
  // The first LoadOptions::max_listed_errors errors, in load order (file by file,
  // line by line).
  std::vector<LoadError> errors;
  // All errors found, listed or not.
  std::size_t total_errors = 0;
  // The reject report written, or empty when none was.
  std::filesystem::path reject_report;
  // Why the reject report could not be written (empty: written, or none was asked for). The
  // load then fails with IOError; this keeps the reason beside the row errors for reports.
  std::string reject_report_error;
  // True when LoadDataset returned a dataset.
  bool loaded = false;
  double seconds = 0.0;

  // The entry of `table`, or nullptr.
  const FileLoadReport* Find(std::string_view table) const;
  // A human-readable table of the files, then the listed errors and where the
  // reject report went. Ends with a newline.
  std::string Summary() const;
};

// Loads the dataset in `dir`.
// Returns the Dataset, or:
//   NotFound when `dir` is not a folder;
//   InvalidArgument when a row is invalid (without skip_bad_rows) or a file is
//     missing or unusable; the message lists the first max_listed_errors errors
//     and the total count;
//   IOError when a file cannot be read or decompressed, or the reject report
//     cannot be written.
// `report` (may be null) is filled in every case, errors included.
// The reject report (see LoadOptions::reject_report) is a CSV file with header
// `file,line,column,reason,raw`, one row per error, written atomically (temporary
// file, then rename); it is written even when the load is refused.
Result<Dataset> LoadDataset(const std::filesystem::path& dir, const LoadOptions& options,
                            LoadReport* report);

}  // namespace partnergraph
