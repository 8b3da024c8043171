// Stage "customer features": what segmentation keys on, per customer: region,
// dominant category by spend and mean unit price.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"
#include "stages/customer_lines.hpp"

namespace partnergraph::graph_internal {

struct CustomerFeaturesInput {
  const std::vector<Customer>& customers;
  const std::vector<OrderLine>& orders;
  const CustomerLines& lines_by_customer;             // GroupLinesByCustomer
  const EdgeLists& bought;                            // Purchases::bought
  const std::vector<double>& bought_revenue;          // Purchases
  const std::vector<std::uint32_t>& bought_lines;     // Purchases
  const std::vector<std::uint32_t>& bought_quantity;  // Purchases
  const std::vector<std::uint32_t>& sku_category;     // NodeTables
};

struct CustomerFeatures {
  // Stored in the graph: customers.csv's region, else the most recent order
  // line's; kNone when neither says.
  std::vector<std::uint32_t> customer_region;
  // Customers with at least one order line.
  std::uint32_t active_customers = 0;
  // Not stored: the category with the most revenue (ties: more lines, then the
  // smaller id), kNone for customers without order lines.
  std::vector<std::uint32_t> dominant_category;
  // Not stored: revenue / quantity over all lines (0 without quantity).
  std::vector<double> mean_price;
};

// Parallel (oneTBB); the result does not depend on the thread count.
CustomerFeatures DeriveCustomerFeatures(const CustomerFeaturesInput& in);

}  // namespace partnergraph::graph_internal
