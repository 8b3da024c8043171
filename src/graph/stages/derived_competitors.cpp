#include "stages/derived_competitors.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <compare>
#include <limits>
#include <utility>

namespace partnergraph::graph_internal {
namespace {

// Log-scale price band of a SKU for the assortment profile.
std::int32_t PriceBand(double price, double ratio) {
  if (!(price > 0)) return std::numeric_limits<std::int32_t>::min();
  double band = std::floor(std::log(price) / std::log(ratio));
  band = std::clamp(band, -1.0e9, 1.0e9);
  return static_cast<std::int32_t>(band);
}

}  // namespace

Result<DerivedCompetitorEdges> DeriveCompetitors(const DerivedCompetitorsInput& in) {
  const GraphOptions& options = in.options;
  const auto M = static_cast<std::uint32_t>(in.merchant_category.size());
  DerivedCompetitorEdges result;
  using Entry = std::pair<std::uint32_t, float>;  // merchant, Jaccard
  if (!options.derive_competitors) {
    result.competitor_derived.offsets.assign(static_cast<std::size_t>(M) + 1, 0);
    return result;
  }
  const auto& sells_off = in.sells.offsets;
  const auto& sells = in.sells.entries;
  const double ratio = options.competitor_price_band_ratio;
  // Assortment cells per merchant: (SKU category, price band), ascending.
  PG_ASSIGN_OR_RETURN(
      auto cells,
      BuildPerSource<std::uint64_t>(
          M, "assortment cells", nullptr, [&](std::uint32_t m, std::vector<std::uint64_t>& out) {
            std::size_t before = out.size();
            for (std::uint32_t i = sells_off[m]; i < sells_off[m + 1]; ++i) {
              std::uint32_t s = sells[i];
              auto band =
                  static_cast<std::uint32_t>(PriceBand(in.sku_price[s], ratio)) ^ 0x80000000u;
              out.push_back((static_cast<std::uint64_t>(in.sku_category[s]) << 32) | band);
            }
            std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
            out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()),
                      out.end());
          }));
  // Inverted index: groups of merchants of one merchant category sharing a cell.
  struct Member {
    std::uint32_t merchant_category;
    std::uint64_t cell;
    std::uint32_t merchant;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14's false positive on a defaulted <=>
    auto operator<=>(const Member&) const = default;
  };
  std::vector<Member> members;
  members.reserve(cells.entries.size());
  for (std::uint32_t m = 0; m < M; ++m) {
    for (std::uint64_t cell : cells.Of(m)) members.push_back({in.merchant_category[m], cell, m});
  }
  tbb::parallel_sort(members.begin(), members.end());
  std::vector<std::uint32_t> group_begin;  // groups + 1 entries
  for (std::uint32_t i = 0; i < members.size(); ++i) {
    if (i == 0 || members[i].merchant_category != members[i - 1].merchant_category ||
        members[i].cell != members[i - 1].cell) {
      group_begin.push_back(i);
    }
  }
  group_begin.push_back(static_cast<std::uint32_t>(members.size()));
  // Groups of each merchant (ascending, as members are sorted by cell).
  Lists<std::uint32_t> groups_of;
  groups_of.offsets = cells.offsets;
  groups_of.entries.resize(members.size());
  {
    std::vector<std::uint32_t> cursor(groups_of.offsets.begin(), groups_of.offsets.end() - 1);
    for (std::uint32_t grp = 0; grp + 1 < group_begin.size(); ++grp) {
      for (std::uint32_t i = group_begin[grp]; i < group_begin[grp + 1]; ++i) {
        groups_of.entries[cursor[members[i].merchant]++] = grp;
      }
    }
  }
  auto group_size = [&](std::uint32_t grp) { return group_begin[grp + 1] - group_begin[grp]; };

  std::atomic<std::uint64_t> capped_merchants{0};
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> acc_scratch, order_scratch;
  const std::size_t max_candidates = options.competitor_max_candidates;
  const std::size_t keep = options.max_derived_competitors;
  PG_ASSIGN_OR_RETURN(
      auto best,
      BuildPerSource<Entry>(
          M, "derived competitors", nullptr, [&](std::uint32_t a, std::vector<Entry>& out) {
            auto& order = order_scratch.local();
            auto mine = groups_of.Of(a);
            order.assign(mine.begin(), mine.end());
            std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
              if (group_size(x) != group_size(y)) return group_size(x) < group_size(y);
              return x < y;
            });
            auto& acc = acc_scratch.local();
            acc.clear();
            bool stopped = false;
            for (std::uint32_t grp : order) {
              for (std::uint32_t i = group_begin[grp]; i < group_begin[grp + 1] && !stopped; ++i) {
                if (members[i].merchant == a) continue;
                acc.push_back(members[i].merchant);
                stopped = max_candidates > 0 && acc.size() >= max_candidates;
              }
              if (stopped) break;
            }
            if (stopped) ++capped_merchants;
            std::sort(acc.begin(), acc.end());
            std::size_t before = out.size();
            const double cells_a = mine.size();
            for (std::size_t i = 0; i < acc.size();) {
              std::size_t j = i;
              while (j < acc.size() && acc[j] == acc[i]) ++j;
              const double shared = static_cast<double>(j - i);
              const double jaccard = shared / (cells_a + groups_of.SizeOf(acc[i]) - shared);
              if (jaccard >= options.competitor_min_jaccard) {
                out.push_back({acc[i], static_cast<float>(jaccard)});
              }
              i = j;
            }
            if (keep > 0 && out.size() - before > keep) {
              auto first = out.begin() + static_cast<std::ptrdiff_t>(before);
              std::sort(first, out.end(), [](const Entry& x, const Entry& y) {
                if (x.second != y.second) return x.second > y.second;
                return x.first < y.first;
              });
              out.resize(before + keep);
              std::sort(first, out.end());
            }
          }));
  result.merchants_capped = capped_merchants.load();
  // Symmetric union of the per-merchant lists (the larger overlap when both
  // sides found the pair with different candidate caps).
  auto reverse = Transpose<Entry>(
      best, M, [](const Entry& e) { return e.first; },
      [](std::uint32_t a, const Entry& e, std::uint32_t) {
        return Entry{a, e.second};
      });
  PG_ASSIGN_OR_RETURN(
      auto both,
      BuildPerSource<Entry>(M, "derived competitors", nullptr,
                            [&](std::uint32_t a, std::vector<Entry>& out) {
                              auto x = best.Of(a);
                              auto y = reverse.Of(a);
                              std::size_t i = 0, j = 0;
                              while (i < x.size() || j < y.size()) {
                                if (j == y.size() || (i < x.size() && x[i].first < y[j].first)) {
                                  out.push_back(x[i++]);
                                } else if (i == x.size() || y[j].first < x[i].first) {
                                  out.push_back(y[j++]);
                                } else {
                                  out.push_back({x[i].first, std::max(x[i].second, y[j].second)});
                                  ++i;
                                  ++j;
                                }
                              }
                            }));
  result.competitor_derived.offsets = std::move(both.offsets);
  result.competitor_derived.entries.resize(both.entries.size());
  result.overlap.resize(both.entries.size());
  for (std::size_t i = 0; i < both.entries.size(); ++i) {
    result.competitor_derived.entries[i] = both.entries[i].first;
    result.overlap[i] = both.entries[i].second;
  }
  return result;
}

}  // namespace partnergraph::graph_internal
