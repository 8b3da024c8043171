#include "stages/node_tables.hpp"

#include <numeric>
#include <string>

#include "graph_data.hpp"

namespace partnergraph::graph_internal {
namespace {

// Groups the ids [0, keys.size()) by keys[id] (counting sort, ids ascending
// inside a group) over `groups` groups.
Result<EdgeLists> GroupBy(const std::vector<std::uint32_t>& keys, std::uint32_t groups,
                          std::string_view what) {
  EdgeLists lists;
  lists.offsets.assign(static_cast<std::size_t>(groups) + 1, 0);
  lists.entries.resize(keys.size());
  for (std::uint32_t key : keys) ++lists.offsets[key + 1];
  PG_RETURN_IF_ERROR(PrefixSum(lists.offsets, what));
  std::vector<std::uint32_t> cursor(lists.offsets.begin(), lists.offsets.end() - 1);
  for (std::uint32_t id = 0; id < keys.size(); ++id) lists.entries[cursor[keys[id]]++] = id;
  return lists;
}

}  // namespace

Result<NodeTables> BuildNodeTables(const NodeTablesInput& in) {
  const Dataset& d = in.dataset;
  NodeTables t;
  const auto M = static_cast<std::uint32_t>(d.merchants.size());
  const auto S = static_cast<std::uint32_t>(d.skus.size());
  t.merchants = M;
  t.skus = S;
  t.customers = static_cast<std::uint32_t>(d.customers.size());
  t.categories = d.categories.size();
  t.regions = d.regions.size();

  PG_ASSIGN_OR_RETURN(t.merchant_ids, StringTable::Build(d.merchant_ids, true, "merchant ids"));
  std::vector<std::string> names;
  names.reserve(M);
  for (const auto& m : d.merchants) names.push_back(m.name);
  PG_ASSIGN_OR_RETURN(t.merchant_names, StringTable::Build(names, false, "merchant names"));
  PG_ASSIGN_OR_RETURN(t.sku_ids, StringTable::Build(d.sku_ids, true, "SKU ids"));
  PG_ASSIGN_OR_RETURN(t.customer_ids, StringTable::Build(d.customer_ids, true, "customer ids"));
  PG_ASSIGN_OR_RETURN(t.category_names, StringTable::Build(d.categories, true, "categories"));
  PG_ASSIGN_OR_RETURN(t.region_names, StringTable::Build(d.regions, true, "regions"));

  t.merchant_category.resize(M);
  t.merchant_region.resize(M);
  t.policy_model.resize(M);
  t.policy_flags.resize(M);
  t.policy_k_min.resize(M);
  for (std::uint32_t m = 0; m < M; ++m) {
    t.merchant_category[m] = d.merchants[m].category.value;
    t.merchant_region[m] = d.merchants[m].region.value;
    MerchantPolicy policy = d.policies.empty() ? MerchantPolicy{} : d.policies[m];
    t.policy_model[m] = static_cast<std::uint8_t>(policy.permission_model);
    t.policy_k_min[m] = policy.k_min;
    t.policy_flags[m] =
        static_cast<std::uint8_t>((policy.share_overlaps ? kPolicyShareOverlaps : 0) |
                                  (policy.discoverable ? kPolicyDiscoverable : 0) |
                                  (policy.allow_coupons ? kPolicyAllowCoupons : 0));
  }
  t.sku_merchant.resize(S);
  t.sku_category.resize(S);
  t.sku_price.resize(S);
  for (std::uint32_t s = 0; s < S; ++s) {
    t.sku_merchant[s] = d.skus[s].merchant.value;
    t.sku_category[s] = d.skus[s].category.value;
    t.sku_price[s] = d.skus[s].price;
  }

  PG_ASSIGN_OR_RETURN(t.sells, GroupBy(t.sku_merchant, M, "sells edges"));
  t.in_category.offsets.resize(static_cast<std::size_t>(M) + 1);
  std::iota(t.in_category.offsets.begin(), t.in_category.offsets.end(), 0u);
  t.in_category.entries = t.merchant_category;
  PG_ASSIGN_OR_RETURN(t.category_member,
                      GroupBy(t.merchant_category, t.categories, "category members"));
  return t;
}

}  // namespace partnergraph::graph_internal
