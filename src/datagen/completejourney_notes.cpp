// The text of the IMPORT.md that `partnergraph import completejourney` writes
// beside its output: the mapping from the Complete Journey data to the native
// format, and the counts of the import (rows read, written and rejected).
#include "completejourney_notes.hpp"

#include <fmt/format.h>

#include <string>

namespace partnergraph {

std::string ImportNotesText(const std::filesystem::path& src, const std::string& transactions_file,
                            const std::vector<std::string>& absent_optional,
                            const ImportStats& st) {
  std::string md;
  auto line = [&md](const std::string& s) {
    md += s;
    md += '\n';
  };
  line("# Import of the Complete Journey data");
  line("");
  line("Written by `partnergraph import completejourney` (src/datagen/completejourney.cpp) from `" +
       src.string() + "`.");
  line("");
  line("## Mapping");
  line(
      "- **Merchants** = manufacturers: `merchant_id` = `manufacturer_id`, name \"manufacturer "
      "<id>\", category = the most common `department` of its products (ties: alphabetical), "
      "region `" +
      std::string(kCompleteJourneyMerchantRegion) + "` for all (one retailer, no geography).");
  line(
      "- **SKUs** = products: `sku_id` = `product_id`, category = `product_category` "
      "(`department` when empty), price = the median unit price (`sales_value / quantity`) of "
      "its imported order lines, rounded to cents; **0 when the product was never sold** in the "
      "transactions read (a placeholder, not a real price).");
  line(
      "- **Customers** = households: `customer_id` = `household_id`, region empty; every "
      "household found in the transactions, demographics, campaigns or redemptions; the "
      "demographics columns follow as extra columns (empty when unknown).");
  line("- **Order lines** = rows of `" + transactions_file +
       "`: `order_id` = `basket_id`, "
       "`customer_id` = `household_id`, `merchant_id` = the product's manufacturer, `sku_id` = "
       "`product_id`, `quantity`, `price` = `sales_value / quantity` (unit price after the retail "
       "and coupon discounts; 0 is kept), channel `store`, no device, region "
       "`store_<store_id>`. A basket therefore spans several merchants. Quantities are taken as "
       "given: the source's fuel and `COUPON/MISC ITEMS` rows carry quantities in the "
       "thousands (so tiny unit prices); they are valid order lines and are kept.");
  line(
      "- **Time zone**: `transaction_timestamp` is America/New_York wall-clock time (the R "
      "data's tzone); it is converted to UTC with the US daylight-saving rules (EDT, UTC-4, from "
      "the second Sunday of March 02:00 to the first Sunday of November 02:00; EST, UTC-5, "
      "otherwise). Times in the repeated November hour are taken as their first (EDT) "
      "occurrence: " +
      fmt::format(
          "{} rows; times in the skipped March hour (which R never prints) as EDT: {} rows.",
          st.ambiguous_timestamps, st.nonexistent_timestamps));
  line(
      "- **Evaluation files** `coupons.csv`, `campaigns.csv`, `campaign_descriptions.csv`, "
      "`coupon_redemptions.csv` are copied into `completejourney/` with `household_id` renamed "
      "`customer_id` and `product_id` renamed `sku_id` (values unchanged, dates kept as "
      "YYYY-MM-DD). Not imported: `promotions_sample.csv` (store display/mailer placements).");
  line(
      "- **Rejected rows** (never dropped silently) are in `rejected_rows.csv` "
      "(`file,line,column,reason,raw`).");
  if (!absent_optional.empty()) {
    std::string absent;
    for (const auto& a : absent_optional) absent += (absent.empty() ? "" : ", ") + a;
    line("- Optional source files absent: " + absent + ".");
  }
  line("");
  line("## Rows");
  line("| source file | rows read |");
  line("|---|---:|");
  for (const auto& [file, n] : st.rows_read) line(fmt::format("| {} | {} |", file, n));
  line("");
  line("| output file | rows written |");
  line("|---|---:|");
  for (const auto& [file, n] : st.rows_written) {
    line(fmt::format("| {} | {} |", file, n));
  }
  line("");
  line(fmt::format("Distinct orders (baskets): {}; SKUs never sold (price 0): {}.", st.orders,
                   st.skus_never_sold));
  line("");
  line("| rejection reason | rows |");
  line("|---|---:|");
  for (const auto& [reason, n] : st.rejected_by_reason) {
    line(fmt::format("| {} | {} |", reason, n));
  }
  return md;
}

}  // namespace partnergraph
