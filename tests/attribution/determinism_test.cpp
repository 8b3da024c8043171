// The same input gives the same bytes on 1 and 2 threads, for every model;
// and every model's credits sum to the input's conversions and value.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/report_writer.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// A deterministic pseudo-random path file: 4000 rows over 9 channels, with
// fractional values so that the order of floating-point sums matters.
std::string GeneratedPaths() {
  std::string text = "path;total_conversions;total_conversion_value;total_null\n";
  std::uint64_t x = 12345;
  auto next = [&] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  for (int i = 0; i < 4000; ++i) {
    const int len = 1 + static_cast<int>(next() % 6);
    for (int t = 0; t < len; ++t) {
      if (t) text += " > ";
      text += "ch" + std::to_string(next() % 9);
    }
    const auto conv = next() % 3;
    text += ";" + std::to_string(conv) + ";" +
            (conv ? std::to_string(next() % 10000) + "." + std::to_string(next() % 1000) : "0") +
            ";" + std::to_string(next() % 4) + "\n";
  }
  return text;
}

std::vector<AttributionOptions> AllModels() {
  std::vector<AttributionOptions> out;
  for (int m = 0; m < kAttributionModelCount; ++m) {
    AttributionOptions o;
    o.model = static_cast<AttributionModel>(m);
    if (o.model == AttributionModel::kMarkov) {
      for (int k = 1; k <= 4; ++k) {
        o.markov_order = k;
        out.push_back(o);
      }
    } else {
      out.push_back(o);
    }
  }
  AttributionOptions sampled;
  sampled.model = AttributionModel::kShapley;
  sampled.shapley_max_exact_channels = 4;
  sampled.shapley_samples = 500;
  out.push_back(sampled);
  return out;
}

}  // namespace

TEST_CASE("attribution output is bit-identical on 1 and 2 threads", "[attribution]") {
  const std::string text = GeneratedPaths();
  for (AttributionOptions o : AllModels()) {
    INFO(ToString(o.model) << " order " << o.markov_order);
    o.chunk_bytes = 2048;  // many chunks, merged in file order
    o.threads = 1;
    const auto t1 = ParseOrFail(text, o);
    const auto r1 = RunOrFail(t1, o);
    o.threads = 2;
    const auto t2 = ParseOrFail(text, o);
    const auto r2 = RunOrFail(t2, o);
    CHECK(FormatAttributionJson(r1) == FormatAttributionJson(r2));
    CHECK(FormatAttributionCsv(r1) == FormatAttributionCsv(r2));
    // Credit sums to the input.
    CHECK(SumConversions(r1) == Approx(r1.conversions).epsilon(0).margin(1e-9));
    CHECK(SumValue(r1) == Approx(r1.value).epsilon(1e-12));
  }
}

TEST_CASE("every model's credits sum to the ChannelAttribution sample's totals",
          "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  auto table = ReadPathFile(file, {});
  REQUIRE(table.ok());
  for (AttributionOptions o : AllModels()) {
    if (o.model == AttributionModel::kMarkov && o.markov_order > 2) continue;
    INFO(ToString(o.model) << " order " << o.markov_order);
    auto r = RunOrFail(*table, o);
    CHECK(SumConversions(r) == Approx(19785).epsilon(0).margin(1e-7));
    CHECK(SumValue(r) == Approx(74802.97158721084).epsilon(0).margin(1e-7));
  }
}

TEST_CASE("first-touch on the ChannelAttribution sample equals a plain recount",
          "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  // Independent: the first channel of each row, summed with std::getline.
  std::map<std::string, std::pair<double, double>> first, last;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto s1 = line.find(';');
    const auto s2 = line.find(';', s1 + 1);
    const auto s3 = line.find(';', s2 + 1);
    const std::string path = line.substr(0, s1);
    const double conv = std::stod(line.substr(s1 + 1, s2 - s1 - 1));
    const double value = std::stod(line.substr(s2 + 1, s3 - s2 - 1));
    const auto gt = path.find(" > ");
    const auto rgt = path.rfind(" > ");
    first[path.substr(0, gt)].first += conv;
    first[path.substr(0, gt)].second += value;
    const std::string tail = rgt == std::string::npos ? path : path.substr(rgt + 3);
    last[tail].first += conv;
    last[tail].second += value;
  }
  auto table = ReadPathFile(file, {});
  REQUIRE(table.ok());
  auto rf = RunModel(*table, AttributionModel::kFirstTouch);
  auto rl = RunModel(*table, AttributionModel::kLastTouch);
  for (const auto& [name, cv] : first) {
    INFO(name);
    CHECK(Credit(rf, name).conversions == cv.first);
    CHECK(Credit(rf, name).value == Approx(cv.second).epsilon(0).margin(1e-9));
  }
  for (const auto& [name, cv] : last) {
    CHECK(Credit(rl, name).conversions == cv.first);
    CHECK(Credit(rl, name).value == Approx(cv.second).epsilon(0).margin(1e-9));
  }
}

TEST_CASE("reports: the JSON object and the CSV rows", "[attribution]") {
  AttributionOptions o;
  o.model = AttributionModel::kMarkov;
  o.markov_order = 2;
  auto r = RunOrFail(ParseOrFail(kExampleA), o);
  const auto j = nlohmann::json::parse(FormatAttributionJson(r));
  CHECK(j["model"] == "markov");
  CHECK(j["order"] == 2);
  REQUIRE(j["channels"].is_object());
  CHECK(j["channels"].size() == 3);
  for (const auto& key : {"a", "b", "c"}) {
    const auto& c = j["channels"][key];
    CHECK(c["conversions"].get<double>() == Credit(r, key).conversions);
    CHECK(c["value"].get<double>() == Credit(r, key).value);
    CHECK(c["removal_effect"].get<double>() == Credit(r, key).removal_effect);
  }
  CHECK(j["input"]["conversions"] == 4);
  CHECK(j["input"]["journeys"] == 8);
  CHECK(j["markov"]["states"][0] == "(start)");
  CHECK(j["markov"]["transitions"].size() == r.markov->transitions.size());
  CHECK_FALSE(j.contains("skus"));
  CHECK_FALSE(j.contains("partners"));

  const std::string csv = FormatAttributionCsv(r);
  CHECK_THAT(csv, Catch::StartsWith("model,order,sku,dimension,key,conversions,value,"
                                    "removal_effect,value_removal_effect,"
                                    "conversions_error_bound,value_error_bound\n"
                                    "markov,2,(all),channel,a,"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);

  const std::string transitions = FormatTransitionsCsv(r);
  CHECK_THAT(transitions, Catch::StartsWith("from,to,count,probability\n(start),a,5,0.625\n"));

  // Non-Markov models: order null, no removal effect.
  auto lin = RunModel(ParseOrFail(kExampleA), AttributionModel::kLinear);
  const auto jl = nlohmann::json::parse(FormatAttributionJson(lin));
  CHECK(jl["order"].is_null());
  CHECK_FALSE(jl["channels"]["a"].contains("removal_effect"));
  CHECK_THAT(FormatAttributionCsv(lin), Catch::Contains("\nlinear,,(all),channel,b,"));
  CHECK(FormatTransitionsCsv(lin) == "from,to,count,probability\n");
}

TEST_CASE("reports: names that need quoting are quoted", "[attribution]") {
  auto r = RunModel(ParseOrFail("a,b > \"q\";1;1;0\n"), AttributionModel::kLinear);
  const std::string csv = FormatAttributionCsv(r);
  CHECK_THAT(csv, Catch::Contains(",\"a,b\",0.5,"));
  CHECK_THAT(csv, Catch::Contains(",\"\"\"q\"\"\",0.5,"));
}
