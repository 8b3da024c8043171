// ValidateEvent and the record format: every kind round-trips, every field's check names the
// field, and damaged records are refused without reading past their end.
#include "partnergraph/events/event.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "events/event_test_util.hpp"
#include "partnergraph/events/event_codec.hpp"

namespace partnergraph {
namespace {

constexpr Timestamp kNow = 1'780'000'000;

std::string ErrorOf(const Event& e) {
  return ValidateEvent(e, kNow, EventCheckOptions{}, "events[0]").message();
}

}  // namespace

TEST_CASE("every kind of event round-trips through its record", "[events]") {
  for (const Event& e : testing::OneEventOfEachKind(kNow)) {
    INFO(ToString(e.kind()));
    CHECK(ValidateEvent(e, kNow, EventCheckOptions{}, "e").ok());
    std::string record;
    EncodeEvent(e, &record);
    Result<Event> back = DecodeEvent(record);
    REQUIRE(back.ok());
    CHECK(back.value() == e);
  }
}

TEST_CASE("a negative timestamp, unset optionals and extreme numbers round-trip", "[events]") {
  PolicyChangeEvent p;
  p.merchant_id = "m";
  p.ts = -86400;
  p.k_min = 4'000'000'000u;
  EngagementActivityEvent a;
  a.merchant_id = "m";
  a.ts = std::numeric_limits<Timestamp>::min();
  a.activity = "webinar";
  a.points = 1e300;
  for (const Event& e : {Event{"p", p}, Event{"a", a}}) {
    std::string record;
    EncodeEvent(e, &record);
    Result<Event> back = DecodeEvent(record);
    REQUIRE(back.ok());
    CHECK(back.value() == e);
  }
}

TEST_CASE("a damaged record is refused, never read past its end", "[events]") {
  std::string record;
  EncodeEvent(testing::OneEventOfEachKind(kNow)[1], &record);
  SECTION("every truncation") {
    for (std::size_t n = 0; n < record.size(); ++n) {
      INFO(n);
      Result<Event> r = DecodeEvent(std::string_view(record).substr(0, n));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Status::Code::kCorruption);
    }
  }
  SECTION("bytes left over") {
    CHECK_THAT(DecodeEvent(record + "x").status().message(), Catch::Contains("1 bytes left over"));
  }
  SECTION("another version") {
    record[0] = 2;
    CHECK_THAT(DecodeEvent(record).status().message(),
               Catch::Contains("version 2, this build reads version 1"));
  }
  SECTION("an unknown kind") {
    record[1] = 7;
    CHECK_THAT(DecodeEvent(record).status().message(), Catch::Contains("kind 7 is out of range"));
  }
  SECTION("an enum out of range") {
    // consent_change: id, customer, merchant, then the channel byte.
    Event e{"x", testing::Consent("c", "m", ConsentStatus::kUnclear, 0)};
    std::string r;
    EncodeEvent(e, &r);
    r[2 + 2 + 2 + 2] = 9;
    CHECK_THAT(DecodeEvent(r).status().message(), Catch::Contains("channel: value 9"));
  }
  SECTION("a length past the end") {
    Event e = testing::OneEventOfEachKind(0)[5];
    e.event_id = "x";
    std::string r;
    EncodeEvent(e, &r);
    r[4] = 0x7f;  // merchant_id's length
    CHECK_THAT(DecodeEvent(r).status().message(), Catch::Contains("merchant_id: needs 127 bytes"));
  }
}

TEST_CASE("ValidateEvent names the field of each broken rule", "[events]") {
  const auto events = testing::OneEventOfEachKind(kNow);
  Event order = events[0];
  auto& o = std::get<OrderLineEvent>(order.body);

  SECTION("the event id") {
    order.event_id = "";
    CHECK(ErrorOf(order) == "events[0].event_id: is empty");
    order.event_id = std::string(kMaxEventIdBytes + 1, 'x');
    CHECK(ErrorOf(order) == "events[0].event_id: is 129 bytes long, over the limit of 128");
  }
  SECTION("required texts, numbers, the time") {
    o.customer_id = "";
    CHECK(ErrorOf(order) == "events[0].order_line.customer_id: is empty");
    o.customer_id = "c";
    o.quantity = 0;
    CHECK(ErrorOf(order) == "events[0].order_line.quantity: must be at least 1");
    o.quantity = 1;
    o.unit_price = std::nan("");
    CHECK(ErrorOf(order) == "events[0].order_line.unit_price: nan is not a finite number >= 0");
    o.unit_price = 1;
    o.channel = std::string(kMaxEventTextBytes + 1, 'c');
    CHECK_THAT(ErrorOf(order), Catch::StartsWith("events[0].order_line.channel: is 4097 bytes"));
    o.channel = "";
    o.ts = kNow + 301;
    CHECK_THAT(ErrorOf(order), Catch::StartsWith("events[0].order_line.ts: ") &&
                                   Catch::Contains("more than 300 s in the future"));
    o.ts = kNow + 300;
    CHECK(ErrorOf(order).empty());
  }
  SECTION("a partnership with itself, an empty policy change, a zero k_min") {
    Event p = events[4];
    auto& pc = std::get<PartnershipChangeEvent>(p.body);
    pc.merchant_b = pc.merchant_a;
    CHECK_THAT(ErrorOf(p), Catch::StartsWith("events[0].partnership_change.merchant_b: equals"));
    PolicyChangeEvent empty;
    empty.merchant_id = "m";
    empty.ts = kNow;
    Event policy{"p", empty};
    CHECK_THAT(ErrorOf(policy), Catch::Contains("no field of the policy is set"));
    std::get<PolicyChangeEvent>(policy.body).k_min = 0;
    CHECK(ErrorOf(policy) == "events[0].policy_change.k_min: must be at least 1");
  }
  SECTION("negative points and prices") {
    Event a = events[2];
    std::get<EngagementActivityEvent>(a.body).points = -1;
    CHECK(ErrorOf(a) == "events[0].engagement_activity.points: -1 is not a finite number >= 0");
    Event s = events[6];
    std::get<NewSkuEvent>(s.body).price = -0.5;
    CHECK(ErrorOf(s) == "events[0].new_sku.price: -0.5 is not a finite number >= 0");
  }
}

TEST_CASE("ValidateEventBatch names the index, and refuses an id twice in one batch", "[events]") {
  std::vector<Event> batch = testing::OneEventOfEachKind(kNow);
  CHECK(ValidateEventBatch(batch, kNow, {}).ok());
  std::get<NewSkuEvent>(batch[6].body).sku_id = "";
  CHECK(ValidateEventBatch(batch, kNow, {}).message() == "events[6].new_sku.sku_id: is empty");
  batch = testing::OneEventOfEachKind(kNow);
  batch[5].event_id = batch[2].event_id;
  CHECK(ValidateEventBatch(batch, kNow, {}).message() ==
        "events[5].event_id: \"" + batch[2].event_id + "\" repeats events[2]");
}

}  // namespace partnergraph
