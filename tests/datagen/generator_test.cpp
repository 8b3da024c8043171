#include "partnergraph/datagen/generator.hpp"

#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

namespace pg = partnergraph;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFiles = {
    "merchants.csv",    "skus.csv",        "customers.csv",
    "orders.csv",       "partnerships.csv", "consent.csv",
    "engagement.csv",   "touchpoints.csv", "merchant_policy.csv",
    "ground_truth/complementary_categories.csv", "ground_truth/best_partners.csv"};

pg::GeneratorOptions SmallOptions(std::uint64_t seed) {
  pg::GeneratorOptions o;
  o.merchants = 300;
  o.seed = seed;
  o.order_lines_per_merchant = 40;
  o.customers_per_block = 256;  // several blocks even for this small set
  return o;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Column `name` of every data row of `path`.
std::vector<std::string> Column(const fs::path& path, const std::string& name) {
  auto reader = pg::CsvReader::Open(path);
  REQUIRE(reader.ok());
  auto col = reader->Column(name);
  REQUIRE(col.has_value());
  std::vector<std::string> out;
  reader->ForEach([&](const pg::CsvRecord& r) {
    REQUIRE(r.error.empty());
    out.emplace_back(r.fields[*col]);
  });
  return out;
}

pg::GeneratorStats Generate(const pg::GeneratorOptions& o, const fs::path& dir) {
  pg::GeneratorStats stats;
  pg::Status s = pg::GenerateEcosystem(o, dir, &stats);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return stats;
}

}  // namespace

TEST_CASE("generator: same seed gives byte-identical files", "[datagen]") {
  auto a = pg::testing::FreshTempDir("generator_same_a");
  auto b = pg::testing::FreshTempDir("generator_same_b");
  Generate(SmallOptions(7), a);
  Generate(SmallOptions(7), b);
  for (const auto& f : kFiles) {
    INFO(f);
    REQUIRE(fs::exists(a / f));
    CHECK(ReadFile(a / f) == ReadFile(b / f));
  }
}

TEST_CASE("generator: a different seed gives different data", "[datagen]") {
  auto a = pg::testing::FreshTempDir("generator_seed_a");
  auto b = pg::testing::FreshTempDir("generator_seed_b");
  Generate(SmallOptions(1), a);
  Generate(SmallOptions(2), b);
  CHECK(ReadFile(a / "orders.csv") != ReadFile(b / "orders.csv"));
  CHECK(ReadFile(a / "merchants.csv") != ReadFile(b / "merchants.csv"));
  CHECK(ReadFile(a / "ground_truth/best_partners.csv") !=
        ReadFile(b / "ground_truth/best_partners.csv"));
}

TEST_CASE("generator: output does not depend on the thread count", "[datagen]") {
  auto one = pg::testing::FreshTempDir("generator_threads_1");
  auto two = pg::testing::FreshTempDir("generator_threads_2");
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    Generate(SmallOptions(11), one);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    Generate(SmallOptions(11), two);
  }
  for (const auto& f : kFiles) {
    INFO(f);
    CHECK(ReadFile(one / f) == ReadFile(two / f));
  }
}

TEST_CASE("generator: row counts, statistics and leftovers", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_counts");
  pg::GeneratorOptions o = SmallOptions(3);
  pg::GeneratorStats st = Generate(o, dir);
  CHECK(st.merchants == o.merchants);
  CHECK(st.order_lines == o.merchants * o.order_lines_per_merchant);
  CHECK(st.customers == o.merchants * 20);
  CHECK(st.orders > 0);
  CHECK(st.orders <= st.order_lines);
  CHECK(Column(dir / "orders.csv", "order_id").size() == st.order_lines);
  CHECK(Column(dir / "merchants.csv", "merchant_id").size() == st.merchants);
  CHECK(Column(dir / "skus.csv", "sku_id").size() == st.skus);
  CHECK(Column(dir / "customers.csv", "customer_id").size() == st.customers);
  CHECK(Column(dir / "consent.csv", "status").size() == st.consent_records);
  CHECK(Column(dir / "touchpoints.csv", "journey_id").size() == st.touchpoints);
  CHECK(Column(dir / "engagement.csv", "event").size() == st.engagement_events);
  CHECK(Column(dir / "partnerships.csv", "kind").size() == st.partnerships);
  CHECK(Column(dir / "merchant_policy.csv", "merchant_id").size() == st.policies);
  std::set<std::string> distinct_orders;
  for (auto& id : Column(dir / "orders.csv", "order_id")) distinct_orders.insert(id);
  CHECK(distinct_orders.size() == st.orders);
  // No temporary file is left behind.
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    CHECK(entry.path().extension() != ".tmp");
  }
}

TEST_CASE("generator: every enumerated value appears", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_values");
  Generate(SmallOptions(5), dir);
  auto values = [&](const char* file, const char* column) {
    std::set<std::string> s;
    for (auto& v : Column(dir / file, column)) s.insert(v);
    return s;
  };
  CHECK(values("consent.csv", "status") ==
        std::set<std::string>{"unclear", "blocked", "unsubscribed", "confirmed_opt_in",
                              "double_opt_in", "pending"});
  CHECK(values("consent.csv", "channel") == std::set<std::string>{"email", "newsletter",
                                                                  "call_centre", "sms", "post",
                                                                  "events", "account_manager"});
  CHECK(values("partnerships.csv", "kind") ==
        std::set<std::string>{"partner", "competitor", "blocked"});
  CHECK(values("engagement.csv", "event") ==
        std::set<std::string>{"email_open", "site_visit", "email_click", "webinar",
                              "trade_fair"});
  CHECK(values("merchant_policy.csv", "permission_model") ==
        std::set<std::string>{"ignore", "opt_out_only", "building", "weakened", "full"});
  CHECK(values("merchant_policy.csv", "discoverable").count("false") == 1);
  CHECK(values("merchant_policy.csv", "allow_coupons").count("false") == 1);
  CHECK(values("touchpoints.csv", "channel").size() == 8);

  // An opt-in later withdrawn: the same customer, merchant and channel has an
  // opt-in record and a later "unsubscribed" one.
  auto reader = pg::CsvReader::Open(dir / "consent.csv");
  REQUIRE(reader.ok());
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_key;  // ts, status
  reader->ForEach([&](const pg::CsvRecord& r) {
    std::string key = std::string(r.fields[0]) + "|" + std::string(r.fields[1]) + "|" +
                      std::string(r.fields[2]);
    by_key[key].emplace_back(std::string(r.fields[4]), std::string(r.fields[3]));
  });
  int withdrawn = 0;
  for (auto& [key, records] : by_key) {
    std::sort(records.begin(), records.end());
    for (std::size_t i = 1; i < records.size(); ++i) {
      bool opt_in = records[i - 1].second == "confirmed_opt_in" ||
                    records[i - 1].second == "double_opt_in";
      if (opt_in && records[i].second == "unsubscribed") ++withdrawn;
    }
  }
  CHECK(withdrawn > 0);
}

TEST_CASE("generator: orders are consistent with skus and merchants", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_orders");
  Generate(SmallOptions(9), dir);
  std::map<std::string, std::pair<std::string, double>> skus;  // sku -> merchant, list price
  {
    auto r = pg::CsvReader::Open(dir / "skus.csv");
    REQUIRE(r.ok());
    r->ForEach([&](const pg::CsvRecord& rec) {
      skus[std::string(rec.fields[0])] = {std::string(rec.fields[1]),
                                          std::stod(std::string(rec.fields[3]))};
    });
  }
  auto r = pg::CsvReader::Open(dir / "orders.csv");
  REQUIRE(r.ok());
  REQUIRE(r->header() == std::vector<std::string>{"order_id", "customer_id", "merchant_id",
                                                  "sku_id", "ts", "quantity", "price",
                                                  "channel", "device", "region"});
  std::size_t discounted = 0;
  std::size_t lines = 0;
  r->ForEach([&](const pg::CsvRecord& rec) {
    ++lines;
    auto it = skus.find(std::string(rec.fields[3]));
    REQUIRE(it != skus.end());
    CHECK(it->second.first == rec.fields[2]);
    double unit = std::stod(std::string(rec.fields[6]));
    CHECK(unit <= it->second.second + 1e-9);  // the unit price, at most the list price
    CHECK(unit > 0);
    if (unit < it->second.second) ++discounted;
    CHECK(std::stoi(std::string(rec.fields[5])) >= 1);
    CHECK(rec.fields[4].size() == 20);  // YYYY-MM-DDTHH:MM:SSZ
    CHECK(rec.fields[4].back() == 'Z');
  });
  CHECK(discounted > 0);
  CHECK(discounted < lines / 4);
}

TEST_CASE("generator: ground truth refers to existing categories and merchants", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_truth");
  pg::GeneratorOptions o = SmallOptions(13);
  Generate(o, dir);
  std::map<std::string, std::pair<std::string, std::string>> merchants;  // category, region
  {
    auto r = pg::CsvReader::Open(dir / "merchants.csv");
    REQUIRE(r.ok());
    r->ForEach([&](const pg::CsvRecord& rec) {
      merchants[std::string(rec.fields[0])] = {std::string(rec.fields[2]),
                                               std::string(rec.fields[3])};
    });
  }
  std::set<std::string> categories;
  for (auto& [id, cr] : merchants) categories.insert(cr.first);
  for (auto& c : Column(dir / "skus.csv", "category")) categories.insert(c);

  std::set<std::pair<std::string, std::string>> complementary;
  {
    auto r = pg::CsvReader::Open(dir / "ground_truth/complementary_categories.csv");
    REQUIRE(r.ok());
    r->ForEach([&](const pg::CsvRecord& rec) {
      std::string a(rec.fields[0]);
      std::string b(rec.fields[1]);
      double strength = std::stod(std::string(rec.fields[2]));
      CHECK(strength > 0);
      CHECK(strength <= 1);
      CHECK(a != b);
      complementary.insert({a, b});
      complementary.insert({b, a});
    });
  }
  REQUIRE(!complementary.empty());

  std::set<std::pair<std::string, std::string>> blocked;
  {
    auto r = pg::CsvReader::Open(dir / "partnerships.csv");
    REQUIRE(r.ok());
    r->ForEach([&](const pg::CsvRecord& rec) {
      std::string a(rec.fields[0]);
      std::string b(rec.fields[1]);
      REQUIRE(merchants.count(a) == 1);
      REQUIRE(merchants.count(b) == 1);
      CHECK(a != b);
      if (rec.fields[2] == "competitor") CHECK(merchants[a] == merchants[b]);
      if (rec.fields[2] == "blocked") {
        blocked.insert({a, b});
        blocked.insert({b, a});
      }
    });
  }
  std::set<std::string> hidden;
  {
    auto r = pg::CsvReader::Open(dir / "merchant_policy.csv");
    REQUIRE(r.ok());
    r->ForEach([&](const pg::CsvRecord& rec) {
      if (rec.fields[4] == "false") hidden.insert(std::string(rec.fields[0]));
    });
  }

  auto r = pg::CsvReader::Open(dir / "ground_truth/best_partners.csv");
  REQUIRE(r.ok());
  std::map<std::string, int> last_rank;
  std::size_t rows = 0;
  r->ForEach([&](const pg::CsvRecord& rec) {
    ++rows;
    std::string m(rec.fields[0]);
    std::string p(rec.fields[1]);
    REQUIRE(merchants.count(m) == 1);
    REQUIRE(merchants.count(p) == 1);
    CHECK(m != p);
    // A complementary category, the same region, never blocked or hidden.
    CHECK(complementary.count({merchants[m].first, merchants[p].first}) == 1);
    CHECK(merchants[m].second == merchants[p].second);
    CHECK(blocked.count({m, p}) == 0);
    CHECK(hidden.count(p) == 0);
    int rank = std::stoi(std::string(rec.fields[2]));
    CHECK(rank == last_rank[m] + 1);
    last_rank[m] = rank;
  });
  CHECK(rows > 0);
  for (auto& [m, rank] : last_rank) CHECK(rank <= static_cast<int>(o.ground_truth_partners));
}

TEST_CASE("generator: rejects inconsistent options and names them", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_bad_options");
  pg::GeneratorOptions o;
  o.merchants = 0;
  pg::Status s = pg::GenerateEcosystem(o, dir, nullptr);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("merchants") != std::string::npos);

  o = pg::GeneratorOptions{};
  o.primary_share = 0.8;
  o.complement_share = 0.5;
  s = pg::GenerateEcosystem(o, dir, nullptr);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("complement_share") != std::string::npos);

  o = pg::GeneratorOptions{};
  o.start_ts = o.end_ts;
  CHECK(pg::GenerateEcosystem(o, dir, nullptr).IsInvalidArgument());
  o = pg::GeneratorOptions{};
  o.share_unclear = o.share_blocked = o.share_unsubscribed = o.share_confirmed_opt_in =
      o.share_double_opt_in = o.share_pending = 0;
  CHECK(pg::GenerateEcosystem(o, dir, nullptr).IsInvalidArgument());
  CHECK(fs::is_empty(dir));
}

TEST_CASE("generator: an unwritable folder is an IOError naming it", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_unwritable");
  // A regular file where the output folder should be.
  fs::path blocker = dir / "not_a_dir";
  std::ofstream(blocker) << "x";
  pg::GeneratorOptions o = SmallOptions(1);
  o.merchants = 10;
  pg::Status s = pg::GenerateEcosystem(o, blocker, nullptr);
  CHECK(s.IsIOError());
  CHECK(s.message().find("not_a_dir") != std::string::npos);
}

TEST_CASE("generator: a generated set loads with zero errors", "[datagen]") {
  auto dir = pg::testing::FreshTempDir("generator_loads");
  pg::GeneratorOptions o = SmallOptions(21);
  pg::GeneratorStats st = Generate(o, dir);
  pg::LoadReport report;
  auto loaded = pg::LoadDataset(dir, pg::LoadOptions{}, &report);
  INFO(report.Summary());
  REQUIRE(loaded.ok());
  CHECK(report.total_errors == 0);
  const pg::Dataset& d = *loaded;
  CHECK(d.merchant_count() == st.merchants);
  CHECK(d.sku_count() == st.skus);
  CHECK(d.customer_count() == st.customers);
  CHECK(d.orders.size() == st.order_lines);
  CHECK(d.consent.size() == st.consent_records);
  CHECK(d.touchpoints.size() == st.touchpoints);
  CHECK(d.engagement.size() == st.engagement_events);
  CHECK(d.partnerships.size() == st.partnerships);
  // A merchant name that needed quoting survived the round trip.
  bool quoted_name = false;
  for (const auto& m : d.merchants) {
    if (m.name.find(',') != std::string::npos || m.name.find('"') != std::string::npos) {
      quoted_name = true;
    }
  }
  CHECK(quoted_name);
}
