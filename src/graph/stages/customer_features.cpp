#include "stages/customer_features.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <tuple>

#include "graph_data.hpp"

namespace partnergraph::graph_internal {

CustomerFeatures DeriveCustomerFeatures(const CustomerFeaturesInput& in) {
  const auto& orders = in.orders;
  const auto C = static_cast<std::uint32_t>(in.customers.size());
  const auto& bought_off = in.bought.offsets;
  const auto& bought_sku = in.bought.entries;
  CustomerFeatures f;
  f.customer_region.assign(C, kNone);
  f.dominant_category.assign(C, kNone);
  f.mean_price.assign(C, 0.0);
  struct CategorySpend {
    std::uint32_t category;
    std::uint32_t sku;
    double revenue;
    std::uint32_t lines;
  };
  tbb::enumerable_thread_specific<std::vector<CategorySpend>> scratch;
  tbb::parallel_for(
      tbb::blocked_range<std::uint32_t>(0, C), [&](const tbb::blocked_range<std::uint32_t>& r) {
        auto& spend = scratch.local();
        for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
          std::uint32_t region = in.customers[c].region.value;
          auto lines = in.lines_by_customer.Of(c);
          for (auto it = lines.rbegin(); region == kNone && it != lines.rend(); ++it) {
            region = orders[*it].region.value;
          }
          f.customer_region[c] = region;
          if (lines.empty()) continue;
          spend.clear();
          double revenue = 0.0;
          std::uint64_t quantity = 0;
          for (std::uint32_t a = bought_off[c]; a < bought_off[c + 1]; ++a) {
            std::uint32_t s = bought_sku[a];
            spend.push_back({in.sku_category[s], s, in.bought_revenue[a], in.bought_lines[a]});
            revenue += in.bought_revenue[a];
            quantity += in.bought_quantity[a];
          }
          std::sort(spend.begin(), spend.end(), [](const auto& x, const auto& y) {
            return std::tie(x.category, x.sku) < std::tie(y.category, y.sku);
          });
          std::uint32_t best = kNone;
          double best_revenue = -1.0;
          std::uint64_t best_lines = 0;
          for (std::size_t i = 0; i < spend.size();) {
            std::size_t j = i;
            double cat_revenue = 0.0;
            std::uint64_t cat_lines = 0;
            for (; j < spend.size() && spend[j].category == spend[i].category; ++j) {
              cat_revenue += spend[j].revenue;
              cat_lines += spend[j].lines;
            }
            if (cat_revenue > best_revenue ||
                (cat_revenue == best_revenue && cat_lines > best_lines)) {
              best = spend[i].category;
              best_revenue = cat_revenue;
              best_lines = cat_lines;
            }
            i = j;
          }
          f.dominant_category[c] = best;
          f.mean_price[c] = quantity > 0 ? revenue / static_cast<double>(quantity) : 0.0;
        }
      });
  std::uint32_t active = 0;
  for (std::uint32_t c = 0; c < C; ++c) active += f.dominant_category[c] != kNone ? 1 : 0;
  f.active_customers = active;
  return f;
}

}  // namespace partnergraph::graph_internal
