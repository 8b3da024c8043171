// LiveOverlay: the policies, contactable counts and pair relations that events change
// (live_overlay.hpp).
#include "partnergraph/recommend/live_overlay.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <mutex>
#include <vector>

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

constexpr std::uint8_t kNoStatus = 0xff;  // a channel without any record
// No valid (customer, merchant) pair: customer ids are below 2^32 - 1.
constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};
constexpr std::size_t kStatusCount = 6;    // ConsentStatus values 0..5
constexpr std::size_t kModelCount = 5;     // PermissionModel values 0..4

constexpr std::array<std::uint8_t, kContactChannelCount> NoRecords() {
  std::array<std::uint8_t, kContactChannelCount> status{};
  status.fill(kNoStatus);
  return status;
}

}  // namespace

// The consent overrides, for the writer alone: per (customer, merchant) pair that a consent
// change named, the state of each of its kContactChannelCount channels, first copied from the
// graph and then overwritten record by record. One lookup of the pair gives all its channels,
// so a change costs one probe of a flat table, not one hash lookup per channel.
//
// Layout: the states (Pair, two 64-byte lines each) in chunks of kChunkPairs, in order of first
// use, never moved; an open-addressing table (linear probing, a power of two in size, at most
// 3/4 full) of (key, index of the state), key = customer << 32 | merchant, kEmptyKey for a free
// slot. Growing rehashes the 16-byte slots only. A Pair* stays valid for the table's life.
class LiveOverlay::ConsentPairs {
 public:
  // The state of (c, m) on every channel.
  // Per channel, the two registers of ConsentCell (contact_policy.hpp): the latest record and
  // the latest "sales" record, so that records give the same state in any arrival order.
  struct alignas(64) Pair {
    std::array<Timestamp, kContactChannelCount> ts{};        // the latest record's (0: none)
    std::array<Timestamp, kContactChannelCount> sales_ts{};  // the latest sales record's
    // The latest record's own status, as its value; kNoStatus: no record.
    std::array<std::uint8_t, kContactChannelCount> status = NoRecords();
    // The latest "sales" record's status; kNoStatus: none.
    std::array<std::uint8_t, kContactChannelCount> sales = NoRecords();
    // Bit i < kContactChannelCount: a sales block holds on channel i (sales[i] is blocked: the
    // status that decides is then kBlocked); kCustomerBit: c is one of m's customers (m's counts
    // contain c).
    std::uint8_t flags = 0;
  };
  static constexpr std::uint8_t kCustomerBit = 0x80;
  static_assert(kContactChannelCount < 8, "a channel's sales-block bit must not be kCustomerBit");

  explicit ConsentPairs(const EcosystemGraph& graph) : g_(graph), slots_(kInitialSlots) {
    for (std::size_t model = 0; model < kModelCount; ++model) {
      for (std::size_t status = 0; status <= kStatusCount; ++status) {
        std::uint8_t bits = 0;
        for (int i = 0; i < kContactChannelCount; ++i) {
          const std::optional<ConsentStatus> s =
              status == kStatusCount ? std::nullopt
                                     : std::optional(static_cast<ConsentStatus>(status));
          if (MayContact(static_cast<PermissionModel>(model), s, static_cast<ContactChannel>(i))) {
            bits |= static_cast<std::uint8_t>(1u << i);
          }
        }
        may_contact_[model][status] = bits;
      }
    }
  }

  // The state of (c, m) when an event named it, else nullptr.
  Pair* Find(CustomerId c, MerchantId m) {
    const std::uint64_t key = Key(c, m);
    for (std::size_t i = Home(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return &At(slots_[i].index);
      if (slots_[i].key == kEmptyKey) return nullptr;
    }
  }

  // The graph's state of (c, m): every channel's record as the model holds it (the first entry
  // of a channel, as EcosystemGraph::ConsentStatusOf), and whether c is one of m's customers.
  Pair FromGraph(CustomerId c, MerchantId m) const {
    Pair p;
    const auto consents = g_.ConsentsOf(c);
    const auto targets = consents.targets();
    const GraphVertex v = g_.VertexOf(m);
    std::uint8_t seen = 0;
    for (auto it = std::lower_bound(targets.begin(), targets.end(), v);
         it != targets.end() && *it == v; ++it) {
      const ConsentEntry e = consents[static_cast<std::size_t>(it - targets.begin())];
      const auto i = static_cast<std::size_t>(e.channel);
      if ((seen >> i & 1) != 0) continue;
      seen |= static_cast<std::uint8_t>(1u << i);
      // The graph keeps the state its records folded to, not their history: its latest record
      // stands for both registers (a sales block is taken as dated then; docs/events.md says
      // where that can differ from a rebuild).
      p.status[i] = static_cast<std::uint8_t>(e.status);
      p.ts[i] = e.ts;
      if (e.sales_block) {
        p.flags |= static_cast<std::uint8_t>(1u << i);
        p.sales[i] = static_cast<std::uint8_t>(ConsentStatus::kBlocked);
        p.sales_ts[i] = e.ts;
      }
    }
    // m's customers are sorted by vertex (ecosystem_graph.hpp).
    const auto customers = g_.CustomersOf(m).targets();
    if (std::binary_search(customers.begin(), customers.end(), g_.VertexOf(c))) {
      p.flags |= kCustomerBit;
    }
    return p;
  }

  // Adds the state `p` of (c, m), which Find does not hold; returns where it is kept.
  Pair& Insert(CustomerId c, MerchantId m, const Pair& p) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    const auto index = static_cast<std::uint32_t>(count_);
    if (index % kChunkPairs == 0) chunks_.push_back(std::make_unique<Pair[]>(kChunkPairs));
    Pair& kept = At(index);
    kept = p;
    ++count_;
    Place(Slot{Key(c, m), index});
    return kept;
  }

  // The channels a merchant running `model` may contact on with `p`'s statuses
  // (ContactableChannels of them).
  ContactChannelSet Channels(const Pair& p, PermissionModel model) const {
    assert(static_cast<std::size_t>(model) < kModelCount);
    const auto& allowed = may_contact_[static_cast<std::size_t>(model)];
    unsigned bits = 0;
    for (std::size_t i = 0; i < kContactChannelCount; ++i) {
      const std::size_t status =
          p.status[i] == kNoStatus                 ? kStatusCount
          : (p.flags >> i & 1u) != 0               ? static_cast<std::size_t>(ConsentStatus::kBlocked)
                                                   : p.status[i];
      bits |= allowed[status] & (1u << i);
    }
    return ContactChannelSet(bits);
  }

 private:
  static constexpr std::size_t kInitialSlots = 1024;
  static constexpr std::size_t kChunkPairs = 4096;  // 512 KiB
  struct Slot {
    std::uint64_t key = kEmptyKey;
    std::uint32_t index = 0;
  };

  static std::uint64_t Key(CustomerId c, MerchantId m) {
    return std::uint64_t{c.value} << 32 | m.value;
  }
  // Fibonacci hashing: the top bits of key * 2^64/phi.
  std::size_t Home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >>
                                    (64 - std::countr_zero(slots_.size())));
  }
  Pair& At(std::uint32_t index) { return chunks_[index / kChunkPairs][index % kChunkPairs]; }
  void Place(const Slot& slot) {
    std::size_t i = Home(slot.key);
    while (slots_[i].key != kEmptyKey) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = slot;
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.key != kEmptyKey) Place(s);
    }
  }

  const EcosystemGraph& g_;
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Pair[]>> chunks_;
  std::size_t count_ = 0;  // states kept
  // [model][status value, kStatusCount for none]: bit i when MayContact on channel i.
  std::array<std::array<std::uint8_t, kStatusCount + 1>, kModelCount> may_contact_{};
};

LiveOverlay::LiveOverlay(std::shared_ptr<const EcosystemGraph> graph,
                         std::vector<std::uint32_t> contactable,
                         std::vector<std::uint32_t> by_channel)
    : graph_(std::move(graph)), g_(*graph_), consent_(std::make_unique<ConsentPairs>(g_)) {
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

LiveOverlay::~LiveOverlay() = default;

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
  // Only the writer sets the flag: once set, nothing to do (most consent changes land here).
  if ((flags_[m.value].load(std::memory_order_relaxed) & kTouchedFlag) != 0) return;
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

void LiveOverlay::MoveCounts(MerchantId m, ContactChannelSet before, ContactChannelSet after) {
  if (before == after) return;
  // One writer: a plain load and store (no locked read-modify-write); readers see the old count
  // or the new one.
  auto move = [](std::atomic<std::uint32_t>& count, bool was, bool is) {
    if (was == is) return;
    const std::uint32_t n = count.load(std::memory_order_relaxed);
    count.store(is ? n + 1 : n - 1, std::memory_order_release);
  };
  for (std::size_t i = 0; i < kContactChannelCount; ++i) {
    move(by_channel_[std::size_t{m.value} * kContactChannelCount + i], before[i], after[i]);
  }
  move(contactable_[m.value], before.any(), after.any());
  MarkTouched(m);
}

void LiveOverlay::SetConsent(CustomerId c, MerchantId m, ContactChannel channel,
                             ConsentStatus status, std::string_view source, Timestamp ts) {
  const auto i = static_cast<std::size_t>(channel);
  const auto bit = static_cast<std::uint8_t>(1u << i);
  assert(i < kContactChannelCount && static_cast<std::size_t>(status) < kStatusCount);
  ConsentPairs::Pair* pair = consent_->Find(c, m);
  ConsentPairs::Pair from_graph;
  if (pair == nullptr) from_graph = consent_->FromGraph(c, m);
  const ConsentPairs::Pair& before = pair != nullptr ? *pair : from_graph;
  auto optional_status = [](std::uint8_t v) {
    return v == kNoStatus ? std::nullopt : std::optional(static_cast<ConsentStatus>(v));
  };
  const ConsentCell was{optional_status(before.status[i]), before.ts[i],
                        optional_status(before.sales[i]), before.sales_ts[i]};
  const ConsentCell now = MergeConsentRecord(was, status, source, ts);
  if (now == was) return;  // a later (or, at the same time, more restrictive) record stands
  if (pair == nullptr) pair = &consent_->Insert(c, m, from_graph);
  const PermissionModel model = Policy(m).permission_model;
  const bool customer = (pair->flags & ConsentPairs::kCustomerBit) != 0;
  const ContactChannelSet could = customer ? consent_->Channels(*pair, model) : ContactChannelSet();
  // MergeConsentRecord always keeps a latest record.
  pair->status[i] = static_cast<std::uint8_t>(now.latest.value_or(status));
  pair->ts[i] = now.latest_ts;
  pair->sales[i] = now.latest_sales ? static_cast<std::uint8_t>(*now.latest_sales) : kNoStatus;
  pair->sales_ts[i] = now.sales_ts;
  pair->flags = now.state().sales_block ? static_cast<std::uint8_t>(pair->flags | bit)
                                        : static_cast<std::uint8_t>(pair->flags & ~bit);
  if (customer) MoveCounts(m, could, consent_->Channels(*pair, model));
}

void LiveOverlay::SetPolicy(MerchantId m, const MerchantPolicy& policy) {
  const MerchantPolicy before = Policy(m);
  if (policy.permission_model != before.permission_model) {
    for (const CustomerLink& link : g_.CustomersOf(m)) {
      const ConsentPairs::Pair* pair = consent_->Find(link.customer, m);
      const ConsentPairs::Pair from_graph =
          pair != nullptr ? ConsentPairs::Pair() : consent_->FromGraph(link.customer, m);
      const ConsentPairs::Pair& p = pair != nullptr ? *pair : from_graph;
      MoveCounts(m, consent_->Channels(p, before.permission_model),
                 consent_->Channels(p, policy.permission_model));
    }
  }
  policy_[m.value].store(PackPolicy(policy), std::memory_order_release);
  MarkTouched(m);
}

}  // namespace partnergraph
