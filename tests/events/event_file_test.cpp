// EventFile: native CSV files as events; a file with a bad row sends nothing.
#include "partnergraph/events/event_file.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "test_paths.hpp"

namespace partnergraph {
namespace {

std::filesystem::path Write(const std::filesystem::path& dir, const std::string& name,
                            const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

std::vector<Event> ReadAll(const EventFile& file, std::size_t batch_size = 1000) {
  std::vector<Event> all;
  const Status s = file.ForEachBatch(batch_size, [&](std::span<const Event> batch, std::size_t) {
    all.insert(all.end(), batch.begin(), batch.end());
    return Status::Ok();
  });
  INFO(s.message());
  REQUIRE(s.ok());
  return all;
}

}  // namespace

TEST_CASE("the kind comes from the file name", "[events]") {
  CHECK(EventKindOfFileName("/x/orders.csv") == EventKind::kOrderLine);
  CHECK(EventKindOfFileName("consent.csv.gz") == EventKind::kConsentChange);
  CHECK(EventKindOfFileName("merchant_policy.csv") == EventKind::kPolicyChange);
  CHECK(EventKindOfFileName("skus.csv") == EventKind::kNewSku);
  CHECK_FALSE(EventKindOfFileName("orders-2026.csv").has_value());
  CHECK(ParseEventKind("partnership_change") == EventKind::kPartnershipChange);
  CHECK_FALSE(ParseEventKind("order").has_value());
}

TEST_CASE("the tiny dataset's files read as events, ids from file and line", "[events]") {
  const auto tiny = testing::TinyDataset();
  for (const char* name : {"orders.csv", "consent.csv", "merchants.csv", "skus.csv",
                           "partnerships.csv", "merchant_policy.csv", "engagement.csv"}) {
    if (!std::filesystem::exists(tiny / name)) continue;
    INFO(name);
    Result<EventFile> file = EventFile::Open(tiny / name);
    REQUIRE(file.ok());
    const std::vector<Event> events = ReadAll(file.value(), 3);
    CHECK(events.size() == file->CountRows());
    REQUIRE_FALSE(events.empty());
    CHECK(events[0].event_id == std::string(name) + ":2");
    CHECK(events[0].kind() == file->kind());
    for (const Event& e : events) CHECK(ValidateEvent(e, 4'000'000'000, {}, "e").ok());
  }
}

TEST_CASE("every field of an event file is read", "[events]") {
  const auto dir = testing::FreshTempDir("event_file_fields");
  SECTION("orders with an event_id column") {
    const auto path = Write(dir, "orders.csv",
                            "event_id,order_id,customer_id,merchant_id,sku_id,ts,quantity,price,"
                            "channel\nx1,o1,c1,m1,s1,2026-01-05T09:00:00Z,3,2.5,web\n");
    const auto events = ReadAll(EventFile::Open(path).value());
    REQUIRE(events.size() == 1);
    CHECK(events[0].event_id == "x1");
    const auto& o = std::get<OrderLineEvent>(events[0].body);
    CHECK(o.order_id == "o1");
    CHECK(o.ts == *ParseTimestamp("2026-01-05T09:00:00Z"));
    CHECK(o.quantity == 3);
    CHECK(o.unit_price == 2.5);
    CHECK(o.channel == "web");
    CHECK(o.device.empty());
  }
  SECTION("a policy change sets only the cells that are not empty") {
    const auto path = Write(dir, "merchant_policy.csv",
                            "merchant_id,permission_model,k_min,share_overlaps\nm1,full,,no\n");
    EventFileOptions options;
    options.default_ts = 77;
    options.id_prefix = "day1/";
    const auto events = ReadAll(EventFile::Open(path, options).value());
    REQUIRE(events.size() == 1);
    CHECK(events[0].event_id == "day1/merchant_policy.csv:2");
    const auto& p = std::get<PolicyChangeEvent>(events[0].body);
    CHECK(p.permission_model == PermissionModel::kFull);
    CHECK_FALSE(p.k_min.has_value());
    CHECK(p.share_overlaps == false);
    CHECK_FALSE(p.discoverable.has_value());
    CHECK(p.ts == 77);
  }
  SECTION("a partnership removal") {
    const auto path =
        Write(dir, "links.csv",
              "merchant_a,merchant_b,kind,removed,since\nm1,m2,blocked,true,2026-02-01\n");
    EventFileOptions options;
    options.kind = EventKind::kPartnershipChange;
    const auto events = ReadAll(EventFile::Open(path, options).value());
    REQUIRE(events.size() == 1);
    const auto& p = std::get<PartnershipChangeEvent>(events[0].body);
    CHECK(p.kind == PartnershipKind::kBlocked);
    CHECK(p.removed);
    CHECK(p.ts == *ParseTimestamp("2026-02-01"));
  }
}

TEST_CASE("a file with bad rows sends nothing and lists them with line and column", "[events]") {
  const auto dir = testing::FreshTempDir("event_file_bad");
  std::string text = "customer_id,merchant_id,channel,status,ts\n";
  text += "c1,m1,email,unsubscribed,2026-01-01\n";
  text += "c2,m1,fax,unsubscribed,2026-01-01\n";
  text += "c3,m1,email,gone,2026-01-01\n";
  text += "c4,,email,unsubscribed,2026-01-01\n";
  text += "c5,m1,email,unsubscribed,yesterday\n";
  text += "c6,m1,email,unsubscribed\n";
  const auto path = Write(dir, "consent.csv", text);
  EventFileOptions options;
  options.max_listed_errors = 4;
  Result<EventFile> file = EventFile::Open(path, options);
  REQUIRE(file.ok());
  bool called = false;
  const Status s = file->ForEachBatch(1, [&](std::span<const Event>, std::size_t) {
    called = true;
    return Status::Ok();
  });
  CHECK_FALSE(called);
  REQUIRE(s.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::StartsWith("consent.csv: 5 bad row(s), nothing was sent:"));
  CHECK_THAT(s.message(), Catch::Contains("consent.csv:3: column channel: \"fax\" is not one of"));
  CHECK_THAT(s.message(), Catch::Contains("consent.csv:4: column status: \"gone\""));
  CHECK_THAT(s.message(),
             Catch::Contains("consent.csv:5: column merchant_id: required value is empty"));
  CHECK_THAT(s.message(), Catch::Contains("consent.csv:6: column ts: \"yesterday\" is not"));
  CHECK_THAT(s.message(), Catch::Contains("... and 1 more"));
}

TEST_CASE("an unknown name, a missing column and a zero batch are refused", "[events]") {
  const auto dir = testing::FreshTempDir("event_file_refused");
  const auto odd = Write(dir, "stuff.csv", "a,b\n1,2\n");
  CHECK_THAT(EventFile::Open(odd).status().message(),
             Catch::StartsWith("stuff.csv: cannot tell the kind of events"));
  const auto orders =
      Write(dir, "orders.csv", "order_id,customer_id,sku_id,ts\no,c,s,2026-01-01\n");
  CHECK(EventFile::Open(orders).status().message() ==
        "orders.csv: missing required column(s) merchant_id, quantity, price for order_line "
        "events");
  const auto skus = Write(dir, "skus.csv", "sku_id,merchant_id,category,price\ns,m,c,1\n");
  const auto file = EventFile::Open(skus);
  REQUIRE(file.ok());
  CHECK(file->ForEachBatch(0, [](std::span<const Event>, std::size_t) { return Status::Ok(); })
            .message() == "batch size: must be at least 1");
}

}  // namespace partnergraph
