// The merchant view's privacy rules (docs/privacy.md) at the recommender, as noninterference:
// two ecosystems that differ only in a count a merchant may not learn must give that merchant
// the same answers, byte for byte, while the operator's answers (exact evidence) tell them
// apart. The attacks against a real server are tests/server/privacy_attack_test.py.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

// A small ecosystem written as CSV files. Merchants: "a" (the curious merchant) and "a2" in
// category cat_a; "c1" and "c2" in cat_c; "e" in cat_e. k_min is 10 everywhere. Customer "x"
// bought at a2 and at c1; customer "y" bought at a only. With `moved`, x's purchase at c1 is
// y's instead: c1 keeps its customer count, every category keeps its customers and its
// overlap with every other category, and only the suppressed overlap of (a, c1) grows by one
// (3 -> 4, below k_min).
std::filesystem::path WriteEcosystem(const std::string& name, bool moved) {
  auto dir = testing::FreshTempDir(name);
  auto write = [&](const char* file, const std::string& text) {
    std::ofstream(dir / file) << text;
  };
  write("merchants.csv",
        "merchant_id,name,category,region\n"
        "a,A,cat_a,north\na2,A2,cat_a,north\nc1,C1,cat_c,north\nc2,C2,cat_c,south\n"
        "e,E,cat_e,south\n");
  write("merchant_policy.csv",
        "merchant_id,permission_model,k_min,share_overlaps\n"
        "a,opt_out_only,10,true\na2,opt_out_only,10,true\nc1,opt_out_only,10,true\n"
        "c2,opt_out_only,10,true\ne,opt_out_only,10,true\n");
  write("skus.csv",
        "sku_id,merchant_id,category,price\n"
        "sa,a,cat_a,5\nsa2,a2,cat_a,6\nsc1,c1,cat_c,20\nsc2,c2,cat_c,21\nse,e,cat_e,9\n");
  std::ostringstream orders, customers;
  orders << "order_id,customer_id,merchant_id,sku_id,ts,quantity,price\n";
  customers << "customer_id,region\n";
  int order = 0;
  auto buy = [&](const std::string& customer, const std::string& merchant,
                 const std::string& sku) {
    ++order;
    orders << "o" << order << "," << customer << "," << merchant << "," << sku << ",2026-01-"
           << (10 + order % 18) << "T10:00:00Z,1,5\n";
  };
  // 30 customers of a; 12 of them also at c2 (a disclosed overlap), 3 at c1 (suppressed),
  // 15 at e (disclosed).
  for (int i = 0; i < 30; ++i) {
    const std::string c = "p" + std::to_string(i);
    customers << c << ",north\n";
    buy(c, "a", "sa");
    if (i < 12) buy(c, "c2", "sc2");
    if (i >= 12 && i < 15) buy(c, "c1", "sc1");
    if (i >= 15) buy(c, "e", "se");
  }
  // Customers of a2, c1 and c2 that a never sees.
  for (int i = 0; i < 20; ++i) {
    const std::string c = "q" + std::to_string(i);
    customers << c << ",south\n";
    buy(c, "a2", "sa2");
    buy(c, i % 2 ? "c1" : "c2", i % 2 ? "sc1" : "sc2");
  }
  customers << "x,north\ny,north\n";
  buy("x", "a2", "sa2");
  buy("y", "a", "sa");
  buy(moved ? "y" : "x", "c1", "sc1");
  write("orders.csv", orders.str());
  write("customers.csv", customers.str());
  return dir;
}

std::shared_ptr<const Recommender> Build(const std::filesystem::path& dir) {
  RecommendModel model;
  model.graph = testing::GraphOfFolder(dir);
  auto rec = Recommender::Create(std::move(model), RecommendOptions{});
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  return *rec;
}

// Every field of an answer, as text: equal texts, equal answers.
std::string Text(const PartnerScore& s) {
  std::ostringstream out;
  out.precision(17);
  out << s.audience_similarity << ' ' << s.category_complementarity << ' ' << s.shared_reach
      << ' ' << s.competition_penalty << ' ' << s.long_tail_boost << ' ' << s.total;
  return out.str();
}
std::string Text(const std::vector<SegmentCount>& segments) {
  std::ostringstream out;
  for (const auto& s : segments) out << s.segment.value << ':' << (s.count ? *s.count : -1) << ' ';
  return out.str();
}
std::string Text(const std::vector<PartnerResult>& results) {
  std::ostringstream out;
  for (const auto& r : results) {
    out << r.merchant.value << " [" << Text(r.score) << "] {" << Text(r.shared_segments) << "} "
        << (r.shared_customers ? static_cast<long>(*r.shared_customers) : -1L) << '\n';
  }
  return out.str();
}
std::string Text(const PairExplanation& e) {
  std::ostringstream out;
  out << Text(e.score) << " {" << Text(e.shared_segments) << "} "
      << (e.shared_customers ? static_cast<long>(*e.shared_customers) : -1L);
  for (const auto& reason : e.excluded_because) out << " / " << reason;
  return out.str();
}
std::string Text(const std::vector<CouponResult>& results) {
  std::ostringstream out;
  out.precision(17);
  for (const auto& r : results) {
    out << r.trigger.value << "->" << r.sku.value << ' ' << r.score << ' '
        << (r.support ? static_cast<long>(*r.support) : -1L) << ' ' << r.lift << ' '
        << (r.reach ? static_cast<long>(*r.reach) : -1L) << '\n';
  }
  return out.str();
}

// Everything merchant "a" can ask, under `audience`, as one text.
std::string AnswersOfA(const Recommender& rec, Audience audience) {
  const EcosystemGraph& g = *rec.model().graph;
  const MerchantId a = *g.FindMerchant("a");
  std::string out;
  for (double boost : {0.0, 0.3, 1.0, 5.0}) {
    for (bool with_partners : {false, true}) {
      PartnerFilters f;
      f.audience = audience;
      f.long_tail_boost = boost;
      f.include_existing_partners = with_partners;
      auto partners = rec.RecommendPartners(a, 10, f);
      REQUIRE(partners.ok());
      out += Text(*partners);
    }
  }
  for (const char* other : {"a2", "c1", "c2", "e"}) {
    out += Text(rec.ExplainPair(a, *g.FindMerchant(other), audience)) + '\n';
    auto overlap = rec.OverlapReport(a, *g.FindMerchant(other), audience);
    REQUIRE(overlap.ok());
    out += Text(overlap->segments) + '\n';
  }
  CouponFilters coupons;
  coupons.audience = audience;
  auto pairs = rec.RecommendCouponPairs(a, 10, coupons);
  REQUIRE(pairs.ok());
  out += Text(*pairs);
  return out;
}

}  // namespace

TEST_CASE("A suppressed overlap changes nothing a merchant is shown, and the operator's view",
          "[recommend][privacy]") {
  auto before = Build(WriteEcosystem("privacy_before", false));
  auto after = Build(WriteEcosystem("privacy_after", true));
  // The premise: only the suppressed overlap of (a, c1) moved, 3 -> 4, below the pair's k_min.
  for (const auto* rec : {before.get(), after.get()}) {
    const EcosystemGraph& g = *rec->model().graph;
    REQUIRE(g.merchant_count() == 5);
    REQUIRE(rec->PairKMin(*g.FindMerchant("a"), *g.FindMerchant("c1")) == 10);
    REQUIRE(rec->Profile(*g.FindMerchant("c1")).customers == 14);
  }
  const auto& gb = *before->model().graph;
  const auto& ga = *after->model().graph;
  REQUIRE(gb.SharedCustomerCount(*gb.FindMerchant("a"), *gb.FindMerchant("c1")) == 3);
  REQUIRE(ga.SharedCustomerCount(*ga.FindMerchant("a"), *ga.FindMerchant("c1")) == 4);

  CHECK(AnswersOfA(*before, Audience::kMerchant) == AnswersOfA(*after, Audience::kMerchant));
  // The operator's answers read the exact overlap: the two ecosystems differ there (which is
  // what the merchant's answers leaked before they had a view of their own).
  CHECK(AnswersOfA(*before, Audience::kOperator) != AnswersOfA(*after, Audience::kOperator));
}

TEST_CASE("The merchant view discloses no long-tail size and no suppressed segment",
          "[recommend][privacy]") {
  auto rec = Build(WriteEcosystem("privacy_view", false));
  const EcosystemGraph& g = *rec->model().graph;
  const MerchantId a = *g.FindMerchant("a");
  PartnerFilters f;
  f.long_tail_boost = 2.0;
  auto partners = rec->RecommendPartners(a, 10, f);  // the default audience: the merchant's
  REQUIRE(partners.ok());
  REQUIRE_FALSE(partners->empty());
  for (const PartnerResult& r : *partners) {
    INFO(g.Merchant(r.merchant).external_id);
    // Zero, or the one factor every long-tail merchant gets.
    CHECK((r.score.long_tail_boost == 0.0 ||
           r.score.long_tail_boost == 2.0 * Recommender::kDisclosedLongTailFactor));
    for (const SegmentCount& s : r.shared_segments) CHECK(s.count.has_value());
    if (!r.shared_customers) CHECK(r.score.shared_reach == 0.0);
  }
  // c1's overlap (3) is suppressed: no reach from it, whatever the operator's view says.
  const MerchantId c1 = *g.FindMerchant("c1");
  CHECK(rec->ExplainPair(a, c1, Audience::kMerchant).score.shared_reach == 0.0);
  CHECK(rec->ExplainPair(a, c1, Audience::kOperator).score.shared_reach > 0.0);
}

TEST_CASE("Overlap segments: the rest of the total is never a count below k_min",
          "[recommend][privacy]") {
  // a and e share 15 customers, all in the north segment. Move 3 of them to the west: north
  // (12) is at or above k_min (10), west (3) is not. With the total (15) shown, listing north
  // alone would give west as 15 - 12: the merchant view lists neither (complementary
  // suppression), the operator's lists both, west as suppressed.
  auto dir = WriteEcosystem("privacy_rest", false);
  {
    std::ifstream in(dir / "customers.csv");
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    for (std::string c : {"p15,north", "p16,north", "p17,north"}) {
      s.replace(s.find(c), c.size(), c.substr(0, 3) + ",west");
    }
    std::ofstream(dir / "customers.csv") << s;
  }
  auto rec = Build(dir);
  const EcosystemGraph& g = *rec->model().graph;
  const MerchantId a = *g.FindMerchant("a"), e = *g.FindMerchant("e");
  REQUIRE(g.SharedCustomerCount(a, e) == 15);
  auto op = rec->OverlapReport(a, e, Audience::kOperator);
  REQUIRE(op.ok());
  REQUIRE(op->segments.size() == 2);
  CHECK(op->segments[0].count == std::optional<std::uint32_t>(12));
  CHECK_FALSE(op->segments[1].count.has_value());
  auto merchant = rec->OverlapReport(a, e, Audience::kMerchant);
  REQUIRE(merchant.ok());
  CHECK(merchant->shared_customers == std::optional<std::uint32_t>(15));
  CHECK(merchant->segments.empty());
  // The same rule in every answer that lists segments.
  CHECK(rec->ExplainPair(a, e, Audience::kMerchant).shared_segments.empty());
  CHECK(rec->ExplainPair(a, e, Audience::kOperator).shared_segments.size() == 2);
}
