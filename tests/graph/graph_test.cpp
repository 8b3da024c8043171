// The tiny fixture's graph, checked exactly (datasets/tiny/README.md), plus
// the derivation rules (consent, competitors, segments, window) on small
// hand-made variants.
#include <catch2/catch.hpp>

#include <algorithm>

#include "graph_test_util.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using partnergraph::testing::BuildGraph;
using partnergraph::testing::TinyDatasetByHand;

namespace {

MerchantId M(const EcosystemGraph& g, std::string_view id) {
  auto m = g.FindMerchant(id);
  INFO(id);
  REQUIRE(m.ok());
  return *m;
}
SkuId S(const EcosystemGraph& g, std::string_view id) {
  auto s = g.FindSku(id);
  INFO(id);
  REQUIRE(s.ok());
  return *s;
}
CustomerId C(const EcosystemGraph& g, std::string_view id) {
  auto c = g.FindCustomer(id);
  INFO(id);
  REQUIRE(c.ok());
  return *c;
}
CategoryId K(const EcosystemGraph& g, std::string_view name) {
  auto k = g.FindCategory(name);
  INFO(name);
  REQUIRE(k.ok());
  return *k;
}
Timestamp Ts(const char* text) { return *ParseTimestamp(text); }

std::optional<CoPurchase> CoPurchaseOf(const EcosystemGraph& g, SkuId a, SkuId b) {
  for (const auto& c : g.CoPurchaseNeighbors(a)) {
    if (c.sku == b) return c;
  }
  return std::nullopt;
}

std::optional<SegmentId> SegmentNamed(const EcosystemGraph& g, std::string_view name) {
  for (std::uint32_t i = 0; i < g.segment_count(); ++i) {
    if (g.Segment(SegmentId(i)).name == name) return SegmentId(i);
  }
  return std::nullopt;
}

// Every number below is counted by hand from datasets/tiny/*.csv.
void CheckTinyGraph(const EcosystemGraph& g) {
  // ---- Nodes by type ----
  CHECK(g.merchant_count() == 6);
  CHECK(g.sku_count() == 9);
  CHECK(g.customer_count() == 12);
  CHECK(g.category_count() == 5);  // bakery, florist, wine, hardware, cheese
  CHECK(g.region_count() == 2);
  CHECK(g.active_customer_count() == 12);
  // 11 segments: north/bakery ×3 bands, north/florist ×3, north/wine ×3,
  // south/hardware ×2 (see the segment test below for who is where).
  CHECK(g.segment_count() == 11);
  CHECK(g.vertex_count() == 6 + 9 + 12 + 11 + 5);

  // ---- Edges by kind ----
  CHECK(g.EdgeCount(EdgeKind::kSells) == 9);
  // Distinct (customer, merchant): c01 3, c02 3, c03 4, c04 3, c05 3, c06 3,
  // c07 2, c08 1, c09 2, c10 2, c11 1, c12 2.
  CHECK(g.EdgeCount(EdgeKind::kHasCustomer) == 29);
  // Distinct (customer, SKU): every one of the 30 lines is a different pair.
  CHECK(g.EdgeCount(EdgeKind::kBought) == 30);
  // Distinct segments among each merchant's customers: bakery 10, bakery2 2,
  // florist 5, wine 6, hardware 2, cheese 1.
  CHECK(g.EdgeCount(EdgeKind::kReachedBy) == 26);
  CHECK(g.EdgeCount(EdgeKind::kReaches) == 26);
  CHECK(g.EdgeCount(EdgeKind::kPartner) == 2);
  CHECK(g.EdgeCount(EdgeKind::kCompetitorDeclared) == 2);
  CHECK(g.EdgeCount(EdgeKind::kCompetitorDerived) == 2);
  CHECK(g.EdgeCount(EdgeKind::kBlocked) == 2);
  // 8 merchant pairs share customers (listed below), both directions.
  CHECK(g.EdgeCount(EdgeKind::kSharesCustomers) == 16);
  CHECK(g.EdgeCount(EdgeKind::kInCategory) == 6);
  CHECK(g.EdgeCount(EdgeKind::kCategoryMember) == 6);
  // 6 SKU pairs with support >= 2 within 30 days, both directions.
  CHECK(g.EdgeCount(EdgeKind::kCoPurchased) == 12);
  // 9 consent rows, two of them for (c05, m_bakery, email).
  CHECK(g.EdgeCount(EdgeKind::kConsent) == 8);
  // 7 category pairs with a customer in both, both directions.
  CHECK(g.EdgeCount(EdgeKind::kCategoryPair) == 14);
  CHECK(g.edge_count() == 190);

  // ---- Merchants ----
  auto bakery = M(g, "m_bakery"), bakery2 = M(g, "m_bakery2"), florist = M(g, "m_florist");
  auto wine = M(g, "m_wine"), hardware = M(g, "m_hardware"), cheese = M(g, "m_cheese");
  auto cheese_info = g.Merchant(cheese);
  CHECK(cheese_info.name == "Curd & Rind, Cheesemonger");
  CHECK(cheese_info.category_name == "cheese");
  CHECK(cheese_info.region_name == "south");
  CHECK_FALSE(cheese_info.policy.discoverable);
  CHECK_FALSE(cheese_info.policy.allow_coupons);
  CHECK(cheese_info.policy.permission_model == PermissionModel::kWeakened);
  CHECK(g.Merchant(wine).policy.k_min == 5);
  CHECK(g.Merchant(bakery2).policy.k_min == 20);  // no policy row: defaults
  CHECK(g.Merchant(bakery2).policy.permission_model == PermissionModel::kBuilding);

  // m_bakery: 12 lines in 11 orders (o003 has two lines):
  // 9 + 4.5 + 20 + 4.5 + 20 + 18 + 20 + 4.5 + 9 + 4.5 + 4.5 + 4.5 = 123.
  auto stats = g.MerchantStatsOf(bakery);
  CHECK(stats.revenue == Approx(123.0));
  CHECK(stats.order_lines == 12);
  CHECK(stats.orders == 11);
  CHECK(stats.quantity == 17);
  CHECK(stats.active_skus == 2);
  CHECK(stats.customers == 11);
  CHECK(stats.first_order_ts == Ts("2026-01-05T09:00:00Z"));
  CHECK(stats.last_order_ts == Ts("2026-03-03T09:00:00Z"));
  auto stats2 = g.MerchantStatsOf(bakery2);
  CHECK(stats2.revenue == Approx(12.0));  // 1 × 4.00 + 2 × 4.00
  CHECK(stats2.orders == 2);
  CHECK(stats2.customers == 2);
  CHECK(g.SkusOf(bakery).size() == 2);
  CHECK(g.CustomersOf(bakery).size() == 11);

  // ---- Shared customers (README: bakery–florist 6, bakery–wine 6, ...) ----
  CHECK(g.SharedCustomerCount(bakery, florist) == 6);  // c01–c06
  CHECK(g.SharedCustomerCount(florist, bakery) == 6);
  CHECK(g.SharedCustomerCount(bakery, wine) == 6);     // c02–c07
  CHECK(g.SharedCustomerCount(bakery, bakery2) == 2);  // c09, c10
  CHECK(g.SharedCustomerCount(bakery, cheese) == 2);   // c01, c03
  CHECK(g.SharedCustomerCount(bakery, hardware) == 1); // c12
  CHECK(g.SharedCustomerCount(florist, wine) == 5);    // c02–c06
  CHECK(g.SharedCustomerCount(florist, cheese) == 2);  // c01, c03
  CHECK(g.SharedCustomerCount(wine, cheese) == 1);     // c03
  CHECK(g.SharedCustomerCount(florist, hardware) == 0);
  CHECK(g.SharedCustomerCount(bakery, bakery) == 0);
  CHECK(g.SharedCustomersOf(bakery).size() == 5);

  // ---- Declared relations, both directions ----
  CHECK(g.IsPartner(florist, hardware));
  CHECK(g.IsPartner(hardware, florist));
  CHECK_FALSE(g.IsPartner(bakery, florist));
  CHECK(g.IsDeclaredCompetitor(bakery, bakery2));
  CHECK(g.IsDeclaredCompetitor(bakery2, bakery));
  CHECK(g.IsBlocked(bakery, hardware));
  CHECK(g.IsBlocked(hardware, bakery));
  CHECK_FALSE(g.IsBlocked(bakery, florist));
  REQUIRE(g.Blocked(bakery).size() == 1);
  CHECK(g.Blocked(bakery)[0] == hardware);

  // ---- Derived competitors ----
  // Cells (category, band = floor(log2(price))): bakery {(bakery,2) 4.50,
  // (bakery,4) 20.00}, bakery2 {(bakery,2) 4.00}: Jaccard 1 / 2 = 0.5 >= 0.3.
  REQUIRE(g.DerivedCompetitors(bakery).size() == 1);
  CHECK(g.DerivedCompetitors(bakery)[0].merchant == bakery2);
  CHECK(g.DerivedCompetitors(bakery)[0].overlap == Approx(0.5));
  CHECK(g.IsDerivedCompetitor(bakery2, bakery));
  CHECK(g.IsCompetitor(bakery, bakery2));
  CHECK_FALSE(g.IsCompetitor(bakery, florist));

  // ---- Co-purchase, by hand (window 30 days, min support 2, N = 12) ----
  auto bread = S(g, "s_bread"), cake = S(g, "s_cake"), roses = S(g, "s_roses");
  auto tulips = S(g, "s_tulips"), red = S(g, "s_red"), bread2 = S(g, "s_bread2");
  CHECK(g.SkuStatsOf(bread).buyers == 9);  // c01 c02 c03 c05 c07 c08 c09 c10 c12
  // cake–tulips: bought within days by c02, c04, c06 → support 3;
  // buyers(cake) = 3, buyers(tulips) = 3; lift = 3 × 12 / (3 × 3) = 4.0;
  // confidence(cake→tulips) = 3 / 3 = 1.
  auto ct = CoPurchaseOf(g, cake, tulips);
  REQUIRE(ct);
  CHECK(ct->support == 3);
  CHECK(ct->lift == Approx(4.0));
  CHECK(ct->confidence == Approx(1.0));
  // bread–roses: c01 (1 day), c03 (1 day), c05 (1 day) → support 3;
  // buyers(bread) = 9, buyers(roses) = 3; lift = 3 × 12 / (9 × 3) = 36 / 27 = 1.333;
  // confidence(bread→roses) = 3 / 9, confidence(roses→bread) = 3 / 3.
  auto br = CoPurchaseOf(g, bread, roses);
  REQUIRE(br);
  CHECK(br->support == 3);
  CHECK(br->lift == Approx(36.0 / 27.0));
  CHECK(br->confidence == Approx(3.0 / 9.0));
  auto rb = CoPurchaseOf(g, roses, bread);
  REQUIRE(rb);
  CHECK(rb->confidence == Approx(1.0));
  CHECK(rb->lift == Approx(36.0 / 27.0));
  // bread–red: c02, c05, c07 → 3; buyers(red) = 4 (c02 c04 c05 c07);
  // lift = 3 × 12 / (9 × 4) = 1.0: independent.
  auto bd = CoPurchaseOf(g, bread, red);
  REQUIRE(bd);
  CHECK(bd->lift == Approx(1.0));
  // bread–bread2 (c09, c10): other merchant, so a co-purchase, support 2.
  REQUIRE(CoPurchaseOf(g, bread, bread2));
  CHECK(CoPurchaseOf(g, bread, bread2)->support == 2);
  // bread–cake share a merchant: never a co-purchase edge.
  CHECK_FALSE(CoPurchaseOf(g, bread, cake));
  // bread–hammer: only c12 → support 1 < 2.
  CHECK_FALSE(CoPurchaseOf(g, bread, S(g, "s_hammer")));
  CHECK(g.CoPurchaseNeighbors(bread).size() == 3);  // bread2, roses, red

  // ---- Category-pair lift, by hand (N = 12) ----
  // Customers per category: bakery 11, florist 6 (c01–c06), wine 6 (c02–c07),
  // cheese 2, hardware 2. florist & wine: c02–c06 → 5;
  // expected = 6 × 6 / 12 = 3; lift = 5 / 3 = 1.667.
  CHECK(g.CategoryCustomers(K(g, "bakery")) == 11);
  auto fw = g.CategoryLift(K(g, "florist"), K(g, "wine"));
  REQUIRE(fw);
  CHECK(fw->customers_both == 5);
  CHECK(fw->expected == Approx(3.0));
  CHECK(fw->lift == Approx(5.0 / 3.0));
  // florist & cheese: c01, c03 → 2; expected = 6 × 2 / 12 = 1; lift 2.
  auto fc = g.CategoryLift(K(g, "florist"), K(g, "cheese"));
  REQUIRE(fc);
  CHECK(fc->lift == Approx(2.0));
  CHECK_FALSE(g.CategoryLift(K(g, "hardware"), K(g, "wine")));
  CHECK_FALSE(g.CategoryLift(K(g, "wine"), K(g, "wine")));

  // ---- Consent: latest wins ----
  // c05 opted in on 2025-11-01 and unsubscribed on 2026-01-20 (listed first).
  auto c05 = g.ConsentStatusOf(C(g, "c05"), bakery, ContactChannel::kEmail);
  REQUIRE(c05);
  CHECK(c05->status == ConsentStatus::kUnsubscribed);
  CHECK(c05->ts == Ts("2026-01-20T10:00:00Z"));
  auto c01 = g.ConsentStatusOf(C(g, "c01"), florist, ContactChannel::kNewsletter);
  REQUIRE(c01);
  CHECK(c01->status == ConsentStatus::kDoubleOptIn);
  CHECK(g.ConsentStatusOf(C(g, "c06"), bakery, ContactChannel::kCallCentre)->status ==
        ConsentStatus::kBlocked);
  CHECK(g.ConsentStatusOf(C(g, "c06"), bakery, ContactChannel::kCallCentre)->sales_block);
  CHECK_FALSE(c05->sales_block);
  CHECK_FALSE(g.ConsentStatusOf(C(g, "c06"), bakery, ContactChannel::kEmail));
  CHECK_FALSE(g.ConsentStatusOf(C(g, "c01"), wine, ContactChannel::kEmail));

  // ---- Segments (region × dominant category by spend × price band) ----
  // Florist-dominant north customers by mean item price: c01 12.00, c03 13.70,
  // c02 15.07, c04 17.00 → bands floor(rank × 3 / 4) = 0, 0, 1, 2.
  auto nf1 = SegmentNamed(g, "north / florist / price 1 of 3");
  REQUIRE(nf1);
  CHECK(g.Segment(*nf1).customers == 2);
  CHECK(g.Customer(C(g, "c01")).segment == *nf1);
  CHECK(g.Customer(C(g, "c03")).segment == *nf1);
  CHECK(g.Customer(C(g, "c12")).segment == *SegmentNamed(g, "south / hardware / price 1 of 3"));
  std::uint32_t reach_nf1 = 0;
  for (const auto& r : g.SegmentReachOf(bakery)) {
    if (r.segment == *nf1) reach_nf1 = r.customers;
  }
  CHECK(reach_nf1 == 2);
  CHECK(g.SegmentReachOf(cheese).size() == 1);
  std::uint32_t members = 0;
  for (std::uint32_t i = 0; i < g.segment_count(); ++i) members += g.Segment(SegmentId(i)).customers;
  CHECK(members == 12);
}

}  // namespace

TEST_CASE("tiny graph built from a hand-made Dataset matches the hand counts", "[graph]") {
  auto graph = BuildGraph(TinyDatasetByHand());
  CheckTinyGraph(*graph);
}

TEST_CASE("tiny graph built from datasets/tiny via LoadDataset matches the hand counts", "[graph]") {
  LoadReport report;
  auto dataset = LoadDataset(partnergraph::testing::TinyDataset(), LoadOptions{}, &report);
  INFO(dataset.status().ToString());
  REQUIRE(dataset.ok());
  auto graph = BuildGraph(*dataset);
  CheckTinyGraph(*graph);
  // Same ids in the same order as the hand-made copy: the same graph.
  auto by_hand = BuildGraph(TinyDatasetByHand());
  CHECK(partnergraph::testing::FirstDifference(partnergraph::testing::DumpGraph(*graph),
                                               partnergraph::testing::DumpGraph(*by_hand)) == "");
}

TEST_CASE("lookups by external id and typed vertex conversions", "[graph]") {
  auto graph = BuildGraph(TinyDatasetByHand());
  const auto& g = *graph;
  auto missing = g.FindMerchant("m_nowhere");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsNotFound());
  CHECK(missing.status().message().find("m_nowhere") != std::string::npos);
  CHECK(g.FindSku("s_nothing").status().IsNotFound());
  CHECK(g.FindCustomer("c99").status().IsNotFound());
  CHECK(g.FindCategory("toys").status().IsNotFound());
  CHECK(g.FindRegion("south").ok());
  CHECK(g.RegionName(RegionId()) == "");

  auto bakery = M(g, "m_bakery");
  auto bread = S(g, "s_bread");
  GraphVertex vb = g.VertexOf(bakery), vs = g.VertexOf(bread);
  CHECK(g.TypeOf(vb) == NodeType::kMerchant);
  CHECK(g.TypeOf(vs) == NodeType::kSku);
  CHECK(g.IdOf<MerchantId>(vb) == bakery);
  CHECK(g.IdOf<SkuId>(vs) == bread);
  CHECK_FALSE(g.IdOf<MerchantId>(vs).valid());
  CHECK_FALSE(g.IdOf<CustomerId>(g.vertex_count()).valid());
  CHECK(g.TypeOf(g.VertexOf(SegmentId(0))) == NodeType::kSegment);
  CHECK(g.TypeOf(g.vertex_count() - 1) == NodeType::kCategory);

  auto sells = g.OutNeighbors(vb, EdgeKind::kSells);
  REQUIRE(sells.size() == 2);
  CHECK(g.IdOf<SkuId>(sells[0]) == bread);
  CHECK(g.OutNeighbors(vb, EdgeKind::kBought).empty());  // not a merchant edge
  std::size_t total = 0;
  for (EdgeKind kind : EcosystemGraph::OutKinds(NodeType::kMerchant)) {
    total += g.OutNeighbors(vb, kind).size();
  }
  CHECK(total == g.OutNeighbors(vb).size());
  // bakery's customer c01 bought 1 line there: weight 1; c01 via customers list.
  auto customers = g.OutNeighbors(vb, EdgeKind::kHasCustomer);
  REQUIRE(customers.size() == 11);
  CHECK(g.IdOf<CustomerId>(customers[0]) == C(g, "c01"));
  CHECK(g.OutEdgeWeight(vb, EdgeKind::kHasCustomer, 0) == 1.0f);
  auto co = g.OutNeighbors(g.VertexOf(S(g, "s_cake")), EdgeKind::kCoPurchased);
  REQUIRE_FALSE(co.empty());
  CHECK(g.OutEdgeWeight(g.VertexOf(S(g, "s_cake")), EdgeKind::kCoPurchased, 0) >= 2.0f);
  CHECK(g.MemoryBytes() > 0);
  CHECK(g.MemoryBreakdown().size() > 5);
}

TEST_CASE("consent: the latest record wins, and at equal time the more restrictive", "[graph]") {
  Dataset d = TinyDatasetByHand();
  auto c07 = CustomerId(d.customer_ids.Find("c07"));
  auto wine = MerchantId(d.merchant_ids.Find("m_wine"));
  const Timestamp t = Ts("2026-02-01T12:00:00Z");
  // Same second: opt-in listed after the unsubscription, and a double opt-in
  // before both. The unsubscription must still win.
  d.consent.push_back({c07, wine, ContactChannel::kSms, ConsentStatus::kDoubleOptIn, t, kNoDictValue});
  d.consent.push_back({c07, wine, ContactChannel::kSms, ConsentStatus::kUnsubscribed, t, kNoDictValue});
  d.consent.push_back({c07, wine, ContactChannel::kSms, ConsentStatus::kConfirmedOptIn, t, kNoDictValue});
  // An older unsubscription loses to a later opt-in on another channel.
  d.consent.push_back({c07, wine, ContactChannel::kPost, ConsentStatus::kUnsubscribed, t - 10, kNoDictValue});
  d.consent.push_back({c07, wine, ContactChannel::kPost, ConsentStatus::kConfirmedOptIn, t, kNoDictValue});
  auto graph = BuildGraph(d);
  auto sms = graph->ConsentStatusOf(c07, wine, ContactChannel::kSms);
  REQUIRE(sms);
  CHECK(sms->status == ConsentStatus::kUnsubscribed);
  auto post = graph->ConsentStatusOf(c07, wine, ContactChannel::kPost);
  REQUIRE(post);
  CHECK(post->status == ConsentStatus::kConfirmedOptIn);
  auto all = graph->ConsentsOf(c07).ToVector();
  REQUIRE(all.size() == 2);
  CHECK(all[0].channel == ContactChannel::kSms);  // sorted by (merchant, channel)
  CHECK(all[1].channel == ContactChannel::kPost);
}

TEST_CASE("consent: a sales block holds over a later opt-in until sales lifts it", "[graph]") {
  Dataset d = TinyDatasetByHand();
  auto c06 = CustomerId(d.customer_ids.Find("c06"));
  auto c07 = CustomerId(d.customer_ids.Find("c07"));
  auto bakery = MerchantId(d.merchant_ids.Find("m_bakery"));
  const std::uint32_t web = d.consent_sources.Add("web_form");
  const std::uint32_t sales = d.consent_sources.Add("sales");
  // c06 was blocked by sales on the call-centre channel on 2025-12-06 (the tiny
  // dataset); a later double opt-in does not lift it.
  d.consent.push_back({c06, bakery, ContactChannel::kCallCentre, ConsentStatus::kDoubleOptIn,
                       Ts("2026-01-10T10:00:00Z"), web});
  // c07: blocked by sales, opted in, unblocked by sales, then opted in again.
  d.consent.push_back({c07, bakery, ContactChannel::kEmail, ConsentStatus::kBlocked,
                       Ts("2026-01-01T10:00:00Z"), sales});
  d.consent.push_back({c07, bakery, ContactChannel::kEmail, ConsentStatus::kConfirmedOptIn,
                       Ts("2026-01-02T10:00:00Z"), web});
  d.consent.push_back({c07, bakery, ContactChannel::kEmail, ConsentStatus::kUnclear,
                       Ts("2026-01-03T10:00:00Z"), sales});
  d.consent.push_back({c07, bakery, ContactChannel::kEmail, ConsentStatus::kDoubleOptIn,
                       Ts("2026-01-04T10:00:00Z"), web});
  auto graph = BuildGraph(d);
  auto blocked = graph->ConsentStatusOf(c06, bakery, ContactChannel::kCallCentre);
  REQUIRE(blocked);
  CHECK(blocked->status == ConsentStatus::kBlocked);
  CHECK(blocked->sales_block);
  CHECK(blocked->ts == Ts("2026-01-10T10:00:00Z"));
  auto lifted = graph->ConsentStatusOf(c07, bakery, ContactChannel::kEmail);
  REQUIRE(lifted);
  CHECK(lifted->status == ConsentStatus::kDoubleOptIn);
  CHECK_FALSE(lifted->sales_block);

  // The sales block survives a save and load.
  auto dir = partnergraph::testing::FreshTempDir("graph_sales_block");
  REQUIRE(SaveGraph(*graph, dir / "graph.pgg").ok());
  auto loaded = LoadGraph(dir / "graph.pgg");
  REQUIRE(loaded.ok());
  auto reloaded = (*loaded)->ConsentStatusOf(c06, bakery, ContactChannel::kCallCentre);
  REQUIRE(reloaded);
  CHECK(reloaded->sales_block);
  CHECK(reloaded->status == ConsentStatus::kBlocked);
}

TEST_CASE("derived competitors need the same category and enough assortment overlap", "[graph]") {
  Dataset d = TinyDatasetByHand();
  auto bakery_cat = CategoryId(d.categories.Find("bakery"));
  auto north = RegionId(d.regions.Find("north"));
  // m_patisserie: a bakery selling only 200.00 wedding cakes (band 7): no
  // overlap with m_bakery's bands 2 and 4. m_bakery3 sells bread at 4.20
  // (band 2) and a cake at 22 (band 4): the same cells as m_bakery.
  // m_deli: category wine, but bread at 4.40 — a different merchant category.
  auto add_merchant = [&](const char* id, CategoryId category, double price, const char* sku,
                          CategoryId sku_category) {
    d.merchant_ids.Add(id);
    d.merchants.push_back({id, category, north});
    d.policies.push_back({});
    d.sku_ids.Add(sku);
    d.skus.push_back({MerchantId(d.merchant_ids.Find(id)), sku_category, price});
    return MerchantId(d.merchant_ids.Find(id));
  };
  auto patisserie = add_merchant("m_patisserie", bakery_cat, 200.0, "s_wedding", bakery_cat);
  auto bakery3 = add_merchant("m_bakery3", bakery_cat, 4.20, "s_bread3", bakery_cat);
  d.sku_ids.Add("s_cake3");
  d.skus.push_back({bakery3, bakery_cat, 22.0});
  auto deli = add_merchant("m_deli", CategoryId(d.categories.Find("wine")), 4.40, "s_deli_bread",
                           bakery_cat);
  auto graph = BuildGraph(d);
  const auto& g = *graph;
  auto bakery = M(g, "m_bakery"), bakery2 = M(g, "m_bakery2");
  CHECK_FALSE(g.IsDerivedCompetitor(bakery, patisserie));
  CHECK_FALSE(g.IsDerivedCompetitor(bakery, deli));
  CHECK(g.IsDerivedCompetitor(bakery, bakery3));
  auto derived = g.DerivedCompetitors(bakery3).ToVector();
  REQUIRE(derived.size() == 2);  // bakery (Jaccard 2/2) and bakery2 (1/2)
  CHECK(derived[0].merchant == bakery);
  CHECK(derived[0].overlap == Approx(1.0));
  CHECK(derived[1].merchant == bakery2);
  CHECK(derived[1].overlap == Approx(0.5));

  SECTION("a higher threshold drops the half overlap") {
    GraphOptions options;
    options.competitor_min_jaccard = 0.6;
    auto strict = BuildGraph(d, options);
    CHECK_FALSE(strict->IsDerivedCompetitor(bakery, bakery2));
    CHECK(strict->IsDerivedCompetitor(bakery, bakery3));
    CHECK(strict->IsDeclaredCompetitor(bakery, bakery2));  // declared stays
  }
  SECTION("keeping one per merchant still gives a symmetric edge set") {
    GraphOptions options;
    options.max_derived_competitors = 1;
    auto capped = BuildGraph(d, options);
    for (std::uint32_t i = 0; i < capped->merchant_count(); ++i) {
      for (const auto& c : capped->DerivedCompetitors(MerchantId(i))) {
        CHECK(capped->IsDerivedCompetitor(c.merchant, MerchantId(i)));
      }
    }
    // bakery2 ties bakery and bakery3 at 0.5 and keeps the smaller id (bakery);
    // bakery and bakery3 keep each other (1.0): bakery2–bakery3 is dropped.
    CHECK(capped->IsDerivedCompetitor(bakery2, bakery) != capped->IsDerivedCompetitor(bakery2, bakery3));
  }
  SECTION("switched off") {
    GraphOptions options;
    options.derive_competitors = false;
    CHECK(BuildGraph(d, options)->EdgeCount(EdgeKind::kCompetitorDerived) == 0);
  }
}

TEST_CASE("the co-purchase window and support threshold", "[graph]") {
  Dataset d = TinyDatasetByHand();
  SECTION("support 1 adds single-customer pairs, the window still holds") {
    GraphOptions options;
    options.min_copurchase_support = 1;
    auto g = BuildGraph(d, options);
    auto bread = S(*g, "s_bread"), brie = S(*g, "s_brie"), hammer = S(*g, "s_hammer");
    // c12: hammer on 03-02, bread on 03-03 → support 1; lift = 1 × 12 / (9 × 2).
    auto bh = CoPurchaseOf(*g, bread, hammer);
    REQUIRE(bh);
    CHECK(bh->lift == Approx(12.0 / 18.0));
    // c01 bread 01-05 / brie 03-04 (58 days), c03 bread 01-10 / brie 03-05 (54 days).
    CHECK_FALSE(CoPurchaseOf(*g, bread, brie));
  }
  SECTION("a 60-day window catches bread–brie") {
    GraphOptions options;
    options.copurchase_window_seconds = 60 * 86400;
    auto g = BuildGraph(d, options);
    auto pair = CoPurchaseOf(*g, S(*g, "s_bread"), S(*g, "s_brie"));
    REQUIRE(pair);
    CHECK(pair->support == 2);
  }
  SECTION("a zero window only pairs lines of the same second") {
    GraphOptions options;
    options.copurchase_window_seconds = 0;
    CHECK(BuildGraph(d, options)->EdgeCount(EdgeKind::kCoPurchased) == 0);
  }
  SECTION("the neighbour cap keeps the best by support") {
    GraphOptions options;
    options.max_copurchase_neighbors = 1;
    auto g = BuildGraph(d, options);
    auto co = g->CoPurchaseNeighbors(S(*g, "s_bread")).ToVector();
    REQUIRE(co.size() == 1);
    // roses and red both have support 3; roses has the higher lift (1.33 > 1).
    CHECK(co[0].sku == S(*g, "s_roses"));
  }
}

TEST_CASE("the per-customer pair guard caps heavy buyers deterministically", "[graph]") {
  Dataset d = TinyDatasetByHand();
  GraphOptions options;
  options.max_purchases_per_customer = 2;
  GraphBuilder builder(options);
  REQUIRE(builder.Build(d).ok());
  // c02, c03, c04, c05, c06 have 3+ lines; c03 has 4 lines and 4 merchants.
  CHECK(builder.report().customers_capped_copurchase == 6);  // c01 c02 c03 c04 c05 c06
  CHECK(builder.report().customers_capped_merchant_pairs == 6);
  CHECK(builder.report().customers_capped_category_pairs == 6);
  auto g = builder.Freeze();
  REQUIRE(g.ok());
  // c01's two most recent merchants are florist (01-06) and cheese (03-04), so
  // c01 no longer counts for bakery–florist: 6 → fewer.
  CHECK((*g)->SharedCustomerCount(M(**g, "m_bakery"), M(**g, "m_florist")) < 6);
  CHECK_FALSE(builder.Freeze().ok());  // handed over once
}

TEST_CASE("segments are capped into per-region 'other' segments", "[graph]") {
  Dataset d = TinyDatasetByHand();
  GraphOptions options;
  options.max_segments = 4;
  GraphBuilder builder(options);
  REQUIRE(builder.Build(d).ok());
  auto graph = builder.Freeze();
  REQUIRE(graph.ok());
  const auto& g = **graph;
  // 11 keys; the largest is north/florist/1 (c01, c03), then by key order
  // north/bakery/1 (c10). Keeping 2 leaves room for "north / other" and
  // "south / other": 2 + 2 = 4.
  REQUIRE(g.segment_count() == 4);
  CHECK(builder.report().segment_keys_merged == 9);
  CHECK(g.Segment(SegmentId(0)).name == "north / bakery / price 1 of 3");
  CHECK(g.Segment(SegmentId(1)).name == "north / florist / price 1 of 3");
  CHECK(g.Segment(SegmentId(2)).name == "north / other");
  CHECK(g.Segment(SegmentId(2)).customers == 7);
  CHECK(g.Segment(SegmentId(2)).price_band == SegmentInfo::kOtherBand);
  CHECK_FALSE(g.Segment(SegmentId(2)).category.valid());
  CHECK(g.Segment(SegmentId(3)).name == "south / other");
  CHECK(g.Segment(SegmentId(3)).customers == 2);
  CHECK_FALSE(g.Segment(SegmentId(3)).description.empty());
}

TEST_CASE("segments: more regions than the cap merge into one global 'other'", "[graph]") {
  Dataset d = TinyDatasetByHand();
  // Put c11 in a third region: three regions, cap 2.
  d.customers[d.customer_ids.Find("c11")].region = RegionId(d.regions.Add("east"));
  GraphOptions options;
  options.max_segments = 2;
  auto g = BuildGraph(d, options);
  REQUIRE(g->segment_count() == 2);
  CHECK(g->Segment(SegmentId(0)).name == "north / florist / price 1 of 3");
  CHECK(g->Segment(SegmentId(1)).name == "other");
  CHECK(g->Segment(SegmentId(1)).customers == 10);
}

TEST_CASE("a customer without a region takes its latest order line's region", "[graph]") {
  Dataset d = TinyDatasetByHand();
  auto c12 = d.customer_ids.Find("c12");
  d.customers[c12].region = RegionId();
  auto g = BuildGraph(d);
  CHECK(g->RegionName(g->Customer(CustomerId(c12)).region) == "south");  // o027's region
  d.customers[c12].region = RegionId();
  for (auto& line : d.orders) {
    if (line.customer.value == c12) line.region = RegionId();
  }
  auto g2 = BuildGraph(d);
  CHECK_FALSE(g2->Customer(CustomerId(c12)).region.valid());
  CHECK(g2->Segment(g2->Customer(CustomerId(c12)).segment).name.starts_with("unknown region / "));
}
