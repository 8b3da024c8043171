#include "stages/segments.hpp"

#include <fmt/format.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <compare>
#include <numeric>
#include <string>
#include <utility>

#include "graph_data.hpp"

namespace partnergraph::graph_internal {
namespace {

std::string FormatMoney(double v) { return fmt::format("{:.2f}", v); }

struct SegKey {
  std::uint32_t region = kNone;
  std::uint32_t category = kNone;
  std::uint32_t band = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14's false positive on a defaulted <=>
  friend auto operator<=>(const SegKey&, const SegKey&) = default;
};

}  // namespace

Result<Segments> DeriveSegments(const SegmentsInput& in) {
  const auto C = static_cast<std::uint32_t>(in.features.customer_region.size());
  const auto& customer_region = in.features.customer_region;
  const auto& dominant_category = in.features.dominant_category;
  const auto& mean_price = in.features.mean_price;
  const GraphOptions& options = in.options;
  const std::uint32_t bands = options.price_bands;
  Segments out;

  // Price band: rank of the mean unit price among customers of the same
  // dominant category; equal prices share the rank of the first of them.
  std::vector<std::uint32_t> active;
  for (std::uint32_t c = 0; c < C; ++c) {
    if (dominant_category[c] != kNone) active.push_back(c);
  }
  tbb::parallel_sort(active.begin(), active.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (dominant_category[a] != dominant_category[b])
      return dominant_category[a] < dominant_category[b];
    if (mean_price[a] != mean_price[b]) return mean_price[a] < mean_price[b];
    return a < b;
  });
  std::vector<std::uint32_t> band_of(C, 0);
  for (std::size_t i = 0; i < active.size();) {
    std::size_t j = i;
    while (j < active.size() && dominant_category[active[j]] == dominant_category[active[i]]) ++j;
    const std::uint64_t n = j - i;
    std::size_t rank = 0;
    for (std::size_t k = i; k < j; ++k) {
      if (k > i && mean_price[active[k]] != mean_price[active[k - 1]]) rank = k - i;
      band_of[active[k]] = static_cast<std::uint32_t>(rank * bands / n);
    }
    i = j;
  }

  // Distinct keys with their sizes and price ranges.
  std::vector<std::pair<SegKey, std::uint32_t>> members;
  members.reserve(active.size());
  for (std::uint32_t c : active) {
    members.push_back({{customer_region[c], dominant_category[c], band_of[c]}, c});
  }
  tbb::parallel_sort(members.begin(), members.end());
  struct KeyStats {
    SegKey key;
    std::uint32_t customers = 0;
    double min_price = 0.0;
    double max_price = 0.0;
  };
  std::vector<KeyStats> keys;
  for (std::size_t i = 0; i < members.size(); ++i) {
    double price = mean_price[members[i].second];
    if (i == 0 || members[i].first != members[i - 1].first) {
      keys.push_back({members[i].first, 0, price, price});
    }
    auto& k = keys.back();
    ++k.customers;
    k.min_price = std::min(k.min_price, price);
    k.max_price = std::max(k.max_price, price);
  }

  // The cap: keep the largest keys, merge the rest into "other" per region.
  const std::size_t cap = options.max_segments;
  std::vector<std::uint32_t> segment_of_key(keys.size(), kNone);
  std::vector<std::uint32_t> kept;          // key indices, ascending
  std::vector<std::uint32_t> other_region;  // regions with an "other", ascending
  bool global_other = false;
  std::vector<std::uint32_t> merged_count;  // keys merged, per "other"
  if (keys.size() <= cap) {
    kept.resize(keys.size());
    std::iota(kept.begin(), kept.end(), 0u);
  } else {
    std::vector<std::uint32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (keys[a].customers != keys[b].customers) return keys[a].customers > keys[b].customers;
      return keys[a].key < keys[b].key;
    });
    // dropped_regions[k]: distinct regions among order[k..).
    std::vector<std::uint32_t> dropped_regions(keys.size() + 1, 0);
    {
      std::vector<std::uint32_t> seen;
      for (std::size_t k = keys.size(); k-- > 0;) {
        std::uint32_t region = keys[order[k]].key.region;
        if (std::find(seen.begin(), seen.end(), region) == seen.end()) seen.push_back(region);
        dropped_regions[k] = static_cast<std::uint32_t>(seen.size());
      }
    }
    std::size_t keep = 0;
    bool fits = false;
    for (std::size_t k = keys.size(); k-- > 0;) {
      if (k + dropped_regions[k] <= cap) {
        keep = k;
        fits = true;
        break;
      }
    }
    if (!fits) {
      keep = cap - 1;
      global_other = true;
    }
    kept.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep));
    std::sort(kept.begin(), kept.end());
    out.keys_merged = keys.size() - keep;
    if (!global_other) {
      for (std::size_t k = keep; k < order.size(); ++k)
        other_region.push_back(keys[order[k]].key.region);
      std::sort(other_region.begin(), other_region.end());
      other_region.erase(std::unique(other_region.begin(), other_region.end()), other_region.end());
    }
  }
  auto region_name = [&](std::uint32_t r) {
    return r == kNone ? std::string("unknown region") : std::string(in.regions.Name(r));
  };
  std::vector<std::string> names, descriptions;
  for (std::uint32_t k : kept) {
    const auto& ks = keys[k];
    segment_of_key[k] = static_cast<std::uint32_t>(names.size());
    std::string category(in.categories.Name(ks.key.category));
    std::string band = fmt::format("{} of {}", ks.key.band + 1, bands);
    std::string price_range = FormatMoney(ks.min_price);
    if (FormatMoney(ks.max_price) != price_range) price_range += "-" + FormatMoney(ks.max_price);
    names.push_back(fmt::format("{} / {} / price {}", region_name(ks.key.region), category, band));
    descriptions.push_back(fmt::format(
        "Customers in {} whose top category by spend is {} and whose mean item price is {} (price "
        "band {} within the category).",
        ks.key.region == kNone ? std::string("an unknown region")
                               : "region " + region_name(ks.key.region),
        category, price_range, band));
    out.segment_region.push_back(ks.key.region);
    out.segment_category.push_back(ks.key.category);
    out.segment_band.push_back(ks.key.band);
  }
  const std::uint32_t first_other = static_cast<std::uint32_t>(names.size());
  if (global_other) {
    names.push_back("other");
    descriptions.push_back(fmt::format(
        "Customers of the {} smallest region x category x price-band groups, merged to keep at "
        "most {} segments.",
        out.keys_merged, cap));
    out.segment_region.push_back(kNone);
    out.segment_category.push_back(kNone);
    out.segment_band.push_back(SegmentInfo::kOtherBand);
  }
  for (std::uint32_t region : other_region) {
    names.push_back(region_name(region) + " / other");
    descriptions.push_back(fmt::format(
        "Customers in {} from smaller region x category x price-band groups, merged to keep at "
        "most {} segments.",
        region_name(region), cap));
    out.segment_region.push_back(region);
    out.segment_category.push_back(kNone);
    out.segment_band.push_back(SegmentInfo::kOtherBand);
  }
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (segment_of_key[k] != kNone) continue;
    if (global_other) {
      segment_of_key[k] = first_other;
    } else {
      auto it = std::lower_bound(other_region.begin(), other_region.end(), keys[k].key.region);
      segment_of_key[k] = first_other + static_cast<std::uint32_t>(it - other_region.begin());
    }
  }
  const auto G = static_cast<std::uint32_t>(names.size());
  out.count = G;
  out.segment_customers.assign(G, 0);
  out.customer_segment.assign(C, kNone);
  std::size_t key = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0 && members[i].first != members[i - 1].first) ++key;
    out.customer_segment[members[i].second] = segment_of_key[key];
    ++out.segment_customers[segment_of_key[key]];
  }
  PG_ASSIGN_OR_RETURN(out.segment_names, StringTable::Build(names, false, "segment names"));
  PG_ASSIGN_OR_RETURN(out.segment_descriptions,
                      StringTable::Build(descriptions, false, "segment descriptions"));
  return out;
}

}  // namespace partnergraph::graph_internal
