#include "stages/aggregates.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>

namespace partnergraph::graph_internal {

Result<Aggregates> AggregateMerchantsAndSkus(const AggregatesInput& in) {
  const auto& orders = in.orders;
  const std::uint32_t M = in.merchants, S = in.skus;
  Aggregates result;
  Lists<std::uint32_t> by_merchant;
  by_merchant.offsets.assign(static_cast<std::size_t>(M) + 1, 0);
  for (const auto& o : orders) ++by_merchant.offsets[o.merchant.value + 1];
  PG_RETURN_IF_ERROR(PrefixSum(by_merchant.offsets, "order lines"));
  by_merchant.entries.resize(orders.size());
  {
    std::vector<std::uint32_t> cursor(by_merchant.offsets.begin(), by_merchant.offsets.end() - 1);
    for (std::uint32_t i = 0; i < orders.size(); ++i) {
      by_merchant.entries[cursor[orders[i].merchant.value]++] = i;
    }
  }
  result.merchant_revenue.assign(M, 0.0);
  result.merchant_quantity.assign(M, 0);
  result.merchant_orders.assign(M, 0);
  result.merchant_lines.assign(M, 0);
  result.merchant_active_skus.assign(M, 0);
  result.merchant_customers.assign(M, 0);
  result.merchant_first_ts.assign(M, 0);
  result.merchant_last_ts.assign(M, 0);
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> scratch;
  tbb::parallel_for(
      tbb::blocked_range<std::uint32_t>(0, M), [&](const tbb::blocked_range<std::uint32_t>& r) {
        auto& ids = scratch.local();
        for (std::uint32_t m = r.begin(); m != r.end(); ++m) {
          auto lines = by_merchant.Of(m);
          result.merchant_customers[m] = in.has_customer.SizeOf(m);
          if (lines.empty()) continue;
          double revenue = 0.0;
          std::uint64_t quantity = 0;
          Timestamp first = orders[lines[0]].ts, last = first;
          for (std::uint32_t i : lines) {
            revenue += orders[i].revenue();
            quantity += orders[i].quantity;
            first = std::min(first, orders[i].ts);
            last = std::max(last, orders[i].ts);
          }
          result.merchant_revenue[m] = revenue;
          result.merchant_quantity[m] = quantity;
          result.merchant_lines[m] = static_cast<std::uint32_t>(lines.size());
          result.merchant_first_ts[m] = first;
          result.merchant_last_ts[m] = last;
          auto distinct = [&](auto key) {
            ids.clear();
            for (std::uint32_t i : lines) ids.push_back(key(orders[i]));
            std::sort(ids.begin(), ids.end());
            return static_cast<std::uint32_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
          };
          result.merchant_orders[m] = distinct([](const OrderLine& o) { return o.order.value; });
          result.merchant_active_skus[m] = distinct([](const OrderLine& o) { return o.sku.value; });
        }
      });

  result.sku_buyers.resize(S);
  for (std::uint32_t s = 0; s < S; ++s) result.sku_buyers[s] = in.sku_buyers.SizeOf(s);
  result.sku_lines.assign(S, 0);
  result.sku_quantity.assign(S, 0);
  result.sku_revenue.assign(S, 0.0);
  for (const auto& o : orders) {
    ++result.sku_lines[o.sku.value];
    result.sku_quantity[o.sku.value] += o.quantity;
    result.sku_revenue[o.sku.value] += o.revenue();
  }
  return result;
}

}  // namespace partnergraph::graph_internal
