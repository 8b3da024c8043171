#include "stages/customer_lines.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>

namespace partnergraph::graph_internal {

Result<CustomerLines> GroupLinesByCustomer(const CustomerLinesInput& in) {
  const auto& orders = in.orders;
  CustomerLines lists;
  lists.offsets.assign(static_cast<std::size_t>(in.customers) + 1, 0);
  for (const auto& o : orders) ++lists.offsets[o.customer.value + 1];
  PG_RETURN_IF_ERROR(PrefixSum(lists.offsets, "order lines"));
  lists.entries.resize(orders.size());
  std::vector<std::uint32_t> cursor(lists.offsets.begin(), lists.offsets.end() - 1);
  for (std::uint32_t i = 0; i < orders.size(); ++i) {
    lists.entries[cursor[orders[i].customer.value]++] = i;
  }
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, in.customers),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
                        auto* first = lists.entries.data() + lists.offsets[c];
                        auto* last = lists.entries.data() + lists.offsets[c + 1];
                        std::sort(first, last, [&orders](std::uint32_t a, std::uint32_t b) {
                          const auto& x = orders[a];
                          const auto& y = orders[b];
                          if (x.ts != y.ts) return x.ts < y.ts;
                          if (x.sku != y.sku) return x.sku < y.sku;
                          return a < b;
                        });
                      }
                    });
  return lists;
}

}  // namespace partnergraph::graph_internal
