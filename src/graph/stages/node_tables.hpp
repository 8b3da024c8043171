// Stage "node tables": the per-node columns copied from the Dataset (ids,
// names, categories, regions, policies, SKU owners and prices) and the three
// edge kinds that follow from them alone: sells, in_category, category_member.
// Reads nothing derived; every later stage reads its counts.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"
#include "string_table.hpp"

namespace partnergraph::graph_internal {

struct NodeTablesInput {
  const Dataset& dataset;  // validated (ValidateDataset)
};

// Columns indexed by local id; the layout is that of EcosystemGraph::Impl.
struct NodeTables {
  std::uint32_t merchants = 0, skus = 0, customers = 0, categories = 0, regions = 0;

  StringTable merchant_ids, merchant_names, sku_ids, customer_ids, category_names, region_names;

  std::vector<std::uint32_t> merchant_category;
  std::vector<std::uint32_t> merchant_region;  // kNone when unknown
  std::vector<std::uint8_t> policy_model;      // PermissionModel
  std::vector<std::uint8_t> policy_flags;      // kPolicy* bits
  std::vector<std::uint32_t> policy_k_min;

  std::vector<std::uint32_t> sku_merchant;
  std::vector<std::uint32_t> sku_category;
  std::vector<double> sku_price;

  EdgeLists sells;            // merchant → its SKUs, ascending
  EdgeLists in_category;      // merchant → its category
  EdgeLists category_member;  // category → its merchants, ascending
};

// InvalidArgument when a string table or edge list outgrows 32-bit offsets.
// Thread-safe; sequential.
Result<NodeTables> BuildNodeTables(const NodeTablesInput& in);

}  // namespace partnergraph::graph_internal
