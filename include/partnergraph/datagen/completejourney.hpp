// Adapter: the 84.51°/dunnhumby "Complete Journey" CSVs (as in
// ../shared/datasets/completejourney, see its README.md) to the native input
// format. Mapping (also written to <out_dir>/IMPORT.md):
//
//   manufacturer_id  -> merchant: merchant_id = manufacturer_id, name
//                       "manufacturer <id>", category = the most common
//                       department of its products (ties: the alphabetically
//                       first), region "national" (one retailer, no geography).
//   product          -> SKU: sku_id = product_id, category = product_category
//                       (department when empty), price = median unit price of
//                       its valid transaction rows, 0 when never sold.
//   household        -> customer: customer_id = household_id, region empty,
//                       demographics as extra columns; every household found in
//                       transactions, demographics, campaigns or redemptions.
//   transaction row  -> order line: order_id = basket_id, merchant = the
//                       product's manufacturer, ts = transaction_timestamp
//                       (America/New_York local time) converted to UTC, price =
//                       sales_value / quantity, channel "store", device empty,
//                       region "store_<store_id>".
//   coupons, campaigns, campaign_descriptions, coupon_redemptions -> copied to
//                       <out_dir>/completejourney/ with ids renamed to the native
//                       vocabulary (customer_id, sku_id), for evaluation.
//
// No input row is dropped silently: a row that cannot be converted (quantity 0,
// an unknown product, a product without manufacturer, a negative or malformed
// number, a bad timestamp, a malformed CSV record, a duplicate line of a basket)
// is written to <out_dir>/rejected_rows.csv (file,line,column,reason,raw) and
// counted in ImportStats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct ImportStats {
  // Rows read from each source file (header excluded), by file name.
  std::map<std::string, std::uint64_t> rows_read;
  // Rows written to each output file (header excluded), by path relative to out_dir.
  std::map<std::string, std::uint64_t> rows_written;
  // Rows written to rejected_rows.csv, in total and by reason kind
  // ("quantity is 0", "unknown product", ...).
  std::uint64_t rejected_rows = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;

  std::uint64_t merchants = 0;
  std::uint64_t skus = 0;
  std::uint64_t skus_never_sold = 0;  // written with price 0
  std::uint64_t customers = 0;
  std::uint64_t orders = 0;           // distinct basket_id among the order lines
  std::uint64_t order_lines = 0;
  // transaction_timestamp values that fall in the repeated hour at the end of
  // daylight saving time (taken as the first, EDT, occurrence) and in the
  // skipped hour at its start (taken as EDT; R never prints such a time).
  std::uint64_t ambiguous_timestamps = 0;
  std::uint64_t nonexistent_timestamps = 0;
  double seconds = 0.0;
};

// Converts the Complete Journey CSVs in `src` into a native dataset in
// `out_dir` (created if missing; files of the same names are replaced, each
// written to "<name>.tmp" and renamed when complete).
// Reads products.csv, transactions_sample.csv (or transactions.csv when present,
// the full data), demographics.csv, coupons.csv, campaigns.csv,
// campaign_descriptions.csv and coupon_redemptions.csv.
// `stats` may be null.
// Errors: NotFound naming the file when `src` lacks a required file;
// InvalidArgument naming file and column when a required column is missing;
// IOError naming the file when a file cannot be read or written. Bad rows are
// not errors (see above).
// Thread safety: reentrant; concurrent calls must use distinct out_dirs.
Status ImportCompleteJourney(const std::filesystem::path& src, const std::filesystem::path& out_dir,
                             ImportStats* stats);

}  // namespace partnergraph
