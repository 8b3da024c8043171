// Stage "co-purchase": sku–co_purchased→sku, SKUs of different merchants
// bought by one customer within copurchase_window_seconds, with support,
// confidence and lift. The last stage that reads order lines.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"
#include "stages/customer_lines.hpp"

namespace partnergraph::graph_internal {

struct CoPurchaseInput {
  const std::vector<OrderLine>& orders;
  const CustomerLines& lines_by_customer;             // GroupLinesByCustomer
  const Lists<std::uint32_t>& sku_buyers;             // Purchases::sku_buyers
  const std::vector<std::uint32_t>& sku_buyer_count;  // Aggregates::sku_buyers
  const std::vector<std::uint32_t>& sku_merchant;     // NodeTables
  std::uint32_t active_customers = 0;                 // CustomerFeatures
  // Reads copurchase_window_seconds, max_purchases_per_customer,
  // min_copurchase_support, max_copurchase_neighbors, show_progress.
  const GraphOptions& options;
};

struct CoPurchaseEdges {
  EdgeLists co_purchased;              // sku → skus of other merchants, ascending
  std::vector<std::uint32_t> support;  // customers who bought both in the window
  std::vector<float> confidence;       // support / buyers of the source
  std::vector<float> lift;             // support * active / (buyers a * buyers b)
  std::uint64_t customers_capped = 0;  // BuildReport::customers_capped_copurchase
  std::uint64_t edges_capped = 0;      // BuildReport::copurchase_edges_capped
};

// InvalidArgument when the edge list outgrows 32-bit offsets. Parallel over
// SKUs (oneTBB); the result does not depend on the thread count.
Result<CoPurchaseEdges> DeriveCoPurchase(const CoPurchaseInput& in);

}  // namespace partnergraph::graph_internal
