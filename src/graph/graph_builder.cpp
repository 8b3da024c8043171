#include "partnergraph/graph/graph_builder.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/info.h>
#include <tbb/parallel_sort.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "graph_data.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "per_source.hpp"

namespace partnergraph {
namespace {

using graph_internal::BuildPerSource;
using graph_internal::kNone;
using graph_internal::Lists;
using graph_internal::PrefixSum;
using graph_internal::StringTable;
using graph_internal::Transpose;
using Impl = EcosystemGraph::Impl;
using Scratch = tbb::enumerable_thread_specific<std::vector<std::uint32_t>>;

// A per-thread dense counter over [0, n): Add() in any order, then Drain()
// hands out (key, count) in ascending key order and resets. O(n) memory per
// thread, O(touched) time per use.
class DenseCounter {
 public:
  explicit DenseCounter(std::uint32_t n) : counts_(n, 0) {}
  void Add(std::uint32_t key) {
    if (counts_[key]++ == 0) touched_.push_back(key);
  }
  template <typename Fn>
  void Drain(Fn&& fn) {
    std::sort(touched_.begin(), touched_.end());
    for (std::uint32_t key : touched_) {
      fn(key, counts_[key]);
      counts_[key] = 0;
    }
    touched_.clear();
  }

 private:
  std::vector<std::uint32_t> counts_;
  std::vector<std::uint32_t> touched_;
};

// ---------------------------------------------------------------------------
// Dataset validation: the builder indexes with every id, so each must be in
// range; a hand-built or damaged Dataset is refused, never trusted.

Status BadRow(const char* table, std::size_t row, const std::string& what) {
  return Status::InvalidArgument("dataset: " + std::string(table) + "[" + std::to_string(row) +
                                 "]: " + what);
}

std::string OutOfRange(const char* field, std::uint32_t value, std::size_t limit,
                       const char* things) {
  return std::string(field) + " " + std::to_string(value) + " is out of range (" +
         std::to_string(limit) + " " + things + ")";
}

bool OptionalIdOk(std::uint32_t value, std::size_t limit) {
  return value == kNone || value < limit;
}

Status ValidateDataset(const Dataset& d) {
  const std::size_t M = d.merchants.size(), S = d.skus.size(), C = d.customers.size();
  const std::size_t K = d.categories.size(), R = d.regions.size();
  auto count_mismatch = [](const char* dict, std::size_t names, const char* table,
                           std::size_t rows) {
    return Status::InvalidArgument("dataset: " + std::string(dict) + " has " +
                                   std::to_string(names) + " names but " + table + " has " +
                                   std::to_string(rows) + " rows");
  };
  if (d.merchant_ids.size() != M) return count_mismatch("merchant_ids", d.merchant_ids.size(), "merchants", M);
  if (d.sku_ids.size() != S) return count_mismatch("sku_ids", d.sku_ids.size(), "skus", S);
  if (d.customer_ids.size() != C) return count_mismatch("customer_ids", d.customer_ids.size(), "customers", C);
  if (!d.policies.empty() && d.policies.size() != M) {
    return count_mismatch("policies", d.policies.size(), "merchants", M);
  }
  if (M + S + C + K >= 0xF0000000ull || d.orders.size() >= 0xFFFFFFFFull ||
      d.consent.size() >= 0xFFFFFFFFull) {
    return Status::InvalidArgument("dataset: too large for 32-bit graph ids");
  }
  for (std::size_t i = 0; i < M; ++i) {
    const auto& m = d.merchants[i];
    if (!m.category.valid() || m.category.value >= K) {
      return BadRow("merchants", i, OutOfRange("category", m.category.value, K, "categories"));
    }
    if (!OptionalIdOk(m.region.value, R)) {
      return BadRow("merchants", i, OutOfRange("region", m.region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < S; ++i) {
    const auto& s = d.skus[i];
    if (!s.merchant.valid() || s.merchant.value >= M) {
      return BadRow("skus", i, OutOfRange("merchant", s.merchant.value, M, "merchants"));
    }
    if (!s.category.valid() || s.category.value >= K) {
      return BadRow("skus", i, OutOfRange("category", s.category.value, K, "categories"));
    }
    if (!std::isfinite(s.price) || s.price < 0) {
      return BadRow("skus", i, "price " + std::to_string(s.price) + " is not a number >= 0");
    }
  }
  for (std::size_t i = 0; i < C; ++i) {
    if (!OptionalIdOk(d.customers[i].region.value, R)) {
      return BadRow("customers", i, OutOfRange("region", d.customers[i].region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < d.orders.size(); ++i) {
    const auto& o = d.orders[i];
    if (!o.order.valid() || o.order.value >= d.order_ids.size()) {
      return BadRow("orders", i, OutOfRange("order", o.order.value, d.order_ids.size(), "order ids"));
    }
    if (!o.customer.valid() || o.customer.value >= C) {
      return BadRow("orders", i, OutOfRange("customer", o.customer.value, C, "customers"));
    }
    if (!o.merchant.valid() || o.merchant.value >= M) {
      return BadRow("orders", i, OutOfRange("merchant", o.merchant.value, M, "merchants"));
    }
    if (!o.sku.valid() || o.sku.value >= S) {
      return BadRow("orders", i, OutOfRange("sku", o.sku.value, S, "SKUs"));
    }
    if (d.skus[o.sku.value].merchant != o.merchant) {
      return BadRow("orders", i,
                    "sku " + std::string(d.sku_ids.Name(o.sku.value)) + " belongs to merchant " +
                        std::string(d.merchant_ids.Name(d.skus[o.sku.value].merchant.value)) +
                        ", not " + std::string(d.merchant_ids.Name(o.merchant.value)));
    }
    if (o.quantity == 0) return BadRow("orders", i, "quantity is 0");
    if (!std::isfinite(o.unit_price) || o.unit_price < 0) {
      return BadRow("orders", i, "price " + std::to_string(o.unit_price) + " is not a number >= 0");
    }
    if (!OptionalIdOk(o.region.value, R)) {
      return BadRow("orders", i, OutOfRange("region", o.region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < d.partnerships.size(); ++i) {
    const auto& p = d.partnerships[i];
    if (!p.a.valid() || p.a.value >= M) {
      return BadRow("partnerships", i, OutOfRange("merchant_a", p.a.value, M, "merchants"));
    }
    if (!p.b.valid() || p.b.value >= M) {
      return BadRow("partnerships", i, OutOfRange("merchant_b", p.b.value, M, "merchants"));
    }
    if (p.a == p.b) return BadRow("partnerships", i, "a merchant cannot be paired with itself");
    if (static_cast<int>(p.kind) > 2) return BadRow("partnerships", i, "unknown kind");
  }
  for (std::size_t i = 0; i < d.consent.size(); ++i) {
    const auto& r = d.consent[i];
    if (!r.customer.valid() || r.customer.value >= C) {
      return BadRow("consent", i, OutOfRange("customer", r.customer.value, C, "customers"));
    }
    if (!r.merchant.valid() || r.merchant.value >= M) {
      return BadRow("consent", i, OutOfRange("merchant", r.merchant.value, M, "merchants"));
    }
    if (static_cast<int>(r.channel) >= kContactChannelCount) {
      return BadRow("consent", i, "unknown channel");
    }
    if (static_cast<int>(r.status) > 5) return BadRow("consent", i, "unknown status");
  }
  for (std::size_t i = 0; i < d.policies.size(); ++i) {
    if (static_cast<int>(d.policies[i].permission_model) > 4) {
      return BadRow("policies", i, "unknown permission model");
    }
  }
  return Status::Ok();
}

// Lower is more restrictive; at equal timestamps the more restrictive wins.
int Restrictiveness(ConsentStatus s) {
  switch (s) {
    case ConsentStatus::kUnsubscribed: return 0;
    case ConsentStatus::kBlocked: return 1;
    case ConsentStatus::kUnclear: return 2;
    case ConsentStatus::kPending: return 3;
    case ConsentStatus::kConfirmedOptIn: return 4;
    case ConsentStatus::kDoubleOptIn: return 5;
  }
  return 0;
}

// Log-scale price band of a SKU for the assortment profile.
std::int32_t PriceBand(double price, double ratio) {
  if (!(price > 0)) return std::numeric_limits<std::int32_t>::min();
  double band = std::floor(std::log(price) / std::log(ratio));
  band = std::clamp(band, -1.0e9, 1.0e9);
  return static_cast<std::int32_t>(band);
}

std::string FormatMoney(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

struct SegKey {
  std::uint32_t region = kNone;
  std::uint32_t category = kNone;
  std::uint32_t band = 0;
  friend auto operator<=>(const SegKey&, const SegKey&) = default;
};

// ---------------------------------------------------------------------------

class BuildRun {
 public:
  // `owned`, when not null, is the same Dataset as `d`, given up by the caller:
  // its tables are freed once no later stage reads them.
  BuildRun(const Dataset& d, Dataset* owned, const GraphOptions& options, BuildReport& report)
      : d_(d), owned_(owned), options_(options), report_(report),
        impl_(std::make_unique<Impl>()) {}

  Result<std::unique_ptr<Impl>> Run();

 private:
  template <typename F>
  Status Stage(const char* name, F&& f) {
    auto start = std::chrono::steady_clock::now();
    Status s = f();
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    report_.stages.push_back({name, seconds.count(), CurrentRssBytes(), PeakRssBytes()});
    return s;
  }
  std::unique_ptr<Progress> MakeProgress(const char* label, std::uint64_t total) const {
    if (!options_.show_progress) return nullptr;
    return std::make_unique<Progress>(label, total);
  }
  void SetKind(EdgeKind kind, std::vector<std::uint32_t> offsets,
               std::vector<std::uint32_t> targets) {
    impl_->kind_offsets[static_cast<int>(kind)] = std::move(offsets);
    targets_[static_cast<int>(kind)] = std::move(targets);
  }
  // The most recent `max_purchases_per_customer` lines of c, oldest first.
  std::span<const std::uint32_t> CappedLines(std::uint32_t c) const {
    auto lines = lines_by_customer_.Of(c);
    std::size_t cap = options_.max_purchases_per_customer;
    return lines.size() > cap ? lines.subspan(lines.size() - cap) : lines;
  }

  Status NodeTables();
  Status CustomerLines();
  Status Purchases();
  Status CustomerFeatures();
  Status Aggregates();
  Status Segments();
  Status SegmentReach();
  Status CoPurchase();
  Status SharedCustomers();
  Status CategoryPairs();
  Status DerivedCompetitors();
  Status DeclaredRelations();
  Status Consent();
  Status Assemble();

  // Frees the tables of an owned Dataset that no stage after `stage` reads.
  void ReleaseAfter(const char* stage);

  const Dataset& d_;
  Dataset* owned_;
  const GraphOptions& options_;
  BuildReport& report_;
  std::unique_ptr<Impl> impl_;
  std::uint32_t M_ = 0, S_ = 0, C_ = 0, K_ = 0, R_ = 0;

  // Edge targets (local ids of the target type) per kind, until Assemble().
  std::array<std::vector<std::uint32_t>, kEdgeKindCount> targets_;

  // Transient per-customer and per-merchant structures.
  Lists<std::uint32_t> lines_by_customer_;   // line indices, by (ts, sku, index)
  Lists<std::uint32_t> customer_merchants_;  // distinct merchants, ascending
  std::vector<std::uint32_t> link_lines_;    // per customer_merchants_ entry
  std::vector<double> link_revenue_;
  std::vector<std::int64_t> link_last_ts_;
  Lists<std::uint32_t> merchant_customers_;  // transpose of customer_merchants_
  Lists<std::uint32_t> sku_buyers_;          // transpose of the bought edges
  std::vector<std::uint32_t> feature_category_;  // dominant category, kNone if inactive
  std::vector<double> feature_price_;            // mean unit price
};

Status BuildRun::NodeTables() {
  Impl& g = *impl_;
  M_ = static_cast<std::uint32_t>(d_.merchants.size());
  S_ = static_cast<std::uint32_t>(d_.skus.size());
  C_ = static_cast<std::uint32_t>(d_.customers.size());
  K_ = d_.categories.size();
  R_ = d_.regions.size();
  g.options = options_;
  g.options.threads = 0;
  g.options.show_progress = false;
  g.counts = {M_, S_, C_, 0, K_};
  g.region_count = R_;

  PG_ASSIGN_OR_RETURN(g.merchant_ids, StringTable::Build(d_.merchant_ids, true, "merchant ids"));
  std::vector<std::string> names;
  names.reserve(M_);
  for (const auto& m : d_.merchants) names.push_back(m.name);
  PG_ASSIGN_OR_RETURN(g.merchant_names, StringTable::Build(names, false, "merchant names"));
  PG_ASSIGN_OR_RETURN(g.sku_ids, StringTable::Build(d_.sku_ids, true, "SKU ids"));
  PG_ASSIGN_OR_RETURN(g.customer_ids,
                      StringTable::Build(d_.customer_ids, true, "customer ids"));
  PG_ASSIGN_OR_RETURN(g.category_names,
                      StringTable::Build(d_.categories, true, "categories"));
  PG_ASSIGN_OR_RETURN(g.region_names, StringTable::Build(d_.regions, true, "regions"));

  g.merchant_category.resize(M_);
  g.merchant_region.resize(M_);
  g.policy_model.resize(M_);
  g.policy_flags.resize(M_);
  g.policy_k_min.resize(M_);
  for (std::uint32_t m = 0; m < M_; ++m) {
    g.merchant_category[m] = d_.merchants[m].category.value;
    g.merchant_region[m] = d_.merchants[m].region.value;
    MerchantPolicy policy = d_.policies.empty() ? MerchantPolicy{} : d_.policies[m];
    g.policy_model[m] = static_cast<std::uint8_t>(policy.permission_model);
    g.policy_k_min[m] = policy.k_min;
    g.policy_flags[m] =
        static_cast<std::uint8_t>((policy.share_overlaps ? graph_internal::kPolicyShareOverlaps : 0) |
                                  (policy.discoverable ? graph_internal::kPolicyDiscoverable : 0) |
                                  (policy.allow_coupons ? graph_internal::kPolicyAllowCoupons : 0));
  }
  g.sku_merchant.resize(S_);
  g.sku_category.resize(S_);
  g.sku_price.resize(S_);
  for (std::uint32_t s = 0; s < S_; ++s) {
    g.sku_merchant[s] = d_.skus[s].merchant.value;
    g.sku_category[s] = d_.skus[s].category.value;
    g.sku_price[s] = d_.skus[s].price;
  }

  // sells (merchant → its SKUs, ascending) and category membership.
  std::vector<std::uint32_t> offsets(M_ + 1, 0), targets(S_);
  for (std::uint32_t s = 0; s < S_; ++s) ++offsets[g.sku_merchant[s] + 1];
  PG_RETURN_IF_ERROR(PrefixSum(offsets, "sells edges"));
  {
    std::vector<std::uint32_t> cursor(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t s = 0; s < S_; ++s) targets[cursor[g.sku_merchant[s]]++] = s;
  }
  SetKind(EdgeKind::kSells, std::move(offsets), std::move(targets));

  offsets.assign(M_ + 1, 0);
  std::iota(offsets.begin(), offsets.end(), 0u);
  SetKind(EdgeKind::kInCategory, std::move(offsets), g.merchant_category);

  offsets.assign(K_ + 1, 0);
  targets.assign(M_, 0);
  for (std::uint32_t m = 0; m < M_; ++m) ++offsets[g.merchant_category[m] + 1];
  PG_RETURN_IF_ERROR(PrefixSum(offsets, "category members"));
  {
    std::vector<std::uint32_t> cursor(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t m = 0; m < M_; ++m) targets[cursor[g.merchant_category[m]]++] = m;
  }
  SetKind(EdgeKind::kCategoryMember, std::move(offsets), std::move(targets));
  return Status::Ok();
}

// Order lines grouped by customer (counting sort), each group sorted by
// (ts, sku, line index): a total order, so the result is unique.
Status BuildRun::CustomerLines() {
  const auto& orders = d_.orders;
  auto& lists = lines_by_customer_;
  lists.offsets.assign(C_ + 1, 0);
  for (const auto& o : orders) ++lists.offsets[o.customer.value + 1];
  PG_RETURN_IF_ERROR(PrefixSum(lists.offsets, "order lines"));
  lists.entries.resize(orders.size());
  std::vector<std::uint32_t> cursor(lists.offsets.begin(), lists.offsets.end() - 1);
  for (std::uint32_t i = 0; i < orders.size(); ++i) {
    lists.entries[cursor[orders[i].customer.value]++] = i;
  }
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, C_),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
                        auto* first = lists.entries.data() + lists.offsets[c];
                        auto* last = lists.entries.data() + lists.offsets[c + 1];
                        std::sort(first, last, [&orders](std::uint32_t a, std::uint32_t b) {
                          const auto& x = orders[a];
                          const auto& y = orders[b];
                          if (x.ts != y.ts) return x.ts < y.ts;
                          if (x.sku != y.sku) return x.sku < y.sku;
                          return a < b;
                        });
                      }
                    });
  return Status::Ok();
}

// customer–bought→sku (aggregated per pair) and the customer → merchant links
// behind merchant–has_customer→customer.
Status BuildRun::Purchases() {
  Impl& g = *impl_;
  const auto& orders = d_.orders;
  auto progress = MakeProgress("purchases", 2ull * C_);
  Scratch scratch;

  // Distinct targets per customer, then the attributes in a second pass with
  // the lines regrouped by target (stable: ts order inside a group).
  auto distinct = [&](auto key_of, std::string_view what) {
    return BuildPerSource<std::uint32_t>(
        C_, what, progress.get(), [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
          std::size_t before = out.size();
          for (std::uint32_t i : lines_by_customer_.Of(c)) out.push_back(key_of(orders[i]));
          std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
          out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()),
                    out.end());
        });
  };
  // Calls fn(c, group index, lines of the group in ts order) per customer.
  auto for_each_group = [&](auto key_of, auto fn) {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, C_),
                      [&](const tbb::blocked_range<std::uint32_t>& r) {
                        auto& lines = scratch.local();
                        for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
                          auto span = lines_by_customer_.Of(c);
                          lines.assign(span.begin(), span.end());
                          std::stable_sort(lines.begin(), lines.end(),
                                           [&](std::uint32_t a, std::uint32_t b) {
                                             return key_of(orders[a]) < key_of(orders[b]);
                                           });
                          std::uint32_t group = 0;
                          for (std::size_t i = 0; i < lines.size();) {
                            std::size_t j = i;
                            while (j < lines.size() &&
                                   key_of(orders[lines[j]]) == key_of(orders[lines[i]])) {
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

  PG_ASSIGN_OR_RETURN(Lists<std::uint32_t> bought, distinct(sku_of, "bought edges"));
  std::size_t pairs = bought.entries.size();
  g.bought_lines.resize(pairs);
  g.bought_quantity.resize(pairs);
  g.bought_revenue.resize(pairs);
  g.bought_first_ts.resize(pairs);
  g.bought_last_ts.resize(pairs);
  for_each_group(sku_of, [&](std::uint32_t c, std::uint32_t group,
                             std::span<const std::uint32_t> lines) {
    std::uint32_t a = bought.offsets[c] + group;
    std::uint64_t quantity = 0;
    double revenue = 0.0;
    for (std::uint32_t i : lines) {
      quantity += orders[i].quantity;
      revenue += orders[i].revenue();
    }
    g.bought_lines[a] = static_cast<std::uint32_t>(lines.size());
    g.bought_quantity[a] = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(quantity, std::numeric_limits<std::uint32_t>::max()));
    g.bought_revenue[a] = revenue;
    g.bought_first_ts[a] = orders[lines.front()].ts;
    g.bought_last_ts[a] = orders[lines.back()].ts;
  });

  PG_ASSIGN_OR_RETURN(customer_merchants_, distinct(merchant_of, "merchant-customer links"));
  std::size_t links = customer_merchants_.entries.size();
  link_lines_.resize(links);
  link_revenue_.resize(links);
  link_last_ts_.resize(links);
  for_each_group(merchant_of, [&](std::uint32_t c, std::uint32_t group,
                                  std::span<const std::uint32_t> lines) {
    std::uint32_t a = customer_merchants_.offsets[c] + group;
    double revenue = 0.0;
    for (std::uint32_t i : lines) revenue += orders[i].revenue();
    link_lines_[a] = static_cast<std::uint32_t>(lines.size());
    link_revenue_[a] = revenue;
    link_last_ts_[a] = orders[lines.back()].ts;
  });

  // merchant–has_customer→customer: the transpose, customers ascending.
  auto by_merchant = Transpose<std::pair<std::uint32_t, std::uint32_t>>(
      customer_merchants_, M_, [](std::uint32_t m) { return m; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t i) { return std::make_pair(c, i); });
  merchant_customers_.offsets = by_merchant.offsets;
  merchant_customers_.entries.resize(by_merchant.entries.size());
  g.has_customer_lines.resize(links);
  g.has_customer_revenue.resize(links);
  for (std::size_t j = 0; j < by_merchant.entries.size(); ++j) {
    auto [c, i] = by_merchant.entries[j];
    merchant_customers_.entries[j] = c;
    g.has_customer_lines[j] = link_lines_[i];
    g.has_customer_revenue[j] = static_cast<float>(link_revenue_[i]);
  }
  SetKind(EdgeKind::kHasCustomer, merchant_customers_.offsets, merchant_customers_.entries);

  sku_buyers_ = Transpose<std::uint32_t>(
      bought, S_, [](std::uint32_t s) { return s; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  SetKind(EdgeKind::kBought, std::move(bought.offsets), std::move(bought.entries));
  return Status::Ok();
}

// Region (customers.csv, else the most recent order line's), dominant category
// and mean unit price of every customer.
Status BuildRun::CustomerFeatures() {
  Impl& g = *impl_;
  const auto& orders = d_.orders;
  const auto& bought_off = g.kind_offsets[static_cast<int>(EdgeKind::kBought)];
  const auto& bought_sku = targets_[static_cast<int>(EdgeKind::kBought)];
  g.customer_region.assign(C_, kNone);
  feature_category_.assign(C_, kNone);
  feature_price_.assign(C_, 0.0);
  struct CategorySpend {
    std::uint32_t category;
    std::uint32_t sku;
    double revenue;
    std::uint32_t lines;
  };
  tbb::enumerable_thread_specific<std::vector<CategorySpend>> scratch;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, C_),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      auto& spend = scratch.local();
                      for (std::uint32_t c = r.begin(); c != r.end(); ++c) {
                        std::uint32_t region = d_.customers[c].region.value;
                        auto lines = lines_by_customer_.Of(c);
                        for (auto it = lines.rbegin(); region == kNone && it != lines.rend(); ++it) {
                          region = orders[*it].region.value;
                        }
                        g.customer_region[c] = region;
                        if (lines.empty()) continue;
                        spend.clear();
                        double revenue = 0.0;
                        std::uint64_t quantity = 0;
                        for (std::uint32_t a = bought_off[c]; a < bought_off[c + 1]; ++a) {
                          std::uint32_t s = bought_sku[a];
                          spend.push_back({g.sku_category[s], s, g.bought_revenue[a], g.bought_lines[a]});
                          revenue += g.bought_revenue[a];
                          quantity += g.bought_quantity[a];
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
                        feature_category_[c] = best;
                        feature_price_[c] = quantity > 0 ? revenue / static_cast<double>(quantity) : 0.0;
                      }
                    });
  std::uint32_t active = 0;
  for (std::uint32_t c = 0; c < C_; ++c) active += feature_category_[c] != kNone ? 1 : 0;
  g.active_customers = active;
  return Status::Ok();
}

// Merchant and SKU aggregates over the order lines.
Status BuildRun::Aggregates() {
  Impl& g = *impl_;
  const auto& orders = d_.orders;
  Lists<std::uint32_t> by_merchant;
  by_merchant.offsets.assign(M_ + 1, 0);
  for (const auto& o : orders) ++by_merchant.offsets[o.merchant.value + 1];
  PG_RETURN_IF_ERROR(PrefixSum(by_merchant.offsets, "order lines"));
  by_merchant.entries.resize(orders.size());
  {
    std::vector<std::uint32_t> cursor(by_merchant.offsets.begin(), by_merchant.offsets.end() - 1);
    for (std::uint32_t i = 0; i < orders.size(); ++i) {
      by_merchant.entries[cursor[orders[i].merchant.value]++] = i;
    }
  }
  g.merchant_revenue.assign(M_, 0.0);
  g.merchant_quantity.assign(M_, 0);
  g.merchant_orders.assign(M_, 0);
  g.merchant_lines.assign(M_, 0);
  g.merchant_active_skus.assign(M_, 0);
  g.merchant_customers.assign(M_, 0);
  g.merchant_first_ts.assign(M_, 0);
  g.merchant_last_ts.assign(M_, 0);
  Scratch scratch;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, M_),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      auto& ids = scratch.local();
                      for (std::uint32_t m = r.begin(); m != r.end(); ++m) {
                        auto lines = by_merchant.Of(m);
                        g.merchant_customers[m] = merchant_customers_.SizeOf(m);
                        if (lines.empty()) continue;
                        double revenue = 0.0;
                        std::uint64_t quantity = 0;
                        Timestamp first = orders[lines[0]].ts, last = first;
                        for (std::uint32_t i : lines) {
                          revenue += orders[i].revenue();
                          quantity += orders[i].quantity;
                          first = std::min(first, orders[i].ts);
                          last = std::max(last, orders[i].ts);
                        }
                        g.merchant_revenue[m] = revenue;
                        g.merchant_quantity[m] = quantity;
                        g.merchant_lines[m] = static_cast<std::uint32_t>(lines.size());
                        g.merchant_first_ts[m] = first;
                        g.merchant_last_ts[m] = last;
                        auto distinct = [&](auto key) {
                          ids.clear();
                          for (std::uint32_t i : lines) ids.push_back(key(orders[i]));
                          std::sort(ids.begin(), ids.end());
                          return static_cast<std::uint32_t>(
                              std::unique(ids.begin(), ids.end()) - ids.begin());
                        };
                        g.merchant_orders[m] = distinct([](const OrderLine& o) { return o.order.value; });
                        g.merchant_active_skus[m] = distinct([](const OrderLine& o) { return o.sku.value; });
                      }
                    });

  g.sku_buyers.resize(S_);
  for (std::uint32_t s = 0; s < S_; ++s) g.sku_buyers[s] = sku_buyers_.SizeOf(s);
  g.sku_lines.assign(S_, 0);
  g.sku_quantity.assign(S_, 0);
  g.sku_revenue.assign(S_, 0.0);
  for (const auto& o : orders) {
    ++g.sku_lines[o.sku.value];
    g.sku_quantity[o.sku.value] += o.quantity;
    g.sku_revenue[o.sku.value] += o.revenue();
  }
  return Status::Ok();
}

// Customer segments: region × dominant category × price band, capped.
Status BuildRun::Segments() {
  Impl& g = *impl_;
  const std::uint32_t bands = options_.price_bands;

  // Price band: rank of the mean unit price among customers of the same
  // dominant category; equal prices share the rank of the first of them.
  std::vector<std::uint32_t> active;
  for (std::uint32_t c = 0; c < C_; ++c) {
    if (feature_category_[c] != kNone) active.push_back(c);
  }
  tbb::parallel_sort(active.begin(), active.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (feature_category_[a] != feature_category_[b]) return feature_category_[a] < feature_category_[b];
    if (feature_price_[a] != feature_price_[b]) return feature_price_[a] < feature_price_[b];
    return a < b;
  });
  std::vector<std::uint32_t> band_of(C_, 0);
  for (std::size_t i = 0; i < active.size();) {
    std::size_t j = i;
    while (j < active.size() && feature_category_[active[j]] == feature_category_[active[i]]) ++j;
    const std::uint64_t n = j - i;
    std::size_t rank = 0;
    for (std::size_t k = i; k < j; ++k) {
      if (k > i && feature_price_[active[k]] != feature_price_[active[k - 1]]) rank = k - i;
      band_of[active[k]] = static_cast<std::uint32_t>(rank * bands / n);
    }
    i = j;
  }

  // Distinct keys with their sizes and price ranges.
  std::vector<std::pair<SegKey, std::uint32_t>> members;
  members.reserve(active.size());
  for (std::uint32_t c : active) {
    members.push_back({{g.customer_region[c], feature_category_[c], band_of[c]}, c});
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
    double price = feature_price_[members[i].second];
    if (i == 0 || members[i].first != members[i - 1].first) {
      keys.push_back({members[i].first, 0, price, price});
    }
    auto& k = keys.back();
    ++k.customers;
    k.min_price = std::min(k.min_price, price);
    k.max_price = std::max(k.max_price, price);
  }

  // The cap: keep the largest keys, merge the rest into "other" per region.
  const std::size_t cap = options_.max_segments;
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
    report_.segment_keys_merged = keys.size() - keep;
    if (!global_other) {
      for (std::size_t k = keep; k < order.size(); ++k) other_region.push_back(keys[order[k]].key.region);
      std::sort(other_region.begin(), other_region.end());
      other_region.erase(std::unique(other_region.begin(), other_region.end()), other_region.end());
    }
  }
  auto region_name = [&](std::uint32_t r) {
    return r == kNone ? std::string("unknown region") : std::string(d_.regions.Name(r));
  };
  std::vector<std::string> names, descriptions;
  for (std::uint32_t k : kept) {
    const auto& ks = keys[k];
    segment_of_key[k] = static_cast<std::uint32_t>(names.size());
    std::string category(d_.categories.Name(ks.key.category));
    std::string band = std::to_string(ks.key.band + 1) + " of " + std::to_string(bands);
    std::string price_range = FormatMoney(ks.min_price);
    if (FormatMoney(ks.max_price) != price_range) price_range += "-" + FormatMoney(ks.max_price);
    names.push_back(region_name(ks.key.region) + " / " + category + " / price " + band);
    descriptions.push_back("Customers in " +
                           (ks.key.region == kNone ? std::string("an unknown region")
                                                   : "region " + region_name(ks.key.region)) +
                           " whose top category by spend is " + category +
                           " and whose mean item price is " + price_range + " (price band " + band +
                           " within the category).");
    g.segment_region.push_back(ks.key.region);
    g.segment_category.push_back(ks.key.category);
    g.segment_band.push_back(ks.key.band);
  }
  const std::uint32_t first_other = static_cast<std::uint32_t>(names.size());
  if (global_other) {
    names.push_back("other");
    descriptions.push_back("Customers of the " + std::to_string(report_.segment_keys_merged) +
                           " smallest region x category x price-band groups, merged to keep at "
                           "most " + std::to_string(cap) + " segments.");
    g.segment_region.push_back(kNone);
    g.segment_category.push_back(kNone);
    g.segment_band.push_back(SegmentInfo::kOtherBand);
  }
  for (std::uint32_t region : other_region) {
    names.push_back(region_name(region) + " / other");
    descriptions.push_back("Customers in " + region_name(region) +
                           " from smaller region x category x price-band groups, merged to keep "
                           "at most " + std::to_string(cap) + " segments.");
    g.segment_region.push_back(region);
    g.segment_category.push_back(kNone);
    g.segment_band.push_back(SegmentInfo::kOtherBand);
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
  g.counts[static_cast<int>(NodeType::kSegment)] = G;
  g.segment_customers.assign(G, 0);
  g.customer_segment.assign(C_, kNone);
  std::size_t key = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0 && members[i].first != members[i - 1].first) ++key;
    g.customer_segment[members[i].second] = segment_of_key[key];
    ++g.segment_customers[segment_of_key[key]];
  }
  PG_ASSIGN_OR_RETURN(g.segment_names, StringTable::Build(names, false, "segment names"));
  PG_ASSIGN_OR_RETURN(g.segment_descriptions,
                      StringTable::Build(descriptions, false, "segment descriptions"));
  return Status::Ok();
}

// merchant–reached_by→segment and segment–reaches→merchant (customer counts).
Status BuildRun::SegmentReach() {
  Impl& g = *impl_;
  Scratch scratch;
  using Entry = std::pair<std::uint32_t, std::uint32_t>;  // segment, customers
  PG_ASSIGN_OR_RETURN(
      auto reach,
      BuildPerSource<Entry>(M_, "segment reach", nullptr, [&](std::uint32_t m, std::vector<Entry>& out) {
        auto& segs = scratch.local();
        segs.clear();
        for (std::uint32_t c : merchant_customers_.Of(m)) {
          if (g.customer_segment[c] != kNone) segs.push_back(g.customer_segment[c]);
        }
        std::sort(segs.begin(), segs.end());
        for (std::size_t i = 0; i < segs.size();) {
          std::size_t j = i;
          while (j < segs.size() && segs[j] == segs[i]) ++j;
          out.push_back({segs[i], static_cast<std::uint32_t>(j - i)});
          i = j;
        }
      }));
  const std::uint32_t G = g.counts[static_cast<int>(NodeType::kSegment)];
  auto reaches = Transpose<Entry>(
      reach, G, [](const Entry& e) { return e.first; },
      [](std::uint32_t m, const Entry& e, std::uint32_t) { return Entry{m, e.second}; });
  std::vector<std::uint32_t> targets(reach.entries.size());
  g.reached_by_customers.resize(reach.entries.size());
  for (std::size_t i = 0; i < reach.entries.size(); ++i) {
    targets[i] = reach.entries[i].first;
    g.reached_by_customers[i] = reach.entries[i].second;
  }
  SetKind(EdgeKind::kReachedBy, std::move(reach.offsets), std::move(targets));
  targets.resize(reaches.entries.size());
  g.reaches_customers.resize(reaches.entries.size());
  for (std::size_t i = 0; i < reaches.entries.size(); ++i) {
    targets[i] = reaches.entries[i].first;
    g.reaches_customers[i] = reaches.entries[i].second;
  }
  SetKind(EdgeKind::kReaches, std::move(reaches.offsets), std::move(targets));
  return Status::Ok();
}

// sku–co_purchased→sku across merchants within the time window.
Status BuildRun::CoPurchase() {
  Impl& g = *impl_;
  const auto& orders = d_.orders;
  const std::int64_t window = options_.copurchase_window_seconds;
  const double n = g.active_customers;
  for (std::uint32_t c = 0; c < C_; ++c) {
    if (lines_by_customer_.SizeOf(c) > options_.max_purchases_per_customer) {
      ++report_.customers_capped_copurchase;
    }
  }
  struct Entry {
    std::uint32_t sku;
    std::uint32_t support;
    float confidence;
    float lift;
  };
  Scratch acc_scratch, tmp_scratch;
  std::atomic<std::uint64_t> capped{0};
  auto progress = MakeProgress("co-purchase", S_);
  PG_ASSIGN_OR_RETURN(
      auto co,
      BuildPerSource<Entry>(S_, "co-purchase edges", progress.get(), [&](std::uint32_t a, std::vector<Entry>& out) {
        auto& acc = acc_scratch.local();
        auto& tmp = tmp_scratch.local();
        acc.clear();
        const std::uint32_t merchant_a = g.sku_merchant[a];
        for (std::uint32_t c : sku_buyers_.Of(a)) {
          auto lines = CappedLines(c);
          tmp.clear();
          for (std::size_t i = 0; i < lines.size(); ++i) {
            const OrderLine& line = orders[lines[i]];
            if (line.sku.value != a) continue;
            for (std::size_t j = i; j-- > 0 && line.ts - orders[lines[j]].ts <= window;) {
              if (orders[lines[j]].merchant.value != merchant_a) tmp.push_back(orders[lines[j]].sku.value);
            }
            for (std::size_t j = i + 1; j < lines.size() && orders[lines[j]].ts - line.ts <= window; ++j) {
              if (orders[lines[j]].merchant.value != merchant_a) tmp.push_back(orders[lines[j]].sku.value);
            }
          }
          std::sort(tmp.begin(), tmp.end());
          tmp.erase(std::unique(tmp.begin(), tmp.end()), tmp.end());
          acc.insert(acc.end(), tmp.begin(), tmp.end());
        }
        std::sort(acc.begin(), acc.end());
        std::size_t before = out.size();
        const double buyers_a = g.sku_buyers[a];
        for (std::size_t i = 0; i < acc.size();) {
          std::size_t j = i;
          while (j < acc.size() && acc[j] == acc[i]) ++j;
          auto support = static_cast<std::uint32_t>(j - i);
          if (support >= options_.min_copurchase_support) {
            const double buyers_b = g.sku_buyers[acc[i]];
            out.push_back({acc[i], support, static_cast<float>(support / buyers_a),
                           static_cast<float>(support * n / (buyers_a * buyers_b))});
          }
          i = j;
        }
        const std::size_t limit = options_.max_copurchase_neighbors;
        if (limit > 0 && out.size() - before > limit) {
          auto first = out.begin() + static_cast<std::ptrdiff_t>(before);
          std::sort(first, out.end(), [](const Entry& x, const Entry& y) {
            if (x.support != y.support) return x.support > y.support;
            if (x.lift != y.lift) return x.lift > y.lift;
            return x.sku < y.sku;
          });
          capped += out.size() - before - limit;
          out.resize(before + limit);
          std::sort(first, out.end(), [](const Entry& x, const Entry& y) { return x.sku < y.sku; });
        }
      }));
  report_.copurchase_edges_capped = capped.load();
  std::vector<std::uint32_t> targets(co.entries.size());
  g.copurchase_support.resize(co.entries.size());
  g.copurchase_confidence.resize(co.entries.size());
  g.copurchase_lift.resize(co.entries.size());
  for (std::size_t i = 0; i < co.entries.size(); ++i) {
    targets[i] = co.entries[i].sku;
    g.copurchase_support[i] = co.entries[i].support;
    g.copurchase_confidence[i] = co.entries[i].confidence;
    g.copurchase_lift[i] = co.entries[i].lift;
  }
  SetKind(EdgeKind::kCoPurchased, std::move(co.offsets), std::move(targets));
  return Status::Ok();
}

// merchant–shares_customers→merchant (distinct customers of both).
Status BuildRun::SharedCustomers() {
  Impl& g = *impl_;
  const std::uint32_t cap = options_.max_purchases_per_customer;
  std::atomic<std::uint64_t> capped_customers{0};
  tbb::enumerable_thread_specific<std::vector<std::pair<std::int64_t, std::uint32_t>>> recent_scratch;
  // The merchants each customer contributes pairs with: all, or its `cap`
  // most recently visited ones (ties: smaller id), ascending.
  PG_ASSIGN_OR_RETURN(
      auto capped,
      BuildPerSource<std::uint32_t>(C_, "capped merchants", nullptr, [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
        auto merchants = customer_merchants_.Of(c);
        if (merchants.size() <= cap) {
          out.insert(out.end(), merchants.begin(), merchants.end());
          return;
        }
        ++capped_customers;
        auto& recent = recent_scratch.local();
        recent.clear();
        for (std::uint32_t i = 0; i < merchants.size(); ++i) {
          recent.push_back({-link_last_ts_[customer_merchants_.offsets[c] + i], merchants[i]});
        }
        std::partial_sort(recent.begin(), recent.begin() + cap, recent.end());
        std::size_t before = out.size();
        for (std::uint32_t i = 0; i < cap; ++i) out.push_back(recent[i].second);
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
      }));
  report_.customers_capped_merchant_pairs = capped_customers.load();
  auto customers_of = Transpose<std::uint32_t>(
      capped, M_, [](std::uint32_t m) { return m; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  tbb::enumerable_thread_specific<DenseCounter> counters(M_);
  using Entry = std::pair<std::uint32_t, std::uint32_t>;  // merchant, customers
  auto progress = MakeProgress("shared customers", M_);
  PG_ASSIGN_OR_RETURN(
      auto shared,
      BuildPerSource<Entry>(M_, "shared-customer edges", progress.get(), [&](std::uint32_t a, std::vector<Entry>& out) {
        auto& counter = counters.local();
        for (std::uint32_t c : customers_of.Of(a)) {
          for (std::uint32_t b : capped.Of(c)) {
            if (b != a) counter.Add(b);
          }
        }
        counter.Drain([&](std::uint32_t b, std::uint32_t count) {
          if (count >= options_.min_shared_customers) out.push_back({b, count});
        });
      }));
  std::vector<std::uint32_t> targets(shared.entries.size());
  g.shares_customers.resize(shared.entries.size());
  for (std::size_t i = 0; i < shared.entries.size(); ++i) {
    targets[i] = shared.entries[i].first;
    g.shares_customers[i] = shared.entries[i].second;
  }
  SetKind(EdgeKind::kSharesCustomers, std::move(shared.offsets), std::move(targets));
  return Status::Ok();
}

// category–category_pair→category: customers in both and lift.
Status BuildRun::CategoryPairs() {
  Impl& g = *impl_;
  const auto& bought_off = g.kind_offsets[static_cast<int>(EdgeKind::kBought)];
  const auto& bought_sku = targets_[static_cast<int>(EdgeKind::kBought)];
  const std::uint32_t cap = options_.max_purchases_per_customer;
  std::atomic<std::uint64_t> capped_customers{0};
  tbb::enumerable_thread_specific<std::vector<std::pair<std::int64_t, std::uint32_t>>> recent_scratch;
  g.category_customers.assign(K_, 0);
  std::vector<std::atomic<std::uint32_t>> category_customers(K_);
  // Per customer: its categories (all count for category_customers; the `cap`
  // most recently bought ones pair up), ascending.
  PG_ASSIGN_OR_RETURN(
      auto cats,
      BuildPerSource<std::uint32_t>(C_, "customer categories", nullptr, [&](std::uint32_t c, std::vector<std::uint32_t>& out) {
        auto& recent = recent_scratch.local();
        recent.clear();
        for (std::uint32_t a = bought_off[c]; a < bought_off[c + 1]; ++a) {
          recent.push_back({g.bought_last_ts[a], g.sku_category[bought_sku[a]]});
        }
        // Latest purchase per category, most recent first (ties: smaller id).
        std::sort(recent.begin(), recent.end(), [](const auto& x, const auto& y) {
          if (x.second != y.second) return x.second < y.second;
          return x.first > y.first;
        });
        recent.erase(std::unique(recent.begin(), recent.end(),
                                 [](const auto& x, const auto& y) { return x.second == y.second; }),
                     recent.end());
        for (const auto& r : recent) category_customers[r.second].fetch_add(1, std::memory_order_relaxed);
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
  report_.customers_capped_category_pairs = capped_customers.load();
  for (std::uint32_t k = 0; k < K_; ++k) g.category_customers[k] = category_customers[k].load();
  auto customers_of = Transpose<std::uint32_t>(
      cats, K_, [](std::uint32_t k) { return k; },
      [](std::uint32_t c, std::uint32_t, std::uint32_t) { return c; });
  const double n = g.active_customers;
  struct Entry {
    std::uint32_t category;
    std::uint32_t both;
    float expected;
    float lift;
  };
  tbb::enumerable_thread_specific<DenseCounter> counters(K_);
  PG_ASSIGN_OR_RETURN(
      auto pairs,
      BuildPerSource<Entry>(K_, "category pairs", nullptr, [&](std::uint32_t x, std::vector<Entry>& out) {
        auto& counter = counters.local();
        for (std::uint32_t c : customers_of.Of(x)) {
          for (std::uint32_t y : cats.Of(c)) {
            if (y != x) counter.Add(y);
          }
        }
        counter.Drain([&](std::uint32_t y, std::uint32_t both) {
          double expected =
              static_cast<double>(g.category_customers[x]) * g.category_customers[y] / n;
          out.push_back({y, both, static_cast<float>(expected), static_cast<float>(both / expected)});
        });
      }));
  std::vector<std::uint32_t> targets(pairs.entries.size());
  g.category_pair_both.resize(pairs.entries.size());
  g.category_pair_expected.resize(pairs.entries.size());
  g.category_pair_lift.resize(pairs.entries.size());
  for (std::size_t i = 0; i < pairs.entries.size(); ++i) {
    targets[i] = pairs.entries[i].category;
    g.category_pair_both[i] = pairs.entries[i].both;
    g.category_pair_expected[i] = pairs.entries[i].expected;
    g.category_pair_lift[i] = pairs.entries[i].lift;
  }
  SetKind(EdgeKind::kCategoryPair, std::move(pairs.offsets), std::move(targets));
  return Status::Ok();
}

// merchant–competitor_derived→merchant: same category and assortment overlap.
Status BuildRun::DerivedCompetitors() {
  Impl& g = *impl_;
  using Entry = std::pair<std::uint32_t, float>;  // merchant, Jaccard
  if (!options_.derive_competitors) {
    SetKind(EdgeKind::kCompetitorDerived, std::vector<std::uint32_t>(M_ + 1, 0), {});
    return Status::Ok();
  }
  const auto& sells_off = g.kind_offsets[static_cast<int>(EdgeKind::kSells)];
  const auto& sells = targets_[static_cast<int>(EdgeKind::kSells)];
  const double ratio = options_.competitor_price_band_ratio;
  // Assortment cells per merchant: (SKU category, price band), ascending.
  PG_ASSIGN_OR_RETURN(
      auto cells,
      BuildPerSource<std::uint64_t>(M_, "assortment cells", nullptr, [&](std::uint32_t m, std::vector<std::uint64_t>& out) {
        std::size_t before = out.size();
        for (std::uint32_t i = sells_off[m]; i < sells_off[m + 1]; ++i) {
          std::uint32_t s = sells[i];
          auto band = static_cast<std::uint32_t>(PriceBand(g.sku_price[s], ratio)) ^ 0x80000000u;
          out.push_back((static_cast<std::uint64_t>(g.sku_category[s]) << 32) | band);
        }
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
        out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()), out.end());
      }));
  // Inverted index: groups of merchants of one merchant category sharing a cell.
  struct Member {
    std::uint32_t merchant_category;
    std::uint64_t cell;
    std::uint32_t merchant;
    auto operator<=>(const Member&) const = default;
  };
  std::vector<Member> members;
  members.reserve(cells.entries.size());
  for (std::uint32_t m = 0; m < M_; ++m) {
    for (std::uint64_t cell : cells.Of(m)) members.push_back({g.merchant_category[m], cell, m});
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
  Scratch acc_scratch, order_scratch;
  const std::size_t max_candidates = options_.competitor_max_candidates;
  const std::size_t keep = options_.max_derived_competitors;
  PG_ASSIGN_OR_RETURN(
      auto best,
      BuildPerSource<Entry>(M_, "derived competitors", nullptr, [&](std::uint32_t a, std::vector<Entry>& out) {
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
          if (jaccard >= options_.competitor_min_jaccard) {
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
  report_.merchants_capped_competitor_candidates = capped_merchants.load();
  // Symmetric union of the per-merchant lists (the larger overlap when both
  // sides found the pair with different candidate caps).
  auto reverse = Transpose<Entry>(
      best, M_, [](const Entry& e) { return e.first; },
      [](std::uint32_t a, const Entry& e, std::uint32_t) { return Entry{a, e.second}; });
  PG_ASSIGN_OR_RETURN(
      auto both,
      BuildPerSource<Entry>(M_, "derived competitors", nullptr, [&](std::uint32_t a, std::vector<Entry>& out) {
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
  std::vector<std::uint32_t> targets(both.entries.size());
  g.derived_overlap.resize(both.entries.size());
  for (std::size_t i = 0; i < both.entries.size(); ++i) {
    targets[i] = both.entries[i].first;
    g.derived_overlap[i] = both.entries[i].second;
  }
  SetKind(EdgeKind::kCompetitorDerived, std::move(both.offsets), std::move(targets));
  return Status::Ok();
}

// Declared partner / competitor / blocked pairs, stored both ways, deduplicated.
Status BuildRun::DeclaredRelations() {
  const std::array<std::pair<PartnershipKind, EdgeKind>, 3> kinds = {{
      {PartnershipKind::kPartner, EdgeKind::kPartner},
      {PartnershipKind::kCompetitor, EdgeKind::kCompetitorDeclared},
      {PartnershipKind::kBlocked, EdgeKind::kBlocked},
  }};
  for (const auto& [declared, kind] : kinds) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    for (const auto& p : d_.partnerships) {
      if (p.kind != declared) continue;
      pairs.push_back({p.a.value, p.b.value});
      pairs.push_back({p.b.value, p.a.value});
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<std::uint32_t> offsets(M_ + 1, 0), targets(pairs.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      ++offsets[pairs[i].first + 1];
      targets[i] = pairs[i].second;
    }
    PG_RETURN_IF_ERROR(PrefixSum(offsets, "declared relations"));
    SetKind(kind, std::move(offsets), std::move(targets));
  }
  return Status::Ok();
}

// customer–consent→merchant: the winning record per (customer, merchant, channel).
Status BuildRun::Consent() {
  Impl& g = *impl_;
  const auto& records = d_.consent;
  std::vector<std::uint32_t> order(records.size());
  std::iota(order.begin(), order.end(), 0u);
  tbb::parallel_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto& x = records[a];
    const auto& y = records[b];
    if (x.customer != y.customer) return x.customer < y.customer;
    if (x.merchant != y.merchant) return x.merchant < y.merchant;
    if (x.channel != y.channel) return x.channel < y.channel;
    if (x.ts != y.ts) return x.ts > y.ts;
    int rx = Restrictiveness(x.status), ry = Restrictiveness(y.status);
    if (rx != ry) return rx < ry;
    return a < b;
  });
  std::vector<std::uint32_t> offsets(C_ + 1, 0), targets;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& r = records[order[i]];
    if (i > 0) {
      const auto& p = records[order[i - 1]];
      if (p.customer == r.customer && p.merchant == r.merchant && p.channel == r.channel) continue;
    }
    ++offsets[r.customer.value + 1];
    targets.push_back(r.merchant.value);
    g.consent_channel.push_back(static_cast<std::uint8_t>(r.channel));
    g.consent_status.push_back(static_cast<std::uint8_t>(r.status));
    g.consent_ts.push_back(r.ts);
  }
  PG_RETURN_IF_ERROR(PrefixSum(offsets, "consent edges"));
  SetKind(EdgeKind::kConsent, std::move(offsets), std::move(targets));
  return Status::Ok();
}

// Lays the per-kind lists out as CSR rows (kinds in enum order) and builds
// the Boost graph.
Status BuildRun::Assemble() {
  Impl& g = *impl_;
  g.ComputeBases();
  const std::uint32_t V = g.vertex_count();
  std::vector<std::uint32_t> rowstart(static_cast<std::size_t>(V) + 1, 0);
  for (int t = 0; t < kNodeTypeCount; ++t) {
    auto span = graph_internal::kKindsOfType[t];
    for (std::uint32_t local = 0; local < g.counts[t]; ++local) {
      std::uint32_t degree = 0;
      for (int k = span.first; k <= span.last; ++k) degree += g.Degree(static_cast<EdgeKind>(k), local);
      rowstart[g.bases[t] + local + 1] = degree;
    }
  }
  PG_RETURN_IF_ERROR(PrefixSum(rowstart, "the graph"));
  std::vector<std::uint32_t> column(rowstart.back());
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, V),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      for (GraphVertex v = r.begin(); v != r.end(); ++v) {
                        int t = static_cast<int>(g.TypeOf(v));
                        std::uint32_t local = v - g.bases[t];
                        std::uint32_t pos = rowstart[v];
                        auto span = graph_internal::kKindsOfType[t];
                        for (int k = span.first; k <= span.last; ++k) {
                          const auto& off = g.kind_offsets[k];
                          const auto& tg = targets_[k];
                          GraphVertex base = g.bases[static_cast<int>(TargetType(static_cast<EdgeKind>(k)))];
                          for (std::uint32_t i = off[local]; i < off[local + 1]; ++i) {
                            column[pos++] = base + tg[i];
                          }
                        }
                      }
                    });
  for (auto& t : targets_) std::vector<std::uint32_t>().swap(t);
  g.csr = graph_internal::MakeCsr(rowstart, column);
  g.fingerprint = g.ComputeFingerprint();
  return Status::Ok();
}

void BuildRun::ReleaseAfter(const char* stage) {
  if (owned_ == nullptr) return;
  const std::string_view name = stage;
  if (name == "node tables") {
    // Copied into the graph's string tables; only sizes are read later (kept in
    // M_, S_, C_). merchant_ids stays for messages.
    owned_->sku_ids = Dictionary();
    owned_->customer_ids = Dictionary();
  } else if (name == "co-purchase") {
    // The last stage reading order lines; lines_by_customer_ indexes them.
    std::vector<OrderLine>().swap(owned_->orders);
    owned_->order_ids = Dictionary();
    lines_by_customer_ = {};
  }
}

Result<std::unique_ptr<Impl>> BuildRun::Run() {
  PG_RETURN_IF_ERROR(Stage("validate", [&] { return ValidateDataset(d_); }));
  PG_RETURN_IF_ERROR(Stage("node tables", [&] { return NodeTables(); }));
  ReleaseAfter("node tables");
  PG_RETURN_IF_ERROR(Stage("customer order lines", [&] { return CustomerLines(); }));
  PG_RETURN_IF_ERROR(Stage("purchases", [&] { return Purchases(); }));
  PG_RETURN_IF_ERROR(Stage("customer features", [&] { return CustomerFeatures(); }));
  PG_RETURN_IF_ERROR(Stage("merchant and sku aggregates", [&] { return Aggregates(); }));
  PG_RETURN_IF_ERROR(Stage("segments", [&] { return Segments(); }));
  PG_RETURN_IF_ERROR(Stage("segment reach", [&] { return SegmentReach(); }));
  PG_RETURN_IF_ERROR(Stage("co-purchase", [&] { return CoPurchase(); }));
  ReleaseAfter("co-purchase");
  PG_RETURN_IF_ERROR(Stage("shared customers", [&] { return SharedCustomers(); }));
  PG_RETURN_IF_ERROR(Stage("category-pair lift", [&] { return CategoryPairs(); }));
  PG_RETURN_IF_ERROR(Stage("derived competitors", [&] { return DerivedCompetitors(); }));
  PG_RETURN_IF_ERROR(Stage("declared relations", [&] { return DeclaredRelations(); }));
  PG_RETURN_IF_ERROR(Stage("consent", [&] { return Consent(); }));
  PG_RETURN_IF_ERROR(Stage("assemble csr", [&] { return Assemble(); }));
  return std::move(impl_);
}

}  // namespace

GraphBuilder::GraphBuilder(GraphOptions options) : options_(options) {}
GraphBuilder::~GraphBuilder() = default;

Status GraphBuilder::Build(const Dataset& dataset) { return Run(dataset, nullptr); }

Status GraphBuilder::Build(Dataset&& dataset) { return Run(dataset, &dataset); }

Status GraphBuilder::Run(const Dataset& dataset, Dataset* owned) {
  built_.reset();
  report_ = {};
  PG_RETURN_IF_ERROR(options_.Validate());
  int threads = options_.threads == 0 ? tbb::info::default_concurrency()
                                      : static_cast<int>(options_.threads);
  tbb::task_arena arena(threads);
  BuildReport report;
  Result<std::unique_ptr<EcosystemGraph::Impl>> result = Status::Internal("build did not run");
  arena.execute([&] { result = BuildRun(dataset, owned, options_, report).Run(); });
  if (!result.ok()) return result.status();
  built_ = std::move(result).value();
  report_ = std::move(report);
  return Status::Ok();
}

Result<std::shared_ptr<const EcosystemGraph>> GraphBuilder::Freeze() {
  if (!built_) return Status::InvalidArgument("GraphBuilder::Freeze() without a successful Build()");
  return GraphAccess::Wrap(std::move(built_));
}

}  // namespace partnergraph
