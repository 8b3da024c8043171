// The generator's resolved "world": categories, regions, merchants and their
// (category, region) cells, all O(merchants), built once by GenerateEcosystem
// and read (immutable) by every writer; plus the fixed vocabularies and the id
// formatting every file shares. Private to src/datagen.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generator/rng.hpp"
#include "partnergraph/datagen/generator.hpp"

namespace partnergraph::generator_internal {

// Zero-padded decimal id: prefix + number (width digits at least).
inline void AppendId(std::string& out, char prefix, std::uint64_t n, int width) {
  char buf[24];
  int len = 0;
  do {
    buf[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.push_back(prefix);
  for (int i = len; i < width; ++i) out.push_back('0');
  while (len > 0) out.push_back(buf[--len]);
}

inline int DigitsFor(std::uint64_t max_value, int at_least) {
  int d = 1;
  while (max_value >= 10) {
    max_value /= 10;
    ++d;
  }
  return std::max(d, at_least);
}

inline double RoundCents(double v) { return std::round(v * 100.0) / 100.0; }

// ---------------------------------------------------------------------------
// Fixed vocabularies.

inline constexpr std::array<std::string_view, 30> kGroupNames = {
    "food",    "fashion", "home",   "garden",     "sports",    "beauty", "electronics", "books",
    "toys",    "travel",  "auto",   "health",     "pets",      "music",  "office",      "jewelry",
    "wine",    "crafts",  "baby",   "outdoor",    "furniture", "art",    "games",       "bikes",
    "camping", "tea",     "coffee", "stationery", "fitness",   "photo"};
inline constexpr std::array<std::string_view, 24> kSurnames = {
    "Miller", "Okafor", "Schmidt", "Rossi",  "Nguyen",  "Garcia",  "Kowalski", "Dubois",
    "Tanaka", "Silva",  "Jensen",  "Murphy", "Novak",   "Haddad",  "Larsen",   "Costa",
    "Weber",  "Patel",  "Moreau",  "Brandt", "Ivanova", "Oconnor", "Santos",   "Yilmaz"};
inline constexpr std::array<std::string_view, 9> kNameSuffixes = {
    "Shop", "Store", "Market", "House", "Outlet", "Studio", "Corner", "& Sons", "Depot"};
inline constexpr std::array<std::string_view, 3> kOrderChannels = {"web", "store", "app"};
inline constexpr std::array<double, 3> kOrderChannelWeights = {0.5, 0.35, 0.15};
inline constexpr std::array<std::string_view, 3> kDevices = {"mobile", "desktop", "tablet"};
inline constexpr std::array<double, 3> kDeviceWeights = {0.55, 0.35, 0.10};
// Touchpoint channels, their weights and the probability that a touch on the
// channel is run by a partner merchant (partner_id set).
inline constexpr std::array<std::string_view, 8> kTouchChannels = {
    "email", "search", "social", "display", "affiliate", "referral", "direct", "sms"};
inline constexpr std::array<double, 8> kTouchChannelWeights = {20, 20, 15, 10, 10, 10, 10, 5};
inline constexpr std::array<double, 8> kTouchPartnerShare = {0.4, 0.0, 0.2, 0.3,
                                                             0.9, 0.9, 0.0, 0.2};
inline constexpr std::array<std::string_view, 4> kSeasons = {"winter", "spring", "summer",
                                                             "autumn"};
// consent.csv channels (ContactChannel spellings) and their weights.
inline constexpr std::array<std::string_view, 7> kConsentChannels = {
    "email", "newsletter", "call_centre", "sms", "post", "events", "account_manager"};
inline constexpr std::array<double, 7> kConsentChannelWeights = {0.40, 0.25, 0.05, 0.10,
                                                                 0.05, 0.10, 0.05};
// Consent statuses in ConsentStatus order.
inline constexpr std::array<std::string_view, 6> kConsentStatuses = {
    "unclear", "blocked", "unsubscribed", "confirmed_opt_in", "double_opt_in", "pending"};
inline constexpr std::array<std::string_view, 6> kConsentSources = {
    "import", "sales", "email_link", "checkout", "web_form", "web_form"};
inline constexpr std::array<std::string_view, 5> kEngagementEvents = {
    "email_open", "site_visit", "email_click", "webinar", "trade_fair"};
inline constexpr std::array<double, 5> kEngagementWeights = {40, 25, 20, 10, 5};
inline constexpr std::array<std::string_view, 5> kPermissionModels = {
    "ignore", "opt_out_only", "building", "weakened", "full"};
inline constexpr std::array<double, 5> kPermissionWeights = {0.10, 0.20, 0.35, 0.15, 0.20};
inline constexpr std::array<std::uint32_t, 7> kKMins = {5, 10, 20, 20, 20, 50, 100};

// Price bands of merchants and customers: budget, mid, premium.
inline constexpr int kBands = 3;
inline constexpr std::array<double, kBands> kBandShares = {0.3, 0.5, 0.2};
inline constexpr std::array<double, kBands> kBandPriceFactor = {0.6, 1.0, 1.8};
// How much a customer of band b (row) favours a merchant of band g (column).
inline constexpr double kBandAffinity[kBands][kBands] = {
    {1.0, 0.35, 0.1}, {0.35, 1.0, 0.35}, {0.1, 0.35, 1.0}};
// Taste tokens: customers sharing a token favour the same SKUs everywhere,
// which plants cross-merchant SKU co-purchase pairs.
inline constexpr std::uint64_t kTasteTokens = 16;
inline constexpr double kTasteSkuShare = 0.5;

// ---------------------------------------------------------------------------
// The world: everything O(merchants) the blocks read (immutable once built).

struct MerchantInfo {
  std::uint64_t sku_offset = 0;  // global index of its first SKU
  std::uint32_t sku_count = 0;
  float weight = 0;  // Zipf size weight
  std::uint16_t category = 0;
  std::uint8_t region = 0;
  std::uint8_t band = 0;
};

struct Policy {
  bool has_row = false;
  std::size_t model = 2;
  std::uint32_t k_min = 20;
  bool share_overlaps = false;
  bool discoverable = true;
  bool allow_coupons = true;
};

struct Complement {
  std::uint32_t category;
  double strength;
};

struct World {
  GeneratorOptions opt;
  std::uint32_t n_categories = 0;
  std::uint32_t n_regions = 0;
  std::uint32_t n_groups = 0;
  std::uint64_t n_customers = 0;
  std::uint64_t n_lines = 0;
  std::uint64_t n_skus = 0;
  int merchant_digits = 6;
  int sku_digits = 8;
  int customer_digits = 7;

  std::vector<std::string> category_names;
  std::vector<std::uint32_t> category_group;
  std::vector<double> category_pop;  // normalised
  std::vector<double> category_pop_cum;
  std::vector<double> category_base_price;
  std::vector<std::vector<Complement>> complements;  // per category, by category id
  std::vector<double> complement_total;              // sum of strengths per category
  std::vector<std::pair<std::uint32_t, std::uint32_t>> complement_pairs;  // a < b, creation order
  std::vector<double> complement_pair_strength;

  std::vector<std::string> region_names;
  std::vector<double> region_weight;  // normalised
  std::vector<double> region_cum;

  std::vector<MerchantInfo> merchants;
  // Cells (category × region): members sorted by (band, weight desc, id).
  // cell c = category * n_regions + region; members in
  // cell_members[cell_start[c] .. cell_start[c + 1]); band g of the cell starts
  // at cell_band_start[c * (kBands + 1) + g].
  std::vector<std::uint64_t> cell_start;
  std::vector<std::uint64_t> cell_band_start;
  std::vector<std::uint32_t> cell_members;
  // cum[b][i]: prefix sum over the cell (restarting at each cell) of
  // weight × affinity(b, band) for customers of band b.
  std::array<std::vector<double>, kBands> cum;
  // The cell orders fall back to when a cell is empty (itself when not).
  std::vector<std::uint32_t> cell_fallback;

  std::vector<std::uint64_t> blocked_pairs;  // sorted PairKey()s of blocked pairs

  std::uint32_t Cell(std::uint32_t category, std::uint32_t region) const {
    return category * n_regions + region;
  }
  bool CellEmpty(std::uint32_t cell) const { return cell_start[cell] == cell_start[cell + 1]; }
  double CellTotal(int band, std::uint32_t cell) const {
    return CellEmpty(cell) ? 0.0 : cum[band][cell_start[cell + 1] - 1];
  }
  // A merchant of `cell` (non-empty) for a customer of `band`, by u in [0,1).
  std::uint32_t SampleMerchant(std::uint32_t cell, int band, double u) const {
    std::uint64_t begin = cell_start[cell];
    std::uint64_t end = cell_start[cell + 1];
    const std::vector<double>& c = cum[band];
    double target = u * c[end - 1];  // prefix sums restart at each cell
    auto it = std::upper_bound(c.begin() + static_cast<std::ptrdiff_t>(begin),
                               c.begin() + static_cast<std::ptrdiff_t>(end), target);
    std::uint64_t pos = std::min<std::uint64_t>(it - c.begin(), end - 1);
    return cell_members[pos];
  }
};

inline std::uint64_t PairKey(std::uint32_t a, std::uint32_t b) {
  if (a > b) std::swap(a, b);
  return (static_cast<std::uint64_t>(a) << 32) | b;
}

// merchant_policy.csv values of merchant m (drawn whether or not it has a row).
Policy MerchantPolicyOf(const World& w, std::uint32_t m);

struct SkuInfo {
  std::uint32_t category;
  double price;
};

// SKU at `global_index` (of merchant m): its category and unit price.
SkuInfo SkuOf(const World& w, std::uint32_t m, std::uint64_t global_index);

// The planted best partners of merchant m: merchants of a complementary
// category in m's region, by expected shared audience (README "Ground
// truth"); `exclude(n)` drops candidates. Exact top `k`.
struct Ranked {
  double score;
  std::uint32_t merchant;
};

template <typename Exclude>
std::vector<Ranked> BestPartners(const World& w, std::uint32_t m, std::size_t k,
                                 Exclude&& exclude) {
  std::vector<Ranked> out;
  const MerchantInfo& mi = w.merchants[m];
  const std::uint32_t a = mi.category;
  const std::uint32_t own_cell = w.Cell(a, mi.region);
  std::array<double, kBands> own_factor{};
  for (int b = 0; b < kBands; ++b) {
    double z = w.CellTotal(b, own_cell);
    own_factor[b] = z > 0 ? kBandShares[b] * kBandAffinity[b][mi.band] * mi.weight / z : 0.0;
  }
  for (const Complement& comp : w.complements[a]) {
    const std::uint32_t bcat = comp.category;
    const std::uint32_t cell = w.Cell(bcat, mi.region);
    if (w.CellEmpty(cell)) continue;
    double base =
        w.category_pop[a] * w.opt.complement_share * comp.strength / w.complement_total[a] +
        w.category_pop[bcat] * w.opt.complement_share * comp.strength / w.complement_total[bcat];
    for (int g = 0; g < kBands; ++g) {
      double coef = 0;
      for (int b = 0; b < kBands; ++b) {
        double z = w.CellTotal(b, cell);
        if (z > 0) coef += own_factor[b] * kBandAffinity[b][g] / z;
      }
      std::uint64_t begin = w.cell_band_start[cell * (kBands + 1) + g];
      std::uint64_t end = w.cell_band_start[cell * (kBands + 1) + g + 1];
      std::size_t taken = 0;
      for (std::uint64_t i = begin; i < end && taken < k; ++i) {
        std::uint32_t n = w.cell_members[i];
        if (exclude(n)) continue;
        out.push_back({base * coef * w.merchants[n].weight, n});
        ++taken;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Ranked& x, const Ranked& y) {
    return x.score != y.score ? x.score > y.score : x.merchant < y.merchant;
  });
  if (out.size() > k) out.resize(k);
  return out;
}

// The Build* steps fill `w` in this order (each reads what the previous ones
// wrote); GenerateEcosystem runs them.
void BuildCategories(World& w);
void BuildRegions(World& w);
void BuildMerchants(World& w);
void BuildCells(World& w);

}  // namespace partnergraph::generator_internal
