// LiveState over a real model of datasets/tiny: what Check refuses (naming the event and field),
// what Apply changes in the Engine's next answer, the model's sequence, and that a precomputed
// answer is not served once an event changed what it was computed from; that Apply finds every
// id of the model (short or long) and no other.
#include "partnergraph/engine/live_state.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>

#include "partnergraph/engine/engine.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"
#include "tiny_model.hpp"

using namespace partnergraph;

namespace {

constexpr Timestamp kLater = 1'800'000'000;

std::shared_ptr<const Engine> OpenTiny() {
  static const std::filesystem::path dir = testing::BuildTinyModel("live_state_tiny_model");
  auto engine = Engine::Open(dir);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return *engine;
}

Event Consent(std::string id, std::string customer, std::string merchant, ContactChannel channel,
              ConsentStatus status) {
  return Event{std::move(id), ConsentChangeEvent{std::move(customer), std::move(merchant), channel,
                                                 status, kLater, "web"}};
}

Event Policy(std::string id, std::string merchant, bool discoverable) {
  PolicyChangeEvent e;
  e.merchant_id = std::move(merchant);
  e.ts = kLater;
  e.discoverable = discoverable;
  return Event{std::move(id), e};
}

// A field of datasets/tiny renamed: customers c01.. and merchants m_.. get long ids that share
// their first 24 bytes; anything else unchanged.
std::string LongId(const std::string& field) {
  if (field.size() == 3 && field[0] == 'c' && std::isdigit(static_cast<unsigned char>(field[1])) &&
      std::isdigit(static_cast<unsigned char>(field[2]))) {
    return "customer_with_a_long_id_" + field.substr(1);
  }
  if (field.rfind("m_", 0) == 0) return "merchant_with_a_long_id_" + field.substr(2);
  return field;
}

// datasets/tiny with the ids of LongId, built into a graph once per process.
std::shared_ptr<const EcosystemGraph> LongIdGraph() {
  static std::shared_ptr<const EcosystemGraph> graph = [] {
    const auto dir = testing::FreshTempDir("live_state_long_ids_" + std::to_string(::getpid()));
    for (const auto& entry : std::filesystem::directory_iterator(testing::TinyDataset())) {
      if (entry.path().extension() != ".csv") continue;
      std::ifstream in(entry.path());
      std::ofstream out(dir / entry.path().filename());
      std::string line;
      while (std::getline(in, line)) {
        std::stringstream fields(line);
        std::string field;
        bool first = true;
        while (std::getline(fields, field, ',')) {
          out << (first ? "" : ",") << LongId(field);
          first = false;
        }
        if (!line.empty() && line.back() == ',') out << ',';
        out << '\n';
      }
    }
    return testing::GraphOfFolder(dir);
  }();
  return graph;
}

bool HasPartner(const PartnerAnswer& answer, const std::string& id) {
  for (const auto& p : answer.partners) {
    if (p.merchant_id == id) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("Check refuses unknown ids, naming the event and the field", "[engine][live]") {
  const auto engine = OpenTiny();
  const std::shared_ptr<LiveState> live = engine->live();
  REQUIRE(live);
  std::vector<Event> batch{
      Consent("a", "c01", "m_bakery", ContactChannel::kEmail, ConsentStatus::kUnsubscribed),
      Consent("b", "c01", "m_nobody", ContactChannel::kEmail, ConsentStatus::kUnsubscribed)};
  CHECK(live->Check(batch).message() ==
        "events[1].consent_change.merchant_id: unknown merchant \"m_nobody\"");
  OrderLineEvent order{"o900", "c01", "m_bakery", "s_nothing", kLater, 1, 2.0, "", "", ""};
  batch = {Event{"o", order}};
  CHECK(live->Check(batch).message() == "events[0].order_line.sku_id: unknown SKU \"s_nothing\"");
  order.sku_id = "s_bread";
  order.merchant_id = "m_wine";
  batch = {Event{"o", order}};
  CHECK(live->Check(batch).message() ==
        "events[0].order_line.sku_id: SKU \"s_bread\" is sold by \"m_bakery\", not by \"m_wine\"");
  // A merchant introduced earlier in the batch is known to the events after it.
  batch = {Event{"n", NewMerchantEvent{"m_new", "New", "tea", "north", kLater}},
           Event{"s", NewSkuEvent{"s_tea", "m_new", "tea", 3.0, kLater}},
           Event{"o", OrderLineEvent{"o901", "c99", "m_new", "s_tea", kLater, 1, 3.0, "", "", ""}}};
  CHECK(live->Check(batch).ok());
  batch = {Event{"n", NewMerchantEvent{"m_bakery", "Again", "bakery", "north", kLater}}};
  CHECK(live->Check(batch).message() ==
        "events[0].new_merchant.merchant_id: merchant \"m_bakery\" exists");
  // Applied, the new merchant stays known.
  live->Apply(1, Event{"n", NewMerchantEvent{"m_new", "New", "tea", "north", kLater}});
  batch = {Event{"p", PolicyChangeEvent{"m_new", kLater, std::nullopt, 5u, std::nullopt,
                                        std::nullopt, std::nullopt}}};
  CHECK(live->Check(batch).ok());
  // A retry of the recorded new_merchant is not refused for the merchant it introduced.
  batch = {Event{"n", NewMerchantEvent{"m_new", "New", "tea", "north", kLater}}};
  CHECK_FALSE(live->Check(batch).ok());
  CHECK(live->Check(batch, {true}).ok());
  CHECK(live->stats().pending == 1);
  CHECK(live->applied_sequence() == 1);
}

TEST_CASE("applied events change the next answer, and precomputed answers stop being served",
          "[engine][live]") {
  const auto engine = OpenTiny();
  const std::shared_ptr<LiveState> live = engine->live();
  CHECK(live->model_sequence() == 0);
  auto before = engine->RecommendPartners("m_bakery", 10, {});
  REQUIRE(before.ok());
  CHECK(before->precomputed);
  REQUIRE(HasPartner(*before, "m_florist"));
  live->Apply(1, Policy("p", "m_florist", false));
  auto after = engine->RecommendPartners("m_bakery", 10, {});
  REQUIRE(after.ok());
  CHECK_FALSE(after->precomputed);
  CHECK_FALSE(HasPartner(*after, "m_florist"));
  auto florist = engine->GetMerchant("m_florist");
  REQUIRE(florist.ok());
  CHECK_FALSE(florist->discoverable);
  // A merchant asking about the merchant that opted out gets the unknown-merchant answer.
  CHECK(engine->ExplainPair("m_bakery", "m_florist", Audience::kMerchant).status().IsNotFound());
  live->Apply(2, Policy("p2", "m_florist", true));
  auto back = engine->RecommendPartners("m_bakery", 10, {});
  REQUIRE(back.ok());
  CHECK(HasPartner(*back, "m_florist"));
  CHECK(live->applied_sequence() == 2);
  CHECK(live->stats().changed == 2);
  CHECK(live->stats().touched_merchants == 1);
}

TEST_CASE("an unsubscription lowers the coupon reach of the next answer", "[engine][live]") {
  const auto engine = OpenTiny();
  const std::shared_ptr<LiveState> live = engine->live();
  CouponFiltersView filters;
  filters.audience = Audience::kOperator;
  auto before = engine->RecommendCouponPairs("", "m_bakery", 10, filters);
  REQUIRE(before.ok());
  REQUIRE_FALSE(before->pairs.empty());
  std::uint64_t sequence = 0;
  for (const char* customer :
       {"c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c12"}) {
    for (int i = 0; i < kContactChannelCount; ++i) {
      ++sequence;
      live->Apply(sequence, Consent(std::to_string(sequence), customer, "m_bakery",
                                    static_cast<ContactChannel>(i), ConsentStatus::kUnsubscribed));
    }
  }
  auto after = engine->RecommendCouponPairs("", "m_bakery", 10, filters);
  REQUIRE(after.ok());
  CHECK_FALSE(after->precomputed);
  REQUIRE_FALSE(after->pairs.empty());
  for (const auto& pair : after->pairs) CHECK(pair.reach == 0);
  CHECK(live->applied_sequence() == sequence);
}

TEST_CASE("Apply finds every id of the model, long ones sharing their first bytes too, no other",
          "[engine][live]") {
  const auto graph = LongIdGraph();
  const EcosystemGraph& g = *graph;
  REQUIRE(g.FindCustomer("customer_with_a_long_id_01").ok());
  const std::uint32_t n = g.merchant_count();
  // Counts high enough that no change takes one below zero.
  auto overlay = std::make_shared<LiveOverlay>(
      graph, std::vector<std::uint32_t>(n, 1000),
      std::vector<std::uint32_t>(std::size_t{n} * kContactChannelCount, 1000));
  LiveState live(graph, overlay, 0);
  std::uint64_t sequence = 0;
  std::uint64_t known = 0;
  // Every customer of every merchant, and every customer toward a merchant it never bought at.
  for (std::uint32_t m = 0; m < n; ++m) {
    const std::string merchant(g.Merchant(MerchantId(m)).external_id);
    for (std::uint32_t c = 0; c < g.customer_count(); ++c) {
      ++sequence;
      live.Apply(sequence, Consent(std::to_string(sequence),
                                   std::string(g.Customer(CustomerId(c)).external_id), merchant,
                                   ContactChannel::kEmail, ConsentStatus::kUnsubscribed));
      ++known;
    }
  }
  CHECK(live.stats().changed == known);
  CHECK(live.stats().pending == 0);
  const MerchantId bakery = *g.FindMerchant("merchant_with_a_long_id_bakery");
  CHECK(overlay->Touched(bakery));
  CHECK(overlay->ContactableOn(bakery, ContactChannel::kEmail) < 1000);
  // Not the model's: a near miss of a known id (same first bytes, same length or not), an id of
  // datasets/tiny as it was, the empty id. Each is pending, and changes nothing.
  const std::string bakery_id = "merchant_with_a_long_id_bakery";
  const std::vector<std::pair<std::string, std::string>> unknown = {
      {"customer_with_a_long_id_99", bakery_id}, {"customer_with_a_long_id_0", bakery_id},
      {"customer_with_a_long_id_011", bakery_id}, {"c01", bakery_id},
      {"", bakery_id}, {"customer_with_a_long_id_01", "merchant_with_a_long_id_bakerz"},
      {"customer_with_a_long_id_01", "merchant_with_a_long_id_bakery22"},
      {"customer_with_a_long_id_01", "m_bakery"}};
  const std::uint32_t email = overlay->ContactableOn(bakery, ContactChannel::kEmail);
  for (const auto& [customer, merchant] : unknown) {
    ++sequence;
    live.Apply(sequence, Consent(std::to_string(sequence), customer, merchant,
                                 ContactChannel::kEmail, ConsentStatus::kDoubleOptIn));
  }
  CHECK(live.stats().pending == unknown.size());
  CHECK(live.stats().changed == known);
  CHECK(overlay->ContactableOn(bakery, ContactChannel::kEmail) == email);
  // The same for a merchant's policy.
  live.Apply(++sequence, Policy("p1", "merchant_with_a_long_id_bakerz", false));
  CHECK(live.stats().pending == unknown.size() + 1);
  live.Apply(++sequence, Policy("p2", bakery_id, false));
  CHECK(live.stats().changed == known + 1);
  CHECK_FALSE(overlay->Policy(bakery).discoverable);
}

TEST_CASE("Apply counts a near miss of a short id as pending", "[engine][live]") {
  const auto engine = OpenTiny();
  const std::shared_ptr<LiveState> live = engine->live();
  std::uint64_t sequence = 0;
  for (const char* customer : {"c011", "c0", "c1", "C01", "c01 "}) {
    ++sequence;
    live->Apply(sequence, Consent(std::to_string(sequence), customer, "m_bakery",
                                  ContactChannel::kEmail, ConsentStatus::kUnsubscribed));
  }
  live->Apply(++sequence, Consent("m", "c01", "m_bakery3", ContactChannel::kEmail,
                                  ConsentStatus::kUnsubscribed));
  CHECK(live->stats().pending == sequence);
  CHECK(live->stats().changed == 0);
  live->Apply(++sequence, Consent("k", "c01", "m_bakery", ContactChannel::kEmail,
                                  ConsentStatus::kUnsubscribed));
  CHECK(live->stats().changed == 1);
}
