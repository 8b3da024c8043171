// AttributionOptions::cancel: reading and the heuristic models stop with Unavailable once the
// flag is set, and run normally while it is clear.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "partnergraph/attribution/attribution.hpp"
#include "partnergraph/attribution/journey_binary.hpp"
#include "partnergraph/attribution/path_file_reader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

const char* kText =
    "path;total_conversions;total_conversion_value;total_null\n"
    "a > b;1;10;0\n"
    "b;0;0;2\n"
    "a;1;5;1\n";

}  // namespace

TEST_CASE("a cancelled read or heuristic run returns Unavailable, a clear flag changes nothing",
          "[attribution]") {
  std::atomic<bool> cancel{false};
  AttributionOptions o;
  o.cancel = &cancel;

  auto table = ParsePathText(kText, "paths.csv", o);
  REQUIRE(table.ok());
  auto linear = RunAttribution(*table, o);
  REQUIRE(linear.ok());
  CHECK(linear->totals[0].conversions + linear->totals[1].conversions == Approx(2.0));

  const auto dir = testing::FreshTempDir("attribution_cancel");
  auto writer = JourneyBinaryWriter::Create(dir / "j.pgj", {"a", "b"});
  REQUIRE(writer.ok());
  const std::uint8_t path[] = {0, 1};
  REQUIRE(writer->Add(path, true, 3.0).ok());
  REQUIRE(writer->Close().ok());
  REQUIRE(ReadJourneyBinary(dir / "j.pgj", o).ok());
  REQUIRE(CountMarkovOrder1FromBinary(dir / "j.pgj", o).ok());

  cancel = true;
  auto text = ParsePathText(kText, "paths.csv", o);
  REQUIRE(text.status().code() == Status::Code::kUnavailable);
  CHECK(text.status().message() == "paths.csv: reading cancelled");
  auto binary = ReadJourneyBinary(dir / "j.pgj", o);
  REQUIRE(binary.status().code() == Status::Code::kUnavailable);
  CHECK(binary.status().message().find("reading cancelled") != std::string::npos);
  CHECK(CountMarkovOrder1FromBinary(dir / "j.pgj", o).status().code() ==
        Status::Code::kUnavailable);
  auto run = RunAttribution(*table, o);
  REQUIRE(run.status().code() == Status::Code::kUnavailable);
  CHECK(run.status().message() == "attribution cancelled");
}
