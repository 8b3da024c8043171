// Stage "customer order lines": the order lines grouped by customer, the
// index every purchase-derived stage walks (purchases, customer features,
// co-purchase).
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct CustomerLinesInput {
  const std::vector<OrderLine>& orders;
  std::uint32_t customers = 0;  // NodeTables::customers
};

// Indices into `orders`, by customer; each customer's lines sorted by
// (ts, sku, line index), a total order, so the result is unique.
using CustomerLines = Lists<std::uint32_t>;

// InvalidArgument when there are 2^32 - 1 lines or more. Parallel (oneTBB);
// the result does not depend on the thread count.
Result<CustomerLines> GroupLinesByCustomer(const CustomerLinesInput& in);

}  // namespace partnergraph::graph_internal
