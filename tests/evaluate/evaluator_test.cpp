#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "partnergraph/common/time.hpp"
#include "partnergraph/evaluate/evaluator.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

Timestamp At(const char* iso) {
  auto ts = ParseTimestamp(iso);
  REQUIRE(ts.has_value());
  return *ts;
}

Dataset LoadTiny() {
  auto dataset = LoadDataset(testing::TinyDataset(), LoadOptions{}, nullptr);
  REQUIRE(dataset.ok());
  return std::move(dataset).value();
}

MerchantId IdOf(const Dataset& d, const char* id) {
  std::uint32_t v = d.merchant_ids.Find(id);
  REQUIRE(v != Dictionary::kNotFound);
  return MerchantId(v);
}

// Small, fast embeddings: the tests check plumbing, not embedding quality.
EvaluationOptions FastOptions(Timestamp split) {
  EvaluationOptions o;
  o.split_ts = split;
  o.threads = 2;
  EmbedOptions& e = o.model.embed;
  e.merchant_svd.svd.dim = 8;
  e.merchant_svd.svd.power_iterations = 2;
  e.merchant_walk.walks.walks_per_node = 2;
  e.merchant_walk.walks.walk_length = 10;
  e.merchant_walk.sgns.dim = 8;
  e.merchant_walk.sgns.epochs = 1;
  e.sku_item2vec.sgns.dim = 8;
  e.sku_item2vec.sgns.epochs = 1;
  return o;
}

const MethodEvaluation& Method(const EvaluationReport& r, const std::string& name) {
  auto it = std::find_if(r.methods.begin(), r.methods.end(),
                         [&](const MethodEvaluation& e) { return e.name == name; });
  REQUIRE(it != r.methods.end());
  return *it;
}

std::size_t MethodIndex(const EvaluationReport& r, const std::string& name) {
  for (std::size_t i = 0; i < r.methods.size(); ++i) {
    if (r.methods[i].name == name) return i;
  }
  FAIL("no method " << name);
  return 0;
}

const QueryRankings& RankingsOf(const EvaluationReport& r, MerchantId m) {
  auto it = std::find_if(r.rankings.begin(), r.rankings.end(),
                         [&](const QueryRankings& q) { return q.query == m.value; });
  REQUIRE(it != r.rankings.end());
  return *it;
}

// Adds a merchant with one SKU of its own category to a hand-built dataset.
MerchantId AddMerchant(Dataset& d, const std::string& name) {
  MerchantId m(d.merchant_ids.Add(name));
  CategoryId k(d.categories.Add("cat_" + name));
  if (d.regions.empty()) d.regions.Add("north");
  d.merchants.push_back({name, k, RegionId(0)});
  d.policies.push_back(MerchantPolicy{});
  d.sku_ids.Add("sku_" + name);
  d.skus.push_back({m, k, 10.0});
  return m;
}

void AddOrder(Dataset& d, const std::string& customer, MerchantId m, Timestamp ts) {
  std::uint32_t c = d.customer_ids.Find(customer);
  if (c == Dictionary::kNotFound) {
    c = d.customer_ids.Add(customer);
    d.customers.push_back({RegionId(0)});
  }
  OrderLine line;
  line.order = OrderId(d.order_ids.Add("o" + std::to_string(d.order_ids.size())));
  line.customer = CustomerId(c);
  line.merchant = m;
  line.sku = SkuId(m.value);  // one SKU per merchant, added in merchant order
  line.ts = ts;
  line.quantity = 1;
  line.unit_price = 10.0;
  d.orders.push_back(line);
}

// Query merchant Q and P1..P12, each in its own category. P_i has 13 - i
// training customers of its own (P1 the most popular); Q has two, one of whom
// also bought at P11. After the split a new customer buys at Q and P11: the
// one relevant pair, both ways. By popularity P11 (3 customers, tied with P10,
// which has the smaller id) ranks 11th for Q, and Q (2 customers) 11th for P11.
Dataset PopularityTrap(Timestamp train_ts, Timestamp test_ts) {
  Dataset d;
  MerchantId q = AddMerchant(d, "Q");
  std::vector<MerchantId> p;
  for (int i = 1; i <= 12; ++i) p.push_back(AddMerchant(d, "P" + std::to_string(i)));
  for (int i = 1; i <= 12; ++i) {
    for (int c = 0; c < 13 - i; ++c) {
      AddOrder(d, "own_" + std::to_string(i) + "_" + std::to_string(c), p[i - 1], train_ts);
    }
  }
  AddOrder(d, "q1", q, train_ts);
  AddOrder(d, "q1", p[10], train_ts);
  AddOrder(d, "q2", q, train_ts);
  AddOrder(d, "new", q, test_ts);
  AddOrder(d, "new", p[10], test_ts);
  return d;
}

}  // namespace

TEST_CASE("Temporal split keeps only what happened before the date", "[recommend]") {
  const Dataset full = LoadTiny();
  const Timestamp split = At("2026-02-01");
  auto s = SplitAtTimestamp(full, split);
  REQUIRE(s.ok());
  CHECK(s->train_order_lines == 12);  // o001..o011 (o003 has two lines)
  CHECK(s->test_order_lines == 18);
  CHECK(s->train_orders == 11);
  CHECK(s->test_orders == 18);
  CHECK(s->first_order_ts == At("2026-01-05T09:00:00Z"));
  CHECK(s->last_order_ts == At("2026-03-05T12:00:00Z"));
  const Dataset& train = s->train;
  CHECK(std::all_of(train.orders.begin(), train.orders.end(),
                    [&](const OrderLine& l) { return l.ts < split; }));
  CHECK(std::all_of(train.engagement.begin(), train.engagement.end(),
                    [&](const EngagementEvent& e) { return e.ts < split; }));
  CHECK(train.engagement.size() == full.engagement.size() - 1);    // the 2026-02-01 trade fair
  CHECK(train.touchpoints.size() == full.touchpoints.size() - 1);  // j04 on 2026-02-09
  CHECK(train.consent.size() == full.consent.size());              // all dated before
  // Ids mean the same on both sides.
  CHECK(train.merchants.size() == full.merchants.size());
  CHECK(train.customers.size() == full.customers.size());
  CHECK(train.merchant_ids.Names() == full.merchant_ids.Names());
  CHECK(train.partnerships.size() == full.partnerships.size());
}

TEST_CASE("Nothing after the split date reaches the training graph", "[recommend]") {
  const Dataset full = LoadTiny();
  auto s = SplitAtTimestamp(full, At("2026-02-01"));
  REQUIRE(s.ok());
  GraphBuilder train_builder, full_builder;
  REQUIRE(train_builder.Build(s->train).ok());
  REQUIRE(full_builder.Build(full).ok());
  auto train = train_builder.Freeze();
  auto whole = full_builder.Freeze();
  REQUIRE(train.ok());
  REQUIRE(whole.ok());
  const MerchantId bakery = IdOf(full, "m_bakery");
  // These pairs only share customers after the date (c12; c01 and c03; c09 and c10).
  for (const char* other : {"m_hardware", "m_cheese", "m_bakery2"}) {
    INFO(other);
    CHECK((*whole)->SharedCustomerCount(bakery, IdOf(full, other)) > 0);
    CHECK((*train)->SharedCustomerCount(bakery, IdOf(full, other)) == 0);
  }
  // m_wine shares c02..c04 before the date and c05..c07 after it.
  CHECK((*train)->SharedCustomerCount(bakery, IdOf(full, "m_wine")) == 3);
  CHECK((*whole)->SharedCustomerCount(bakery, IdOf(full, "m_wine")) == 6);
  CHECK((*train)->MerchantStatsOf(IdOf(full, "m_cheese")).customers == 0);
}

TEST_CASE("Every ranking depends on the training period only", "[recommend]") {
  // Adding test-period orders (c08..c11 buying wine) changes the ground truth
  // but must not change a single ranked list: with any leak, wine would become
  // more popular and closer to the bakery than the florist.
  const Dataset full = LoadTiny();
  Dataset more = full;
  const MerchantId wine = IdOf(full, "m_wine");
  const SkuId red(full.sku_ids.Find("s_red"));
  for (const char* c : {"c08", "c09", "c10", "c11"}) {
    OrderLine line;
    line.order = OrderId(more.order_ids.Add(std::string("extra_") + c));
    line.customer = CustomerId(full.customer_ids.Find(c));
    line.merchant = wine;
    line.sku = red;
    line.ts = At("2026-02-20T10:00:00Z");
    line.quantity = 1;
    line.unit_price = 18.0;
    more.orders.push_back(line);
  }
  EvaluationOptions o = FastOptions(At("2026-02-01"));
  o.keep_rankings = true;
  auto a = Evaluate(full, nullptr, o);
  auto b = Evaluate(more, nullptr, o);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->train_order_lines == b->train_order_lines);
  CHECK(a->test_order_lines + 4 == b->test_order_lines);
  REQUIRE(a->rankings.size() == b->rankings.size());
  for (std::size_t i = 0; i < a->rankings.size(); ++i) {
    CHECK(a->rankings[i].query == b->rankings[i].query);
    CHECK(a->rankings[i].by_method == b->rankings[i].by_method);
  }
}

TEST_CASE("Gained partners: pairs that gain a shared customer after the date", "[recommend]") {
  const Dataset d = LoadTiny();
  auto gained = GainedPartners(d, At("2026-02-01"));
  REQUIRE(gained.size() == d.merchants.size());
  std::vector<MerchantId> expected{IdOf(d, "m_bakery2"), IdOf(d, "m_florist"),
                                   IdOf(d, "m_wine"), IdOf(d, "m_hardware"),
                                   IdOf(d, "m_cheese")};
  std::sort(expected.begin(), expected.end());
  CHECK(gained[IdOf(d, "m_bakery").value] == expected);
  // c01 and c03 bought at m_florist before the date and at m_cheese after it.
  auto florist = gained[IdOf(d, "m_florist").value];
  CHECK(std::count(florist.begin(), florist.end(), IdOf(d, "m_cheese")) == 1);
  // m_hardware and m_florist never share a customer.
  auto hardware = gained[IdOf(d, "m_hardware").value];
  CHECK(std::count(hardware.begin(), hardware.end(), IdOf(d, "m_florist")) == 0);
  // Before every order, everything is new; after every order, nothing is.
  CHECK(GainedPartners(d, At("2027-01-01"))[IdOf(d, "m_bakery").value].empty());
}

TEST_CASE("Evaluation of the tiny fixture: queries, relevant sets, universe", "[recommend]") {
  const Dataset d = LoadTiny();
  EvaluationOptions o = FastOptions(At("2026-02-01"));
  o.keep_rankings = true;
  auto r = Evaluate(d, nullptr, o);
  REQUIRE(r.ok());
  // Queries: the merchants with training orders (bakery, florist, wine). The
  // bakery's relevant partners exclude the blocked hardware store, the cheese
  // shop (not discoverable) and the competing bakery.
  CHECK(r->queries == 3);
  const QueryRankings& bakery = RankingsOf(*r, IdOf(d, "m_bakery"));
  std::vector<std::uint32_t> expected{IdOf(d, "m_florist").value, IdOf(d, "m_wine").value};
  CHECK(bakery.relevant == expected);
  REQUIRE(bakery.by_method.size() == r->methods.size());
  for (std::size_t m = 0; m < r->methods.size(); ++m) {
    INFO(r->methods[m].name);
    for (std::uint32_t id : bakery.by_method[m]) {
      CHECK(id != IdOf(d, "m_bakery2").value);
      CHECK(id != IdOf(d, "m_hardware").value);
      CHECK(id != IdOf(d, "m_cheese").value);
    }
  }
  // The florist's declared partner (hardware) is outside its universe.
  const QueryRankings& florist = RankingsOf(*r, IdOf(d, "m_florist"));
  for (const auto& list : florist.by_method) {
    CHECK(std::count(list.begin(), list.end(), IdOf(d, "m_hardware").value) == 0);
  }
  // The universes are small enough for every method to find everything.
  for (const MethodEvaluation& e : r->methods) {
    INFO(e.name);
    CHECK(e.metrics.queries == 3);
    CHECK(e.metrics.recall_at_10 == Approx(1.0));
    CHECK(e.metrics.recall_at_50 == Approx(1.0));
    CHECK_FALSE(e.planted.has_value());
  }
  CHECK(r->methods.size() == 7);
  CHECK(r->methods[0].name == "partnergraph");
}

TEST_CASE("Metric plumbing where each baseline's answer is known", "[recommend]") {
  const Timestamp train_ts = At("2025-03-01"), test_ts = At("2025-09-01");
  const Dataset d = PopularityTrap(train_ts, test_ts);
  EvaluationOptions o = FastOptions(At("2025-06-01"));
  o.keep_rankings = true;
  o.evaluate_coupons = false;
  auto r = Evaluate(d, nullptr, o);
  REQUIRE(r.ok());
  CHECK(r->queries == 2);  // Q and P11
  CHECK(r->mean_relevant == Approx(1.0));

  const RankingMetrics& pop = Method(*r, "baseline:popularity").metrics;
  CHECK(pop.queries == 2);
  CHECK(pop.recall_at_10 == Approx(0.0));
  CHECK(pop.recall_at_50 == Approx(1.0));
  CHECK(pop.mrr == Approx(1.0 / 11.0));
  CHECK(pop.ndcg_at_10 == Approx(0.0));
  CHECK(pop.precision_at_10 == Approx(0.0));
  // Both top-10 lists are P1..P10: 10 of 13 merchants; P1..P3 are the head
  // (top 20 % by customers, rounded up), so 7 of 10 are long-tail.
  CHECK(pop.coverage == Approx(10.0 / 13.0));
  CHECK(pop.long_tail_share == Approx(0.7));
  const std::size_t pop_index = MethodIndex(*r, "baseline:popularity");
  const auto& q_pop = RankingsOf(*r, MerchantId(0)).by_method[pop_index];
  REQUIRE(q_pop.size() == 12);
  CHECK(q_pop[0] == 1);    // P1
  CHECK(q_pop[10] == 11);  // P11

  // The shared training customer q1 puts P11 first for Jaccard, Adamic-Adar
  // and the category lift (its categories are the only pair bought together).
  for (const char* name : {"baseline:jaccard", "baseline:adamic_adar", "baseline:category_lift"}) {
    INFO(name);
    const RankingMetrics& m = Method(*r, name).metrics;
    CHECK(m.mrr == Approx(1.0));
    CHECK(m.recall_at_10 == Approx(1.0));
    CHECK(m.ndcg_at_10 == Approx(1.0));
    CHECK(m.precision_at_10 == Approx(0.1));
  }
  // Ties (all zero Jaccard) go by merchant id after the one non-zero score.
  const auto& q_jac = RankingsOf(*r, MerchantId(0)).by_method[MethodIndex(*r, "baseline:jaccard")];
  REQUIRE(q_jac.size() >= 3);
  CHECK(q_jac[0] == 11);
  CHECK(q_jac[1] == 1);
  CHECK(q_jac[2] == 2);
}

TEST_CASE("Evaluation is deterministic whatever the thread count", "[recommend]") {
  const Dataset d = LoadTiny();
  EvaluationOptions one = FastOptions(At("2026-02-01"));
  one.threads = 1;
  one.keep_rankings = true;
  EvaluationOptions two = one;
  two.threads = 2;
  auto a = Evaluate(d, nullptr, one);
  auto b = Evaluate(d, nullptr, two);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->methods.size() == b->methods.size());
  for (std::size_t i = 0; i < a->methods.size(); ++i) {
    CHECK(a->methods[i].metrics.mrr == b->methods[i].metrics.mrr);
    CHECK(a->methods[i].metrics.ndcg_at_10 == b->methods[i].metrics.ndcg_at_10);
  }
  REQUIRE(a->rankings.size() == b->rankings.size());
  for (std::size_t i = 0; i < a->rankings.size(); ++i) {
    CHECK(a->rankings[i].by_method == b->rankings[i].by_method);
  }
}

TEST_CASE("JSON report has the documented shape", "[recommend]") {
  const Dataset d = LoadTiny();
  auto r = Evaluate(d, nullptr, FastOptions(At("2026-02-01")));
  REQUIRE(r.ok());
  auto j = nlohmann::json::parse(ToJson(*r));
  CHECK(j["split_date"] == "2026-02-01T00:00:00Z");
  CHECK(j["train_orders"] == 11);
  CHECK(j["test_orders"] == 18);
  CHECK(j["queries"] == 3);
  REQUIRE(j["methods"].is_object());
  for (const char* name : {"partnergraph", "svd", "random_walk", "baseline:popularity",
                           "baseline:jaccard", "baseline:adamic_adar", "baseline:category_lift"}) {
    INFO(name);
    REQUIRE(j["methods"].contains(name));
    for (const char* key : {"recall@10", "recall@50", "ndcg@10", "mrr", "coverage",
                            "long_tail_share", "precision@10"}) {
      INFO(key);
      REQUIRE(j["methods"][name].contains(key));
      CHECK(j["methods"][name][key].is_number());
      double v = j["methods"][name][key];
      CHECK(v >= 0.0);
      CHECK(v <= 1.0);
    }
  }
  CHECK(j["methods"].size() == 7);
  CHECK_FALSE(j.contains("planted_queries"));
  REQUIRE(j.contains("coupon_pairs"));
  CHECK(j["coupon_pairs"]["methods"].contains("baseline:copurchase"));
  const std::string md = ToMarkdown(*r);
  CHECK(md.find("| baseline:adamic_adar |") != std::string::npos);
  CHECK(md.find("| method | recall@10 | recall@50 | ndcg@10 | mrr |") != std::string::npos);
}

TEST_CASE("A split date outside the orders is refused with a clear error", "[recommend]") {
  const Dataset d = LoadTiny();
  SECTION("before every order") {
    auto r = Evaluate(d, nullptr, FastOptions(At("2025-01-01")));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK_THAT(r.status().message(), Catch::Contains("no order is left to train on"));
    CHECK_THAT(r.status().message(), Catch::Contains("2026-01-05T09:00:00Z"));
  }
  SECTION("at the first order: nothing is strictly before it") {
    auto r = SplitAtTimestamp(d, At("2026-01-05T09:00:00Z"));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("no order is left to train on"));
  }
  SECTION("after every order") {
    auto r = Evaluate(d, nullptr, FastOptions(At("2026-03-05T12:00:01Z")));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("no order is left to test on"));
    CHECK_THAT(r.status().message(), Catch::Contains("2026-03-05T12:00:00Z"));
  }
  SECTION("no orders at all") {
    Dataset empty = d;
    empty.orders.clear();
    auto r = SplitAtTimestamp(empty, At("2026-02-01"));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("no order line"));
  }
  SECTION("a split with no partner query") {
    // Only c12 (hardware, then bakery) and the cheese buyers act after
    // 2026-03-03: no merchant with training orders gains an eligible partner.
    auto r = Evaluate(d, nullptr, FastOptions(At("2026-03-04")));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("no partner query"));
  }
}

TEST_CASE("Evaluation options out of range are refused", "[recommend]") {
  const Dataset d = LoadTiny();
  EvaluationOptions o = FastOptions(At("2026-02-01"));
  o.list_length = 5;
  auto r = Evaluate(d, nullptr, o);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("k: 5 is out of range"));
  o.list_length = 50;
  PlantedPartners wrong;
  wrong.partners.resize(2);
  auto p = Evaluate(d, &wrong, o);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.status().message(), Catch::Contains("planted ground truth has 2 merchants"));
}

TEST_CASE("Planted partners: loaded, scored, and bad files named", "[recommend]") {
  const Dataset d = LoadTiny();
  const auto dir = testing::FreshTempDir("evaluator_planted");
  {
    std::ofstream out(dir / "best_partners.csv");
    out << "merchant_id,partner_id,rank,score\n"
           "m_bakery,m_wine,2,5\n"
           "m_bakery,m_florist,1,9\n"
           "m_florist,m_bakery,1,9\n";
  }
  auto planted = LoadPlantedPartners(dir / "best_partners.csv", d);
  REQUIRE(planted.ok());
  std::vector<MerchantId> bakery{IdOf(d, "m_florist"), IdOf(d, "m_wine")};  // by rank
  CHECK(planted->partners[IdOf(d, "m_bakery").value] == bakery);
  auto r = Evaluate(d, &*planted, FastOptions(At("2026-02-01")));
  REQUIRE(r.ok());
  CHECK(r->has_planted);
  CHECK(r->planted_queries == 2);
  for (const MethodEvaluation& e : r->methods) {
    INFO(e.name);
    REQUIRE(e.planted.has_value());
    CHECK(e.planted->recall_at_10 == Approx(1.0));
    CHECK(e.planted->precision_at_10 == Approx(0.15));  // (2 + 1) hits / 10 / 2 queries
  }
  auto j = nlohmann::json::parse(ToJson(*r));
  CHECK(j["planted_queries"] == 2);
  CHECK(j["methods"]["partnergraph"].contains("planted_precision@10"));

  {
    std::ofstream out(dir / "bad.csv");
    out << "merchant_id,partner_id,rank,score\n"
           "m_bakery,m_wine,1,5\n"
           "m_bakery,m_nobody,2,5\n";
  }
  auto bad = LoadPlantedPartners(dir / "bad.csv", d);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(),
             Catch::Contains("bad.csv:3: column partner_id: unknown merchant \"m_nobody\""));
  {
    std::ofstream out(dir / "rank.csv");
    out << "merchant_id,partner_id,rank\nm_bakery,m_wine,first\n";
  }
  auto rank = LoadPlantedPartners(dir / "rank.csv", d);
  REQUIRE_FALSE(rank.ok());
  CHECK_THAT(rank.status().message(), Catch::Contains("rank.csv:2: column rank"));
  {
    std::ofstream out(dir / "cols.csv");
    out << "merchant,partner_id,rank\nm_bakery,m_wine,1\n";
  }
  auto cols = LoadPlantedPartners(dir / "cols.csv", d);
  REQUIRE_FALSE(cols.ok());
  CHECK_THAT(cols.status().message(), Catch::Contains("merchant_id is missing"));
}

TEST_CASE("The audience option ranks the recommender's lists for that view only",
          "[recommend]") {
  // In the popularity trap every overlap is below k_min (20, the default policy): the
  // merchant view reads no shared count and gives every long-tail merchant the same boost
  // factor, where the operator view reads Q and P11's one shared customer and boosts the
  // smaller merchants more. So the recommender's lists differ, and nothing else may.
  const Timestamp train_ts = At("2025-03-01"), test_ts = At("2025-09-01");
  const Dataset d = PopularityTrap(train_ts, test_ts);
  EvaluationOptions o = FastOptions(At("2025-06-01"));
  o.keep_rankings = true;
  o.evaluate_coupons = false;
  CHECK(o.audience == Audience::kOperator);  // the default: the model card's view
  auto op = Evaluate(d, nullptr, o);
  o.audience = Audience::kMerchant;
  auto me = Evaluate(d, nullptr, o);
  REQUIRE(op.ok());
  REQUIRE(me.ok());
  CHECK(op->audience == Audience::kOperator);
  CHECK(me->audience == Audience::kMerchant);
  REQUIRE(op->rankings.size() == me->rankings.size());
  const std::size_t pg = MethodIndex(*op, "partnergraph");
  bool any_differs = false;
  for (std::size_t i = 0; i < op->rankings.size(); ++i) {
    INFO("query " << op->rankings[i].query);
    CHECK(op->rankings[i].query == me->rankings[i].query);
    CHECK(op->rankings[i].relevant == me->rankings[i].relevant);
    REQUIRE(op->rankings[i].by_method.size() == me->rankings[i].by_method.size());
    for (std::size_t m = 0; m < op->rankings[i].by_method.size(); ++m) {
      if (m == pg) {
        any_differs |= op->rankings[i].by_method[m] != me->rankings[i].by_method[m];
      } else {
        INFO(op->methods[m].name);
        CHECK(op->rankings[i].by_method[m] == me->rankings[i].by_method[m]);
      }
    }
  }
  CHECK(any_differs);
  // The report says which view it measured.
  CHECK(nlohmann::json::parse(ToJson(*op))["audience"] == "operator");
  CHECK(nlohmann::json::parse(ToJson(*me))["audience"] == "merchant");
  CHECK(ToMarkdown(*me).find("ranked for the merchant view") != std::string::npos);
}
