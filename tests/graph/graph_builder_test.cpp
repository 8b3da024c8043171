// GraphBuilder's contract as a whole: inconsistent Datasets and options are
// refused with the row or field named, Freeze() without a Build() fails, the
// graph does not depend on the thread count, and Build(Dataset&&) frees what
// it is done with yet builds the same graph. (The derivation rules are in
// graph_test.cpp; single stages in stages_test.cpp.)
#include <catch2/catch.hpp>

#include <string>

#include "graph_test_util.hpp"
#include "partnergraph/datagen/generator.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using partnergraph::testing::BuildGraph;
using partnergraph::testing::TinyDatasetByHand;

TEST_CASE("an inconsistent Dataset is refused with the row named", "[graph]") {
  auto expect_refused = [](const Dataset& d, const std::string& fragment) {
    GraphBuilder builder;
    Status s = builder.Build(d);
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(fragment) != std::string::npos);
    CHECK_FALSE(builder.Freeze().ok());
  };
  SECTION("order with an unknown SKU") {
    Dataset d = TinyDatasetByHand();
    d.orders[3].sku = SkuId(99);
    expect_refused(d, "orders[3]: sku 99 is out of range (9 SKUs)");
  }
  SECTION("order whose merchant is not the SKU's") {
    Dataset d = TinyDatasetByHand();
    d.orders[0].merchant = MerchantId(d.merchant_ids.Find("m_wine"));
    expect_refused(d, "orders[0]: sku s_bread belongs to merchant m_bakery, not m_wine");
  }
  SECTION("order with quantity 0") {
    Dataset d = TinyDatasetByHand();
    d.orders[5].quantity = 0;
    expect_refused(d, "orders[5]: quantity is 0");
  }
  SECTION("SKU of an unknown merchant") {
    Dataset d = TinyDatasetByHand();
    d.skus[2].merchant = MerchantId(6);
    expect_refused(d, "skus[2]: merchant 6 is out of range (6 merchants)");
  }
  SECTION("negative price") {
    Dataset d = TinyDatasetByHand();
    d.skus[1].price = -1.0;
    expect_refused(d, "skus[1]: price");
  }
  SECTION("self partnership") {
    Dataset d = TinyDatasetByHand();
    d.partnerships[0].b = d.partnerships[0].a;
    expect_refused(d, "partnerships[0]: a merchant cannot be paired with itself");
  }
  SECTION("consent for an unknown customer") {
    Dataset d = TinyDatasetByHand();
    d.consent[4].customer = CustomerId();
    expect_refused(d, "consent[4]: customer");
  }
  SECTION("dictionary and table disagree") {
    Dataset d = TinyDatasetByHand();
    d.customers.pop_back();
    expect_refused(d, "customer_ids has 12 names but customers has 11 rows");
  }
  SECTION("one policy per merchant or none") {
    Dataset d = TinyDatasetByHand();
    d.policies.pop_back();
    expect_refused(d, "policies");
  }
  SECTION("invalid options") {
    GraphOptions options;
    options.price_bands = 0;
    GraphBuilder builder(options);
    Status s = builder.Build(TinyDatasetByHand());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("price_bands") != std::string::npos);
  }
}

TEST_CASE("Freeze without Build is an error, an empty Dataset is a valid empty graph", "[graph]") {
  GraphBuilder builder;
  CHECK(builder.Freeze().status().IsInvalidArgument());
  auto g = BuildGraph(Dataset{});
  CHECK(g->vertex_count() == 0);
  CHECK(g->edge_count() == 0);
  CHECK(g->segment_count() == 0);
  CHECK(g->FindMerchant("x").status().IsNotFound());
}

TEST_CASE("the graph does not depend on the thread count", "[graph]") {
  SECTION("tiny") {
    GraphOptions one, two;
    one.threads = 1;
    two.threads = 2;
    Dataset d = TinyDatasetByHand();
    auto a = partnergraph::testing::DumpGraph(*BuildGraph(d, one));
    auto b = partnergraph::testing::DumpGraph(*BuildGraph(d, two));
    CHECK(partnergraph::testing::FirstDifference(a, b) == "");
  }
  SECTION("random, with every guard biting") {
    Dataset d = partnergraph::testing::RandomDataset(7, 300, 2000, 20000);
    GraphOptions one;
    one.max_purchases_per_customer = 6;
    one.max_copurchase_neighbors = 3;
    one.max_segments = 12;
    one.competitor_max_candidates = 5;
    one.max_derived_competitors = 2;
    one.min_copurchase_support = 1;
    one.threads = 1;
    GraphOptions two = one;
    two.threads = 2;
    GraphBuilder b1(one), b2(two);
    REQUIRE(b1.Build(d).ok());
    REQUIRE(b2.Build(d).ok());
    CHECK(b1.report().customers_capped_copurchase > 0);
    CHECK(b1.report().copurchase_edges_capped > 0);
    CHECK(b1.report().segment_keys_merged > 0);
    CHECK(b1.report().merchants_capped_competitor_candidates > 0);
    CHECK(b1.report().customers_capped_copurchase == b2.report().customers_capped_copurchase);
    auto g1 = b1.Freeze();
    auto g2 = b2.Freeze();
    REQUIRE(g1.ok());
    REQUIRE(g2.ok());
    CHECK((*g1)->Fingerprint() == (*g2)->Fingerprint());
    auto a = partnergraph::testing::DumpGraph(**g1);
    auto b = partnergraph::testing::DumpGraph(**g2);
    CHECK(partnergraph::testing::FirstDifference(a, b) == "");
    // Sanity of the random graph: shared counts are symmetric.
    const auto& g = **g1;
    for (std::uint32_t i = 0; i < g.merchant_count(); ++i) {
      for (const auto& s : g.SharedCustomersOf(MerchantId(i))) {
        REQUIRE(g.SharedCustomerCount(s.merchant, MerchantId(i)) == s.customers);
      }
    }
  }
}

TEST_CASE("a larger random graph: deterministic across threads, consistent, round-trips",
          "[graph][.slow]") {
  Dataset d = partnergraph::testing::RandomDataset(2026, 5000, 100000, 1000000, 40);
  GraphOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto g1 = BuildGraph(d, one);
  auto g2 = BuildGraph(d, two);
  auto dump = partnergraph::testing::DumpGraph(*g1);
  CHECK(partnergraph::testing::FirstDifference(dump, partnergraph::testing::DumpGraph(*g2)) == "");
  auto dir = partnergraph::testing::FreshTempDir("graph_slow_round_trip");
  REQUIRE(SaveGraph(*g1, dir / "graph.pgg").ok());
  auto loaded = LoadGraph(dir / "graph.pgg");  // also runs the full consistency check
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(partnergraph::testing::FirstDifference(dump, partnergraph::testing::DumpGraph(**loaded)) == "");
  // Every order line is accounted for in the bought edges and merchant stats.
  std::uint64_t lines = 0, merchant_lines = 0;
  for (std::uint32_t c = 0; c < g1->customer_count(); ++c) {
    for (const auto& p : g1->PurchasesOf(CustomerId(c))) lines += p.lines;
  }
  for (std::uint32_t m = 0; m < g1->merchant_count(); ++m) {
    merchant_lines += g1->MerchantStatsOf(MerchantId(m)).order_lines;
  }
  CHECK(lines == d.orders.size());
  CHECK(merchant_lines == d.orders.size());
}

TEST_CASE("Build(Dataset&&) frees the tables it is done with and builds the same graph",
          "[graph]") {
  const auto dir = testing::FreshTempDir("graph_build_consuming");
  GeneratorOptions generator;
  generator.merchants = 300;
  generator.seed = 11;
  REQUIRE(GenerateEcosystem(generator, dir, nullptr).ok());
  auto loaded = LoadDataset(dir, {}, nullptr);
  REQUIRE(loaded.ok());
  Dataset copy = *loaded;

  GraphBuilder by_reference;
  REQUIRE(by_reference.Build(*loaded).ok());
  CHECK(loaded->orders.size() == copy.orders.size());  // untouched
  GraphBuilder consuming;
  REQUIRE(consuming.Build(std::move(copy)).ok());
  // The order lines, order ids, SKU and customer id names are gone; what the
  // caller may still print (merchant names, consent) is kept.
  CHECK(copy.orders.empty());
  CHECK(copy.order_ids.empty());
  CHECK(copy.customer_ids.empty());
  CHECK(copy.sku_ids.empty());
  CHECK(copy.merchant_ids.size() == loaded->merchant_ids.size());
  CHECK(copy.consent.size() == loaded->consent.size());

  auto a = by_reference.Freeze();
  auto b = consuming.Freeze();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK((*a)->Fingerprint() == (*b)->Fingerprint());
  CHECK((*a)->edge_count() == (*b)->edge_count());
  REQUIRE(by_reference.report().stages.size() == consuming.report().stages.size());
}
