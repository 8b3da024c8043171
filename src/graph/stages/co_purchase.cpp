#include "stages/co_purchase.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <utility>

namespace partnergraph::graph_internal {

Result<CoPurchaseEdges> DeriveCoPurchase(const CoPurchaseInput& in) {
  const auto& orders = in.orders;
  const GraphOptions& options = in.options;
  const std::int64_t window = options.copurchase_window_seconds;
  const double n = in.active_customers;
  const std::size_t cap = options.max_purchases_per_customer;
  const auto S = static_cast<std::uint32_t>(in.sku_merchant.size());
  CoPurchaseEdges result;
  for (std::uint32_t c = 0; c < in.lines_by_customer.sources(); ++c) {
    if (in.lines_by_customer.SizeOf(c) > options.max_purchases_per_customer) {
      ++result.customers_capped;
    }
  }
  // The most recent `max_purchases_per_customer` lines of c, oldest first.
  auto capped_lines = [&](std::uint32_t c) {
    auto lines = in.lines_by_customer.Of(c);
    return lines.size() > cap ? lines.subspan(lines.size() - cap) : lines;
  };
  struct Entry {
    std::uint32_t sku;
    std::uint32_t support;
    float confidence;
    float lift;
  };
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> acc_scratch, tmp_scratch;
  std::atomic<std::uint64_t> capped{0};
  auto progress = MakeProgress(options.show_progress, "co-purchase", S);
  PG_ASSIGN_OR_RETURN(
      auto co,
      BuildPerSource<Entry>(
          S, "co-purchase edges", progress.get(), [&](std::uint32_t a, std::vector<Entry>& out) {
            auto& acc = acc_scratch.local();
            auto& tmp = tmp_scratch.local();
            acc.clear();
            const std::uint32_t merchant_a = in.sku_merchant[a];
            for (std::uint32_t c : in.sku_buyers.Of(a)) {
              auto lines = capped_lines(c);
              tmp.clear();
              for (std::size_t i = 0; i < lines.size(); ++i) {
                const OrderLine& line = orders[lines[i]];
                if (line.sku.value != a) continue;
                for (std::size_t j = i; j-- > 0 && line.ts - orders[lines[j]].ts <= window;) {
                  if (orders[lines[j]].merchant.value != merchant_a)
                    tmp.push_back(orders[lines[j]].sku.value);
                }
                for (std::size_t j = i + 1;
                     j < lines.size() && orders[lines[j]].ts - line.ts <= window; ++j) {
                  if (orders[lines[j]].merchant.value != merchant_a)
                    tmp.push_back(orders[lines[j]].sku.value);
                }
              }
              std::sort(tmp.begin(), tmp.end());
              tmp.erase(std::unique(tmp.begin(), tmp.end()), tmp.end());
              acc.insert(acc.end(), tmp.begin(), tmp.end());
            }
            std::sort(acc.begin(), acc.end());
            std::size_t before = out.size();
            const double buyers_a = in.sku_buyer_count[a];
            for (std::size_t i = 0; i < acc.size();) {
              std::size_t j = i;
              while (j < acc.size() && acc[j] == acc[i]) ++j;
              auto support = static_cast<std::uint32_t>(j - i);
              if (support >= options.min_copurchase_support) {
                const double buyers_b = in.sku_buyer_count[acc[i]];
                out.push_back({acc[i], support, static_cast<float>(support / buyers_a),
                               static_cast<float>(support * n / (buyers_a * buyers_b))});
              }
              i = j;
            }
            const std::size_t limit = options.max_copurchase_neighbors;
            if (limit > 0 && out.size() - before > limit) {
              auto first = out.begin() + static_cast<std::ptrdiff_t>(before);
              std::sort(first, out.end(), [](const Entry& x, const Entry& y) {
                if (x.support != y.support) return x.support > y.support;
                if (x.lift != y.lift) return x.lift > y.lift;
                return x.sku < y.sku;
              });
              capped += out.size() - before - limit;
              out.resize(before + limit);
              std::sort(first, out.end(),
                        [](const Entry& x, const Entry& y) { return x.sku < y.sku; });
            }
          }));
  result.edges_capped = capped.load();
  result.co_purchased.offsets = std::move(co.offsets);
  result.co_purchased.entries.resize(co.entries.size());
  result.support.resize(co.entries.size());
  result.confidence.resize(co.entries.size());
  result.lift.resize(co.entries.size());
  for (std::size_t i = 0; i < co.entries.size(); ++i) {
    result.co_purchased.entries[i] = co.entries[i].sku;
    result.support[i] = co.entries[i].support;
    result.confidence[i] = co.entries[i].confidence;
    result.lift[i] = co.entries[i].lift;
  }
  return result;
}

}  // namespace partnergraph::graph_internal
