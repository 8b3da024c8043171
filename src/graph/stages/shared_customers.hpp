// Stage "shared customers": merchant–shares_customers→merchant, the distinct
// customers two merchants have in common (each customer counted with at most
// max_purchases_per_customer of its most recently visited merchants).
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct SharedCustomersInput {
  const Lists<std::uint32_t>& customer_merchants;              // Purchases
  const std::vector<std::int64_t>& customer_merchant_last_ts;  // Purchases
  std::uint32_t merchants = 0;                                 // NodeTables
  // Reads max_purchases_per_customer, min_shared_customers, show_progress.
  const GraphOptions& options;
};

struct SharedCustomerEdges {
  EdgeLists shares_customers;            // merchant → merchants, ascending
  std::vector<std::uint32_t> customers;  // per edge: customers in common
  std::uint64_t customers_capped = 0;    // BuildReport::customers_capped_merchant_pairs
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Parallel
// (oneTBB); the result does not depend on the thread count.
Result<SharedCustomerEdges> DeriveSharedCustomers(const SharedCustomersInput& in);

}  // namespace partnergraph::graph_internal
