// LiveOverlay: the policies, contactable counts and pair relations that events change
// (live_overlay.hpp).
#include "partnergraph/recommend/live_overlay.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <mutex>

namespace partnergraph {
namespace {

constexpr std::uint8_t kTouchedFlag = 1;
constexpr std::uint8_t kRelationsFlag = 2;

constexpr std::uint8_t kPartnerBit = 1;
constexpr std::uint8_t kCompetitorBit = 2;
constexpr std::uint8_t kBlockedBit = 4;

std::uint8_t BitOf(PartnershipKind kind) {
  switch (kind) {
    case PartnershipKind::kPartner:
      return kPartnerBit;
    case PartnershipKind::kCompetitor:
      return kCompetitorBit;
    case PartnershipKind::kBlocked:
      return kBlockedBit;
  }
  return 0;
}

// A policy in one word: k_min in the high half, the flags and the permission model below.
std::uint64_t PackPolicy(const MerchantPolicy& p) {
  return std::uint64_t{p.k_min} << 32 | std::uint64_t{p.share_overlaps} |
         std::uint64_t{p.discoverable} << 1 | std::uint64_t{p.allow_coupons} << 2 |
         std::uint64_t{static_cast<std::uint8_t>(p.permission_model)} << 8;
}

MerchantPolicy UnpackPolicy(std::uint64_t word) {
  MerchantPolicy p;
  p.k_min = static_cast<std::uint32_t>(word >> 32);
  p.share_overlaps = (word & 1) != 0;
  p.discoverable = (word >> 1 & 1) != 0;
  p.allow_coupons = (word >> 2 & 1) != 0;
  p.permission_model = static_cast<PermissionModel>(word >> 8 & 0xff);
  return p;
}

}  // namespace

LiveOverlay::LiveOverlay(std::shared_ptr<const EcosystemGraph> graph,
                         std::vector<std::uint32_t> contactable,
                         std::vector<std::uint32_t> by_channel)
    : graph_(std::move(graph)), g_(*graph_) {
  const std::uint32_t n = g_.merchant_count();
  assert(contactable.size() == n);
  assert(by_channel.size() == std::size_t{n} * kContactChannelCount);
  policy_ = std::make_unique<std::atomic<std::uint64_t>[]>(n);
  contactable_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  by_channel_ = std::make_unique<std::atomic<std::uint32_t>[]>(by_channel.size());
  for (std::size_t i = 0; i < by_channel.size(); ++i) {
    by_channel_[i].store(by_channel[i], std::memory_order_relaxed);
  }
  flags_ = std::make_unique<std::atomic<std::uint8_t>[]>(n);
  for (std::uint32_t m = 0; m < n; ++m) {
    policy_[m].store(PackPolicy(g_.Merchant(MerchantId(m)).policy), std::memory_order_relaxed);
    contactable_[m].store(contactable[m], std::memory_order_relaxed);
    flags_[m].store(0, std::memory_order_relaxed);
  }
}

MerchantPolicy LiveOverlay::Policy(MerchantId m) const {
  return UnpackPolicy(policy_[m.value].load(std::memory_order_acquire));
}

std::uint32_t LiveOverlay::PairKMin(MerchantId a, MerchantId b) const {
  return std::max(Policy(a).k_min, Policy(b).k_min);
}

bool LiveOverlay::Touched(MerchantId m) const {
  return (flags_[m.value].load(std::memory_order_acquire) & kTouchedFlag) != 0;
}

std::uint64_t LiveOverlay::PairKey(MerchantId a, MerchantId b) {
  const auto [lo, hi] = std::minmax(a.value, b.value);
  return std::uint64_t{lo} << 32 | hi;
}

std::uint64_t LiveOverlay::ConsentKey(CustomerId c, MerchantId m, ContactChannel channel) {
  // 32 bits of customer, 28 of merchant, 4 of channel: merchants are capped far below 2^28
  // (graph_options.hpp), channels below 16.
  return std::uint64_t{c.value} << 32 | std::uint64_t{m.value} << 4 |
         static_cast<std::uint8_t>(channel);
}

LiveOverlay::RelationBits LiveOverlay::GraphRelations(MerchantId a, MerchantId b) const {
  RelationBits bits = 0;
  if (g_.IsPartner(a, b)) bits |= kPartnerBit;
  if (g_.IsDeclaredCompetitor(a, b)) bits |= kCompetitorBit;
  if (g_.IsBlocked(a, b)) bits |= kBlockedBit;
  return bits;
}

LiveOverlay::RelationBits LiveOverlay::Relations(MerchantId a, MerchantId b) const {
  if (((flags_[a.value].load(std::memory_order_acquire) |
        flags_[b.value].load(std::memory_order_acquire)) &
       kRelationsFlag) != 0) {
    std::shared_lock lock(relations_mu_);
    if (auto it = relations_.find(PairKey(a, b)); it != relations_.end()) return it->second;
  }
  return GraphRelations(a, b);
}

bool LiveOverlay::IsPartner(MerchantId a, MerchantId b) const {
  return (Relations(a, b) & kPartnerBit) != 0;
}

bool LiveOverlay::IsBlocked(MerchantId a, MerchantId b) const {
  return (Relations(a, b) & kBlockedBit) != 0;
}

bool LiveOverlay::IsDeclaredCompetitor(MerchantId a, MerchantId b) const {
  return (Relations(a, b) & kCompetitorBit) != 0;
}

bool LiveOverlay::IsCompetitor(MerchantId a, MerchantId b) const {
  return (Relations(a, b) & kCompetitorBit) != 0 || g_.IsDerivedCompetitor(a, b);
}

void LiveOverlay::Excluded(MerchantId m, bool include_partners,
                           std::vector<MerchantId>* out) const {
  const std::size_t first = out->size();
  if (!include_partners) {
    for (MerchantId p : g_.Partners(m)) out->push_back(p);
  }
  for (MerchantId c : g_.DeclaredCompetitors(m)) out->push_back(c);
  for (const DerivedCompetitor& c : g_.DerivedCompetitors(m)) out->push_back(c.merchant);
  for (MerchantId b : g_.Blocked(m)) out->push_back(b);
  if ((flags_[m.value].load(std::memory_order_acquire) & kRelationsFlag) != 0) {
    // The overridden pairs of m: drop what the graph said about them, add what holds now.
    std::shared_lock lock(relations_mu_);
    if (auto it = override_pairs_of_.find(m.value); it != override_pairs_of_.end()) {
      const std::vector<MerchantId>& others = it->second;
      out->erase(std::remove_if(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
                                [&](MerchantId o) {
                                  return std::find(others.begin(), others.end(), o) !=
                                             others.end() &&
                                         !g_.IsDerivedCompetitor(m, o);
                                }),
                 out->end());
      const RelationBits excluding = include_partners
                                         ? (kCompetitorBit | kBlockedBit)
                                         : (kPartnerBit | kCompetitorBit | kBlockedBit);
      for (MerchantId o : others) {
        if ((relations_.at(PairKey(m, o)) & excluding) != 0) out->push_back(o);
      }
    }
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
}

void LiveOverlay::MarkTouched(MerchantId m) {
  const std::uint8_t before = flags_[m.value].fetch_or(kTouchedFlag, std::memory_order_acq_rel);
  if ((before & kTouchedFlag) == 0) touched_count_.fetch_add(1, std::memory_order_acq_rel);
}

void LiveOverlay::SetRelation(MerchantId a, MerchantId b, PartnershipKind kind, bool present) {
  assert(a != b);
  {
    std::unique_lock lock(relations_mu_);
    const std::uint64_t key = PairKey(a, b);
    auto it = relations_.find(key);
    if (it == relations_.end()) {
      it = relations_.emplace(key, GraphRelations(a, b)).first;
      override_pairs_of_[a.value].push_back(b);
      override_pairs_of_[b.value].push_back(a);
    }
    if (present) {
      it->second |= BitOf(kind);
    } else {
      it->second &= static_cast<RelationBits>(~BitOf(kind));
    }
  }
  flags_[a.value].fetch_or(kRelationsFlag, std::memory_order_acq_rel);
  flags_[b.value].fetch_or(kRelationsFlag, std::memory_order_acq_rel);
  MarkTouched(a);
  MarkTouched(b);
}

bool LiveOverlay::IsCustomerOf(CustomerId c, MerchantId m) const {
  // m's customers are sorted by vertex (ecosystem_graph.hpp).
  const auto targets = g_.CustomersOf(m).targets();
  return std::binary_search(targets.begin(), targets.end(), g_.VertexOf(c));
}

LiveOverlay::ConsentRecord LiveOverlay::CurrentConsent(CustomerId c, MerchantId m,
                                                       ContactChannel channel) const {
  if (auto it = consent_.find(ConsentKey(c, m, channel)); it != consent_.end()) return it->second;
  ConsentRecord r;
  if (auto entry = g_.ConsentStatusOf(c, m, channel)) {
    r.status = entry->status;
    r.ts = entry->ts;
    r.sales_block = entry->sales_block;
  }
  return r;
}

ContactChannelSet LiveOverlay::Channels(CustomerId c, MerchantId m, PermissionModel model) const {
  std::array<std::optional<ConsentStatus>, kContactChannelCount> statuses;
  for (int i = 0; i < kContactChannelCount; ++i) {
    statuses[static_cast<std::size_t>(i)] =
        CurrentConsent(c, m, static_cast<ContactChannel>(i)).status;
  }
  return ContactableChannels(model, statuses);
}

void LiveOverlay::MoveCounts(MerchantId m, ContactChannelSet before, ContactChannelSet after) {
  if (before == after) return;
  auto move = [](std::atomic<std::uint32_t>& count, bool was, bool is) {
    if (was == is) return;
    if (is) {
      count.fetch_add(1, std::memory_order_acq_rel);
    } else {
      count.fetch_sub(1, std::memory_order_acq_rel);
    }
  };
  for (std::size_t i = 0; i < kContactChannelCount; ++i) {
    move(by_channel_[std::size_t{m.value} * kContactChannelCount + i], before[i], after[i]);
  }
  move(contactable_[m.value], before.any(), after.any());
  MarkTouched(m);
}

void LiveOverlay::SetConsent(CustomerId c, MerchantId m, ContactChannel channel,
                             ConsentStatus status, std::string_view source, Timestamp ts) {
  const ConsentRecord before = CurrentConsent(c, m, channel);
  if (before.status &&
      (ts < before.ts || (ts == before.ts && ConsentRestrictiveness(status) >
                                                 ConsentRestrictiveness(*before.status)))) {
    return;  // a newer (or, at the same time, more restrictive) record stands
  }
  const bool customer = IsCustomerOf(c, m);
  const PermissionModel model = Policy(m).permission_model;
  const ContactChannelSet could = customer ? Channels(c, m, model) : ContactChannelSet();
  const ConsentState next =
      NextConsentState(ConsentState{before.status, before.sales_block}, status, source);
  consent_[ConsentKey(c, m, channel)] = ConsentRecord{next.status, next.sales_block, ts};
  if (customer) MoveCounts(m, could, Channels(c, m, model));
}

void LiveOverlay::SetPolicy(MerchantId m, const MerchantPolicy& policy) {
  const MerchantPolicy before = Policy(m);
  if (policy.permission_model != before.permission_model) {
    for (const CustomerLink& link : g_.CustomersOf(m)) {
      MoveCounts(m, Channels(link.customer, m, before.permission_model),
                 Channels(link.customer, m, policy.permission_model));
    }
  }
  policy_[m.value].store(PackPolicy(policy), std::memory_order_release);
  MarkTouched(m);
}

}  // namespace partnergraph
