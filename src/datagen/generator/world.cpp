// Building the world (world.hpp) and the per-merchant and per-SKU draws.
#include "generator/world.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace partnergraph::generator_internal {

Policy MerchantPolicyOf(const World& w, std::uint32_t m) {
  Rng rng(Hash(w.opt.seed, kStreamPolicy, m));
  Policy p;
  p.has_row = rng.Bernoulli(w.opt.policy_share);
  // Draw everything even without a row so that the row's values do not
  // depend on policy_share.
  p.model = PickFixed(rng, kPermissionWeights);
  p.k_min = kKMins[rng.Below(kKMins.size())];
  p.share_overlaps = rng.Bernoulli(0.6);
  bool discoverable = !rng.Bernoulli(w.opt.not_discoverable_share);
  bool allow_coupons = !rng.Bernoulli(w.opt.no_coupons_share);
  if (p.has_row) {
    p.discoverable = discoverable;
    p.allow_coupons = allow_coupons;
  } else {
    p = Policy{};  // merchant_policy.csv defaults (dataset.hpp MerchantPolicy)
  }
  return p;
}

SkuInfo SkuOf(const World& w, std::uint32_t m, std::uint64_t global_index) {
  const MerchantInfo& mi = w.merchants[m];
  Rng rng(Hash(w.opt.seed, kStreamSku, global_index));
  SkuInfo s{mi.category, 0.0};
  if (rng.Bernoulli(0.15)) {
    // A neighbouring category of the same group.
    std::uint32_t group = w.category_group[mi.category];
    std::uint32_t first = mi.category;
    while (first > 0 && w.category_group[first - 1] == group) --first;
    std::uint32_t last = mi.category;
    while (last + 1 < w.n_categories && w.category_group[last + 1] == group) ++last;
    s.category = first + static_cast<std::uint32_t>(rng.Below(last - first + 1));
  }
  double price =
      w.category_base_price[s.category] * kBandPriceFactor[mi.band] * std::exp(0.4 * rng.Normal());
  s.price = std::max(0.5, RoundCents(price));
  return s;
}

void BuildCategories(World& w) {
  const GeneratorOptions& o = w.opt;
  Rng rng(Hash(o.seed, kStreamWorld, 1));
  const std::uint32_t n = w.n_categories;
  w.n_groups = std::max<std::uint32_t>(2, n / o.categories_per_group);
  w.n_groups = std::min(w.n_groups, n);
  w.category_names.resize(n);
  w.category_group.resize(n);
  std::vector<std::uint32_t> index_in_group(w.n_groups, 0);
  for (std::uint32_t c = 0; c < n; ++c) {
    std::uint32_t g = static_cast<std::uint32_t>(static_cast<std::uint64_t>(c) * w.n_groups / n);
    w.category_group[c] = g;
    std::string name =
        g < kGroupNames.size() ? std::string(kGroupNames[g]) : "group" + std::to_string(g + 1);
    std::string sub = std::to_string(++index_in_group[g]);
    name += '.';
    if (sub.size() < 2) name += '0';
    name += sub;
    w.category_names[c] = std::move(name);
  }
  // Popularity: Zipf over a random order of the categories.
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (std::uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  w.category_pop.assign(n, 0.0);
  double total = 0;
  for (std::uint32_t r = 0; r < n; ++r) {
    double p = std::pow(r + 1.0, -o.category_zipf_exponent);
    w.category_pop[order[r]] = p;
    total += p;
  }
  for (double& p : w.category_pop) p /= total;
  w.category_pop_cum = Cumulative(w.category_pop);
  w.category_base_price.resize(n);
  for (std::uint32_t c = 0; c < n; ++c) {
    w.category_base_price[c] = std::exp(std::log(5.0) + rng.Uniform() * std::log(150.0 / 5.0));
  }
  // Complementary pairs, always across groups.
  w.complements.assign(n, {});
  w.complement_total.assign(n, 0.0);
  std::unordered_set<std::uint64_t> seen;
  for (std::uint32_t a = 0; a < n; ++a) {
    for (std::uint32_t k = 0; k < o.complements_per_category; ++k) {
      for (int attempt = 0; attempt < 32; ++attempt) {
        auto b = static_cast<std::uint32_t>(rng.Below(n));
        if (w.category_group[b] == w.category_group[a]) continue;
        if (!seen.insert(PairKey(a, b)).second) continue;
        double strength = std::round((0.3 + 0.7 * rng.Uniform()) * 1000.0) / 1000.0;
        w.complement_pairs.emplace_back(std::min(a, b), std::max(a, b));
        w.complement_pair_strength.push_back(strength);
        w.complements[a].push_back({b, strength});
        w.complements[b].push_back({a, strength});
        w.complement_total[a] += strength;
        w.complement_total[b] += strength;
        break;
      }
    }
  }
  for (auto& list : w.complements) {
    std::sort(list.begin(), list.end(),
              [](const Complement& x, const Complement& y) { return x.category < y.category; });
  }
}

void BuildRegions(World& w) {
  Rng rng(Hash(w.opt.seed, kStreamWorld, 2));
  w.region_names.resize(w.n_regions);
  w.region_weight.resize(w.n_regions);
  double total = 0;
  for (std::uint32_t r = 0; r < w.n_regions; ++r) {
    std::string num = std::to_string(r + 1);
    w.region_names[r] = "region_" + std::string(num.size() < 2 ? 1 : 0, '0') + num;
    w.region_weight[r] = 0.5 + rng.Uniform();
    total += w.region_weight[r];
  }
  for (double& x : w.region_weight) x /= total;
  w.region_cum = Cumulative(w.region_weight);
}

void BuildMerchants(World& w) {
  const GeneratorOptions& o = w.opt;
  const std::uint64_t n = o.merchants;
  w.merchants.resize(n);
  // Size ranks: a random permutation, so that size is independent of id.
  std::vector<std::uint32_t> rank(n);
  std::iota(rank.begin(), rank.end(), 0u);
  Rng perm(Hash(o.seed, kStreamWorld, 3));
  for (std::uint64_t i = n; i > 1; --i) std::swap(rank[i - 1], rank[perm.Below(i)]);
  std::uint64_t offset = 0;
  std::vector<double> band_cum =
      Cumulative(std::vector<double>(kBandShares.begin(), kBandShares.end()));
  for (std::uint64_t m = 0; m < n; ++m) {
    Rng rng(Hash(o.seed, kStreamMerchant, m));
    MerchantInfo& mi = w.merchants[m];
    mi.category = static_cast<std::uint16_t>(rng.Pick(w.category_pop_cum));
    mi.region = static_cast<std::uint8_t>(rng.Pick(w.region_cum));
    mi.band = static_cast<std::uint8_t>(rng.Pick(band_cum));
    std::uint64_t count = 1 + rng.Geometric(o.skus_per_merchant - 1.0);
    mi.sku_count = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, 100'000));
    mi.sku_offset = offset;
    offset += mi.sku_count;
    mi.weight = static_cast<float>(std::pow(rank[m] + 1.0, -o.merchant_zipf_exponent));
  }
  w.n_skus = offset;
}

void BuildCells(World& w) {
  const std::uint64_t n_cells = static_cast<std::uint64_t>(w.n_categories) * w.n_regions;
  w.cell_start.assign(n_cells + 1, 0);
  for (const MerchantInfo& mi : w.merchants) ++w.cell_start[w.Cell(mi.category, mi.region) + 1];
  for (std::uint64_t c = 0; c < n_cells; ++c) w.cell_start[c + 1] += w.cell_start[c];
  w.cell_members.resize(w.merchants.size());
  std::vector<std::uint64_t> fill(w.cell_start.begin(), w.cell_start.end() - 1);
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    const MerchantInfo& mi = w.merchants[m];
    w.cell_members[fill[w.Cell(mi.category, mi.region)]++] = m;
  }
  w.cell_band_start.assign(n_cells * (kBands + 1), 0);
  for (int b = 0; b < kBands; ++b) w.cum[b].resize(w.merchants.size());
  for (std::uint64_t c = 0; c < n_cells; ++c) {
    auto begin = w.cell_members.begin() + static_cast<std::ptrdiff_t>(w.cell_start[c]);
    auto end = w.cell_members.begin() + static_cast<std::ptrdiff_t>(w.cell_start[c + 1]);
    std::sort(begin, end, [&w](std::uint32_t x, std::uint32_t y) {
      const MerchantInfo& a = w.merchants[x];
      const MerchantInfo& b = w.merchants[y];
      if (a.band != b.band) return a.band < b.band;
      if (a.weight != b.weight) return a.weight > b.weight;
      return x < y;
    });
    std::uint64_t pos = w.cell_start[c];
    for (int g = 0; g <= kBands; ++g) {
      while (pos < w.cell_start[c + 1] && w.merchants[w.cell_members[pos]].band < g) ++pos;
      w.cell_band_start[c * (kBands + 1) + g] = g == kBands ? w.cell_start[c + 1] : pos;
    }
    for (int b = 0; b < kBands; ++b) {
      double run = 0;
      for (std::uint64_t i = w.cell_start[c]; i < w.cell_start[c + 1]; ++i) {
        const MerchantInfo& mi = w.merchants[w.cell_members[i]];
        run += mi.weight * kBandAffinity[b][mi.band];
        w.cum[b][i] = run;
      }
    }
  }
  // Fallbacks: the next region (cyclically) with merchants of the category,
  // else the next category (cyclically) with merchants in any region.
  w.cell_fallback.resize(n_cells);
  std::vector<bool> category_has(w.n_categories, false);
  for (const MerchantInfo& mi : w.merchants) category_has[mi.category] = true;
  for (std::uint32_t cat = 0; cat < w.n_categories; ++cat) {
    std::uint32_t use_cat = cat;
    while (!category_has[use_cat]) use_cat = (use_cat + 1) % w.n_categories;
    for (std::uint32_t r = 0; r < w.n_regions; ++r) {
      std::uint32_t cell = w.Cell(use_cat, r);
      for (std::uint32_t step = 1; w.CellEmpty(cell) && step < w.n_regions; ++step) {
        cell = w.Cell(use_cat, (r + step) % w.n_regions);
      }
      w.cell_fallback[w.Cell(cat, r)] = cell;
    }
  }
}

}  // namespace partnergraph::generator_internal
