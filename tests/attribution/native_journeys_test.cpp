// Journeys from hand-built Datasets (touchpoints joined to orders by customer).
#include <catch2/catch.hpp>

#include <map>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/native_journeys.hpp"
#include "partnergraph/attribution/report_writer.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

constexpr Timestamp kDay = 86400;
constexpr Timestamp kT0 = 1767225600;  // 2026-01-01T00:00:00Z

// Builds a Dataset row by row.
struct DatasetBuilder {
  Dataset d;
  MerchantId Merchant(const std::string& id) {
    d.merchant_ids.Add(id);
    d.merchants.push_back({});
    d.policies.push_back({});
    return MerchantId(d.merchant_ids.size() - 1);
  }
  SkuId Sku(const std::string& id, MerchantId m) {
    d.sku_ids.Add(id);
    d.skus.push_back({m, {}, 1.0});
    return SkuId(d.sku_ids.size() - 1);
  }
  CustomerId Customer(const std::string& id) {
    d.customer_ids.Add(id);
    d.customers.push_back({});
    return CustomerId(d.customer_ids.size() - 1);
  }
  void Line(const std::string& order, CustomerId c, SkuId s, Timestamp ts, std::uint32_t qty,
            double price) {
    OrderLine l;
    l.order = OrderId(d.order_ids.Add(order));
    l.customer = c;
    l.sku = s;
    l.merchant = d.skus[s.value].merchant;
    l.ts = ts;
    l.quantity = qty;
    l.unit_price = price;
    d.orders.push_back(l);
  }
  void Touch(CustomerId c, Timestamp ts, const std::string& channel, MerchantId partner = {},
             const std::string& journey = "") {
    Touchpoint t;
    t.customer = c;
    t.ts = ts;
    t.channel = d.touch_channels.Add(channel);
    t.partner = partner;
    if (!journey.empty()) t.journey = d.journey_ids.Add(journey);
    d.touchpoints.push_back(t);
  }
};

// The example of these tests:
//   c1: email via m1 (day 0), search without partner (day 2), order o1 on day 3:
//       s1 1 × 30 and s2 2 × 5 (revenue 40: s1 share 0.75, s2 0.25);
//       social via m2 (day 4), then order o2 on day 50 (s2 1 × 10): the social
//       touch is 46 days old, beyond the 30-day lookback -> a null journey, and
//       o2 is direct.
//   c2: email via m2 (day 1), no order -> a null journey.
//   c3: order o3 on day 5 (s1 1 × 0: free) with no touch -> direct.
//   journey j9 without customer: search (day 1) -> a null journey.
Dataset Example() {
  DatasetBuilder b;
  b.Merchant("m_shop");
  auto m1 = b.Merchant("m1");
  auto m2 = b.Merchant("m2");
  auto s1 = b.Sku("s1", MerchantId(0));
  auto s2 = b.Sku("s2", MerchantId(0));
  auto c1 = b.Customer("c1");
  auto c2 = b.Customer("c2");
  auto c3 = b.Customer("c3");
  b.Touch(c1, kT0, "email", m1);
  b.Touch(c1, kT0 + 2 * kDay, "search");
  b.Touch(c1, kT0 + 4 * kDay, "social", m2);
  b.Touch(c2, kT0 + 1 * kDay, "email", m2);
  b.Touch(CustomerId(), kT0 + 1 * kDay, "search", {}, "j9");
  b.Line("o1", c1, s1, kT0 + 3 * kDay, 1, 30);
  b.Line("o1", c1, s2, kT0 + 3 * kDay, 2, 5);
  b.Line("o2", c1, s2, kT0 + 50 * kDay, 1, 10);
  b.Line("o3", c3, s1, kT0 + 5 * kDay, 1, 0);
  return b.d;
}

NativeJourneys BuildOrFail(const Dataset& d, const AttributionOptions& o = {}) {
  auto j = BuildNativeJourneys(d, o);
  INFO(j.status().ToString());
  REQUIRE(j.ok());
  return std::move(j).value();
}

std::vector<std::string> Names(const JourneyTable& t, std::size_t i) {
  std::vector<std::string> out;
  for (auto k : t.path(i)) out.push_back(t.keys[k]);
  return out;
}

const SkuKeyCredit* Find(const AttributionResult& r, std::string_view sku, std::string_view key) {
  for (const auto& c : r.sku_credits) {
    if (r.skus[c.sku] == sku && r.keys[c.key] == key) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("native journeys: orders, lookback, direct orders and null journeys", "[attribution]") {
  const auto j = BuildOrFail(Example());
  CHECK(j.orders == 3);
  CHECK(j.direct_orders == 2);
  CHECK(j.null_journeys == 3);
  CHECK(j.touchpoints_in_orders == 2);
  CHECK(j.touchpoints_in_nulls == 3);
  const JourneyTable& t = j.by_channel;
  REQUIRE(t.Validate().ok());
  CHECK(t.keys == std::vector<std::string>{"email", "search", "social", "(direct)"});
  REQUIRE(t.path_count() == 6);
  // c1: o1, the stale social touch, o2; c2: null; c3: o3; j9: null.
  CHECK(Names(t, 0) == std::vector<std::string>{"email", "search"});
  CHECK(t.conversions[0] == 1);
  CHECK(t.value[0] == 40);
  CHECK(t.path_ages(0)[0] == 3 * kDay);
  CHECK(t.path_ages(0)[1] == 1 * kDay);
  REQUIRE(t.path_skus(0).size() == 2);
  CHECK(t.path_skus(0)[0].conversions == 0.75);
  CHECK(t.path_skus(0)[0].value == 30);
  CHECK(t.path_skus(0)[1].conversions == 0.25);
  CHECK(Names(t, 1) == std::vector<std::string>{"social"});
  CHECK(t.nulls[1] == 1);
  CHECK(t.conversions[1] == 0);
  CHECK(Names(t, 2) == std::vector<std::string>{"(direct)"});
  CHECK(t.value[2] == 10);
  CHECK(Names(t, 3) == std::vector<std::string>{"email"});
  CHECK(Names(t, 4) == std::vector<std::string>{"(direct)"});
  CHECK(t.value[4] == 0);
  REQUIRE(t.path_skus(4).size() == 1);
  CHECK(t.path_skus(4)[0].conversions == 1);  // a free order: shares by line count
  CHECK(Names(t, 5) == std::vector<std::string>{"search"});

  const JourneyTable& p = j.by_partner;
  CHECK(p.keys == std::vector<std::string>{"m1", "m2", "(none)", "(direct)"});
  CHECK(Names(p, 0) == std::vector<std::string>{"m1", "(none)"});
  CHECK(Names(p, 1) == std::vector<std::string>{"m2"});
  CHECK(p.touches.size() == t.touches.size());
  CHECK(p.conversions == t.conversions);
}

TEST_CASE("native journeys: the lookback bound is inclusive and touches go to one order",
          "[attribution]") {
  DatasetBuilder b;
  b.Merchant("m");
  auto s = b.Sku("s", MerchantId(0));
  auto c = b.Customer("c");
  b.Touch(c, kT0, "email");              // exactly 2 days before o1: inside
  b.Touch(c, kT0 + 2 * kDay, "search");  // at o1's second: inside
  b.Touch(c, kT0 + 3 * kDay, "social");  // after o1: o2's
  b.Line("o1", c, s, kT0 + 2 * kDay, 1, 1);
  b.Line("o2", c, s, kT0 + 4 * kDay, 1, 1);
  AttributionOptions o;
  o.lookback_seconds = 2 * kDay;
  const auto j = BuildOrFail(b.d, o);
  REQUIRE(j.by_channel.path_count() == 2);
  CHECK(Names(j.by_channel, 0) == std::vector<std::string>{"email", "search"});
  CHECK(Names(j.by_channel, 1) == std::vector<std::string>{"social"});
  CHECK(j.null_journeys == 0);
  o.lookback_seconds = 2 * kDay - 1;
  const auto shorter = BuildOrFail(b.d, o);
  CHECK(shorter.null_journeys == 1);  // email falls out of o1's window
  CHECK(Names(shorter.by_channel, 0) == std::vector<std::string>{"email"});
}

TEST_CASE("native journeys: linear credits per SKU, channel and partner", "[attribution]") {
  const auto j = BuildOrFail(Example());
  auto r = RunModel(j.by_channel, AttributionModel::kLinear);
  // o1: email 1/2, search 1/2 of 1 conversion and 40; o2, o3: (direct) 1 each (10 and 0).
  CHECK(Credit(r, "email").conversions == 0.5);
  CHECK(Credit(r, "email").value == 20);
  CHECK(Credit(r, "search").conversions == 0.5);
  CHECK(Credit(r, "social").conversions == 0);
  CHECK(Credit(r, "(direct)").conversions == 2);
  CHECK(Credit(r, "(direct)").value == 10);
  CHECK(SumConversions(r) == 3);
  CHECK(SumValue(r) == 50);
  CHECK(r.nulls == 3);
  // Per SKU: s1 has 0.75 of o1 (value 30) and all of o3; s2 0.25 of o1 (10) and o2 (10).
  REQUIRE(Find(r, "s1", "email"));
  CHECK(Find(r, "s1", "email")->conversions == 0.375);
  CHECK(Find(r, "s1", "email")->value == 15);
  CHECK(Find(r, "s1", "(direct)")->conversions == 1);
  CHECK(Find(r, "s1", "(direct)")->value == 0);
  CHECK(Find(r, "s2", "search")->conversions == 0.125);
  CHECK(Find(r, "s2", "search")->value == 5);
  CHECK(Find(r, "s2", "(direct)")->value == 10);
  CHECK(Find(r, "s2", "social") == nullptr);
  double sku_conv = 0, sku_value = 0;
  for (const auto& c : r.sku_credits) {
    sku_conv += c.conversions;
    sku_value += c.value;
  }
  CHECK(sku_conv == Approx(3).epsilon(1e-12));
  CHECK(sku_value == Approx(50).epsilon(1e-12));

  auto rp = RunModel(j.by_partner, AttributionModel::kLinear);
  CHECK(Credit(rp, "m1").conversions == 0.5);
  CHECK(Credit(rp, "(none)").value == 20);
  CHECK(Credit(rp, "m2").conversions == 0);
  CHECK(Find(rp, "s1", "m1")->value == 15);
}

TEST_CASE("native journeys: time-decay uses touch ages in seconds", "[attribution]") {
  const auto j = BuildOrFail(Example());
  AttributionOptions o;
  o.half_life_seconds = kDay;
  auto r = RunModel(j.by_channel, AttributionModel::kTimeDecay, o);
  // o1: email 3 days old, search 1 day: weights 2^-3 : 2^-1 = 1 : 4 -> 0.2, 0.8.
  CHECK(Credit(r, "email").conversions == Approx(0.2).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "search").value == Approx(32).epsilon(0).margin(1e-13));
  o.decay_by_touches = true;
  o.half_life_touches = 1;
  auto steps = RunModel(j.by_channel, AttributionModel::kTimeDecay, o);
  // By steps: email one step before search: 1/2 : 1 -> 1/3, 2/3.
  CHECK(Credit(steps, "email").conversions == Approx(1.0 / 3).epsilon(0).margin(1e-15));
}

TEST_CASE("native journeys: Markov per SKU uses the SKU's own conversions", "[attribution]") {
  const auto j = BuildOrFail(Example());
  AttributionOptions o;
  o.model = AttributionModel::kMarkov;
  auto r = RunOrFail(j.by_channel, o);
  // Journeys: [email search] conv, [social] null, [(direct)] conv, [email] null,
  // [(direct)] conv, [search] null. Order 1: start->email 2, ->social 1, ->(direct) 2,
  // ->search 1; email->search 1, email->null 1; search->conv 1, ->null 1;
  // social->null 1; (direct)->conv 2.
  // P = 2/6 × 1/2 × 1/2 + 1/6 × 1/2 + 2/6 = 1/12 + 1/12 + 4/12 = 1/2.
  // Without email: 5/12 -> RE 1/6; without search: 4/12 -> 1/3; without (direct):
  // 2/12 -> 2/3; social 0. Sum 7/6: email 3/7, search 6/7, (direct) 12/7.
  CHECK(Credit(r, "email").removal_effect == Approx(1.0 / 6).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "search").removal_effect == Approx(1.0 / 3).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "(direct)").removal_effect == Approx(2.0 / 3).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "social").removal_effect == 0);
  CHECK(Credit(r, "email").conversions == Approx(3.0 / 7).epsilon(0).margin(1e-14));
  CHECK(Credit(r, "(direct)").conversions == Approx(12.0 / 7).epsilon(0).margin(1e-14));
  // s1: 0.75 conversion ends at search (o1), 1 at (direct) (o3). Visits: search 1/3,
  // (direct) 1/3; reward per journey leaving search 0.75/2, (direct) 1/2.
  // E = 1/3 × 0.375 + 1/3 × 0.5 = 7/24 (= 1.75 / 6).
  // Without email: search visits 1/6: E = 0.0625 + 1/6 = 11/48 -> RE 1 - 11/14 = 3/14.
  // Without search: E = 1/6 -> RE 1 - 4/7 = 3/7.  Without (direct): E = 1/8 -> RE 4/7.
  // Sum 17/14: email 1.75 × 3/17, search 1.75 × 6/17, (direct) 1.75 × 8/17.
  REQUIRE(Find(r, "s1", "email"));
  CHECK(Find(r, "s1", "email")->removal_effect == Approx(3.0 / 14).epsilon(0).margin(1e-15));
  CHECK(Find(r, "s1", "email")->conversions == Approx(1.75 * 3 / 17).epsilon(0).margin(1e-14));
  CHECK(Find(r, "s1", "search")->conversions == Approx(1.75 * 6 / 17).epsilon(0).margin(1e-14));
  CHECK(Find(r, "s1", "(direct)")->conversions == Approx(1.75 * 8 / 17).epsilon(0).margin(1e-14));
  CHECK(Find(r, "s1", "social") == nullptr);
  // Each SKU's credits sum to its conversions and value.
  std::map<std::string, std::pair<double, double>> per_sku;
  for (const auto& c : r.sku_credits) {
    per_sku[r.skus[c.sku]].first += c.conversions;
    per_sku[r.skus[c.sku]].second += c.value;
  }
  CHECK(per_sku["s1"].first == Approx(1.75).epsilon(1e-12));
  CHECK(per_sku["s1"].second == Approx(30).epsilon(1e-12));
  CHECK(per_sku["s2"].first == Approx(1.25).epsilon(1e-12));
  CHECK(per_sku["s2"].second == Approx(20).epsilon(1e-12));
}

TEST_CASE("native journeys: Shapley per SKU", "[attribution]") {
  const auto j = BuildOrFail(Example());
  auto r = RunModel(j.by_channel, AttributionModel::kShapley);
  // Sets with conversions: {email, search} (o1: 1, 40), {(direct)} (o2, o3: 2, 10).
  // phi: email 1/2, search 1/2, (direct) 2; per SKU s1: email 0.375, (direct) 1 (o3).
  CHECK(Credit(r, "email").conversions == Approx(0.5).epsilon(1e-12));
  CHECK(Credit(r, "(direct)").conversions == Approx(2).epsilon(1e-12));
  CHECK(Find(r, "s1", "email")->conversions == Approx(0.375).epsilon(1e-12));
  CHECK(Find(r, "s1", "(direct)")->conversions == Approx(1).epsilon(1e-12));
  CHECK(Find(r, "s2", "(direct)")->value == Approx(10).epsilon(1e-12));
}

TEST_CASE("native journeys: unknown references are errors naming the row", "[attribution]") {
  SECTION("unknown channel") {
    Dataset d = Example();
    d.touchpoints[1].channel = 99;
    auto r = BuildNativeJourneys(d, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK_THAT(r.status().message(),
               Catch::StartsWith("touchpoints[1] (customer c1, 2026-01-03T00:00:00Z): channel id 99") &&
                   Catch::Contains("unknown channel"));
    d.touchpoints[1].channel = kNoDictValue;
    CHECK_THAT(BuildNativeJourneys(d, {}).status().message(), Catch::Contains("channel id (none)"));
  }
  SECTION("partner that is not a merchant") {
    Dataset d = Example();
    d.touchpoints[0].partner = MerchantId(7);
    CHECK_THAT(BuildNativeJourneys(d, {}).status().message(),
               Catch::Contains("touchpoints[0]") && Catch::Contains("partner id 7"));
  }
  SECTION("touchpoint with neither customer nor journey") {
    Dataset d = Example();
    d.touchpoints[4].journey = kNoDictValue;
    CHECK_THAT(BuildNativeJourneys(d, {}).status().message(),
               Catch::Contains("touchpoints[4]") && Catch::Contains("neither a customer"));
  }
  SECTION("order line with an unknown SKU") {
    Dataset d = Example();
    d.orders[2].sku = SkuId(42);
    CHECK_THAT(BuildNativeJourneys(d, {}).status().message(),
               Catch::Equals("orders[2] (order o2): SKU id out of range"));
  }
  SECTION("order lines of different customers") {
    Dataset d = Example();
    d.orders[1].customer = CustomerId(1);
    CHECK_THAT(BuildNativeJourneys(d, {}).status().message(),
               Catch::Contains("orders[1] (order o1): customer c2 differs"));
  }
}

TEST_CASE("native journeys: reports carry SKU and partner rows", "[attribution]") {
  const auto j = BuildOrFail(Example());
  auto rc = RunModel(j.by_channel, AttributionModel::kFirstTouch);
  auto rp = RunModel(j.by_partner, AttributionModel::kFirstTouch);
  const std::string csv = FormatAttributionCsv(rc, &rp);
  CHECK_THAT(csv, Catch::Contains("first-touch,,(all),channel,email,1,40,,,,\n"));
  CHECK_THAT(csv, Catch::Contains("first-touch,,(all),partner,m1,1,40,,,,\n"));
  CHECK_THAT(csv, Catch::Contains("first-touch,,s1,channel,email,0.75,30,,,,\n"));
  CHECK_THAT(csv, Catch::Contains("first-touch,,s1,partner,m1,0.75,30,,,,\n"));
  CHECK_THAT(csv, Catch::Contains("first-touch,,s2,channel,(direct),1,10,,,,\n"));
}
