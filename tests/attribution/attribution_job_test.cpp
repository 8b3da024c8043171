// RunAttributionJob: the input choice (path file, binary file, native dataset), the report it
// writes, the stages it shows an observer, and its errors (which write no report).
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/attribution_job.hpp"
#include "partnergraph/attribution/journey_binary.hpp"
#include "partnergraph/attribution/native_journeys.hpp"
#include "partnergraph/attribution/report_writer.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path WriteText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Records the observer calls and keeps one Progress per stage.
struct RecordingObserver : AttributionJobObserver {
  struct Started {
    AttributionJobStage stage;
    std::string label;
    std::uint64_t total;
  };
  std::vector<Started> stages;
  std::vector<std::unique_ptr<Progress>> progress;
  int loaded = 0;
  std::uint64_t orders = 0;

  Progress* StageStarted(AttributionJobStage stage, const std::string& label,
                         std::uint64_t total) override {
    stages.push_back({stage, label, total});
    progress.push_back(std::make_unique<Progress>(label, total));
    return progress.back().get();
  }
  void DatasetLoaded(const LoadReport& report) override {
    ++loaded;
    CHECK(report.loaded);
  }
  void JourneysBuilt(const NativeJourneys& journeys) override { orders = journeys.orders; }
};

}  // namespace

TEST_CASE("a path file job gives RunAttribution's credits and writes its report",
          "[attribution]") {
  const auto dir = FreshTempDir("attribution_job_path");
  const auto paths = WriteText(dir / "paths.csv", kExampleA);
  AttributionJobSpec spec;
  spec.journeys_path = paths.string();
  spec.options.model = AttributionModel::kMarkov;
  spec.report = AttributionReportSink::kFile;
  spec.report_path = (dir / "report.csv").string();
  spec.transitions_path = (dir / "transitions.csv").string();
  RecordingObserver observer;

  auto out = RunAttributionJob(spec, &observer);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  CHECK_FALSE(out->by_partner);
  const AttributionResult expected = RunOrFail(ParseOrFail(kExampleA), spec.options);
  CHECK(FormatAttributionJson(out->by_channel) == FormatAttributionJson(expected));
  CHECK(ReadFile(dir / "report.csv") == FormatAttributionCsv(expected));
  CHECK(ReadFile(dir / "transitions.csv") == FormatTransitionsCsv(expected));

  REQUIRE(observer.stages.size() == 2);
  CHECK(observer.stages[0].stage == AttributionJobStage::kReadingFile);
  CHECK(observer.stages[0].label == "reading " + paths.string());
  CHECK(observer.stages[0].total == std::filesystem::file_size(paths));
  CHECK(observer.stages[1].stage == AttributionJobStage::kAttributing);
  CHECK(observer.stages[1].total == 4);  // distinct paths
  CHECK(observer.progress[1]->done() == 4);
  CHECK(observer.loaded == 0);
}

TEST_CASE("a binary file with Markov order 1 is counted into a chain, else read as a table",
          "[attribution]") {
  const auto dir = FreshTempDir("attribution_job_binary");
  auto writer = JourneyBinaryWriter::Create(dir / "j.pgj", {"a", "b", "c"});
  REQUIRE(writer.ok());
  const std::uint8_t p1[] = {0, 1, 2};
  const std::uint8_t p2[] = {1};
  const std::uint8_t p3[] = {0, 2};
  REQUIRE(writer->Add(p1, true, 15.0).ok());
  REQUIRE(writer->Add(p1, false, 0.0).ok());
  REQUIRE(writer->Add(p2, true, 10.0).ok());
  REQUIRE(writer->Add(p3, false, 0.0).ok());
  REQUIRE(writer->Close().ok());

  AttributionJobSpec spec;
  spec.journeys_path = (dir / "j.pgj").string();
  spec.options.model = AttributionModel::kMarkov;
  spec.report = AttributionReportSink::kFile;
  spec.report_path = (dir / "chain.json").string();
  spec.report_format = AttributionReportFormat::kJson;
  RecordingObserver counted_observer;
  auto counted = RunAttributionJob(spec, &counted_observer);
  INFO(counted.status().ToString());
  REQUIRE(counted.ok());
  REQUIRE(counted_observer.stages.size() == 2);
  CHECK(counted_observer.stages[0].stage == AttributionJobStage::kCountingFile);
  CHECK(counted_observer.stages[1].stage == AttributionJobStage::kSolvingChain);
  CHECK(counted->by_channel.input_rows == 4);
  CHECK(ReadFile(dir / "chain.json") == FormatAttributionJson(counted->by_channel));

  // Order 2 reads the file into a table; the same journeys give order 2's credits.
  spec.options.markov_order = 2;
  spec.report = AttributionReportSink::kNone;
  RecordingObserver table_observer;
  auto table = RunAttributionJob(spec, &table_observer);
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  REQUIRE(table_observer.stages.size() == 2);
  CHECK(table_observer.stages[0].stage == AttributionJobStage::kReadingFile);
  CHECK(table_observer.stages[1].stage == AttributionJobStage::kAttributing);
  CHECK(SumConversions(table->by_channel) == Approx(2.0));
  CHECK(SumValue(table->by_channel) == Approx(25.0));
}

TEST_CASE("a native dataset job attributes channels and partners", "[attribution]") {
  const auto dir = FreshTempDir("attribution_job_native");
  AttributionJobSpec spec;
  spec.data_dir = TinyDataset().string();
  spec.options.model = AttributionModel::kLinear;
  spec.report = AttributionReportSink::kFile;
  spec.report_path = (dir / "report.json").string();
  spec.report_format = AttributionReportFormat::kJson;
  RecordingObserver observer;

  auto out = RunAttributionJob(spec, &observer);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  REQUIRE(out->by_partner);
  CHECK(observer.loaded == 1);
  CHECK(observer.orders > 0);
  REQUIRE(observer.stages.size() == 2);
  CHECK(observer.stages[0].stage == AttributionJobStage::kAttributingChannels);
  CHECK(observer.stages[1].stage == AttributionJobStage::kAttributingPartners);

  LoadReport report;
  auto dataset = LoadDataset(TinyDataset(), LoadOptions{}, &report);
  REQUIRE(dataset.ok());
  auto journeys = BuildNativeJourneys(*dataset, spec.options);
  REQUIRE(journeys.ok());
  const AttributionResult channels = RunOrFail(journeys->by_channel, spec.options);
  const AttributionResult partners = RunOrFail(journeys->by_partner, spec.options);
  CHECK(ReadFile(dir / "report.json") == FormatAttributionJson(channels, &partners));
}

TEST_CASE("a bad job spec is InvalidArgument and runs nothing", "[attribution]") {
  const auto dir = FreshTempDir("attribution_job_spec");
  const auto paths = WriteText(dir / "paths.csv", kExampleA);
  RecordingObserver observer;

  AttributionJobSpec neither;
  CHECK(RunAttributionJob(neither, &observer).status().code() ==
        Status::Code::kInvalidArgument);

  AttributionJobSpec both;
  both.journeys_path = paths.string();
  both.data_dir = TinyDataset().string();
  auto r = RunAttributionJob(both, &observer);
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("exactly one of journeys_path and data_dir"));

  AttributionJobSpec no_path;
  no_path.journeys_path = paths.string();
  no_path.report = AttributionReportSink::kFile;
  CHECK(RunAttributionJob(no_path, &observer).status().code() ==
        Status::Code::kInvalidArgument);

  AttributionJobSpec bad_order;
  bad_order.journeys_path = paths.string();
  bad_order.options.model = AttributionModel::kMarkov;
  bad_order.options.markov_order = 7;
  r = RunAttributionJob(bad_order, &observer);
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("markov_order"));

  CHECK(observer.stages.empty());
}

TEST_CASE("a job that fails writes no report and names what failed", "[attribution]") {
  const auto dir = FreshTempDir("attribution_job_fail");
  AttributionJobSpec spec;
  spec.report = AttributionReportSink::kFile;
  spec.report_path = (dir / "report.csv").string();

  SECTION("a missing file") {
    spec.journeys_path = (dir / "absent.csv").string();
    auto r = RunAttributionJob(spec);
    CHECK(r.status().code() == Status::Code::kIOError);
    CHECK_THAT(r.status().message(), Catch::Contains("absent.csv"));
  }
  SECTION("a malformed row") {
    spec.journeys_path =
        WriteText(dir / "bad.csv",
                  "path;total_conversions;total_conversion_value;total_null\na > b;1;x;0\n")
            .string();
    RecordingObserver observer;
    auto r = RunAttributionJob(spec, &observer);
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("bad.csv:2"));
    REQUIRE(observer.stages.size() == 1);  // read, never attributed
  }
  SECTION("a dataset with a bad row, refused unless skip_bad_rows") {
    const auto data = dir / "data";
    std::filesystem::copy(TinyDataset(), data);
    std::ofstream(data / "touchpoints.csv", std::ios::app) << "j99,c01,not-a-time,,email,,mobile\n";
    spec.data_dir = data.string();
    auto r = RunAttributionJob(spec);
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("not-a-time"));
    CHECK_FALSE(std::filesystem::exists(spec.report_path));

    spec.load.skip_bad_rows = true;
    RecordingObserver observer;
    auto skipped = RunAttributionJob(spec, &observer);
    INFO(skipped.status().ToString());
    REQUIRE(skipped.ok());
    CHECK(observer.loaded == 1);
    CHECK(std::filesystem::exists(spec.report_path));
  }
  SECTION("a cancelled job") {
    spec.journeys_path = WriteText(dir / "paths.csv", kExampleA).string();
    std::atomic<bool> cancel{true};
    spec.options.cancel = &cancel;
    auto r = RunAttributionJob(spec);
    CHECK(r.status().code() == Status::Code::kUnavailable);
  }
  SECTION("a report folder that does not exist") {
    spec.journeys_path = WriteText(dir / "paths.csv", kExampleA).string();
    spec.report_path = (dir / "absent" / "report.csv").string();
    auto r = RunAttributionJob(spec);
    CHECK(r.status().code() == Status::Code::kIOError);
    CHECK_THAT(r.status().message(), Catch::Contains("report.csv"));
  }
  if (spec.data_dir.empty()) CHECK_FALSE(std::filesystem::exists(dir / "report.csv"));
}
