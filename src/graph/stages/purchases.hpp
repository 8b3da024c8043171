// Stage "purchases": the order lines aggregated per (customer, SKU) and per
// (customer, merchant): the bought and has_customer edges with their
// attributes, and the transposes later stages walk.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"
#include "stages/customer_lines.hpp"

namespace partnergraph::graph_internal {

struct PurchasesInput {
  const std::vector<OrderLine>& orders;
  const CustomerLines& lines_by_customer;  // GroupLinesByCustomer
  std::uint32_t merchants = 0, skus = 0;   // NodeTables
  const GraphOptions& options;             // reads show_progress
};

struct Purchases {
  // customer–bought→sku, SKUs ascending; attributes per edge.
  EdgeLists bought;
  std::vector<std::uint32_t> bought_lines;
  std::vector<std::uint32_t> bought_quantity;  // saturates at 2^32 - 1
  std::vector<double> bought_revenue;
  std::vector<std::int64_t> bought_first_ts;
  std::vector<std::int64_t> bought_last_ts;

  // merchant–has_customer→customer, customers ascending; attributes per edge.
  EdgeLists has_customer;
  std::vector<std::uint32_t> has_customer_lines;
  std::vector<float> has_customer_revenue;

  // Not stored in the graph: customer → distinct merchants (ascending), with
  // the latest order-line ts per entry, for the shared-customers stage.
  Lists<std::uint32_t> customer_merchants;
  std::vector<std::int64_t> customer_merchant_last_ts;
  // Not stored: sku → its buyers (the transpose of `bought`, customers ascending).
  Lists<std::uint32_t> sku_buyers;
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Parallel (oneTBB);
// the result does not depend on the thread count.
Result<Purchases> AggregatePurchases(const PurchasesInput& in);

}  // namespace partnergraph::graph_internal
