// The graph build's stages (src/graph/stages/) run on their own, through
// their input and output structs: what each one promises about its output
// without the rest of the build around it.
#include <catch2/catch.hpp>
#include <vector>

#include "partnergraph/graph/graph_options.hpp"
#include "stages/consent.hpp"
#include "stages/customer_lines.hpp"
#include "stages/declared_relations.hpp"
#include "stages/derived_competitors.hpp"
#include "stages/validate_dataset.hpp"

using namespace partnergraph;
using namespace partnergraph::graph_internal;

namespace {

OrderLine Line(std::uint32_t customer, std::uint32_t sku, Timestamp ts) {
  OrderLine o;
  o.order = OrderId(0);
  o.customer = CustomerId(customer);
  o.merchant = MerchantId(0);
  o.sku = SkuId(sku);
  o.ts = ts;
  o.quantity = 1;
  return o;
}

std::vector<std::uint32_t> Of(const Lists<std::uint32_t>& lists, std::uint32_t s) {
  auto span = lists.Of(s);
  return {span.begin(), span.end()};
}

}  // namespace

TEST_CASE("stages: order lines are grouped by customer in (ts, sku, line) order", "[graph]") {
  std::vector<OrderLine> orders = {Line(1, 5, 30), Line(0, 2, 10), Line(1, 3, 30), Line(1, 3, 20),
                                   Line(1, 3, 30)};
  auto lines = GroupLinesByCustomer({.orders = orders, .customers = 3});
  REQUIRE(lines.ok());
  CHECK(Of(*lines, 0) == std::vector<std::uint32_t>{1});
  CHECK(Of(*lines, 1) == std::vector<std::uint32_t>{3, 2, 4, 0});
  CHECK(lines->SizeOf(2) == 0);  // a customer without lines
}

TEST_CASE("stages: consent keeps one record per customer, merchant and channel", "[graph]") {
  auto record = [](std::uint32_t c, std::uint32_t m, ContactChannel channel, ConsentStatus status,
                   Timestamp ts) {
    ConsentRecord r;
    r.customer = CustomerId(c);
    r.merchant = MerchantId(m);
    r.channel = channel;
    r.status = status;
    r.ts = ts;
    return r;
  };
  std::vector<ConsentRecord> records = {
      record(1, 0, ContactChannel::kEmail, ConsentStatus::kDoubleOptIn, 5),
      record(1, 0, ContactChannel::kEmail, ConsentStatus::kUnsubscribed, 5),  // tie: restrictive
      record(1, 0, ContactChannel::kSms, ConsentStatus::kPending, 1),
      record(1, 0, ContactChannel::kSms, ConsentStatus::kConfirmedOptIn, 2),  // latest
      record(0, 2, ContactChannel::kEmail, ConsentStatus::kBlocked, 0),
  };
  Dictionary sources;
  auto consent = ResolveConsent({.records = records, .sources = sources, .customers = 2});
  REQUIRE(consent.ok());
  CHECK(consent->consent.offsets == std::vector<std::uint32_t>{0, 1, 3});
  CHECK(consent->consent.entries == std::vector<std::uint32_t>{2, 0, 0});
  CHECK(consent->status ==
        std::vector<std::uint8_t>{static_cast<std::uint8_t>(ConsentStatus::kBlocked),
                                  static_cast<std::uint8_t>(ConsentStatus::kUnsubscribed),
                                  static_cast<std::uint8_t>(ConsentStatus::kConfirmedOptIn)});
  CHECK(consent->ts == std::vector<std::int64_t>{0, 5, 2});
  // No source is "sales": no block holds.
  CHECK(consent->sales_block == std::vector<std::uint8_t>{0, 0, 0});

  auto none = ResolveConsent({.records = {}, .sources = sources, .customers = 2});
  REQUIRE(none.ok());
  CHECK(none->consent.offsets == std::vector<std::uint32_t>{0, 0, 0});
}

TEST_CASE("stages: consent folds a sales block over later records until sales lifts it",
          "[graph]") {
  Dictionary sources;
  const std::uint32_t web = sources.Add("web_form");
  const std::uint32_t sales = sources.Add("sales");
  auto record = [](ContactChannel channel, ConsentStatus status, Timestamp ts,
                   std::uint32_t source) {
    ConsentRecord r;
    r.customer = CustomerId(0);
    r.merchant = MerchantId(0);
    r.channel = channel;
    r.status = status;
    r.ts = ts;
    r.source = source;
    return r;
  };
  using CS = ConsentStatus;
  std::vector<ConsentRecord> records = {
      // email: blocked by sales, then opted in, listed before the block: stays blocked.
      record(ContactChannel::kEmail, CS::kDoubleOptIn, 20, web),
      record(ContactChannel::kEmail, CS::kBlocked, 10, sales),
      // sms: blocked by sales, opted in, then lifted by sales (unclear), then opted in.
      record(ContactChannel::kSms, CS::kBlocked, 10, sales),
      record(ContactChannel::kSms, CS::kConfirmedOptIn, 30, web),
      record(ContactChannel::kSms, CS::kDoubleOptIn, 20, web),
      record(ContactChannel::kSms, CS::kUnclear, 25, sales),
      // post: a block from another source is overridden by a later opt-in.
      record(ContactChannel::kPost, CS::kBlocked, 10, web),
      record(ContactChannel::kPost, CS::kConfirmedOptIn, 20, web),
      // events: at equal time the sales block is folded after the opt-in and holds.
      record(ContactChannel::kEvents, CS::kBlocked, 10, sales),
      record(ContactChannel::kEvents, CS::kDoubleOptIn, 10, web),
      // account manager: a sales lift and a sales block at the same time: the block wins.
      record(ContactChannel::kAccountManager, CS::kBlocked, 5, sales),
      record(ContactChannel::kAccountManager, CS::kConfirmedOptIn, 7, sales),
      record(ContactChannel::kAccountManager, CS::kBlocked, 7, sales),
  };
  auto consent = ResolveConsent({.records = records, .sources = sources, .customers = 1});
  REQUIRE(consent.ok());
  auto u8 = [](auto v) { return static_cast<std::uint8_t>(v); };
  CHECK(consent->channel ==
        std::vector<std::uint8_t>{u8(ContactChannel::kEmail), u8(ContactChannel::kSms),
                                  u8(ContactChannel::kPost), u8(ContactChannel::kEvents),
                                  u8(ContactChannel::kAccountManager)});
  CHECK(consent->status == std::vector<std::uint8_t>{u8(CS::kBlocked), u8(CS::kConfirmedOptIn),
                                                     u8(CS::kConfirmedOptIn), u8(CS::kBlocked),
                                                     u8(CS::kBlocked)});
  CHECK(consent->sales_block == std::vector<std::uint8_t>{1, 0, 0, 1, 1});
  CHECK(consent->ts == std::vector<std::int64_t>{20, 30, 20, 10, 7});
}

TEST_CASE("stages: declared relations are symmetric, deduplicated and split by kind", "[graph]") {
  auto pair = [](std::uint32_t a, std::uint32_t b, PartnershipKind kind) {
    Partnership p;
    p.a = MerchantId(a);
    p.b = MerchantId(b);
    p.kind = kind;
    return p;
  };
  std::vector<Partnership> partnerships = {pair(0, 2, PartnershipKind::kPartner),
                                           pair(2, 0, PartnershipKind::kPartner),
                                           pair(1, 2, PartnershipKind::kBlocked)};
  auto declared = CollectDeclaredRelations({.partnerships = partnerships, .merchants = 3});
  REQUIRE(declared.ok());
  CHECK(declared->partner.offsets == std::vector<std::uint32_t>{0, 1, 1, 2});
  CHECK(declared->partner.entries == std::vector<std::uint32_t>{2, 0});
  CHECK(declared->competitor_declared.offsets == std::vector<std::uint32_t>{0, 0, 0, 0});
  CHECK(declared->blocked.entries == std::vector<std::uint32_t>{2, 1});
}

TEST_CASE("stages: derive_competitors off gives every merchant an empty list", "[graph]") {
  GraphOptions options;
  options.derive_competitors = false;
  EdgeLists sells{.offsets = {0, 1, 2}, .entries = {0, 1}};
  std::vector<double> price = {10.0, 10.0};
  std::vector<std::uint32_t> sku_category = {0, 0}, merchant_category = {0, 0};
  auto competitors = DeriveCompetitors({.sells = sells,
                                        .sku_price = price,
                                        .sku_category = sku_category,
                                        .merchant_category = merchant_category,
                                        .options = options});
  REQUIRE(competitors.ok());
  CHECK(competitors->competitor_derived.offsets == std::vector<std::uint32_t>{0, 0, 0});
  CHECK(competitors->competitor_derived.entries.empty());

  options.derive_competitors = true;
  options.competitor_min_jaccard = 0.5;
  auto derived = DeriveCompetitors({.sells = sells,
                                    .sku_price = price,
                                    .sku_category = sku_category,
                                    .merchant_category = merchant_category,
                                    .options = options});
  REQUIRE(derived.ok());
  CHECK(derived->competitor_derived.entries == std::vector<std::uint32_t>{1, 0});
  CHECK(derived->overlap == std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("stages: validation names a policy table of the wrong size", "[graph]") {
  Dataset d;
  d.merchant_ids.Add("m0");
  d.categories.Add("food");
  d.merchants.push_back({});
  d.merchants[0].category = CategoryId(0);
  d.policies.resize(2);
  Status s = ValidateDataset(d);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "dataset: policies has 2 names but merchants has 1 rows");
}
