// Folding events into a dataset (event_fold.hpp), the log's reader (EventLog::OpenReader, while
// a writer holds the log) and RunExclusive / SetHooks (the model swap's step).
#include "partnergraph/events/event_fold.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "events/event_test_util.hpp"
#include "test_paths.hpp"

namespace partnergraph {
namespace {

constexpr Timestamp kTs = 1'780'000'000;

// Merchants m1 (food, north) and m2 (toys, south), SKU s1 of m1, customer c0, m1 and m2
// blocked from each other.
Dataset SmallDataset() {
  Dataset d;
  const CategoryId food(d.categories.Add("food"));
  const CategoryId toys(d.categories.Add("toys"));
  const RegionId north(d.regions.Add("north"));
  const RegionId south(d.regions.Add("south"));
  d.merchant_ids.Add("m1");
  d.merchants.push_back({.name = "One", .category = food, .region = north});
  d.merchant_ids.Add("m2");
  d.merchants.push_back({.name = "Two", .category = toys, .region = south});
  d.policies.resize(2);
  d.sku_ids.Add("s1");
  d.skus.push_back({.merchant = MerchantId(0), .category = food, .price = 4.0});
  d.customer_ids.Add("c0");
  d.customers.push_back({.region = north});
  d.partnerships.push_back(
      {.a = MerchantId(1), .b = MerchantId(0), .kind = PartnershipKind::kBlocked, .since = kTs});
  return d;
}

Event Relation(std::string id, std::string a, std::string b, PartnershipKind kind, bool removed) {
  PartnershipChangeEvent e;
  e.merchant_a = std::move(a);
  e.merchant_b = std::move(b);
  e.kind = kind;
  e.removed = removed;
  e.ts = kTs;
  return {std::move(id), e};
}

}  // namespace

TEST_CASE("every kind of event becomes the row it stands for", "[events][fold]") {
  Dataset d = SmallDataset();
  EventFolder folder(&d);
  const std::vector<Event> events = testing::OneEventOfEachKind(kTs);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Status s = folder.Fold(i + 1, events[i]);
    INFO(s.message());
    REQUIRE(s.ok());
  }
  // Order line: a new customer c1 with no region, the line on m1's SKU s1.
  REQUIRE(d.orders.size() == 1);
  const OrderLine& line = d.orders[0];
  CHECK(d.customer_ids.Name(line.customer.value) == "c1");
  CHECK_FALSE(d.customers[line.customer.value].region.valid());
  CHECK(line.merchant == MerchantId(0));
  CHECK(line.sku == SkuId(0));
  CHECK(line.quantity == 2);
  CHECK(line.unit_price == 9.5);
  CHECK(d.order_ids.Name(line.order.value) == "o1");
  CHECK(d.order_channels.Name(line.channel) == "web");
  CHECK(line.device == kNoDictValue);
  CHECK(d.regions.Name(line.region.value) == "north");
  // Consent of c1 at m1.
  REQUIRE(d.consent.size() == 1);
  CHECK(d.consent[0].customer == line.customer);
  CHECK(d.consent[0].channel == ContactChannel::kNewsletter);
  CHECK(d.consent[0].status == ConsentStatus::kUnsubscribed);
  CHECK(d.consent_sources.Name(d.consent[0].source) == "web_form");
  // Engagement of m2.
  REQUIRE(d.engagement.size() == 1);
  CHECK(d.engagement[0].merchant == MerchantId(1));
  CHECK(d.engagement_events.Name(d.engagement[0].event) == "webinar");
  CHECK_FALSE(d.engagement[0].points.has_value());
  // Policy of m1: the set fields changed, the others kept.
  CHECK(d.policies[0].permission_model == PermissionModel::kFull);
  CHECK(d.policies[0].k_min == 50);
  CHECK_FALSE(d.policies[0].discoverable);
  CHECK(d.policies[0].allow_coupons);
  CHECK(d.policies[1].k_min == MerchantPolicy().k_min);
  // The blocked pair (stored as m2, m1) removed by an event naming m1, m2.
  CHECK(d.partnerships.empty());
  // New merchant m9 with the default policy, and its SKU s9.
  REQUIRE(d.merchants.size() == 3);
  CHECK(d.merchant_ids.Find("m9") == 2);
  CHECK(d.merchants[2].name == "Nine");
  CHECK(d.categories.Name(d.merchants[2].category.value) == "food");
  CHECK(d.regions.Name(d.merchants[2].region.value) == "south");
  REQUIRE(d.policies.size() == 3);
  REQUIRE(d.skus.size() == 2);
  CHECK(d.sku_ids.Find("s9") == 1);
  CHECK(d.skus[1].merchant == MerchantId(2));
  CHECK(d.skus[1].price == 3.25);

  const EventFoldReport& report = folder.report();
  CHECK(report.events == events.size());
  CHECK(report.last_sequence == events.size());
  CHECK(report.skipped == 0);
  for (std::size_t k = 0; k < kEventKindCount; ++k) CHECK(report.by_kind[k] == 1);
}

TEST_CASE("partnership events keep one row per pair and kind, several kinds per pair",
          "[events][fold]") {
  Dataset d = SmallDataset();
  EventFolder folder(&d);
  REQUIRE(folder.Fold(1, Relation("a", "m1", "m2", PartnershipKind::kPartner, false)).ok());
  REQUIRE(folder.Fold(2, Relation("b", "m2", "m1", PartnershipKind::kPartner, false)).ok());
  REQUIRE(d.partnerships.size() == 2);  // blocked (from the file) and partner
  REQUIRE(folder.Fold(3, Relation("c", "m2", "m1", PartnershipKind::kBlocked, true)).ok());
  REQUIRE(d.partnerships.size() == 1);
  CHECK(d.partnerships[0].kind == PartnershipKind::kPartner);
  // Removing a kind the pair does not have changes nothing.
  REQUIRE(folder.Fold(4, Relation("d", "m1", "m2", PartnershipKind::kCompetitor, true)).ok());
  CHECK(d.partnerships.size() == 1);
}

TEST_CASE("a new merchant or SKU the dataset already holds is skipped and counted",
          "[events][fold]") {
  Dataset d = SmallDataset();
  EventFolder folder(&d);
  NewMerchantEvent merchant;
  merchant.merchant_id = "m1";
  merchant.name = "Again";
  merchant.category = "food";
  merchant.region = "north";
  merchant.ts = kTs;
  NewSkuEvent sku;
  sku.sku_id = "s1";
  sku.merchant_id = "m1";
  sku.category = "food";
  sku.ts = kTs;
  REQUIRE(folder.Fold(1, {"a", merchant}).ok());
  REQUIRE(folder.Fold(2, {"b", sku}).ok());
  CHECK(d.merchants.size() == 2);
  CHECK(d.merchants[0].name == "One");
  CHECK(d.skus.size() == 1);
  CHECK(folder.report().skipped == 2);
  CHECK(folder.report().events == 2);
}

TEST_CASE("an event the dataset cannot hold is refused, naming sequence, field and id",
          "[events][fold]") {
  Dataset d = SmallDataset();
  EventFolder folder(&d);
  SECTION("unknown merchant") {
    const Status s = folder.Fold(
        7, {"x", testing::Consent("c0", "m404", ConsentStatus::kUnsubscribed, kTs)});
    REQUIRE(s.IsInvalidArgument());
    CHECK(s.message() ==
          "event 7 (consent_change, id \"x\"): consent_change.merchant_id: merchant \"m404\" is "
          "not in the dataset");
    CHECK(d.consent.empty());
  }
  SECTION("unknown partner of a partnership") {
    const Status s = folder.Fold(8, Relation("y", "m1", "m404", PartnershipKind::kPartner, false));
    REQUIRE(s.IsInvalidArgument());
    CHECK_THAT(s.message(), Catch::Contains("partnership_change.merchant_b") &&
                                Catch::Contains("\"m404\""));
  }
  OrderLineEvent order;
  order.order_id = "o9";
  order.customer_id = "c0";
  order.ts = kTs;
  order.quantity = 1;
  SECTION("unknown SKU") {
    order.merchant_id = "m1";
    order.sku_id = "s404";
    const Status s = folder.Fold(9, {"z", order});
    REQUIRE(s.IsInvalidArgument());
    CHECK_THAT(s.message(), Catch::Contains("order_line.sku_id: SKU \"s404\" is not in the dataset"));
  }
  SECTION("SKU of another merchant") {
    order.merchant_id = "m2";
    order.sku_id = "s1";
    const Status s = folder.Fold(9, {"z", order});
    REQUIRE(s.IsInvalidArgument());
    CHECK_THAT(s.message(), Catch::Contains("SKU \"s1\" is not sold by \"m2\""));
  }
  CHECK(d.orders.empty());
  CHECK(folder.report().events == 0);
}

TEST_CASE("FoldEventLog reads a log that a writer holds open, up to its last durable event",
          "[events][fold]") {
  const auto dir = testing::FreshTempDir("event_fold_reader");
  auto writer = EventLog::Open(dir);
  REQUIRE(writer.ok());
  std::vector<Event> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back({"c" + std::to_string(i),
                     testing::Consent("c" + std::to_string(i), "m1", ConsentStatus::kBlocked, kTs)});
  }
  REQUIRE((*writer)->Append(batch).ok());

  Dataset d = SmallDataset();
  Result<EventFoldReport> folded = FoldEventLog(dir, &d);
  INFO(folded.status().message());
  REQUIRE(folded.ok());
  CHECK(folded->events == 3);
  CHECK(folded->last_sequence == 3);
  CHECK(d.consent.size() == 3);
  CHECK(d.customers.size() == 3);  // c0 existed; c1, c2 new

  // The reader appends nothing; the writer still can.
  auto reader = EventLog::OpenReader(dir);
  REQUIRE(reader.ok());
  CHECK((*reader)->last_sequence() == 3);
  CHECK((*reader)->Append(batch).status().IsInvalidArgument());
  REQUIRE((*writer)->Append(std::vector<Event>{{"late", testing::Consent(
                                                            "c0", "m1", ConsentStatus::kBlocked, kTs)}})
              .ok());

  // A refused event leaves the build's dataset refused, naming the event.
  Dataset other;
  other.merchant_ids.Add("m2");
  other.merchants.push_back({});
  other.policies.resize(1);
  Result<EventFoldReport> refused = FoldEventLog(dir, &other);
  REQUIRE(refused.status().IsInvalidArgument());
  CHECK_THAT(refused.status().message(), Catch::StartsWith("event 1 (consent_change"));

  CHECK(FoldEventLog(dir / "absent", &d).status().IsNotFound());
}

TEST_CASE("RunExclusive holds Appends back until it returns; SetHooks inside it takes effect",
          "[events][fold]") {
  const auto dir = testing::FreshTempDir("event_log_exclusive");
  std::atomic<int> old_applied{0}, new_applied{0};
  EventHooks old_hooks;
  old_hooks.apply = [&](EventSequence, const Event&) { old_applied.fetch_add(1); };
  auto log = EventLog::Open(dir, {}, old_hooks);
  REQUIRE(log.ok());
  auto one = [](const std::string& id) {
    return std::vector<Event>{{id, testing::Consent("c0", "m1", ConsentStatus::kBlocked, kTs)}};
  };
  REQUIRE((*log)->Append(one("a")).ok());

  std::atomic<bool> appended{false};
  std::thread late;
  const Status s = (*log)->RunExclusive([&] {
    late = std::thread([&] {  // no Catch2 assertion off the main thread
      if ((*log)->Append(one("b")).ok()) appended.store(true);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (appended.load()) return Status::Internal("an Append ran inside RunExclusive");
    EventHooks new_hooks;
    new_hooks.apply = [&](EventSequence, const Event&) { new_applied.fetch_add(1); };
    (*log)->SetHooks(std::move(new_hooks));
    return Status::Ok();
  });
  late.join();
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(appended.load());
  CHECK(old_applied.load() == 1);
  CHECK(new_applied.load() == 1);
  CHECK((*log)->last_sequence() == 2);
}

}  // namespace partnergraph
