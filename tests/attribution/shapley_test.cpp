#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/shapley.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// phi_c = sum over channel sets T containing c of f(T) / |T| (Zhao et al. 2018),
// computed here directly from the table, independently of the module's
// coalition enumeration.
std::map<std::string, std::pair<double, double>> ClosedForm(const JourneyTable& t) {
  std::map<std::string, std::pair<double, double>> out;
  for (std::size_t i = 0; i < t.path_count(); ++i) {
    std::set<std::string> members;
    for (auto k : t.path(i)) members.insert(t.keys[k]);
    for (const auto& m : members) {
      out[m].first += t.conversions[i] / static_cast<double>(members.size());
      out[m].second += t.value[i] / static_cast<double>(members.size());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Shapley: hand-computed over the coalitions of example A", "[attribution]") {
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kShapley);
  // Channel sets: {a,b,c} (p1, p4): 3 conversions, 36 value; {b} (p2): 1, 10;
  // {a,c} (p3): nothing.  v(S) = conversions of paths whose set is within S:
  //   v() = v(a) = v(c) = v(ac) = 0, v(b) = v(ab) = v(bc) = 1, v(abc) = 4.
  // phi_a = 1/3 [v(a)-v()] + 1/6 [v(ab)-v(b)] + 1/6 [v(ac)-v(c)] + 1/3 [v(abc)-v(bc)]
  //       = 0 + 0 + 0 + 1/3 × 3 = 1
  // phi_b = 1/3 × 1 + 1/6 × (1-0) + 1/6 × (1-0) + 1/3 × (4-0) = 2
  // phi_c = 1/3 × 0 + 1/6 × 0 + 1/6 × 0 + 1/3 × (4-1) = 1
  // Value game: w(b) = w(ab) = w(bc) = 10, w(abc) = 46 -> a 12, b 22, c 12.
  CHECK(Credit(r, "a").conversions == Approx(1).epsilon(0).margin(1e-12));
  CHECK(Credit(r, "b").conversions == Approx(2).epsilon(0).margin(1e-12));
  CHECK(Credit(r, "c").conversions == Approx(1).epsilon(0).margin(1e-12));
  CHECK(Credit(r, "a").value == Approx(12).epsilon(0).margin(1e-12));
  CHECK(Credit(r, "b").value == Approx(22).epsilon(0).margin(1e-12));
  CHECK(Credit(r, "c").value == Approx(12).epsilon(0).margin(1e-12));
  REQUIRE(r.shapley.has_value());
  CHECK(r.shapley->exact);
  CHECK(r.shapley->players == 3);
  CHECK(Credit(r, "a").conversions_error_bound == 0);
}

TEST_CASE("Shapley: exact enumeration equals the closed form on the 12-channel sample",
          "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  auto table = ReadPathFile(file, {});
  REQUIRE(table.ok());
  auto r = RunModel(*table, AttributionModel::kShapley);
  REQUIRE(r.shapley->exact);
  CHECK(r.shapley->players == 12);
  const auto expected = ClosedForm(*table);
  for (const auto& [name, cv] : expected) {
    INFO(name);
    CHECK(std::fabs(Credit(r, name).conversions - cv.first) <= 1e-9);
    CHECK(std::fabs(Credit(r, name).value - cv.second) <= 1e-9);
  }
  CHECK(SumConversions(r) == Approx(19785).epsilon(0).margin(1e-8));
  CHECK(SumValue(r) == Approx(74802.97158721084).epsilon(0).margin(1e-8));
}

TEST_CASE("Shapley: sampling stays within its stated bound and is seeded", "[attribution]") {
  // 6 channels in overlapping sets; sampling forced with max exact channels 0.
  auto table = ParseOrFail(
      "a > b;4;40;1\nb > c > d;3;30;2\na > e > f > a;2;20;5\nf;1;10;0\nc > a > f;5;50;1\n");
  auto exact = RunModel(table, AttributionModel::kShapley);
  REQUIRE(exact.shapley->exact);
  AttributionOptions o;
  o.shapley_max_exact_channels = 0;
  o.shapley_samples = 3000;
  o.shapley_seed = 7;
  auto sampled = RunModel(table, AttributionModel::kShapley, o);
  REQUIRE_FALSE(sampled.shapley->exact);
  CHECK(sampled.shapley->samples == 3000);
  CHECK(sampled.shapley->players == 6);
  for (std::size_t k = 0; k < exact.keys.size(); ++k) {
    INFO(exact.keys[k]);
    const auto& s = Credit(sampled, exact.keys[k]);
    CHECK(s.conversions_error_bound > 0);
    CHECK(std::fabs(s.conversions - exact.totals[k].conversions) <= s.conversions_error_bound);
    CHECK(std::fabs(s.value - exact.totals[k].value) <= s.value_error_bound);
  }
  // Efficiency holds for every sample, so the sampled credits still sum exactly.
  CHECK(SumConversions(sampled) == Approx(15).epsilon(0).margin(1e-9));
  CHECK(SumValue(sampled) == Approx(150).epsilon(0).margin(1e-9));
  // The bound: R_c sqrt(ln(2n/delta) / 2M) with R_a = 4 + 2 + 5 = 11 conversions.
  CHECK(Credit(sampled, "a").conversions_error_bound ==
        Approx(11 * std::sqrt(std::log(2 * 6 / 0.05) / (2 * 3000.0))).epsilon(1e-12));
  // Same seed, same result on 1 and 2 threads; another seed differs.
  o.threads = 1;
  auto one = RunModel(table, AttributionModel::kShapley, o);
  o.threads = 2;
  auto two = RunModel(table, AttributionModel::kShapley, o);
  for (std::size_t k = 0; k < one.keys.size(); ++k) {
    CHECK(one.totals[k].conversions == two.totals[k].conversions);
    CHECK(one.totals[k].conversions == Credit(sampled, one.keys[k]).conversions);
  }
  o.shapley_seed = 8;
  auto other = RunModel(table, AttributionModel::kShapley, o);
  bool differs = false;
  for (std::size_t k = 0; k < one.keys.size(); ++k) {
    differs |= one.totals[k].conversions != other.totals[k].conversions;
  }
  CHECK(differs);
}

TEST_CASE("Shapley: malformed coalition weights are rejected", "[attribution]") {
  CoalitionWeights w;
  w.key_count = 2;
  w.members = {1, 0};  // not ascending
  w.offsets = {0, 2};
  w.conversions = {1};
  w.value = {1};
  auto r = ComputeShapley(w, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  w.members = {0, 5};  // out of range
  CHECK_FALSE(ComputeShapley(w, {}).ok());
}
