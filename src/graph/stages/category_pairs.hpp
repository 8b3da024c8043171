// Stage "category-pair lift": category–category_pair→category, customers who
// bought in both categories against the count independence would give.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct CategoryPairsInput {
  const EdgeLists& bought;                          // Purchases::bought
  const std::vector<std::int64_t>& bought_last_ts;  // Purchases
  const std::vector<std::uint32_t>& sku_category;   // NodeTables
  std::uint32_t categories = 0;                     // NodeTables
  std::uint32_t active_customers = 0;               // CustomerFeatures
  const GraphOptions& options;                      // reads max_purchases_per_customer
};

struct CategoryPairEdges {
  // By CategoryId: customers who bought in the category (all, uncapped).
  std::vector<std::uint32_t> category_customers;
  EdgeLists category_pair;             // category → categories, ascending
  std::vector<std::uint32_t> both;     // per edge: customers pairing the two
  std::vector<float> expected;         // customers(x) * customers(y) / active
  std::vector<float> lift;             // both / expected
  std::uint64_t customers_capped = 0;  // BuildReport::customers_capped_category_pairs
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Parallel
// (oneTBB); the result does not depend on the thread count.
Result<CategoryPairEdges> DeriveCategoryPairs(const CategoryPairsInput& in);

}  // namespace partnergraph::graph_internal
