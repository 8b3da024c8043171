#include "stages/purchases.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

namespace partnergraph::graph_internal {

Result<Purchases> AggregatePurchases(const PurchasesInput& in) {
  const auto& orders = in.orders;
  const auto& lines_by_customer = in.lines_by_customer;
  const std::uint32_t C = lines_by_customer.sources();
  auto progress = MakeProgress(in.options.show_progress, "purchases", 2ull * C);
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> scratch;
  Purchases p;

  // Distinct targets per customer, then the attributes in a second pass with
  // the lines regrouped by target (stable: ts order inside a group).
  auto distinct = [&](auto key_of, std::string_view what) {
    return BuildPerSource<std::uint32_t>(
        C, what, progress.get(), [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
          std::size_t before = out.size();
          for (std::uint32_t i : lines_by_customer.Of(c)) out.push_back(key_of(orders[i]));
          std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
          out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()),
                    out.end());
        });
  };
  // Calls fn(c, group index, lines of the group in ts order) per customer.
  auto for_each_group = [&](auto key_of, auto fn) {
    tbb::parallel_for(
        tbb::blocked_range<std::uint32_t>(0, C), [&](const tbb::blocked_range<std::uint32_t>& r) {
          auto& lines = scratch.local();
          for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
            auto span = lines_by_customer.Of(c);
            lines.assign(span.begin(), span.end());
            std::stable_sort(lines.begin(), lines.end(), [&](std::uint32_t a, std::uint32_t b) {
              return key_of(orders[a]) < key_of(orders[b]);
            });
            std::uint32_t group = 0;
            for (std::size_t i = 0; i < lines.size();) {
              std::size_t j = i;
              while (j < lines.size() && key_of(orders[lines[j]]) == key_of(orders[lines[i]])) {
                ++j;
              }
              fn(c, group++, std::span<const std::uint32_t>(lines.data() + i, j - i));
              i = j;
            }
          }
        });
  };
  auto sku_of = [](const OrderLine& o) { return o.sku.value; };
  auto merchant_of = [](const OrderLine& o) { return o.merchant.value; };

  PG_ASSIGN_OR_RETURN(p.bought, distinct(sku_of, "bought edges"));
  std::size_t pairs = p.bought.entries.size();
  p.bought_lines.resize(pairs);
  p.bought_quantity.resize(pairs);
  p.bought_revenue.resize(pairs);
  p.bought_first_ts.resize(pairs);
  p.bought_last_ts.resize(pairs);
  for_each_group(
      sku_of, [&](std::uint32_t c, std::uint32_t group, std::span<const std::uint32_t> lines) {
        std::uint32_t a = p.bought.offsets[c] + group;
        std::uint64_t quantity = 0;
        double revenue = 0.0;
        for (std::uint32_t i : lines) {
          quantity += orders[i].quantity;
          revenue += orders[i].revenue();
        }
        p.bought_lines[a] = static_cast<std::uint32_t>(lines.size());
        p.bought_quantity[a] = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(quantity, std::numeric_limits<std::uint32_t>::max()));
        p.bought_revenue[a] = revenue;
        p.bought_first_ts[a] = orders[lines.front()].ts;
        p.bought_last_ts[a] = orders[lines.back()].ts;
      });

  PG_ASSIGN_OR_RETURN(p.customer_merchants, distinct(merchant_of, "merchant-customer links"));
  const auto& links = p.customer_merchants;
  std::vector<std::uint32_t> link_lines(links.entries.size());
  std::vector<double> link_revenue(links.entries.size());
  p.customer_merchant_last_ts.resize(links.entries.size());
  for_each_group(merchant_of,
                 [&](std::uint32_t c, std::uint32_t group, std::span<const std::uint32_t> lines) {
                   std::uint32_t a = links.offsets[c] + group;
                   double revenue = 0.0;
                   for (std::uint32_t i : lines) revenue += orders[i].revenue();
                   link_lines[a] = static_cast<std::uint32_t>(lines.size());
                   link_revenue[a] = revenue;
                   p.customer_merchant_last_ts[a] = orders[lines.back()].ts;
                 });

  // merchant–has_customer→customer: the transpose, customers ascending.
  auto by_merchant = Transpose<std::pair<std::uint32_t, std::uint32_t>>(
      links, in.merchants, [](std::uint32_t m) { return m; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t i) { return std::make_pair(c, i); });
  p.has_customer.offsets = std::move(by_merchant.offsets);
  p.has_customer.entries.resize(by_merchant.entries.size());
  p.has_customer_lines.resize(links.entries.size());
  p.has_customer_revenue.resize(links.entries.size());
  for (std::size_t j = 0; j < by_merchant.entries.size(); ++j) {
    auto [c, i] = by_merchant.entries[j];
    p.has_customer.entries[j] = c;
    p.has_customer_lines[j] = link_lines[i];
    p.has_customer_revenue[j] = static_cast<float>(link_revenue[i]);
  }

  p.sku_buyers = Transpose<std::uint32_t>(
      p.bought, in.skus, [](std::uint32_t s) { return s; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  return p;
}

}  // namespace partnergraph::graph_internal
