// Complete Journey -> native format (mapping in completejourney.hpp and in the
// IMPORT.md this writes). One pass per source file, in this order: products,
// transactions (order lines are written while reading), demographics and the
// evaluation files; then SKUs (which need the observed prices), merchants and
// customers. The text of the IMPORT.md it writes is in completejourney_notes.cpp.
#include "partnergraph/datagen/completejourney.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "completejourney_notes.hpp"
#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/time.hpp"

namespace partnergraph {
namespace {

constexpr std::string_view kMerchantRegion = kCompleteJourneyMerchantRegion;
constexpr std::string_view kOrderChannel = "store";
constexpr std::string_view kProductsFile = "products.csv";
constexpr std::string_view kDemographicsFile = "demographics.csv";
constexpr std::array<std::string_view, 7> kDemographicColumns = {
    "age", "income", "home_ownership", "marital_status", "household_size", "household_comp",
    "kids_count"};

// Reason kinds of rejected rows (the key of ImportStats::rejected_by_reason).
constexpr std::string_view kMalformed = "malformed record";
constexpr std::string_view kMissingValue = "missing value";
constexpr std::string_view kNotANumber = "not a number";
constexpr std::string_view kNegative = "negative value";
constexpr std::string_view kZeroQuantity = "quantity is 0";
constexpr std::string_view kUnknownProduct = "unknown product";
constexpr std::string_view kNoManufacturer = "product without manufacturer";
constexpr std::string_view kBadTimestamp = "bad timestamp";
constexpr std::string_view kDuplicate = "duplicate";
constexpr std::string_view kBasketConflict = "basket of another household";

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

std::optional<std::uint64_t> ParseUint(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of the first Sunday on or after `date`.
std::int64_t SundayOnOrAfter(const CivilDate& date) {
  std::int64_t days = DaysFromCivil(date);
  std::int64_t weekday = ((days + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return days + (7 - weekday) % 7;
}

// UTC of an America/New_York wall-clock time given as seconds "as if UTC",
// with the United States rules in force since 2007: EDT (UTC-4) from the
// second Sunday of March 02:00 to the first Sunday of November 02:00, EST
// (UTC-5) otherwise. The repeated hour in November is taken as EDT (its
// first occurrence); the skipped hour in March as EDT.
Timestamp NewYorkToUtc(Timestamp local, bool* ambiguous, bool* nonexistent) {
  std::int64_t days = local / 86400 - (local % 86400 < 0 ? 1 : 0);
  const int year = CivilFromDays(days).year;
  constexpr std::int64_t kTwoAm = std::int64_t{2} * 3600;
  const std::int64_t dst_start = SundayOnOrAfter({year, 3, 8}) * 86400 + kTwoAm;
  const std::int64_t dst_end = SundayOnOrAfter({year, 11, 1}) * 86400 + kTwoAm;
  const bool dst = local >= dst_start && local < dst_end;
  *ambiguous = local >= dst_end - 3600 && local < dst_end;
  *nonexistent = local >= dst_start && local < dst_start + 3600;
  return local + std::int64_t{dst ? 4 : 5} * 3600;
}

class Importer {
 public:
  Importer(std::filesystem::path src, std::filesystem::path out, ImportStats& st)
      : src_(std::move(src)), out_(std::move(out)), st_(st) {}

  Status Run();

 private:
  struct Product {
    std::string id;
    std::string manufacturer;
    std::string category;
    std::string department;
    std::vector<double> unit_prices;  // of its valid order lines
    bool rejected = false;
  };

  Result<CsvReader> OpenSource(std::string_view name, bool required, bool* present);
  static Result<std::size_t> Need(const CsvReader& r, std::string_view column);
  Result<CsvWriter*> OpenOutput(const std::string& relative,
                                const std::vector<std::string_view>& header);
  Status Reject(const CsvReader& r, const CsvRecord& rec, std::string_view column,
                std::string_view kind, const std::string& detail);

  Status ReadProducts();
  Status ReadTransactions();
  Status ReadDemographics();
  Status CopyEvaluationFile(std::string_view name,
                            const std::vector<std::pair<std::string_view, std::string_view>>& columns,
                            bool collect_households);
  Status WriteSkus();
  Status WriteMerchants();
  Status WriteCustomers();
  Status WriteImportNotes();

  std::filesystem::path src_;
  std::filesystem::path out_;
  ImportStats& st_;
  std::vector<std::unique_ptr<CsvWriter>> writers_;
  CsvWriter* rejects_ = nullptr;
  std::string transactions_file_;
  std::vector<std::string> absent_optional_;

  std::vector<Product> products_;
  std::unordered_map<std::string, std::size_t> product_index_;
  std::vector<std::string> manufacturers_;  // first-seen order
  std::unordered_map<std::string, std::size_t> manufacturer_index_;
  std::set<std::pair<std::size_t, std::string>> households_;  // (length, id): numeric order
  std::unordered_map<std::string, std::vector<std::string>> demographics_;
};

Result<CsvReader> Importer::OpenSource(std::string_view name, bool required, bool* present) {
  std::filesystem::path path = src_ / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (present != nullptr) *present = false;
    std::string what = path.string() + ": " + (required ? "required" : "optional") +
                       " Complete Journey file is missing";
    return Status::NotFound(what);
  }
  if (present != nullptr) *present = true;
  PG_ASSIGN_OR_RETURN(CsvReader r, CsvReader::Open(path));
  return r;
}

Result<std::size_t> Importer::Need(const CsvReader& r, std::string_view column) {
  auto c = r.Column(column);
  if (!c) {
    return Status::InvalidArgument(r.display_name() + ": required column " + Quote(column) +
                                   " is missing");
  }
  return *c;
}

Result<CsvWriter*> Importer::OpenOutput(const std::string& relative,
                                        const std::vector<std::string_view>& header) {
  PG_ASSIGN_OR_RETURN(CsvWriter w, CsvWriter::Create(out_ / relative));
  writers_.push_back(std::make_unique<CsvWriter>(std::move(w)));
  CsvWriter* out = writers_.back().get();
  for (std::string_view h : header) out->row().Add(h);
  PG_RETURN_IF_ERROR(out->EndRow());
  return out;
}

Status Importer::Reject(const CsvReader& r, const CsvRecord& rec, std::string_view column,
                        std::string_view kind, const std::string& detail) {
  ++st_.rejected_rows;
  ++st_.rejected_by_reason[std::string(kind)];
  std::string reason(kind);
  if (!detail.empty()) {
    reason += ": ";
    reason += detail;
  }
  rejects_->row().Add(r.display_name()).Add(static_cast<std::uint64_t>(rec.line)).Add(column).Add(
      reason).Add(rec.raw);
  return rejects_->EndRow();
}

Status Importer::ReadProducts() {
  PG_ASSIGN_OR_RETURN(CsvReader r, OpenSource(kProductsFile, true, nullptr));
  PG_ASSIGN_OR_RETURN(std::size_t c_id, Need(r, "product_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_mfr, Need(r, "manufacturer_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_dept, Need(r, "department"));
  PG_ASSIGN_OR_RETURN(std::size_t c_cat, Need(r, "product_category"));
  Status status;
  std::uint64_t rows = 0;
  r.ForEach([&](const CsvRecord& rec) {
    ++rows;
    if (!status.ok()) return;
    if (!rec.error.empty()) {
      status = Reject(r, rec, "", kMalformed, std::string(rec.error));
      return;
    }
    std::string id(rec.fields[c_id]);
    if (id.empty()) {
      status = Reject(r, rec, "product_id", kMissingValue, "empty product_id");
      return;
    }
    if (product_index_.count(id) != 0) {
      status = Reject(r, rec, "product_id", kDuplicate,
                      "product_id " + Quote(id) + " appears earlier in the file");
      return;
    }
    Product p;
    p.id = id;
    p.manufacturer = std::string(rec.fields[c_mfr]);
    p.department = std::string(rec.fields[c_dept]);
    p.category = std::string(rec.fields[c_cat]);
    if (p.category.empty()) p.category = p.department;
    product_index_.emplace(id, products_.size());
    if (p.manufacturer.empty() || p.category.empty()) {
      // Kept in the index so that its transactions say why they are rejected.
      p.rejected = true;
      status = p.manufacturer.empty()
                   ? Reject(r, rec, "manufacturer_id", kNoManufacturer,
                            "product " + Quote(id) + " has no manufacturer_id")
                   : Reject(r, rec, "department", kMissingValue,
                            "product " + Quote(id) + " has neither product_category nor department");
    } else if (manufacturer_index_.emplace(p.manufacturer, manufacturers_.size()).second) {
      manufacturers_.push_back(p.manufacturer);
    }
    products_.push_back(std::move(p));
  });
  st_.rows_read[std::string(kProductsFile)] = rows;
  return status;
}

Status Importer::ReadTransactions() {
  transactions_file_ = std::filesystem::is_regular_file(src_ / "transactions.csv")
                           ? "transactions.csv"
                           : "transactions_sample.csv";
  PG_ASSIGN_OR_RETURN(CsvReader r, OpenSource(transactions_file_, true, nullptr));
  PG_ASSIGN_OR_RETURN(std::size_t c_household, Need(r, "household_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_store, Need(r, "store_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_basket, Need(r, "basket_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_product, Need(r, "product_id"));
  PG_ASSIGN_OR_RETURN(std::size_t c_quantity, Need(r, "quantity"));
  PG_ASSIGN_OR_RETURN(std::size_t c_sales, Need(r, "sales_value"));
  PG_ASSIGN_OR_RETURN(std::size_t c_ts, Need(r, "transaction_timestamp"));
  PG_ASSIGN_OR_RETURN(CsvWriter * orders,
                      OpenOutput("orders.csv", {"order_id", "customer_id", "merchant_id", "sku_id",
                                                "ts", "quantity", "price", "channel", "device",
                                                "region"}));
  std::unordered_map<std::string, std::string> basket_household;
  std::unordered_set<std::string> basket_lines;
  std::string region;
  std::uint64_t rows = 0;
  Status status;
  r.ForEach([&](const CsvRecord& rec) {
    ++rows;
    if (!status.ok()) return;
    auto reject = [&](std::string_view column, std::string_view kind, const std::string& detail) {
      status = Reject(r, rec, column, kind, detail);
    };
    if (!rec.error.empty()) return reject("", kMalformed, std::string(rec.error));
    const std::string_view household = rec.fields[c_household];
    if (!household.empty()) households_.emplace(household.size(), std::string(household));
    for (std::size_t c : {c_household, c_store, c_basket, c_product, c_quantity, c_sales, c_ts}) {
      if (rec.fields[c].empty()) {
        return reject(r.header()[c], kMissingValue, "empty " + r.header()[c]);
      }
    }
    const std::string_view product_id = rec.fields[c_product];
    auto it = product_index_.find(std::string(product_id));
    if (it == product_index_.end()) {
      return reject("product_id", kUnknownProduct,
                    "product_id " + Quote(product_id) + " is not in products.csv");
    }
    Product& product = products_[it->second];
    if (product.rejected) {
      return reject("product_id", product.manufacturer.empty() ? kNoManufacturer : kMissingValue,
                    "product " + Quote(product_id) + " was rejected in products.csv");
    }
    const std::string_view quantity_text = rec.fields[c_quantity];
    auto quantity = ParseUint(quantity_text);
    if (!quantity) {
      if (ParseDouble(quantity_text).value_or(0) < 0) {
        return reject("quantity", kNegative, "quantity " + Quote(quantity_text) + " is negative");
      }
      return reject("quantity", kNotANumber,
                    Quote(quantity_text) + " is not a whole number of units");
    }
    if (*quantity == 0) {
      return reject("quantity", kZeroQuantity, "an order line needs quantity > 0");
    }
    if (*quantity > 0xFFFFFFFFull) {
      return reject("quantity", kNotANumber, Quote(quantity_text) + " is too large");
    }
    const std::string_view sales_text = rec.fields[c_sales];
    auto sales = ParseDouble(sales_text);
    if (!sales) return reject("sales_value", kNotANumber, Quote(sales_text) + " is not a number");
    if (*sales < 0) {
      return reject("sales_value", kNegative, "sales_value " + Quote(sales_text) + " is negative");
    }
    const std::string_view ts_text = rec.fields[c_ts];
    auto local = ParseTimestamp(ts_text);
    if (!local || ts_text.size() != 19) {
      return reject("transaction_timestamp", kBadTimestamp,
                    Quote(ts_text) + " is not a local time YYYY-MM-DD HH:MM:SS");
    }
    const std::string basket(rec.fields[c_basket]);
    auto [bh, inserted] = basket_household.emplace(basket, std::string(household));
    if (!inserted && bh->second != household) {
      return reject("household_id", kBasketConflict,
                    "basket " + Quote(basket) + " belongs to household " + Quote(bh->second) +
                        ", not " + Quote(household));
    }
    std::string line_key = basket;
    line_key += '\x1f';
    line_key += product_id;
    if (!basket_lines.insert(std::move(line_key)).second) {
      return reject("product_id", kDuplicate,
                    "basket " + Quote(basket) + " already has a line for product " +
                        Quote(product_id));
    }
    bool ambiguous = false;
    bool nonexistent = false;
    Timestamp ts = NewYorkToUtc(*local, &ambiguous, &nonexistent);
    st_.ambiguous_timestamps += ambiguous;
    st_.nonexistent_timestamps += nonexistent;
    const double unit_price = *sales / static_cast<double>(*quantity);
    product.unit_prices.push_back(unit_price);
    region = "store_";
    region += rec.fields[c_store];
    orders->row()
        .Add(basket)
        .Add(household)
        .Add(product.manufacturer)
        .Add(product_id)
        .AddTimestamp(ts)
        .Add(*quantity)
        .Add(unit_price)
        .Add(kOrderChannel)
        .AddEmpty()
        .Add(region);
    status = orders->EndRow();
    ++st_.order_lines;
  });
  st_.rows_read[transactions_file_] = rows;
  st_.rows_written["orders.csv"] = st_.order_lines;
  st_.orders = basket_household.size();
  return status;
}

Status Importer::ReadDemographics() {
  bool present = false;
  auto opened = OpenSource(kDemographicsFile, false, &present);
  if (!present) {
    absent_optional_.emplace_back(kDemographicsFile);
    return Status::Ok();
  }
  PG_RETURN_IF_ERROR(opened.status());
  const CsvReader& r = *opened;
  PG_ASSIGN_OR_RETURN(std::size_t c_household, Need(r, "household_id"));
  std::vector<std::optional<std::size_t>> columns;
  columns.reserve(std::size(kDemographicColumns));
  for (std::string_view name : kDemographicColumns) columns.push_back(r.Column(name));
  std::uint64_t rows = 0;
  Status status;
  r.ForEach([&](const CsvRecord& rec) {
    ++rows;
    if (!status.ok()) return;
    if (!rec.error.empty()) {
      status = Reject(r, rec, "", kMalformed, std::string(rec.error));
      return;
    }
    std::string household(rec.fields[c_household]);
    if (household.empty()) {
      status = Reject(r, rec, "household_id", kMissingValue, "empty household_id");
      return;
    }
    std::vector<std::string> values;
    values.reserve(columns.size());
    for (const auto& c : columns) values.emplace_back(c ? rec.fields[*c] : std::string_view());
    if (!demographics_.emplace(household, std::move(values)).second) {
      status = Reject(r, rec, "household_id", kDuplicate,
                      "household " + Quote(household) + " appears earlier in the file");
      return;
    }
    households_.emplace(household.size(), household);
  });
  st_.rows_read[std::string(kDemographicsFile)] = rows;
  return status;
}

Status Importer::CopyEvaluationFile(
    std::string_view name, const std::vector<std::pair<std::string_view, std::string_view>>& columns,
    bool collect_households) {
  bool present = false;
  auto opened = OpenSource(name, false, &present);
  if (!present) {
    absent_optional_.emplace_back(name);
    return Status::Ok();
  }
  PG_RETURN_IF_ERROR(opened.status());
  const CsvReader& r = *opened;
  std::vector<std::size_t> index;
  std::vector<std::string_view> header;
  std::optional<std::size_t> household_column;
  for (const auto& [from, to] : columns) {
    PG_ASSIGN_OR_RETURN(std::size_t c, Need(r, from));
    index.push_back(c);
    header.push_back(to);
    if (from == "household_id") household_column = c;
  }
  const std::string relative = "completejourney/" + std::string(name);
  PG_ASSIGN_OR_RETURN(CsvWriter * out, OpenOutput(relative, header));
  std::uint64_t rows = 0;
  std::uint64_t written = 0;
  Status status;
  r.ForEach([&](const CsvRecord& rec) {
    ++rows;
    if (!status.ok()) return;
    if (!rec.error.empty()) {
      status = Reject(r, rec, "", kMalformed, std::string(rec.error));
      return;
    }
    for (std::size_t c : index) out->row().Add(rec.fields[c]);
    status = out->EndRow();
    ++written;
    if (collect_households && household_column && !rec.fields[*household_column].empty()) {
      households_.emplace(rec.fields[*household_column].size(),
                          std::string(rec.fields[*household_column]));
    }
  });
  PG_RETURN_IF_ERROR(status);
  st_.rows_read[std::string(name)] = rows;
  st_.rows_written[relative] = written;
  return Status::Ok();
}

Status Importer::WriteSkus() {
  PG_ASSIGN_OR_RETURN(CsvWriter * w,
                      OpenOutput("skus.csv", {"sku_id", "merchant_id", "category", "price"}));
  for (Product& p : products_) {
    if (p.rejected) continue;
    double price = 0.0;
    std::vector<double>& v = p.unit_prices;
    if (v.empty()) {
      ++st_.skus_never_sold;
    } else {
      std::sort(v.begin(), v.end());
      const std::size_t n = v.size();
      price = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }
    w->row().Add(p.id).Add(p.manufacturer).Add(p.category).AddFixed(price, 2);
    PG_RETURN_IF_ERROR(w->EndRow());
    ++st_.skus;
  }
  st_.rows_written["skus.csv"] = st_.skus;
  return Status::Ok();
}

Status Importer::WriteMerchants() {
  // Department counts per manufacturer, over its accepted products.
  std::vector<std::unordered_map<std::string_view, std::uint64_t>> departments(
      manufacturers_.size());
  for (const Product& p : products_) {
    if (p.rejected) continue;
    ++departments[manufacturer_index_.at(p.manufacturer)][p.department];
  }
  PG_ASSIGN_OR_RETURN(CsvWriter * w,
                      OpenOutput("merchants.csv", {"merchant_id", "name", "category", "region"}));
  for (std::size_t m = 0; m < manufacturers_.size(); ++m) {
    std::string_view best;
    std::uint64_t best_count = 0;
    for (const auto& [dept, count] : departments[m]) {
      if (count > best_count || (count == best_count && dept < best)) {
        best = dept;
        best_count = count;
      }
    }
    w->row()
        .Add(manufacturers_[m])
        .Add("manufacturer " + manufacturers_[m])
        .Add(best)
        .Add(kMerchantRegion);
    PG_RETURN_IF_ERROR(w->EndRow());
    ++st_.merchants;
  }
  st_.rows_written["merchants.csv"] = st_.merchants;
  return Status::Ok();
}

Status Importer::WriteCustomers() {
  std::vector<std::string_view> header = {"customer_id", "region"};
  header.insert(header.end(), kDemographicColumns.begin(), kDemographicColumns.end());
  PG_ASSIGN_OR_RETURN(CsvWriter * out, OpenOutput("customers.csv", header));
  static const std::vector<std::string> kNoDemographics(kDemographicColumns.size());
  for (const auto& [length, id] : households_) {
    auto it = demographics_.find(id);
    const std::vector<std::string>& values =
        it == demographics_.end() ? kNoDemographics : it->second;
    out->row().Add(id).AddEmpty();
    for (const std::string& v : values) out->row().Add(v);
    PG_RETURN_IF_ERROR(out->EndRow());
    ++st_.customers;
  }
  st_.rows_written["customers.csv"] = st_.customers;
  return Status::Ok();
}

Status Importer::WriteImportNotes() {
  return WriteFileAtomically(out_ / "IMPORT.md",
                             ImportNotesText(src_, transactions_file_, absent_optional_, st_));
}

Status Importer::Run() {
  std::error_code ec;
  if (!std::filesystem::is_directory(src_, ec)) {
    return Status::NotFound(src_.string() + ": not a folder");
  }
  std::filesystem::create_directories(out_ / "completejourney", ec);
  if (ec) {
    return Status::IOError((out_ / "completejourney").string() + ": cannot create: " +
                           ec.message());
  }
  PG_ASSIGN_OR_RETURN(rejects_, OpenOutput("rejected_rows.csv",
                                           {"file", "line", "column", "reason", "raw"}));
  PG_RETURN_IF_ERROR(ReadProducts());
  PG_RETURN_IF_ERROR(ReadTransactions());
  PG_RETURN_IF_ERROR(ReadDemographics());
  PG_RETURN_IF_ERROR(CopyEvaluationFile(
      "coupons.csv", {{"coupon_upc", "coupon_upc"}, {"product_id", "sku_id"}, {"campaign_id", "campaign_id"}},
      false));
  PG_RETURN_IF_ERROR(CopyEvaluationFile(
      "campaigns.csv", {{"campaign_id", "campaign_id"}, {"household_id", "customer_id"}}, true));
  PG_RETURN_IF_ERROR(CopyEvaluationFile("campaign_descriptions.csv",
                                        {{"campaign_id", "campaign_id"},
                                         {"campaign_type", "campaign_type"},
                                         {"start_date", "start_date"},
                                         {"end_date", "end_date"}},
                                        false));
  PG_RETURN_IF_ERROR(CopyEvaluationFile("coupon_redemptions.csv",
                                        {{"household_id", "customer_id"},
                                         {"coupon_upc", "coupon_upc"},
                                         {"campaign_id", "campaign_id"},
                                         {"redemption_date", "redemption_date"}},
                                        true));
  PG_RETURN_IF_ERROR(WriteSkus());
  PG_RETURN_IF_ERROR(WriteMerchants());
  PG_RETURN_IF_ERROR(WriteCustomers());
  st_.rows_written["rejected_rows.csv"] = st_.rejected_rows;
  for (auto& w : writers_) PG_RETURN_IF_ERROR(w->Commit());
  return WriteImportNotes();
}

}  // namespace

Status ImportCompleteJourney(const std::filesystem::path& src, const std::filesystem::path& out_dir,
                             ImportStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  ImportStats st;
  Importer importer(src, out_dir, st);
  PG_RETURN_IF_ERROR(importer.Run());
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats != nullptr) *stats = std::move(st);
  return Status::Ok();
}

}  // namespace partnergraph
