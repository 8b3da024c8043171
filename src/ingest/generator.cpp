// Synthetic ecosystem generator; the model is described in
// datasets/generator/README.md. Layout of this file: random numbers, the
// resolved "world" (categories, regions, merchants and their (category,
// region) cells, all O(merchants)), the per-file writers, GenerateEcosystem.
#include "partnergraph/ingest/generator.hpp"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/splitmix64.hpp"

namespace partnergraph {
namespace {

// ---------------------------------------------------------------------------
// Random numbers. Every random choice draws from a SplitMix64 stream seeded by
// Hash(seed, stream kind, index), so that a value depends only on what it
// describes (merchant i, customer c, block b), never on generation order or
// thread count. Distributions are implemented here (the std:: ones are not
// portable across standard libraries).

constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b) {
  return SplitMix64Hash(a ^ SplitMix64Hash(b));
}
constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return Hash(Hash(a, b), c);
}
constexpr std::uint64_t Hash(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  return Hash(Hash(a, b, c), d);
}
double ToUnit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Kinds of random streams (the second Hash argument).
enum Stream : std::uint64_t {
  kStreamWorld = 1,
  kStreamMerchant = 2,
  kStreamSku = 3,
  kStreamCustomer = 4,
  kStreamBlock = 5,
  kStreamLoyalty = 6,
  kStreamTaste = 7,
  kStreamPartnership = 8,
  kStreamPolicy = 9,
  kStreamEngagement = 10,
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() { return SplitMix64Next(state_); }
  // Uniform in [0, 1).
  double Uniform() { return ToUnit(Next()); }
  // Uniform in [0, n), n >= 1 (modulo bias below n / 2^64, negligible here).
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Normal() {
    double u1 = 1.0 - Uniform();  // (0, 1]
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Number of failures before the first success when the mean is `mean` (>= 0).
  std::uint64_t Geometric(double mean) {
    if (mean <= 0.0) return 0;
    double p = 1.0 / (1.0 + mean);
    double u = 1.0 - Uniform();  // (0, 1]
    return static_cast<std::uint64_t>(std::floor(std::log(u) / std::log1p(-p)));
  }
  std::uint64_t Poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean < 30.0) {
      double limit = std::exp(-mean);
      double prod = Uniform();
      std::uint64_t k = 0;
      while (prod > limit) {
        ++k;
        prod *= Uniform();
      }
      return k;
    }
    double x = std::round(mean + std::sqrt(mean) * Normal());
    return x < 0.0 ? 0 : static_cast<std::uint64_t>(x);
  }
  // Index i with probability weights[i] / sum, from a cumulative array.
  std::size_t Pick(const std::vector<double>& cumulative) {
    double u = Uniform() * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    return std::min<std::size_t>(it - cumulative.begin(), cumulative.size() - 1);
  }

 private:
  std::uint64_t state_;
};

std::vector<double> Cumulative(const std::vector<double>& weights) {
  std::vector<double> c(weights.size());
  std::partial_sum(weights.begin(), weights.end(), c.begin());
  return c;
}

// Zero-padded decimal id: prefix + number (width digits at least).
void AppendId(std::string& out, char prefix, std::uint64_t n, int width) {
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

int DigitsFor(std::uint64_t max_value, int at_least) {
  int d = 1;
  while (max_value >= 10) {
    max_value /= 10;
    ++d;
  }
  return std::max(d, at_least);
}

double RoundCents(double v) { return std::round(v * 100.0) / 100.0; }

// ---------------------------------------------------------------------------
// Fixed vocabularies.

constexpr std::array<std::string_view, 30> kGroupNames = {
    "food",      "fashion", "home",   "garden",  "sports", "beauty",     "electronics", "books",
    "toys",      "travel",  "auto",   "health",  "pets",   "music",      "office",      "jewelry",
    "wine",      "crafts",  "baby",   "outdoor", "furniture", "art",     "games",       "bikes",
    "camping",   "tea",     "coffee", "stationery", "fitness", "photo"};
constexpr std::array<std::string_view, 24> kSurnames = {
    "Miller", "Okafor", "Schmidt", "Rossi",  "Nguyen", "Garcia", "Kowalski", "Dubois",
    "Tanaka", "Silva",  "Jensen",  "Murphy", "Novak",  "Haddad", "Larsen",   "Costa",
    "Weber",  "Patel",  "Moreau",  "Brandt", "Ivanova", "Oconnor", "Santos", "Yilmaz"};
constexpr std::array<std::string_view, 9> kNameSuffixes = {
    "Shop", "Store", "Market", "House", "Outlet", "Studio", "Corner", "& Sons", "Depot"};
constexpr std::array<std::string_view, 3> kOrderChannels = {"web", "store", "app"};
constexpr std::array<double, 3> kOrderChannelWeights = {0.5, 0.35, 0.15};
constexpr std::array<std::string_view, 3> kDevices = {"mobile", "desktop", "tablet"};
constexpr std::array<double, 3> kDeviceWeights = {0.55, 0.35, 0.10};
// Touchpoint channels, their weights and the probability that a touch on the
// channel is run by a partner merchant (partner_id set).
constexpr std::array<std::string_view, 8> kTouchChannels = {
    "email", "search", "social", "display", "affiliate", "referral", "direct", "sms"};
constexpr std::array<double, 8> kTouchChannelWeights = {20, 20, 15, 10, 10, 10, 10, 5};
constexpr std::array<double, 8> kTouchPartnerShare = {0.4, 0.0, 0.2, 0.3, 0.9, 0.9, 0.0, 0.2};
constexpr std::array<std::string_view, 4> kSeasons = {"winter", "spring", "summer", "autumn"};
// consent.csv channels (ContactChannel spellings) and their weights.
constexpr std::array<std::string_view, 6> kConsentChannels = {"email", "newsletter", "phone",
                                                               "sms",   "post",       "events"};
constexpr std::array<double, 6> kConsentChannelWeights = {0.40, 0.25, 0.10, 0.10, 0.05, 0.10};
// Consent statuses in ConsentStatus order.
constexpr std::array<std::string_view, 6> kConsentStatuses = {
    "unclear", "blocked", "unsubscribed", "confirmed_opt_in", "double_opt_in", "pending"};
constexpr std::array<std::string_view, 6> kConsentSources = {
    "import", "sales", "email_link", "checkout", "web_form", "web_form"};
constexpr std::array<std::string_view, 5> kEngagementEvents = {"email_open", "site_visit",
                                                                "email_click", "webinar",
                                                                "trade_fair"};
constexpr std::array<double, 5> kEngagementWeights = {40, 25, 20, 10, 5};
constexpr std::array<std::string_view, 5> kPermissionModels = {"ignore", "opt_out_only",
                                                                "building", "weakened", "full"};
constexpr std::array<double, 5> kPermissionWeights = {0.10, 0.20, 0.35, 0.15, 0.20};
constexpr std::array<std::uint32_t, 7> kKMins = {5, 10, 20, 20, 20, 50, 100};

// Price bands of merchants and customers: budget, mid, premium.
constexpr int kBands = 3;
constexpr std::array<double, kBands> kBandShares = {0.3, 0.5, 0.2};
constexpr std::array<double, kBands> kBandPriceFactor = {0.6, 1.0, 1.8};
// How much a customer of band b (row) favours a merchant of band g (column).
constexpr double kBandAffinity[kBands][kBands] = {
    {1.0, 0.35, 0.1}, {0.35, 1.0, 0.35}, {0.1, 0.35, 1.0}};
// Taste tokens: customers sharing a token favour the same SKUs everywhere,
// which plants cross-merchant SKU co-purchase pairs.
constexpr std::uint64_t kTasteTokens = 16;
constexpr double kTasteSkuShare = 0.5;

template <std::size_t N>
std::size_t PickFixed(Rng& rng, const std::array<double, N>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.Uniform() * total;
  for (std::size_t i = 0; i < N; ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return N - 1;
}

// ---------------------------------------------------------------------------
// The world: everything O(merchants) the blocks read (immutable once built).

struct MerchantInfo {
  std::uint64_t sku_offset = 0;  // global index of its first SKU
  std::uint32_t sku_count = 0;
  float weight = 0;              // Zipf size weight
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
  std::vector<double> category_pop;        // normalised
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

std::uint64_t PairKey(std::uint32_t a, std::uint32_t b) {
  if (a > b) std::swap(a, b);
  return (static_cast<std::uint64_t>(a) << 32) | b;
}

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

struct SkuInfo {
  std::uint32_t category;
  double price;
};

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
  double price = w.category_base_price[s.category] * kBandPriceFactor[mi.band] *
                 std::exp(0.4 * rng.Normal());
  s.price = std::max(0.5, RoundCents(price));
  return s;
}

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
    double base = w.category_pop[a] * w.opt.complement_share * comp.strength /
                      w.complement_total[a] +
                  w.category_pop[bcat] * w.opt.complement_share * comp.strength /
                      w.complement_total[bcat];
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

Status ValidateOptions(const GeneratorOptions& o) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("generator: " + what); };
  if (o.merchants < 1) return bad("merchants must be >= 1");
  if (o.merchants > 50'000'000) return bad("merchants must be <= 50,000,000");
  if (o.order_lines_per_merchant > 100'000) return bad("order_lines_per_merchant must be <= 100000");
  if (o.customers > 500'000'000) return bad("customers must be <= 500,000,000");
  if (o.categories == 1 || o.categories > 60000) return bad("categories must be 0 (auto) or in [2, 60000]");
  if (o.categories_per_group < 1) return bad("categories_per_group must be >= 1");
  if (o.regions > 250) return bad("regions must be 0 (auto) or in [1, 250]");
  if (!(o.skus_per_merchant >= 1.0 && o.skus_per_merchant <= 10000.0)) {
    return bad("skus_per_merchant must be in [1, 10000]");
  }
  if (!(o.merchant_zipf_exponent >= 0 && o.merchant_zipf_exponent <= 4)) {
    return bad("merchant_zipf_exponent must be in [0, 4]");
  }
  if (!(o.category_zipf_exponent >= 0 && o.category_zipf_exponent <= 4)) {
    return bad("category_zipf_exponent must be in [0, 4]");
  }
  if (o.start_ts >= o.end_ts) return bad("start_ts must be before end_ts");
  if (o.customers_per_block < 1) return bad("customers_per_block must be >= 1");
  const std::pair<const char*, double> probabilities[] = {
      {"home_region_share", o.home_region_share},
      {"primary_share", o.primary_share},
      {"complement_share", o.complement_share},
      {"loyalty", o.loyalty},
      {"consent_share", o.consent_share},
      {"later_unsubscribe_share", o.later_unsubscribe_share},
      {"pending_confirmed_share", o.pending_confirmed_share},
      {"journey_share", o.journey_share},
      {"declared_competitor_share", o.declared_competitor_share},
      {"declared_partner_share", o.declared_partner_share},
      {"blocked_share", o.blocked_share},
      {"policy_share", o.policy_share},
      {"not_discoverable_share", o.not_discoverable_share},
      {"no_coupons_share", o.no_coupons_share},
  };
  for (const auto& [name, p] : probabilities) {
    if (!(p >= 0.0 && p <= 1.0)) return bad(std::string(name) + " must be in [0, 1]");
  }
  if (o.primary_share + o.complement_share > 1.0 + 1e-12) {
    return bad("primary_share + complement_share must be <= 1");
  }
  const double shares[] = {o.share_unclear,          o.share_blocked,       o.share_unsubscribed,
                           o.share_confirmed_opt_in, o.share_double_opt_in, o.share_pending};
  double total = 0;
  for (double s : shares) {
    if (!(s >= 0.0)) return bad("consent status shares must be >= 0");
    total += s;
  }
  if (!(total > 0.0)) return bad("consent status shares must not all be 0");
  if (!(o.non_converting_journeys >= 0 && o.non_converting_journeys <= 100)) {
    return bad("non_converting_journeys must be in [0, 100]");
  }
  if (!(o.engagement_per_merchant >= 0 && o.engagement_per_merchant <= 10000)) {
    return bad("engagement_per_merchant must be in [0, 10000]");
  }
  return Status::Ok();
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
    std::string name = g < kGroupNames.size() ? std::string(kGroupNames[g])
                                              : "group" + std::to_string(g + 1);
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

// ---------------------------------------------------------------------------
// Output plumbing.

class Outputs {
 public:
  explicit Outputs(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<CsvWriter*> Open(const std::string& relative,
                          std::initializer_list<std::string_view> header) {
    PG_ASSIGN_OR_RETURN(CsvWriter w, CsvWriter::Create(dir_ / relative));
    writers_.push_back(std::make_unique<CsvWriter>(std::move(w)));
    PG_RETURN_IF_ERROR(writers_.back()->WriteRow(header));
    return writers_.back().get();
  }
  // Commits every writer; on error the remaining temporary files are removed.
  Status CommitAll(std::uint64_t* bytes) {
    for (auto& w : writers_) {
      *bytes += w->bytes();
      PG_RETURN_IF_ERROR(w->Commit());
    }
    return Status::Ok();
  }

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<CsvWriter>> writers_;
};

// Runs produce(block) for blocks 0..n-1 in parallel and consume(result) in
// block order on one thread at a time; stops at the first consume error.
template <typename Out, typename Produce, typename Consume>
Status RunOrdered(std::uint64_t n_blocks, Produce&& produce, Consume&& consume) {
  if (n_blocks == 0) return Status::Ok();
  std::uint64_t next = 0;
  Status status;
  const std::size_t tokens = 2 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()) + 2;
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::uint64_t>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fc) -> std::uint64_t {
            if (next >= n_blocks || !status.ok()) {
              fc.stop();
              return 0;
            }
            return next++;
          }) &
          tbb::make_filter<std::uint64_t, Out*>(
              tbb::filter_mode::parallel,
              [&](std::uint64_t block) -> Out* { return new Out(produce(block)); }) &
          tbb::make_filter<Out*, void>(tbb::filter_mode::serial_in_order, [&](Out* out) {
            std::unique_ptr<Out> owned(out);
            if (status.ok()) status = consume(*owned);
          }));
  return status;
}

// ---------------------------------------------------------------------------
// Merchant-level files.

void AppendMerchantName(std::string& out, const World& w, std::uint32_t m) {
  Rng rng(Hash(w.opt.seed, kStreamMerchant, m, 1));
  out += kSurnames[rng.Below(kSurnames.size())];
  out += ' ';
  std::uint32_t g = w.category_group[w.merchants[m].category];
  std::string group = g < kGroupNames.size() ? std::string(kGroupNames[g]) : "General";
  group[0] = static_cast<char>(group[0] - 'a' + 'A');
  out += group;
  out += ' ';
  out += kNameSuffixes[rng.Below(kNameSuffixes.size())];
  // A few names that need RFC 4180 quoting.
  double u = rng.Uniform();
  if (u < 0.02) {
    out += ", Ltd.";
  } else if (u < 0.03) {
    out += " \"Express\"";
  }
}

Status WriteMerchants(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("merchants.csv", {"merchant_id", "name", "category", "region"}));
  std::string id;
  std::string name;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    id.clear();
    AppendId(id, 'm', m, w.merchant_digits);
    name.clear();
    AppendMerchantName(name, w, m);
    const MerchantInfo& mi = w.merchants[m];
    f->row().Add(id).Add(name).Add(w.category_names[mi.category]).Add(w.region_names[mi.region]);
    PG_RETURN_IF_ERROR(f->EndRow());
  }
  st.merchants = w.merchants.size();
  return Status::Ok();
}

constexpr std::uint64_t kMerchantsPerBlock = 2048;

struct TextBlock {
  std::string text;
  std::uint64_t rows = 0;
};

Status WriteSkus(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("skus.csv", {"sku_id", "merchant_id", "category", "price"}));
  const std::uint64_t n = w.merchants.size();
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, n](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string id;
        std::string mid;
        for (std::uint64_t m = block * kMerchantsPerBlock;
             m < std::min(n, (block + 1) * kMerchantsPerBlock); ++m) {
          const MerchantInfo& mi = w.merchants[m];
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::uint32_t j = 0; j < mi.sku_count; ++j) {
            SkuInfo s = SkuOf(w, static_cast<std::uint32_t>(m), mi.sku_offset + j);
            id.clear();
            AppendId(id, 's', mi.sku_offset + j, w.sku_digits);
            fmt.Add(id).Add(mid).Add(w.category_names[s.category]).AddFixed(s.price, 2);
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [f, &st](const TextBlock& b) {
        st.skus += b.rows;
        return f->AppendFormatted(b.text);
      });
}

// partnerships.csv, and World::blocked_pairs for the ground truth.
Status WritePartnerships(World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f, outs.Open("partnerships.csv",
                                               {"merchant_a", "merchant_b", "kind", "since"}));
  const GeneratorOptions& o = w.opt;
  std::unordered_set<std::uint64_t> declared;
  std::string a_id;
  std::string b_id;
  auto declare = [&](std::uint32_t a, std::uint32_t b, std::string_view kind,
                     std::optional<std::int64_t> since) -> Status {
    if (a == b || !declared.insert(PairKey(a, b)).second) return Status::Ok();
    a_id.clear();
    b_id.clear();
    AppendId(a_id, 'm', a, w.merchant_digits);
    AppendId(b_id, 'm', b, w.merchant_digits);
    f->row().Add(a_id).Add(b_id).Add(kind);
    if (since) {
      f->row().AddTimestamp(*since);
    } else {
      f->row().AddEmpty();
    }
    ++st.partnerships;
    if (kind == "blocked") w.blocked_pairs.push_back(PairKey(a, b));
    return f->EndRow();
  };
  auto no_exclusion = [](std::uint32_t) { return false; };
  const std::int64_t three_years = 3 * 365 * 86400;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    Rng rng(Hash(o.seed, kStreamPartnership, m));
    const MerchantInfo& mi = w.merchants[m];
    auto since = [&]() -> std::int64_t {
      return o.start_ts - 86400 - static_cast<std::int64_t>(rng.Below(three_years)) / 86400 * 86400;
    };
    if (rng.Bernoulli(o.declared_competitor_share)) {
      std::uint32_t cell = w.Cell(mi.category, mi.region);
      std::uint64_t size = w.cell_start[cell + 1] - w.cell_start[cell];
      if (size > 1) {
        std::uint32_t n = w.cell_members[w.cell_start[cell] + rng.Below(size)];
        PG_RETURN_IF_ERROR(declare(m, n, "competitor", since()));
      }
    }
    if (rng.Bernoulli(o.declared_partner_share)) {
      std::optional<std::uint32_t> partner;
      if (rng.Bernoulli(0.5)) {
        std::vector<Ranked> best = BestPartners(w, m, 5, no_exclusion);
        if (!best.empty()) partner = best[rng.Below(best.size())].merchant;
      } else if (!w.complements[mi.category].empty()) {
        const auto& comps = w.complements[mi.category];
        std::uint32_t bcat = comps[rng.Below(comps.size())].category;
        std::uint32_t cell =
            w.cell_fallback[w.Cell(bcat, static_cast<std::uint32_t>(rng.Below(w.n_regions)))];
        if (!w.CellEmpty(cell)) {
          std::uint64_t size = w.cell_start[cell + 1] - w.cell_start[cell];
          partner = w.cell_members[w.cell_start[cell] + rng.Below(size)];
        }
      }
      if (partner) PG_RETURN_IF_ERROR(declare(m, *partner, "partner", since()));
    }
    if (rng.Bernoulli(o.blocked_share)) {
      // Blocked pairs are taken among the planted best partners so that a
      // recommender that ignores partnerships.csv gets them wrong.
      std::vector<Ranked> best = BestPartners(w, m, 3, no_exclusion);
      if (!best.empty()) {
        std::uint32_t n = best[rng.Below(best.size())].merchant;
        std::optional<std::int64_t> s;
        if (rng.Bernoulli(0.5)) s = since();
        PG_RETURN_IF_ERROR(declare(m, n, "blocked", s));
      }
    }
  }
  std::sort(w.blocked_pairs.begin(), w.blocked_pairs.end());
  return Status::Ok();
}

Status WritePolicies(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("merchant_policy.csv",
                                {"merchant_id", "permission_model", "k_min", "share_overlaps",
                                 "discoverable", "allow_coupons"}));
  std::string id;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    Policy p = MerchantPolicyOf(w, m);
    if (!p.has_row) continue;
    id.clear();
    AppendId(id, 'm', m, w.merchant_digits);
    f->row()
        .Add(id)
        .Add(kPermissionModels[p.model])
        .Add(p.k_min)
        .Add(p.share_overlaps ? "true" : "false")
        .Add(p.discoverable ? "true" : "false")
        .Add(p.allow_coupons ? "true" : "false");
    PG_RETURN_IF_ERROR(f->EndRow());
    ++st.policies;
  }
  return Status::Ok();
}

Status WriteEngagement(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("engagement.csv", {"merchant_id", "ts", "event", "points"}));
  const std::uint64_t n = w.merchants.size();
  double mean_weight = 0;
  for (const MerchantInfo& mi : w.merchants) mean_weight += mi.weight;
  mean_weight /= static_cast<double>(n);
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, n, mean_weight](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string mid;
        std::vector<std::int64_t> times;
        const GeneratorOptions& o = w.opt;
        for (std::uint64_t m = block * kMerchantsPerBlock;
             m < std::min(n, (block + 1) * kMerchantsPerBlock); ++m) {
          Rng rng(Hash(o.seed, kStreamEngagement, m));
          double scale = std::clamp(std::sqrt(w.merchants[m].weight / mean_weight), 0.2, 5.0);
          std::uint64_t count = rng.Poisson(o.engagement_per_merchant * scale);
          times.clear();
          for (std::uint64_t i = 0; i < count; ++i) {
            times.push_back(o.start_ts +
                            static_cast<std::int64_t>(rng.Below(
                                static_cast<std::uint64_t>(o.end_ts - o.start_ts))));
          }
          std::sort(times.begin(), times.end());
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::int64_t ts : times) {
            std::size_t ev = PickFixed(rng, kEngagementWeights);
            fmt.Add(mid).AddTimestamp(ts).Add(kEngagementEvents[ev]);
            // Mostly the scorecard's default points; a few explicit values.
            if (rng.Bernoulli(0.05)) {
              fmt.Add(static_cast<std::uint64_t>(1 + rng.Below(20)));
            } else {
              fmt.AddEmpty();
            }
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [f, &st](const TextBlock& b) {
        st.engagement_events += b.rows;
        return f->AppendFormatted(b.text);
      });
}

Status WriteGroundTruth(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * cf, outs.Open("ground_truth/complementary_categories.csv",
                                                {"category_a", "category_b", "strength"}));
  for (std::size_t i = 0; i < w.complement_pairs.size(); ++i) {
    const auto& [a, b] = w.complement_pairs[i];
    cf->row().Add(w.category_names[a]).Add(w.category_names[b]).AddFixed(
        w.complement_pair_strength[i], 3);
    PG_RETURN_IF_ERROR(cf->EndRow());
    ++st.complementary_pairs;
  }
  PG_ASSIGN_OR_RETURN(CsvWriter * bf, outs.Open("ground_truth/best_partners.csv",
                                                {"merchant_id", "partner_id", "rank", "score"}));
  // Discoverability of every merchant, computed once.
  std::vector<bool> discoverable(w.merchants.size());
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    discoverable[m] = MerchantPolicyOf(w, m).discoverable;
  }
  const std::uint64_t n = w.merchants.size();
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, &discoverable, n](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string mid;
        std::string pid;
        for (std::uint64_t mm = block * kMerchantsPerBlock;
             mm < std::min(n, (block + 1) * kMerchantsPerBlock); ++mm) {
          auto m = static_cast<std::uint32_t>(mm);
          auto exclude = [&](std::uint32_t cand) {
            return !discoverable[cand] ||
                   std::binary_search(w.blocked_pairs.begin(), w.blocked_pairs.end(),
                                      PairKey(m, cand));
          };
          std::vector<Ranked> best = BestPartners(w, m, w.opt.ground_truth_partners, exclude);
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::size_t r = 0; r < best.size(); ++r) {
            pid.clear();
            AppendId(pid, 'm', best[r].merchant, w.merchant_digits);
            char score[32];
            int len = std::snprintf(score, sizeof score, "%.6g", best[r].score * 1e6);
            fmt.Add(mid).Add(pid).Add(static_cast<std::uint64_t>(r + 1)).Add(
                std::string_view(score, static_cast<std::size_t>(len)));
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [bf, &st](const TextBlock& b) {
        st.best_partner_rows += b.rows;
        return bf->AppendFormatted(b.text);
      });
}

// ---------------------------------------------------------------------------
// Customer blocks: customers.csv, orders.csv, consent.csv, touchpoints.csv.

struct CustomerBlock {
  std::string customers;
  std::string orders;
  std::string consent;
  std::string touchpoints;
  std::uint64_t n_customers = 0;
  std::uint64_t n_orders = 0;
  std::uint64_t n_lines = 0;
  std::uint64_t n_consent = 0;
  std::uint64_t n_touchpoints = 0;
  std::uint64_t n_journeys = 0;
};

struct CustomerProfile {
  std::uint32_t region;
  int band;
  std::uint32_t primary;
  std::uint32_t secondary;
  std::uint64_t taste;
  std::size_t channel;
  std::size_t device;
  double activity;
};

CustomerProfile ProfileOf(const World& w, Rng& rng) {
  CustomerProfile p{};
  p.region = static_cast<std::uint32_t>(rng.Pick(w.region_cum));
  double u = rng.Uniform();
  p.band = u < kBandShares[0] ? 0 : (u < kBandShares[0] + kBandShares[1] ? 1 : 2);
  p.primary = static_cast<std::uint32_t>(rng.Pick(w.category_pop_cum));
  p.secondary = static_cast<std::uint32_t>(rng.Pick(w.category_pop_cum));
  p.taste = rng.Below(kTasteTokens);
  p.channel = PickFixed(rng, kOrderChannelWeights);
  p.device = PickFixed(rng, kDeviceWeights);
  p.activity = std::exp(0.8 * rng.Normal());
  return p;
}

std::string_view CampaignSeason(std::int64_t ts) {
  // Month from the day of the year is close enough for a campaign name.
  std::int64_t day_of_year = ((ts / 86400) % 365 + 365) % 365;
  return kSeasons[static_cast<std::size_t>((day_of_year / 30 + 1) % 12 / 3)];
}

class BlockGenerator {
 public:
  BlockGenerator(const World& w, std::uint64_t block) : w_(w), o_(w.opt), block_(block) {}

  CustomerBlock Run() {
    const std::uint64_t per = o_.customers_per_block;
    const std::uint64_t first = block_ * per;
    const std::uint64_t last = std::min(w_.n_customers, first + per);
    // This block's share of the order lines: proportional to its customers.
    // floor(n_lines * c / n_customers) without overflow.
    const std::uint64_t q = w_.n_lines / w_.n_customers;
    const std::uint64_t r = w_.n_lines % w_.n_customers;
    auto lines_before = [this, q, r](std::uint64_t c) { return q * c + r * c / w_.n_customers; };
    const std::uint64_t block_lines = lines_before(last) - lines_before(first);

    std::vector<CustomerProfile> profiles;
    std::vector<Rng> rngs;
    profiles.reserve(last - first);
    rngs.reserve(last - first);
    double total_activity = 0;
    for (std::uint64_t c = first; c < last; ++c) {
      rngs.emplace_back(Hash(o_.seed, kStreamCustomer, c));
      profiles.push_back(ProfileOf(w_, rngs.back()));
      total_activity += profiles.back().activity;
    }
    // Systematic apportionment of block_lines by activity (exact total).
    Rng block_rng(Hash(o_.seed, kStreamBlock, block_));
    const double offset = block_rng.Uniform();
    double running = 0;
    std::uint64_t assigned = 0;
    for (std::uint64_t i = 0; i < profiles.size(); ++i) {
      running += profiles[i].activity;
      std::uint64_t upto =
          i + 1 == profiles.size()
              ? block_lines
              : std::min<std::uint64_t>(
                    block_lines, static_cast<std::uint64_t>(std::floor(
                                     static_cast<double>(block_lines) * running / total_activity +
                                     offset)));
      upto = std::max(upto, assigned);
      GenerateCustomer(first + i, profiles[i], rngs[i], upto - assigned);
      assigned = upto;
    }
    out_.customers = std::move(customers_.mutable_text());
    out_.orders = std::move(orders_.mutable_text());
    out_.consent = std::move(consent_.mutable_text());
    out_.touchpoints = std::move(touch_.mutable_text());
    return std::move(out_);
  }

 private:
  struct Order {
    std::int64_t ts;
    std::uint32_t merchant;
    std::uint32_t lines;
  };

  std::uint32_t ChooseCategory(const CustomerProfile& p, Rng& rng) {
    double u = rng.Uniform();
    if (u < o_.primary_share) return p.primary;
    if (u < o_.primary_share + o_.complement_share) {
      const auto& comps = w_.complements[p.primary];
      if (!comps.empty()) {
        double x = rng.Uniform() * w_.complement_total[p.primary];
        for (const Complement& c : comps) {
          if (x < c.strength) return c.category;
          x -= c.strength;
        }
        return comps.back().category;
      }
      return p.primary;
    }
    return rng.Bernoulli(0.5) ? p.secondary
                              : static_cast<std::uint32_t>(rng.Pick(w_.category_pop_cum));
  }

  std::uint32_t ChooseMerchant(std::uint64_t customer, const CustomerProfile& p, Rng& rng) {
    std::uint32_t category = ChooseCategory(p, rng);
    std::uint32_t region = p.region;
    if (!rng.Bernoulli(o_.home_region_share) && w_.n_regions > 1) {
      region = static_cast<std::uint32_t>(rng.Below(w_.n_regions - 1));
      if (region >= p.region) ++region;
    }
    std::uint32_t cell = w_.cell_fallback[w_.Cell(category, region)];
    double u = rng.Bernoulli(o_.loyalty) ? ToUnit(Hash(o_.seed, kStreamLoyalty, customer, cell))
                                         : rng.Uniform();
    return w_.SampleMerchant(cell, p.band, u);
  }

  // A partner merchant for a touch leading to an order at `m`: a merchant of a
  // complementary category in m's region, by size.
  std::optional<std::uint32_t> TouchPartner(std::uint32_t m, int band, Rng& rng) {
    const MerchantInfo& mi = w_.merchants[m];
    const auto& comps = w_.complements[mi.category];
    if (comps.empty()) return std::nullopt;
    std::uint32_t cell = w_.Cell(comps[rng.Below(comps.size())].category, mi.region);
    if (w_.CellEmpty(cell)) return std::nullopt;
    return w_.SampleMerchant(cell, band, rng.Uniform());
  }

  void WriteJourney(std::string_view journey_id, std::string_view customer_id, std::uint32_t m,
                    const CustomerProfile& p, std::int64_t end_ts, std::uint32_t touches,
                    Rng& rng) {
    std::vector<std::int64_t> times(touches);
    for (auto& t : times) {
      t = end_ts - 1 - static_cast<std::int64_t>(rng.Below(14 * 86400));
    }
    std::sort(times.begin(), times.end());
    for (std::int64_t t : times) {
      std::size_t ch = PickFixed(rng, kTouchChannelWeights);
      touch_.Add(journey_id).Add(customer_id).AddTimestamp(t);
      std::optional<std::uint32_t> partner;
      if (rng.Bernoulli(kTouchPartnerShare[ch])) partner = TouchPartner(m, p.band, rng);
      if (partner) {
        id_.clear();
        AppendId(id_, 'm', *partner, w_.merchant_digits);
        touch_.Add(id_);
      } else {
        touch_.AddEmpty();
      }
      touch_.Add(kTouchChannels[ch]);
      if (ch == 1 || ch == 6) {  // search and direct run no campaign
        touch_.AddEmpty();
      } else {
        campaign_.clear();
        campaign_ += CampaignSeason(t);
        campaign_ += '_';
        campaign_ += kTouchChannels[ch];
        touch_.Add(campaign_);
      }
      touch_.Add(kDevices[rng.Bernoulli(0.8) ? p.device : PickFixed(rng, kDeviceWeights)]);
      touch_.EndRow();
      ++out_.n_touchpoints;
    }
    ++out_.n_journeys;
  }

  void GenerateCustomer(std::uint64_t c, const CustomerProfile& p, Rng& rng,
                        std::uint64_t n_lines) {
    cid_.clear();
    AppendId(cid_, 'c', c, w_.customer_digits);
    customers_.Add(cid_).Add(w_.region_names[p.region]);
    customers_.EndRow();
    ++out_.n_customers;
    if (n_lines == 0) return;

    // The orders' merchants and sizes first (an order has at most one line per
    // SKU, so at most sku_count lines), then their times, sorted.
    orders_list_.clear();
    for (std::uint64_t left = n_lines; left > 0;) {
      std::uint32_t m = ChooseMerchant(c, p, rng);
      std::uint64_t k = std::min<std::uint64_t>(left, 1 + rng.Geometric(0.6));
      k = std::min<std::uint64_t>(k, w_.merchants[m].sku_count);
      orders_list_.push_back({0, m, static_cast<std::uint32_t>(k)});
      left -= k;
    }
    const auto span = static_cast<std::uint64_t>(o_.end_ts - o_.start_ts);
    times_.clear();
    for (std::size_t k = 0; k < orders_list_.size(); ++k) {
      std::int64_t day_start =
          o_.start_ts + static_cast<std::int64_t>(rng.Below(span)) / 86400 * 86400;
      std::int64_t t = day_start + 7 * 3600 + static_cast<std::int64_t>(rng.Below(15 * 3600));
      times_.push_back(std::min(t, o_.end_ts - 1));
    }
    std::sort(times_.begin(), times_.end());
    for (std::size_t k = 0; k < orders_list_.size(); ++k) orders_list_[k].ts = times_[k];

    visited_.clear();
    for (std::size_t k = 0; k < orders_list_.size(); ++k) {
      const Order& ord = orders_list_[k];
      const std::uint32_t m = ord.merchant;
      const MerchantInfo& mi = w_.merchants[m];
      if (std::find_if(visited_.begin(), visited_.end(),
                       [m](const auto& v) { return v.first == m; }) == visited_.end()) {
        visited_.emplace_back(m, ord.ts);
      }
      suffix_.clear();
      AppendId(suffix_, 'o', c, w_.customer_digits);
      suffix_ += '-';
      suffix_ += std::to_string(k + 1);
      mid_.clear();
      AppendId(mid_, 'm', m, w_.merchant_digits);
      std::size_t channel = rng.Bernoulli(0.7) ? p.channel : PickFixed(rng, kOrderChannelWeights);
      std::size_t device = channel == 2 ? 0 : p.device;
      used_skus_.clear();
      for (std::uint32_t line = 0; line < ord.lines; ++line) {
        std::uint64_t j;
        if (rng.Bernoulli(kTasteSkuShare)) {
          j = Hash(o_.seed, kStreamTaste, m, p.taste) % mi.sku_count;
        } else {
          double u = rng.Uniform();
          j = std::min<std::uint64_t>(mi.sku_count - 1,
                                      static_cast<std::uint64_t>(mi.sku_count * u * u));
        }
        // One line per SKU in an order: the next unused SKU (lines <= sku_count).
        while (std::find(used_skus_.begin(), used_skus_.end(), j) != used_skus_.end()) {
          j = (j + 1) % mi.sku_count;
        }
        used_skus_.push_back(j);
        SkuInfo sku = SkuOf(w_, m, mi.sku_offset + j);
        double unit_price = sku.price;
        if (rng.Bernoulli(0.1)) unit_price = RoundCents(unit_price * (0.7 + 0.25 * rng.Uniform()));
        double q = rng.Uniform();
        std::uint64_t quantity = q < 0.75 ? 1 : q < 0.92 ? 2 : q < 0.97 ? 3 : 4 + rng.Below(3);
        id_.clear();
        AppendId(id_, 's', mi.sku_offset + j, w_.sku_digits);
        orders_.Add(suffix_).Add(cid_).Add(mid_).Add(id_).AddTimestamp(ord.ts).Add(quantity)
            .AddFixed(unit_price, 2).Add(kOrderChannels[channel]);
        if (channel == 1) {
          orders_.AddEmpty();  // no device in a store
        } else {
          orders_.Add(kDevices[device]);
        }
        orders_.Add(w_.region_names[mi.region]);
        orders_.EndRow();
        ++out_.n_lines;
      }
      ++out_.n_orders;

      if (rng.Bernoulli(o_.journey_share)) {
        suffix_[0] = 'j';
        WriteJourney(suffix_, cid_, m, p, ord.ts,
                     static_cast<std::uint32_t>(1 + std::min<std::uint64_t>(7, rng.Geometric(1.5))),
                     rng);
      }
      double nc = o_.journey_share * o_.non_converting_journeys;
      std::uint64_t extra = static_cast<std::uint64_t>(nc);
      if (rng.Bernoulli(nc - static_cast<double>(extra))) ++extra;
      for (std::uint64_t e = 0; e < extra; ++e) {
        // A journey that ends without an order: ids "jn…".
        std::uint32_t target = ChooseMerchant(c, p, rng);
        journey_.clear();
        journey_ = "jn";
        journey_.append(suffix_, 1);
        journey_ += '-';
        journey_ += std::to_string(e + 1);
        std::int64_t end = o_.start_ts + 1 + static_cast<std::int64_t>(rng.Below(span));
        WriteJourney(journey_, cid_, target, p, end,
                     static_cast<std::uint32_t>(1 + std::min<std::uint64_t>(3, rng.Geometric(0.8))),
                     rng);
      }
    }
    GenerateConsent(rng);
  }

  void GenerateConsent(Rng& rng) {
    const std::array<double, 6> shares = {o_.share_unclear,          o_.share_blocked,
                                          o_.share_unsubscribed,     o_.share_confirmed_opt_in,
                                          o_.share_double_opt_in,    o_.share_pending};
    for (const auto& [m, first_ts] : visited_) {
      if (!rng.Bernoulli(o_.consent_share)) continue;
      mid_.clear();
      AppendId(mid_, 'm', m, w_.merchant_digits);
      std::string_view channel = kConsentChannels[PickFixed(rng, kConsentChannelWeights)];
      std::size_t status = PickFixed(rng, shares);
      std::int64_t ts = first_ts - static_cast<std::int64_t>(rng.Below(30 * 86400));
      WriteConsent(channel, status, ts);
      if ((status == 3 || status == 4) && rng.Bernoulli(o_.later_unsubscribe_share)) {
        WriteConsent(channel, 2, ts + 86400 + static_cast<std::int64_t>(rng.Below(180 * 86400)));
      } else if (status == 5 && rng.Bernoulli(o_.pending_confirmed_share)) {
        WriteConsent(channel, 4, ts + 60 + static_cast<std::int64_t>(rng.Below(7 * 86400)));
      }
    }
  }

  void WriteConsent(std::string_view channel, std::size_t status, std::int64_t ts) {
    consent_.Add(cid_).Add(mid_).Add(channel).Add(kConsentStatuses[status]).AddTimestamp(ts).Add(
        kConsentSources[status]);
    consent_.EndRow();
    ++out_.n_consent;
  }

  const World& w_;
  const GeneratorOptions& o_;
  std::uint64_t block_;
  CustomerBlock out_;
  CsvFormatter customers_;
  CsvFormatter orders_;
  CsvFormatter consent_;
  CsvFormatter touch_;
  std::vector<Order> orders_list_;
  std::vector<std::int64_t> times_;
  std::vector<std::uint64_t> used_skus_;
  std::vector<std::pair<std::uint32_t, std::int64_t>> visited_;  // merchant, first order ts
  std::string cid_;
  std::string mid_;
  std::string id_;
  std::string suffix_;
  std::string journey_;
  std::string campaign_;
};

Status WriteCustomerFiles(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * cust, outs.Open("customers.csv", {"customer_id", "region"}));
  PG_ASSIGN_OR_RETURN(CsvWriter * ord,
                      outs.Open("orders.csv", {"order_id", "customer_id", "merchant_id", "sku_id",
                                               "ts", "quantity", "price", "channel", "device",
                                               "region"}));
  PG_ASSIGN_OR_RETURN(CsvWriter * cons,
                      outs.Open("consent.csv", {"customer_id", "merchant_id", "channel", "status",
                                                "ts", "source"}));
  PG_ASSIGN_OR_RETURN(CsvWriter * touch,
                      outs.Open("touchpoints.csv", {"journey_id", "customer_id", "ts",
                                                    "partner_id", "channel", "campaign",
                                                    "device"}));
  const std::uint64_t per = w.opt.customers_per_block;
  const std::uint64_t n_blocks = (w.n_customers + per - 1) / per;
  Progress progress("generate: order lines", w.n_lines);
  const bool show = w.opt.show_progress;
  Status s = RunOrdered<CustomerBlock>(
      n_blocks, [&w](std::uint64_t block) { return BlockGenerator(w, block).Run(); },
      [&](const CustomerBlock& b) -> Status {
        PG_RETURN_IF_ERROR(cust->AppendFormatted(b.customers));
        PG_RETURN_IF_ERROR(ord->AppendFormatted(b.orders));
        PG_RETURN_IF_ERROR(cons->AppendFormatted(b.consent));
        PG_RETURN_IF_ERROR(touch->AppendFormatted(b.touchpoints));
        st.customers += b.n_customers;
        st.orders += b.n_orders;
        st.order_lines += b.n_lines;
        st.consent_records += b.n_consent;
        st.touchpoints += b.n_touchpoints;
        st.journeys += b.n_journeys;
        if (show) progress.Advance(b.n_lines);
        return Status::Ok();
      });
  if (show) progress.Finish();
  return s;
}

}  // namespace

Status GenerateEcosystem(const GeneratorOptions& options, const std::filesystem::path& out_dir,
                         GeneratorStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  PG_RETURN_IF_ERROR(ValidateOptions(options));
  World w;
  w.opt = options;
  const GeneratorOptions& o = w.opt;
  w.n_categories = o.categories != 0
                       ? o.categories
                       : static_cast<std::uint32_t>(std::clamp<std::uint64_t>(o.merchants / 50, 12, 120));
  w.n_regions = o.regions != 0
                    ? o.regions
                    : static_cast<std::uint32_t>(std::clamp<std::uint64_t>(o.merchants / 500, 2, 8));
  w.n_customers = o.customers != 0
                      ? o.customers
                      : std::clamp<std::uint64_t>(o.merchants * 20, 100, 10'000'000);
  w.n_lines = o.merchants * o.order_lines_per_merchant;

  BuildCategories(w);
  BuildRegions(w);
  BuildMerchants(w);
  BuildCells(w);
  w.merchant_digits = DigitsFor(o.merchants - 1, 6);
  w.sku_digits = DigitsFor(w.n_skus == 0 ? 0 : w.n_skus - 1, 8);
  w.customer_digits = DigitsFor(w.n_customers - 1, 7);

  std::error_code ec;
  std::filesystem::create_directories(out_dir / "ground_truth", ec);
  if (ec) {
    return Status::IOError((out_dir / "ground_truth").string() + ": cannot create: " +
                           ec.message());
  }
  GeneratorStats st;
  st.categories = w.n_categories;
  st.regions = w.n_regions;
  Outputs outs(out_dir);
  PG_RETURN_IF_ERROR(WriteMerchants(w, outs, st));
  PG_RETURN_IF_ERROR(WriteSkus(w, outs, st));
  PG_RETURN_IF_ERROR(WritePartnerships(w, outs, st));
  PG_RETURN_IF_ERROR(WritePolicies(w, outs, st));
  PG_RETURN_IF_ERROR(WriteEngagement(w, outs, st));
  PG_RETURN_IF_ERROR(WriteGroundTruth(w, outs, st));
  PG_RETURN_IF_ERROR(WriteCustomerFiles(w, outs, st));
  PG_RETURN_IF_ERROR(outs.CommitAll(&st.bytes_written));
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats != nullptr) *stats = st;
  return Status::Ok();
}

}  // namespace partnergraph
