// Stage "validate", the first of GraphBuilder's: every later stage indexes
// arrays with the Dataset's ids, so each must be in range; a hand-built or
// damaged Dataset is refused here, never trusted.
#pragma once

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph::graph_internal {

// Ok when every id of every table is in range, the id dictionaries match their
// tables, each order line's SKU belongs to its merchant, quantities are > 0,
// prices finite and >= 0, enums known and the sizes fit 32-bit graph ids.
// Otherwise InvalidArgument naming the table, the row index and what is wrong,
// e.g. "dataset: orders[17]: sku 99 is out of range (9 SKUs)" (the first
// problem found, tables in the order merchants, skus, customers, orders,
// partnerships, consent, policies). Thread-safe; reads `dataset` only.
Status ValidateDataset(const Dataset& dataset);

}  // namespace partnergraph::graph_internal
