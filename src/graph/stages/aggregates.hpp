// Stage "merchant and sku aggregates": per-merchant and per-SKU totals over
// the order lines (revenue, quantity, orders, first/last sale, buyers).
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct AggregatesInput {
  const std::vector<OrderLine>& orders;
  std::uint32_t merchants = 0, skus = 0;   // NodeTables
  const EdgeLists& has_customer;           // Purchases::has_customer
  const Lists<std::uint32_t>& sku_buyers;  // Purchases::sku_buyers
};

// Columns indexed by MerchantId / SkuId, as stored in the graph. A merchant
// without order lines has zeros everywhere (its timestamps too).
struct Aggregates {
  std::vector<double> merchant_revenue;
  std::vector<std::uint64_t> merchant_quantity;
  std::vector<std::uint32_t> merchant_orders;  // distinct order ids
  std::vector<std::uint32_t> merchant_lines;
  std::vector<std::uint32_t> merchant_active_skus;  // distinct SKUs sold
  std::vector<std::uint32_t> merchant_customers;    // distinct customers
  std::vector<std::int64_t> merchant_first_ts;
  std::vector<std::int64_t> merchant_last_ts;

  std::vector<std::uint32_t> sku_buyers;  // distinct customers
  std::vector<std::uint32_t> sku_lines;
  std::vector<std::uint64_t> sku_quantity;
  std::vector<double> sku_revenue;  // summed in order-line order
};

// InvalidArgument when there are 2^32 - 1 lines or more. Parallel over
// merchants (oneTBB); the result does not depend on the thread count.
Result<Aggregates> AggregateMerchantsAndSkus(const AggregatesInput& in);

}  // namespace partnergraph::graph_internal
