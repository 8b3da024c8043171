// PrecomputedProfiles::Compute: the per-merchant profiles, the graph candidate lists and the
// popular SKUs (precomputed_profiles.hpp).
#include "precomputed_profiles.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <utility>

#include "partnergraph/consent/contact_policy.hpp"

namespace partnergraph::recommend_internal {
namespace {

// The channels on which merchant m (running `model`) may contact customer c.
ContactChannelSet ContactableChannelsOf(const EcosystemGraph& g, CustomerId c, MerchantId m,
                                        PermissionModel model) {
  std::array<std::optional<ConsentStatus>, kContactChannelCount> statuses{};
  for (const ConsentEntry& entry : g.ConsentsOf(c)) {
    if (entry.merchant == m) statuses[static_cast<int>(entry.channel)] = entry.status;
  }
  return ContactableChannels(model, statuses);
}

}  // namespace

std::shared_ptr<const PrecomputedProfiles> PrecomputedProfiles::Compute(
    const EcosystemGraph& g, const RecommendOptions& options) {
  std::shared_ptr<PrecomputedProfiles> r(new PrecomputedProfiles());
  const std::uint32_t n = g.merchant_count();
  r->profiles_.resize(n);
  std::vector<double> revenue(n);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n), [&](const auto& range) {
    for (std::uint32_t i = range.begin(); i != range.end(); ++i) {
      MerchantId m(i);
      MerchantProfile& p = r->profiles_[i];
      const MerchantInfo info = g.Merchant(m);
      p.category = info.category;
      p.region = info.region;
      const PermissionModel model_kind = info.policy.permission_model;
      auto customers = g.CustomersOf(m);
      p.customers = static_cast<std::uint32_t>(customers.size());
      p.log1p_customers = std::log1p(static_cast<double>(p.customers));
      std::uint32_t contactable = 0;
      std::array<std::uint32_t, kContactChannelCount> by_channel{};
      for (GraphVertex v : customers.targets()) {
        const ContactChannelSet channels =
            ContactableChannelsOf(g, g.IdOf<CustomerId>(v), m, model_kind);
        if (channels.any()) ++contactable;
        for (int ch = 0; ch < kContactChannelCount; ++ch) by_channel[ch] += channels.test(ch);
      }
      p.contactable = contactable;
      p.contactable_by_channel = by_channel;
      revenue[i] = g.MerchantStatsOf(m).revenue;
    }
  });
  // Tiers by revenue rank and the long tail by customer rank (ties by id).
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return revenue[a] != revenue[b] ? revenue[a] > revenue[b] : a < b;
  });
  for (std::uint32_t rank = 0; rank < n; ++rank) {
    double q = static_cast<double>(rank) / std::max<std::uint32_t>(n, 1);
    r->profiles_[order[rank]].tier =
        q < 0.05 ? MerchantTier::kGold : (q < 0.20 ? MerchantTier::kSilver : MerchantTier::kBronze);
  }
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    auto ca = r->profiles_[a].customers, cb = r->profiles_[b].customers;
    return ca != cb ? ca > cb : a < b;
  });
  const auto head = static_cast<std::uint32_t>(std::ceil((1.0 - options.long_tail_share) * n));
  for (std::uint32_t rank = 0; rank < n; ++rank) {
    r->profiles_[order[rank]].long_tail = rank >= head;
    r->max_customers_ = std::max(r->max_customers_, r->profiles_[order[rank]].customers);
  }
  r->log1p_max_customers_ = std::log1p(r->max_customers_);
  r->category_merchants_.assign(g.category_count(), 0);
  for (const MerchantProfile& p : r->profiles_) {
    if (p.category.valid()) ++r->category_merchants_[p.category.value];
  }
  // Each merchant's partner_graph_candidates largest shared-customer neighbours (customers
  // desc, merchant asc), so that a query does not sort its whole shared-customer list.
  r->graph_candidate_offsets_.assign(std::size_t{n} + 1, 0);
  std::vector<std::vector<MerchantId>> per_merchant(n);
  const std::size_t want = options.partner_graph_candidates;
  if (want > 0) {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n), [&](const auto& range) {
      std::vector<SharedCustomers> top;
      for (std::uint32_t i = range.begin(); i != range.end(); ++i) {
        auto shared = g.SharedCustomersOf(MerchantId(i));
        top.assign(shared.begin(), shared.end());
        const std::size_t keep = std::min(top.size(), want);
        std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(keep), top.end(),
                          [](const SharedCustomers& a, const SharedCustomers& b) {
                            return a.customers != b.customers ? a.customers > b.customers
                                                              : a.merchant < b.merchant;
                          });
        per_merchant[i].reserve(keep);
        for (std::size_t j = 0; j < keep; ++j) per_merchant[i].push_back(top[j].merchant);
      }
    });
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    r->graph_candidate_offsets_[i + 1] = r->graph_candidate_offsets_[i] + per_merchant[i].size();
  }
  r->graph_candidate_ids_.reserve(r->graph_candidate_offsets_.back());
  for (auto& list : per_merchant) {
    r->graph_candidate_ids_.insert(r->graph_candidate_ids_.end(), list.begin(), list.end());
    list = {};
  }
  // The most-bought SKUs (buyers desc, id asc) for the coupon candidates.
  std::vector<std::pair<std::uint32_t, SkuId>> popular;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    const std::uint32_t buyers = g.SkuStatsOf(SkuId(s)).buyers;
    r->max_sku_buyers_ = std::max(r->max_sku_buyers_, buyers);
    if (buyers > 0) popular.emplace_back(buyers, SkuId(s));
  }
  const std::size_t keep_popular =
      std::min<std::size_t>(popular.size(), options.coupon_popular_candidates);
  std::partial_sort(popular.begin(), popular.begin() + static_cast<std::ptrdiff_t>(keep_popular),
                    popular.end(), [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  for (std::size_t i = 0; i < keep_popular; ++i) r->popular_skus_.push_back(popular[i].second);
  return r;
}

}  // namespace partnergraph::recommend_internal
