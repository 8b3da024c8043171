// RunAttributionJob: one batch attribution job from its input to its report, the one code path
// behind `partnergraph attribute`, the server's attribution jobs (server/attribution_jobs.hpp)
// and bench/attribution_bench (docs/attribution.md "Jobs").
//
// The input decides how the journeys are read:
//   journeys_path, a binary journey file (PGJ1), Markov order 1
//                         -> CountMarkovOrder1FromBinary, then RunMarkovAttribution (the
//                            journeys are never held in memory);
//   journeys_path, any other case
//                         -> ReadJourneyBinary or ReadPathFile, then RunAttribution;
//   data_dir (native dataset folder)
//                         -> LoadDataset, BuildNativeJourneys, then RunAttribution on the
//                            channel view and on the partner view.
// Whether a file is binary is read from its first bytes (IsJourneyBinaryFile), not its name.
// The whole job runs in its own oneTBB arena of options.threads threads (0: oneTBB's default).
//
// Thread safety: reentrant; the observer is called on the calling thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "partnergraph/attribution/attribution.hpp"
#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/native_journeys.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph {

// Where a job's report goes.
enum class AttributionReportSink : std::uint8_t {
  kNone,    // not written: the caller reads the returned AttributionJobOutput
  kStdout,  // written to stdout
  kFile,    // written to AttributionJobSpec::report_path (a temporary file, then renamed)
};

enum class AttributionReportFormat : std::uint8_t {
  kCsv,   // FormatAttributionCsv (report_writer.hpp)
  kJson,  // FormatAttributionJson
};

struct AttributionJobSpec {
  // ---- Input: exactly one of journeys_path and data_dir ----
  // A path file (path;total_conversions;total_conversion_value;total_null) or a binary journey
  // file (PGJ1).
  std::string journeys_path;
  // A native dataset folder: touchpoints.csv joined to orders.csv (native_journeys.hpp).
  std::string data_dir;
  // data_dir: how the dataset is loaded (skip_bad_rows, the reject report).
  LoadOptions load;

  // ---- Model ----
  // The model and its options; options.cancel (when set) cancels the job, options.threads
  // sizes its arena.
  AttributionOptions options;

  // ---- Report ----
  // Where the report of the credits (by channel; by partner and per SKU for native data) goes.
  AttributionReportSink report = AttributionReportSink::kNone;
  // The report's file when report is kFile.
  std::string report_path;
  AttributionReportFormat report_format = AttributionReportFormat::kCsv;
  // Markov: when non-empty, the transitions CSV (FormatTransitionsCsv) is written here (a
  // temporary file, then renamed), after the report.
  std::string transitions_path;
};

// The steps of a job that report progress, in the order they may come.
enum class AttributionJobStage : std::uint8_t {
  kReadingFile,          // journeys_path read into a journey table; units: bytes of the file
  kCountingFile,         // binary file, Markov order 1: transitions counted from the file; bytes
  kSolvingChain,         // the chain counted from a binary file solved; total 0, never advanced
  kAttributing,          // the file's journey table attributed; units: distinct paths
  kAttributingChannels,  // native data, the channel view attributed; units: distinct paths
  kAttributingPartners,  // native data, the partner view attributed; units: distinct paths
};

// What a caller follows of a running job (the CLI draws progress and prints the load and journey
// counts; the server publishes a job's progress). Every method has a default that does nothing.
class AttributionJobObserver {
 public:
  virtual ~AttributionJobObserver() = default;
  // `stage` starts with `total` units to do (0: unknown); `label` names it for a display
  // ("reading journeys.csv", "attributing partners"). Returns the Progress the job advances,
  // or null when the stage is not followed. The Progress is owned by the observer and must live
  // until RunAttributionJob returns; the job calls its Finish() when the stage ends, whether it
  // succeeded or not.
  virtual Progress* StageStarted(AttributionJobStage stage, const std::string& label,
                                 std::uint64_t total);
  // data_dir: LoadDataset has returned a dataset (`report` lists the rows it skipped).
  virtual void DatasetLoaded(const LoadReport& report);
  // data_dir: the journeys were built (their counts); attribution comes next.
  virtual void JourneysBuilt(const NativeJourneys& journeys);
};

// A succeeded job's credits: by channel always, by partner for native data.
struct AttributionJobOutput {
  AttributionResult by_channel;
  std::optional<AttributionResult> by_partner;
};

// Runs the job described by `spec`, writing its report (and transitions) as the spec says, and
// returns the credits. `observer` may be null (not owned). A report is written only once the
// model has run, so a failed job writes no file; a file that cannot be written is an IOError
// naming it (the report is written before the transitions: a failed transitions file leaves the
// report written).
// Errors: InvalidArgument when the spec sets both or neither input, a kFile report without
// report_path, or invalid options (naming the field); IOError, InvalidArgument or Corruption
// naming the file and line from reading the input; Unavailable ("... cancelled") when
// options.cancel was set; Internal when the Markov solver does not converge.
Result<AttributionJobOutput> RunAttributionJob(const AttributionJobSpec& spec,
                                               AttributionJobObserver* observer = nullptr);

}  // namespace partnergraph
