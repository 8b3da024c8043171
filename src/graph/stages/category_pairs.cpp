#include "stages/category_pairs.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "stages/dense_counter.hpp"

namespace partnergraph::graph_internal {

Result<CategoryPairEdges> DeriveCategoryPairs(const CategoryPairsInput& in) {
  const std::uint32_t C = in.bought.sources(), K = in.categories;
  const auto& bought_off = in.bought.offsets;
  const auto& bought_sku = in.bought.entries;
  const GraphOptions& options = in.options;
  CategoryPairEdges result;
  const std::uint32_t cap = options.max_purchases_per_customer;
  std::atomic<std::uint64_t> capped_customers{0};
  tbb::enumerable_thread_specific<std::vector<std::pair<std::int64_t, std::uint32_t>>>
      recent_scratch;
  result.category_customers.assign(K, 0);
  std::vector<std::atomic<std::uint32_t>> category_customers(K);
  // Per customer: its categories (all count for category_customers; the `cap`
  // most recently bought ones pair up), ascending.
  PG_ASSIGN_OR_RETURN(
      auto cats,
      BuildPerSource<std::uint32_t>(
          C, "customer categories", nullptr, [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
            auto& recent = recent_scratch.local();
            recent.clear();
            for (std::uint32_t a = bought_off[c]; a < bought_off[c + 1]; ++a) {
              recent.push_back({in.bought_last_ts[a], in.sku_category[bought_sku[a]]});
            }
            // Latest purchase per category, most recent first (ties: smaller id).
            std::sort(recent.begin(), recent.end(), [](const auto& x, const auto& y) {
              if (x.second != y.second) return x.second < y.second;
              return x.first > y.first;
            });
            recent.erase(
                std::unique(recent.begin(), recent.end(),
                            [](const auto& x, const auto& y) { return x.second == y.second; }),
                recent.end());
            for (const auto& r : recent)
              category_customers[r.second].fetch_add(1, std::memory_order_relaxed);
            if (recent.size() > cap) {
              ++capped_customers;
              std::partial_sort(recent.begin(), recent.begin() + cap, recent.end(),
                                [](const auto& x, const auto& y) {
                                  if (x.first != y.first) return x.first > y.first;
                                  return x.second < y.second;
                                });
              recent.resize(cap);
            }
            std::size_t before = out.size();
            for (const auto& r : recent) out.push_back(r.second);
            std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
          }));
  result.customers_capped = capped_customers.load();
  for (std::uint32_t k = 0; k < K; ++k) result.category_customers[k] = category_customers[k].load();
  auto customers_of = Transpose<std::uint32_t>(
      cats, K, [](std::uint32_t k) { return k; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  const double n = in.active_customers;
  struct Entry {
    std::uint32_t category;
    std::uint32_t both;
    float expected;
    float lift;
  };
  tbb::enumerable_thread_specific<DenseCounter> counters(K);
  PG_ASSIGN_OR_RETURN(
      auto pairs, BuildPerSource<Entry>(
                      K, "category pairs", nullptr, [&](std::uint32_t x, std::vector<Entry>& out) {
                        auto& counter = counters.local();
                        for (std::uint32_t c : customers_of.Of(x)) {
                          for (std::uint32_t y : cats.Of(c)) {
                            if (y != x) counter.Add(y);
                          }
                        }
                        counter.Drain([&](std::uint32_t y, std::uint32_t both) {
                          double expected = static_cast<double>(result.category_customers[x]) *
                                            result.category_customers[y] / n;
                          out.push_back({y, both, static_cast<float>(expected),
                                         static_cast<float>(both / expected)});
                        });
                      }));
  result.category_pair.offsets = std::move(pairs.offsets);
  result.category_pair.entries.resize(pairs.entries.size());
  result.both.resize(pairs.entries.size());
  result.expected.resize(pairs.entries.size());
  result.lift.resize(pairs.entries.size());
  for (std::size_t i = 0; i < pairs.entries.size(); ++i) {
    result.category_pair.entries[i] = pairs.entries[i].category;
    result.both[i] = pairs.entries[i].both;
    result.expected[i] = pairs.entries[i].expected;
    result.lift[i] = pairs.entries[i].lift;
  }
  return result;
}

}  // namespace partnergraph::graph_internal
