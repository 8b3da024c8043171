#include "partnergraph/datagen/completejourney.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

namespace pg = partnergraph;
namespace fs = std::filesystem;

namespace {

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

struct Rejected {
  std::string file;
  std::size_t line;
  std::string column;
  std::string reason;
};

std::vector<Rejected> ReadRejected(const fs::path& out) {
  auto r = pg::CsvReader::Open(out / "rejected_rows.csv");
  REQUIRE(r.ok());
  std::vector<Rejected> rows;
  r->ForEach([&](const pg::CsvRecord& rec) {
    REQUIRE(rec.error.empty());
    rows.push_back({std::string(rec.fields[0]), std::stoul(std::string(rec.fields[1])),
                    std::string(rec.fields[2]), std::string(rec.fields[3])});
  });
  return rows;
}

// Column `name` of `path`, every data row.
std::vector<std::string> Column(const fs::path& path, const std::string& name) {
  auto r = pg::CsvReader::Open(path);
  REQUIRE(r.ok());
  auto c = r->Column(name);
  REQUIRE(c.has_value());
  std::vector<std::string> out;
  r->ForEach([&](const pg::CsvRecord& rec) { out.emplace_back(rec.fields[*c]); });
  return out;
}

// A small hand-written source folder: 4 products, 14 transactions of which 9 are bad.
fs::path WriteMiniSource(const std::string& name) {
  fs::path src = pg::testing::FreshTempDir(name);
  WriteText(src / "products.csv",
            "product_id,manufacturer_id,department,brand,product_category,product_type,"
            "package_size\n"
            "100,7,GROCERY,National,SOUP,,\n"
            "101,7,GROCERY,Private,,,\n"
            "102,8,PRODUCE,National,FRUIT,,\n"
            "103,,DELI,National,CHEESE,,\n"
            "104,8,DRUG GM,National,VITAMINS,,\n");
  WriteText(src / "transactions_sample.csv",
            "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,"
            "coupon_disc,coupon_match_disc,week,transaction_timestamp\n"
            "1,300,9001,100,2,3.00,0,0,0,1,2017-01-10 12:00:00\n"     // line 2: ok, EST
            "1,300,9001,102,1,1.25,0,0,0,1,2017-01-10 12:00:00\n"     // line 3: ok
            "2,301,9002,100,1,1.40,0,0,0,27,2017-07-01 12:00:00\n"    // line 4: ok, EDT
            "2,301,9003,102,1,1.00,0,0,0,45,2017-11-05 01:30:00\n"    // line 5: ok, ambiguous
            "3,301,9004,100,0,0,0,0,0,1,2017-01-11 09:00:00\n"        // line 6: quantity 0
            "3,301,9004,999,1,1.00,0,0,0,1,2017-01-11 09:00:00\n"     // line 7: unknown product
            "3,301,9004,103,1,1.00,0,0,0,1,2017-01-11 09:00:00\n"     // line 8: no manufacturer
            "3,301,9004,102,1,-1.00,0,0,0,1,2017-01-11 09:00:00\n"    // line 9: negative
            "3,301,9004,102,x,1.00,0,0,0,1,2017-01-11 09:00:00\n"     // line 10: not a number
            "3,301,9004,102,1,1.00,0,0,0,1,2017-13-11 09:00:00\n"     // line 11: bad timestamp
            "4,301,9001,101,1,1.00,0,0,0,1,2017-01-10 12:00:00\n"     // line 12: other household
            "1,300,9001,100,1,1.50,0,0,0,1,2017-01-10 12:00:00\n"     // line 13: duplicate line
            "5,302,9005,101,1,\"2.0\"0,0,0,0,1,2017-01-12 10:00:00\n"  // line 14: malformed
            "6,302,9006,101,3,1.00,0,0,0,1,2017-12-01 12:00:00\n");   // line 15: ok
  WriteText(src / "demographics.csv",
            "household_id,age,income,home_ownership,marital_status,household_size,"
            "household_comp,kids_count\n"
            "1,25-34,50-74K,Homeowner,Married,2,2 Adults No Kids,0\n"
            "77,65+,Under 15K,,Unmarried,1,1 Adult No Kids,0\n");
  WriteText(src / "coupons.csv", "coupon_upc,product_id,campaign_id\n5550001,100,1\n");
  WriteText(src / "campaigns.csv", "campaign_id,household_id\n1,2\n1,88\n");
  WriteText(src / "campaign_descriptions.csv",
            "campaign_id,campaign_type,start_date,end_date\n1,Type A,2017-01-01,2017-02-01\n");
  WriteText(src / "coupon_redemptions.csv",
            "household_id,coupon_upc,campaign_id,redemption_date\n2,5550001,1,2017-01-15\n");
  return src;
}

}  // namespace

TEST_CASE("completejourney: every bad row is rejected with its reason, none dropped",
          "[datagen]") {
  fs::path src = WriteMiniSource("cj_mini_src");
  fs::path out = pg::testing::FreshTempDir("cj_mini_out");
  pg::ImportStats st;
  pg::Status s = pg::ImportCompleteJourney(src, out, &st);
  INFO(s.ToString());
  REQUIRE(s.ok());

  CHECK(st.rows_read["transactions_sample.csv"] == 14);
  CHECK(st.order_lines == 5);
  std::vector<Rejected> rejected = ReadRejected(out);
  REQUIRE(rejected.size() == st.rejected_rows);
  std::map<std::size_t, std::string> transaction_reasons;  // line -> reason
  for (const auto& r : rejected) {
    if (r.file == "transactions_sample.csv") transaction_reasons[r.line] = r.reason;
  }
  // Every transaction row is either an order line or a rejected row.
  CHECK(st.order_lines + transaction_reasons.size() == 14);
  auto starts_with = [](const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  };
  CHECK(starts_with(transaction_reasons[6], "quantity is 0"));
  CHECK(starts_with(transaction_reasons[7], "unknown product"));
  CHECK(starts_with(transaction_reasons[8], "product without manufacturer"));
  CHECK(starts_with(transaction_reasons[9], "negative value"));
  CHECK(starts_with(transaction_reasons[10], "not a number"));
  CHECK(starts_with(transaction_reasons[11], "bad timestamp"));
  CHECK(starts_with(transaction_reasons[12], "basket of another household"));
  CHECK(starts_with(transaction_reasons[13], "duplicate"));
  CHECK(starts_with(transaction_reasons[14], "malformed record"));
  // The product without manufacturer is itself rejected, in products.csv.
  bool product_rejected = false;
  for (const auto& r : rejected) {
    if (r.file == "products.csv" && r.line == 5) {
      product_rejected = true;
      CHECK(r.column == "manufacturer_id");
    }
  }
  CHECK(product_rejected);
  CHECK(st.rejected_by_reason["unknown product"] == 1);

  // Time zones: EST in January, EDT in July, the repeated November hour as EDT.
  auto ts = Column(out / "orders.csv", "ts");
  REQUIRE(ts.size() == 5);
  CHECK(ts[0] == "2017-01-10T17:00:00Z");
  CHECK(ts[2] == "2017-07-01T16:00:00Z");
  CHECK(ts[3] == "2017-11-05T05:30:00Z");
  CHECK(ts[4] == "2017-12-01T17:00:00Z");
  CHECK(st.ambiguous_timestamps == 1);
  // Unit price = sales_value / quantity.
  auto price = Column(out / "orders.csv", "price");
  CHECK(std::stod(price[0]) == Approx(1.5));
  CHECK(std::stod(price[4]) == Approx(1.0 / 3.0));
  CHECK(Column(out / "orders.csv", "region")[0] == "store_300");
  CHECK(Column(out / "orders.csv", "merchant_id")[1] == "8");

  // SKUs: median observed price, 0 when never sold; category falls back to department.
  auto sku_ids = Column(out / "skus.csv", "sku_id");
  CHECK(sku_ids == std::vector<std::string>{"100", "101", "102", "104"});
  auto sku_prices = Column(out / "skus.csv", "price");
  CHECK(sku_prices[0] == "1.45");  // median of 1.50 and 1.40
  CHECK(sku_prices[3] == "0.00");  // never sold
  CHECK(st.skus_never_sold == 1);
  CHECK(Column(out / "skus.csv", "category")[1] == "GROCERY");
  // Merchants: the most common department (8 has PRODUCE and DRUG GM: tie -> alphabetical).
  CHECK(Column(out / "merchants.csv", "merchant_id") == std::vector<std::string>{"7", "8"});
  CHECK(Column(out / "merchants.csv", "category") ==
        std::vector<std::string>{"GROCERY", "DRUG GM"});
  // Customers: households of every file (not of the malformed record: its
  // fields are not trusted), demographics attached.
  CHECK(Column(out / "customers.csv", "customer_id") ==
        std::vector<std::string>{"1", "2", "3", "4", "6", "77", "88"});
  CHECK(Column(out / "customers.csv", "age")[0] == "25-34");
  // Evaluation files are copied with native column names.
  CHECK(Column(out / "completejourney/coupons.csv", "sku_id") ==
        std::vector<std::string>{"100"});
  CHECK(Column(out / "completejourney/coupon_redemptions.csv", "customer_id") ==
        std::vector<std::string>{"2"});
  CHECK(fs::exists(out / "IMPORT.md"));

  // The result loads with the native loader without a single error.
  pg::LoadReport report;
  auto loaded = pg::LoadDataset(out, pg::LoadOptions{}, &report);
  INFO(report.Summary());
  REQUIRE(loaded.ok());
  CHECK(loaded->orders.size() == 5);
}

TEST_CASE("completejourney: a missing file or column is an error naming it", "[datagen]") {
  fs::path src = WriteMiniSource("cj_missing_src");
  fs::path out = pg::testing::FreshTempDir("cj_missing_out");
  fs::remove(src / "transactions_sample.csv");
  pg::Status s = pg::ImportCompleteJourney(src, out, nullptr);
  CHECK(s.IsNotFound());
  CHECK(s.message().find("transactions_sample.csv") != std::string::npos);
  // Nothing half-written under a real name.
  CHECK_FALSE(fs::exists(out / "orders.csv"));
  CHECK_FALSE(fs::exists(out / "rejected_rows.csv"));

  src = WriteMiniSource("cj_missing_column_src");
  WriteText(src / "products.csv", "product_id,department,product_category\n1,GROCERY,SOUP\n");
  s = pg::ImportCompleteJourney(src, out, nullptr);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("products.csv") != std::string::npos);
  CHECK(s.message().find("manufacturer_id") != std::string::npos);

  s = pg::ImportCompleteJourney(out / "no_such_folder", out, nullptr);
  CHECK(s.IsNotFound());
  CHECK(s.message().find("no_such_folder") != std::string::npos);
}

TEST_CASE("completejourney: the shared dataset imports with the README's counts", "[datagen]") {
  fs::path src = pg::testing::SharedDatasets() / "completejourney";
  PG_REQUIRE_SHARED_DATASET(src);
  fs::path out = pg::testing::FreshTempDir("cj_shared_out");
  pg::ImportStats st;
  pg::Status s = pg::ImportCompleteJourney(src, out, &st);
  INFO(s.ToString());
  REQUIRE(s.ok());

  // README "Files": row counts.
  CHECK(st.rows_read["transactions_sample.csv"] == 75000);
  CHECK(st.rows_read["products.csv"] == 92331);
  CHECK(st.rows_read["coupons.csv"] == 116204);
  CHECK(st.rows_read["coupon_redemptions.csv"] == 2102);
  CHECK(st.rows_read["campaigns.csv"] == 6589);
  CHECK(st.rows_read["campaign_descriptions.csv"] == 27);
  CHECK(st.rows_read["demographics.csv"] == 801);

  // 75,000 transactions = order lines + rejected rows of that file.
  std::size_t rejected_transactions = 0;
  for (const auto& r : ReadRejected(out)) {
    if (r.file == "transactions_sample.csv") ++rejected_transactions;
  }
  CHECK(st.order_lines + rejected_transactions == 75000);
  // What the data says: 222 rows refer to products absent from products.csv
  // and 195 more have quantity 0 (416 rows have quantity 0 in all).
  CHECK(st.rejected_by_reason["unknown product"] == 222);
  CHECK(st.rejected_by_reason["quantity is 0"] == 195);
  CHECK(st.order_lines == 74583);

  // Every product is a SKU, every manufacturer a merchant (README: 6,471).
  CHECK(st.skus == 92331);
  CHECK(st.merchants == 6471);
  // README: 2,377 households in the transactions sample (2,469 in the full
  // data); demographics and campaigns name 2 more.
  std::set<std::string> tx_households;
  for (auto& h : Column(src / "transactions_sample.csv", "household_id")) tx_households.insert(h);
  CHECK(tx_households.size() == 2377);
  CHECK(st.customers == 2379);
  // README: 47,243 baskets; 210 of them have only rejected lines.
  std::set<std::string> baskets;
  for (auto& b : Column(src / "transactions_sample.csv", "basket_id")) baskets.insert(b);
  CHECK(baskets.size() == 47243);
  CHECK(st.orders == 47033);

  pg::LoadReport report;
  auto loaded = pg::LoadDataset(out, pg::LoadOptions{}, &report);
  INFO(report.Summary());
  REQUIRE(loaded.ok());
  CHECK(report.total_errors == 0);
  CHECK(loaded->merchant_count() == 6471);
  CHECK(loaded->sku_count() == 92331);
  CHECK(loaded->orders.size() == st.order_lines);
}
