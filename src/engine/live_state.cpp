// LiveState: checks event batches against the model and applies events to the overlay
// (live_state.hpp).
#include "partnergraph/engine/live_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <variant>
#include <vector>

namespace partnergraph {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

Status Unknown(std::size_t i, std::string_view field, std::string_view what, std::string_view id,
               const Event& e) {
  return Status::InvalidArgument(
      fmt::format("events[{}].{}.{}: unknown {} \"{}\"", i, ToString(e.kind()), field, what, id));
}

// One writer's counter (Apply's thread): a plain add, readers load it relaxed.
void Increment(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

// A hash index of one of the graph's id tables (merchants or customers): Find(s) is the id whose
// name is s, as the graph's Find* but with one probe on average instead of a binary search over
// the sorted names. Layout: an open-addressing table (linear probing, a power of two in size, at
// most 3/4 full) of 16-byte slots: the id, the name's length and its first kHeadBytes bytes, so
// that a name of at most kHeadBytes (as "c0000042") is matched within the slot; a longer one is
// confirmed against the graph's. Immutable once built.
class LiveState::IdIndex {
 public:
  // Indexes ids 0..count-1 named name(i) (distinct, as the graph's tables are).
  template <typename Name>
  IdIndex(std::uint32_t count, const Name& name) {
    std::size_t size = 16;
    while (size * 3 < std::size_t{count} * 4) size *= 2;
    slots_.resize(size);
    shift_ = 64 - std::countr_zero(size);
    for (std::uint32_t id = 0; id < count; ++id) {
      const std::string_view s = name(id);
      std::size_t i = Home(s);
      while (slots_[i].id != kEmpty) i = (i + 1) & (slots_.size() - 1);
      Slot& slot = slots_[i];
      slot.id = id;
      slot.length = static_cast<std::uint8_t>(std::min<std::size_t>(s.size(), kLongName));
      std::memcpy(slot.head, s.data(), std::min(s.size(), kHeadBytes));
    }
  }

  template <typename Name>
  std::optional<std::uint32_t> Find(std::string_view s, const Name& name) const {
    const auto length = static_cast<std::uint8_t>(std::min<std::size_t>(s.size(), kLongName));
    const std::size_t head = std::min(s.size(), kHeadBytes);
    for (std::size_t i = Home(s);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& slot = slots_[i];
      if (slot.id == kEmpty) return std::nullopt;
      if (slot.length != length || std::memcmp(slot.head, s.data(), head) != 0) continue;
      if (s.size() <= kHeadBytes || name(slot.id) == s) return slot.id;
    }
  }

 private:
  static constexpr std::uint32_t kEmpty = ~std::uint32_t{0};  // above every id of a table
  static constexpr std::size_t kHeadBytes = 11;
  static constexpr std::size_t kLongName = kHeadBytes + 1;  // `length` of every longer name
  struct Slot {
    std::uint32_t id = kEmpty;
    std::uint8_t length = 0;  // min(name's length, kLongName)
    char head[kHeadBytes] = {};
  };
  static_assert(sizeof(Slot) == 16);

  // The top bits of the name's hash, spread once more (std::hash's are not mixed).
  std::size_t Home(std::string_view s) const {
    return static_cast<std::size_t>((std::hash<std::string_view>()(s) * 0x9E3779B97F4A7C15ull) >>
                                    shift_);
  }

  std::vector<Slot> slots_;
  int shift_ = 64;
};

LiveState::LiveState(std::shared_ptr<const EcosystemGraph> graph,
                     std::shared_ptr<LiveOverlay> overlay, std::uint64_t model_sequence)
    : graph_(std::move(graph)),
      g_(*graph_),
      overlay_(std::move(overlay)),
      model_sequence_(model_sequence),
      applied_(model_sequence) {}

LiveState::~LiveState() = default;

std::optional<MerchantId> LiveState::ModelMerchant(std::string_view id) {
  auto name = [this](std::uint32_t m) { return g_.Merchant(MerchantId(m)).external_id; };
  if (!merchant_index_) merchant_index_ = std::make_unique<IdIndex>(g_.merchant_count(), name);
  if (auto m = merchant_index_->Find(id, name)) return MerchantId(*m);
  return std::nullopt;
}

std::optional<CustomerId> LiveState::ModelCustomer(std::string_view id) {
  auto name = [this](std::uint32_t c) { return g_.Customer(CustomerId(c)).external_id; };
  if (!customer_index_) customer_index_ = std::make_unique<IdIndex>(g_.customer_count(), name);
  if (auto c = customer_index_->Find(id, name)) return CustomerId(*c);
  return std::nullopt;
}

std::optional<std::string_view> LiveState::OwnerMerchant(const Event& event) {
  return std::visit(
      Overloaded{
          [](const OrderLineEvent& e) -> std::optional<std::string_view> { return e.merchant_id; },
          [](const ConsentChangeEvent& e) -> std::optional<std::string_view> {
            return e.merchant_id;
          },
          [](const PolicyChangeEvent& e) -> std::optional<std::string_view> {
            return e.merchant_id;
          },
          [](const NewSkuEvent& e) -> std::optional<std::string_view> { return e.merchant_id; },
          [](const auto&) -> std::optional<std::string_view> { return std::nullopt; }},
      event.body);
}

bool LiveState::KnownMerchant(std::string_view id) const {
  return g_.FindMerchant(id).ok() || new_merchants_.contains(std::string(id));
}

std::string_view LiveState::SkuMerchant(std::string_view sku_id) const {
  if (auto s = g_.FindSku(sku_id); s.ok()) return g_.Merchant(g_.Sku(*s).merchant).external_id;
  if (auto it = new_sku_merchant_.find(std::string(sku_id)); it != new_sku_merchant_.end()) {
    return it->second;
  }
  return {};
}

Status LiveState::Check(std::span<const Event> batch, const std::vector<bool>& recorded) const {
  // Merchants and SKUs introduced earlier in this batch count as known for the events after.
  std::unordered_set<std::string_view> batch_merchants;
  std::unordered_map<std::string_view, std::string_view> batch_skus;
  auto merchant_known = [&](std::string_view id) {
    return batch_merchants.contains(id) || KnownMerchant(id);
  };
  auto sku_merchant = [&](std::string_view id) -> std::string_view {
    if (auto it = batch_skus.find(id); it != batch_skus.end()) return it->second;
    return SkuMerchant(id);
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i < recorded.size() && recorded[i]) continue;
    const Event& event = batch[i];
    auto need_merchant = [&](std::string_view field, std::string_view id) -> Status {
      if (!merchant_known(id)) return Unknown(i, field, "merchant", id, event);
      return Status::Ok();
    };
    const Status status = std::visit(
        Overloaded{
            [&](const OrderLineEvent& e) -> Status {
              PG_RETURN_IF_ERROR(need_merchant("merchant_id", e.merchant_id));
              const std::string_view seller = sku_merchant(e.sku_id);
              if (seller.empty()) return Unknown(i, "sku_id", "SKU", e.sku_id, event);
              if (seller != e.merchant_id) {
                return Status::InvalidArgument(fmt::format(
                    "events[{}].order_line.sku_id: SKU \"{}\" is sold by \"{}\", not by \"{}\"", i,
                    e.sku_id, seller, e.merchant_id));
              }
              return Status::Ok();
            },
            [&](const ConsentChangeEvent& e) {
              return need_merchant("merchant_id", e.merchant_id);
            },
            [&](const EngagementActivityEvent& e) {
              return need_merchant("merchant_id", e.merchant_id);
            },
            [&](const PolicyChangeEvent& e) { return need_merchant("merchant_id", e.merchant_id); },
            [&](const PartnershipChangeEvent& e) -> Status {
              PG_RETURN_IF_ERROR(need_merchant("merchant_a", e.merchant_a));
              return need_merchant("merchant_b", e.merchant_b);
            },
            [&](const NewMerchantEvent& e) -> Status {
              if (merchant_known(e.merchant_id)) {
                return Status::InvalidArgument(
                    fmt::format("events[{}].new_merchant.merchant_id: merchant \"{}\" exists", i,
                                e.merchant_id));
              }
              batch_merchants.insert(e.merchant_id);
              return Status::Ok();
            },
            [&](const NewSkuEvent& e) -> Status {
              PG_RETURN_IF_ERROR(need_merchant("merchant_id", e.merchant_id));
              if (!sku_merchant(e.sku_id).empty()) {
                return Status::InvalidArgument(
                    fmt::format("events[{}].new_sku.sku_id: SKU \"{}\" exists", i, e.sku_id));
              }
              batch_skus.emplace(e.sku_id, e.merchant_id);
              return Status::Ok();
            }},
        event.body);
    PG_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

void LiveState::Apply(std::uint64_t sequence, const Event& event) {
  if (sequence <= model_sequence_) return;
  ApplyChange(event);
  Increment(applied_count_);
  applied_.store(sequence, std::memory_order_release);
}

void LiveState::ApplyChange(const Event& event) {
  auto skipped = [&] { Increment(skipped_count_); };
  auto pending = [&] { Increment(pending_count_); };
  auto changed = [&] { Increment(changed_count_); };
  std::visit(Overloaded{[&](const OrderLineEvent&) { pending(); },
                        [&](const EngagementActivityEvent&) { pending(); },
                        [&](const ConsentChangeEvent& e) {
                          const auto m = ModelMerchant(e.merchant_id);
                          const auto c = m ? ModelCustomer(e.customer_id) : std::nullopt;
                          if (!m || !c) {
                            // A customer or merchant no count of the model holds: the next model
                            // folds it.
                            pending();
                            return;
                          }
                          overlay_->SetConsent(*c, *m, e.channel, e.status, e.source, e.ts);
                          changed();
                        },
                        [&](const PolicyChangeEvent& e) {
                          const auto m = ModelMerchant(e.merchant_id);
                          if (!m) {
                            pending();
                            return;
                          }
                          MerchantPolicy policy = overlay_->Policy(*m);
                          if (e.permission_model) policy.permission_model = *e.permission_model;
                          if (e.k_min) policy.k_min = *e.k_min;
                          if (e.share_overlaps) policy.share_overlaps = *e.share_overlaps;
                          if (e.discoverable) policy.discoverable = *e.discoverable;
                          if (e.allow_coupons) policy.allow_coupons = *e.allow_coupons;
                          overlay_->SetPolicy(*m, policy);
                          changed();
                        },
                        [&](const PartnershipChangeEvent& e) {
                          const auto a = ModelMerchant(e.merchant_a);
                          const auto b = ModelMerchant(e.merchant_b);
                          if (!a || !b) {
                            pending();
                            return;
                          }
                          overlay_->SetRelation(*a, *b, e.kind, !e.removed);
                          changed();
                        },
                        [&](const NewMerchantEvent& e) {
                          if (ModelMerchant(e.merchant_id) ||
                              !new_merchants_.insert(e.merchant_id).second) {
                            skipped();
                            return;
                          }
                          pending();
                        },
                        [&](const NewSkuEvent& e) {
                          if (!SkuMerchant(e.sku_id).empty()) {
                            skipped();
                            return;
                          }
                          new_sku_merchant_.emplace(e.sku_id, e.merchant_id);
                          pending();
                        }},
             event.body);
}

LiveStats LiveState::stats() const {
  LiveStats s;
  s.applied = applied_count_.load(std::memory_order_relaxed);
  s.pending = pending_count_.load(std::memory_order_relaxed);
  s.changed = changed_count_.load(std::memory_order_relaxed);
  s.skipped = skipped_count_.load(std::memory_order_relaxed);
  s.touched_merchants = overlay_->touched_merchants();
  return s;
}

}  // namespace partnergraph
