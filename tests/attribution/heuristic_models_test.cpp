// Hand-computed examples of the five heuristic models on example A
// (attribution_test_util.hpp):
//   p1  a > b > c      2 conversions, value 30, 1 null
//   p2  b              1 conversion,  value 10, 1 null
//   p3  a > c          0 conversions,           2 nulls
//   p4  c > a > b > a  1 conversion,  value  6, 0 nulls
// Totals: 4 conversions, value 46.
#include <catch2/catch.hpp>

#include "attribution_test_util.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

void CheckCredit(const AttributionResult& r, std::string_view key, double conversions,
                 double value) {
  INFO("key " << key);
  CHECK(Credit(r, key).conversions == Approx(conversions).epsilon(0).margin(1e-12));
  CHECK(Credit(r, key).value == Approx(value).epsilon(0).margin(1e-12));
}

void CheckSums(const AttributionResult& r, double conversions, double value) {
  CHECK(SumConversions(r) == Approx(conversions).epsilon(0).margin(1e-12));
  CHECK(SumValue(r) == Approx(value).epsilon(0).margin(1e-12));
}

}  // namespace

TEST_CASE("first-touch credits the first touch of each path", "[attribution]") {
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kFirstTouch);
  // p1 -> a (2, 30); p2 -> b (1, 10); p3 converts nothing; p4 -> c (1, 6).
  CheckCredit(r, "a", 2, 30);
  CheckCredit(r, "b", 1, 10);
  CheckCredit(r, "c", 1, 6);
  CheckSums(r, 4, 46);
  CHECK(r.conversions == 4);
  CHECK(r.value == 46);
  CHECK(r.nulls == 4);
  CHECK(r.journeys == 8);
  CHECK(r.paths == 4);
  CHECK(r.order == 0);
  CHECK_FALSE(r.markov.has_value());
}

TEST_CASE("last-touch credits the last touch of each path", "[attribution]") {
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kLastTouch);
  // p1 -> c (2, 30); p2 -> b (1, 10); p4 -> a (1, 6).
  CheckCredit(r, "a", 1, 6);
  CheckCredit(r, "b", 1, 10);
  CheckCredit(r, "c", 2, 30);
  CheckSums(r, 4, 46);
}

TEST_CASE("linear splits each path equally over its touches", "[attribution]") {
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kLinear);
  // p1: 1/3 each: a, b, c get 2/3 conversion and 10 value.
  // p2: b gets 1 and 10.
  // p4: 1/4 per touch; a is touched twice: c 1/4 (1.5), a 1/2 (3), b 1/4 (1.5).
  // a = 2/3 + 1/2 = 7/6, 10 + 3 = 13
  // b = 2/3 + 1 + 1/4 = 23/12, 10 + 10 + 1.5 = 21.5
  // c = 2/3 + 1/4 = 11/12, 10 + 1.5 = 11.5
  CheckCredit(r, "a", 7.0 / 6, 13);
  CheckCredit(r, "b", 23.0 / 12, 21.5);
  CheckCredit(r, "c", 11.0 / 12, 11.5);
  CheckSums(r, 4, 46);
}

TEST_CASE("time-decay on paths without timestamps decays by touch steps", "[attribution]") {
  AttributionOptions o;
  o.half_life_touches = 1.0;
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kTimeDecay, o);
  // Weight 2^-(steps before the last touch), normalised.
  // p1 a,b,c: 1/4, 1/2, 1 (sum 7/4) -> 1/7, 2/7, 4/7 of 2 conversions and 30.
  // p2 b: 1.
  // p4 c,a,b,a: 1/8, 1/4, 1/2, 1 (sum 15/8) -> c 1/15, a 2/15 + 8/15 = 10/15, b 4/15 of 1 and 6.
  // a = 2/7 + 2/3 = 20/21,     30/7 + 4
  // b = 4/7 + 1 + 4/15,        60/7 + 10 + 1.6
  // c = 8/7 + 1/15,            120/7 + 0.4
  CheckCredit(r, "a", 20.0 / 21, 30.0 / 7 + 4);
  CheckCredit(r, "b", 4.0 / 7 + 1 + 4.0 / 15, 60.0 / 7 + 10 + 1.6);
  CheckCredit(r, "c", 8.0 / 7 + 1.0 / 15, 120.0 / 7 + 0.4);
  CheckSums(r, 4, 46);
}

TEST_CASE("time-decay half-life in touches changes the weights", "[attribution]") {
  AttributionOptions o;
  o.half_life_touches = 2.0;
  auto r = RunModel(ParseOrFail("x > y;1;10;0\n"), AttributionModel::kTimeDecay, o);
  // x is one step before y: 2^(-1/2) : 1 -> x = 1/(1 + sqrt 2), y = sqrt 2/(1 + sqrt 2).
  const double x = 1.0 / (1.0 + std::sqrt(2.0));
  CheckCredit(r, "x", x, 10 * x);
  CheckCredit(r, "y", 1 - x, 10 * (1 - x));
}

TEST_CASE("position-based gives 40/20/40 and defines 1- and 2-touch paths", "[attribution]") {
  auto r = RunModel(ParseOrFail(kExampleA), AttributionModel::kPositionBased);
  // p1 a,b,c: .4/.2/.4 of 2 and 30 -> a .8 12, b .4 6, c .8 12.
  // p2 b (one touch): b 1, 10.
  // p4 c,a,b,a: c .4, middle a .1 and b .1, last a .4 -> c .4 2.4, a .5 3, b .1 .6.
  // a = 1.3, 15; b = 1.5, 16.6; c = 1.2, 14.4.
  CheckCredit(r, "a", 1.3, 15);
  CheckCredit(r, "b", 1.5, 16.6);
  CheckCredit(r, "c", 1.2, 14.4);
  CheckSums(r, 4, 46);

  SECTION("two touches split first : last") {
    auto two = ParseOrFail("x > y;1;10;0\n");
    auto even = RunModel(two, AttributionModel::kPositionBased);  // .4 : .4 -> 1/2 each
    CheckCredit(even, "x", 0.5, 5);
    CheckCredit(even, "y", 0.5, 5);
    AttributionOptions o;
    o.position_first_share = 0.3;
    o.position_last_share = 0.5;  // .3 : .5 -> 3/8 and 5/8
    auto skew = RunModel(two, AttributionModel::kPositionBased, o);
    CheckCredit(skew, "x", 0.375, 3.75);
    CheckCredit(skew, "y", 0.625, 6.25);
    o.position_first_share = 0;
    o.position_last_share = 0;  // no end weight at all: split equally
    auto zero = RunModel(two, AttributionModel::kPositionBased, o);
    CheckCredit(zero, "x", 0.5, 5);
  }
  SECTION("configurable shares on longer paths") {
    AttributionOptions o;
    o.position_first_share = 0.5;
    o.position_last_share = 0.3;  // middle .2 over 2 touches = .1 each
    auto r4 = RunModel(ParseOrFail("w > x > y > z;1;100;0\n"), AttributionModel::kPositionBased, o);
    CheckCredit(r4, "w", 0.5, 50);
    CheckCredit(r4, "x", 0.1, 10);
    CheckCredit(r4, "y", 0.1, 10);
    CheckCredit(r4, "z", 0.3, 30);
  }
}

TEST_CASE("heuristics on one-channel paths give everything to that channel", "[attribution]") {
  auto table = ParseOrFail("a;3;30;1\na > a;1;5;0\n");
  for (auto model : {AttributionModel::kFirstTouch, AttributionModel::kLastTouch,
                     AttributionModel::kLinear, AttributionModel::kTimeDecay,
                     AttributionModel::kPositionBased, AttributionModel::kShapley}) {
    INFO(ToString(model));
    auto r = RunModel(table, model);
    REQUIRE(r.keys.size() == 1);
    CheckCredit(r, "a", 4, 35);
  }
}

TEST_CASE("paths of nulls only give zero credit everywhere", "[attribution]") {
  auto table = ParseOrFail("a > b;0;0;5\nb;0;0;2\n");
  for (int m = 0; m < kAttributionModelCount; ++m) {
    const auto model = static_cast<AttributionModel>(m);
    INFO(ToString(model));
    auto r = RunModel(table, model);
    CHECK(r.conversions == 0);
    CHECK(r.nulls == 7);
    for (const auto& c : r.totals) {
      CHECK(c.conversions == 0);
      CHECK(c.value == 0);
      CHECK(c.removal_effect == 0);
    }
  }
}

TEST_CASE("an empty journey table gives an empty result", "[attribution]") {
  auto table = ParseOrFail("path;total_conversions;total_conversion_value;total_null\n");
  CHECK(table.path_count() == 0);
  for (int m = 0; m < kAttributionModelCount; ++m) {
    auto r = RunModel(table, static_cast<AttributionModel>(m));
    CHECK(r.keys.empty());
    CHECK(r.totals.empty());
    CHECK(r.journeys == 0);
  }
}

TEST_CASE("RunAttribution rejects bad options and bad tables", "[attribution]") {
  auto table = ParseOrFail(kExampleA);
  AttributionOptions o;
  o.markov_order = 5;
  o.model = AttributionModel::kMarkov;
  auto r = RunAttribution(table, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  CHECK_THAT(r.status().message(), Catch::Contains("markov_order"));

  AttributionOptions p;
  p.position_first_share = 0.7;
  p.position_last_share = 0.4;
  CHECK_FALSE(RunAttribution(table, p).ok());

  AttributionOptions h;
  h.half_life_touches = 0;
  CHECK_FALSE(RunAttribution(table, h).ok());

  JourneyTable bad = table;
  bad.touches[0] = 99;
  auto rb = RunAttribution(bad, {});
  REQUIRE_FALSE(rb.ok());
  CHECK_THAT(rb.status().message(), Catch::Contains("key id 99"));

  JourneyTable negative = table;
  negative.nulls[1] = -1;
  CHECK_FALSE(RunAttribution(negative, {}).ok());
}
