#include "partnergraph/attribution/attribution_job.hpp"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "parallel.hpp"
#include "partnergraph/attribution/journey_binary.hpp"
#include "partnergraph/attribution/path_file_reader.hpp"
#include "partnergraph/attribution/report_writer.hpp"
#include "partnergraph/common/atomic_file_writer.hpp"

namespace partnergraph {

Progress* AttributionJobObserver::StageStarted(AttributionJobStage, const std::string&,
                                               std::uint64_t) {
  return nullptr;
}
void AttributionJobObserver::DatasetLoaded(const LoadReport&) {}
void AttributionJobObserver::JourneysBuilt(const NativeJourneys&) {}

namespace {

// One stage of a job: starts it with the observer and finishes its Progress on every way out.
class Stage {
 public:
  Stage(AttributionJobObserver* observer, AttributionJobStage stage, const std::string& label,
        std::uint64_t total)
      : progress_(observer ? observer->StageStarted(stage, label, total) : nullptr) {}
  ~Stage() {
    if (progress_) progress_->Finish();
  }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  Progress* progress() const { return progress_; }

 private:
  Progress* progress_;
};

Result<AttributionJobOutput> AttributeDataset(const AttributionJobSpec& spec,
                                              AttributionJobObserver* observer) {
  const AttributionOptions& o = spec.options;
  LoadReport report;
  auto dataset = LoadDataset(spec.data_dir, spec.load, &report);
  if (!dataset.ok()) return dataset.status();
  if (observer) observer->DatasetLoaded(report);
  auto journeys = BuildNativeJourneys(*dataset, o);
  if (!journeys.ok()) return journeys.status();
  if (observer) observer->JourneysBuilt(*journeys);
  AttributionJobOutput out;
  {
    Stage stage(observer, AttributionJobStage::kAttributingChannels, "attributing channels",
                journeys->by_channel.path_count());
    PG_ASSIGN_OR_RETURN(out.by_channel, RunAttribution(journeys->by_channel, o, stage.progress()));
  }
  {
    Stage stage(observer, AttributionJobStage::kAttributingPartners, "attributing partners",
                journeys->by_partner.path_count());
    PG_ASSIGN_OR_RETURN(out.by_partner, RunAttribution(journeys->by_partner, o, stage.progress()));
  }
  return out;
}

Result<AttributionJobOutput> AttributeFile(const AttributionJobSpec& spec,
                                           AttributionJobObserver* observer) {
  const AttributionOptions& o = spec.options;
  const std::filesystem::path path = spec.journeys_path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(spec.journeys_path + ": " + ec.message());
  PG_ASSIGN_OR_RETURN(const bool binary, IsJourneyBinaryFile(path));
  AttributionJobOutput out;
  if (binary && o.model == AttributionModel::kMarkov && o.markov_order == 1) {
    Result<BinaryOrder1Chain> counted = Status::Internal("not counted");
    {
      Stage stage(observer, AttributionJobStage::kCountingFile, "counting " + spec.journeys_path,
                  size);
      counted = CountMarkovOrder1FromBinary(path, o, stage.progress());
    }
    if (!counted.ok()) return counted.status();
    Stage stage(observer, AttributionJobStage::kSolvingChain, "solving the Markov chain", 0);
    PG_ASSIGN_OR_RETURN(out.by_channel, RunMarkovAttribution(counted->chain, counted->keys, {}, o));
    out.by_channel.input_rows = counted->journeys;
    return out;
  }
  Result<JourneyTable> table = Status::Internal("not read");
  {
    Stage stage(observer, AttributionJobStage::kReadingFile, "reading " + spec.journeys_path, size);
    table = binary ? ReadJourneyBinary(path, o, stage.progress())
                   : ReadPathFile(path, o, stage.progress());
  }
  if (!table.ok()) return table.status();
  Stage stage(observer, AttributionJobStage::kAttributing, "attributing", table->path_count());
  PG_ASSIGN_OR_RETURN(out.by_channel, RunAttribution(*table, o, stage.progress()));
  return out;
}

// Writes `text` to stdout or, atomically, to `path`.
Status WriteReport(AttributionReportSink sink, const std::string& path, const std::string& text) {
  switch (sink) {
    case AttributionReportSink::kNone:
      return Status::Ok();
    case AttributionReportSink::kStdout:
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return Status::Ok();
    case AttributionReportSink::kFile:
      return WriteFileAtomically(path, text);
  }
  return Status::Internal("unknown report sink");
}

Status CheckSpec(const AttributionJobSpec& spec) {
  if (spec.journeys_path.empty() == spec.data_dir.empty()) {
    return Status::InvalidArgument(
        "attribution job: set exactly one of journeys_path and data_dir");
  }
  if (spec.report == AttributionReportSink::kFile && spec.report_path.empty()) {
    return Status::InvalidArgument("attribution job: a report to a file needs report_path");
  }
  return ValidateAttributionOptions(spec.options);
}

}  // namespace

Result<AttributionJobOutput> RunAttributionJob(const AttributionJobSpec& spec,
                                               AttributionJobObserver* observer) {
  PG_RETURN_IF_ERROR(CheckSpec(spec));
  Result<AttributionJobOutput> out = Status::Internal("attribution job did not run");
  attribution_internal::RunInArena(spec.options.threads, [&] {
    out = spec.data_dir.empty() ? AttributeFile(spec, observer) : AttributeDataset(spec, observer);
  });
  if (!out.ok()) return out;

  if (spec.report != AttributionReportSink::kNone) {
    const AttributionResult* partners = out->by_partner ? &*out->by_partner : nullptr;
    const std::string text = spec.report_format == AttributionReportFormat::kJson
                                 ? FormatAttributionJson(out->by_channel, partners)
                                 : FormatAttributionCsv(out->by_channel, partners);
    PG_RETURN_IF_ERROR(WriteReport(spec.report, spec.report_path, text));
  }
  if (!spec.transitions_path.empty()) {
    PG_RETURN_IF_ERROR(WriteReport(AttributionReportSink::kFile, spec.transitions_path,
                                   FormatTransitionsCsv(out->by_channel)));
  }
  return out;
}

}  // namespace partnergraph
