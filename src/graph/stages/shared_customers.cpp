#include "stages/shared_customers.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "stages/dense_counter.hpp"

namespace partnergraph::graph_internal {

Result<SharedCustomerEdges> DeriveSharedCustomers(const SharedCustomersInput& in) {
  const GraphOptions& options = in.options;
  const auto& customer_merchants = in.customer_merchants;
  const std::uint32_t C = customer_merchants.sources(), M = in.merchants;
  const std::uint32_t cap = options.max_purchases_per_customer;
  std::atomic<std::uint64_t> capped_customers{0};
  tbb::enumerable_thread_specific<std::vector<std::pair<std::int64_t, std::uint32_t>>>
      recent_scratch;
  // The merchants each customer contributes pairs with: all, or its `cap`
  // most recently visited ones (ties: smaller id), ascending.
  PG_ASSIGN_OR_RETURN(
      auto capped,
      BuildPerSource<std::uint32_t>(
          C, "capped merchants", nullptr, [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
            auto merchants = customer_merchants.Of(c);
            if (merchants.size() <= cap) {
              out.insert(out.end(), merchants.begin(), merchants.end());
              return;
            }
            ++capped_customers;
            auto& recent = recent_scratch.local();
            recent.clear();
            for (std::uint32_t i = 0; i < merchants.size(); ++i) {
              recent.push_back(
                  {-in.customer_merchant_last_ts[customer_merchants.offsets[c] + i], merchants[i]});
            }
            std::partial_sort(recent.begin(), recent.begin() + cap, recent.end());
            std::size_t before = out.size();
            for (std::uint32_t i = 0; i < cap; ++i) out.push_back(recent[i].second);
            std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
          }));
  SharedCustomerEdges result;
  result.customers_capped = capped_customers.load();
  auto customers_of = Transpose<std::uint32_t>(
      capped, M, [](std::uint32_t m) { return m; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  tbb::enumerable_thread_specific<DenseCounter> counters(M);
  using Entry = std::pair<std::uint32_t, std::uint32_t>;  // merchant, customers
  auto progress = MakeProgress(options.show_progress, "shared customers", M);
  PG_ASSIGN_OR_RETURN(
      auto shared, BuildPerSource<Entry>(M, "shared-customer edges", progress.get(),
                                         [&](std::uint32_t a, std::vector<Entry>& out) {
                                           auto& counter = counters.local();
                                           for (std::uint32_t c : customers_of.Of(a)) {
                                             for (std::uint32_t b : capped.Of(c)) {
                                               if (b != a) counter.Add(b);
                                             }
                                           }
                                           counter.Drain([&](std::uint32_t b, std::uint32_t count) {
                                             if (count >= options.min_shared_customers)
                                               out.push_back({b, count});
                                           });
                                         }));
  result.shares_customers.offsets = std::move(shared.offsets);
  result.shares_customers.entries.resize(shared.entries.size());
  result.customers.resize(shared.entries.size());
  for (std::size_t i = 0; i < shared.entries.size(); ++i) {
    result.shares_customers.entries[i] = shared.entries[i].first;
    result.customers[i] = shared.entries[i].second;
  }
  return result;
}

}  // namespace partnergraph::graph_internal
