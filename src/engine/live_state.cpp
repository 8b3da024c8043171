// LiveState: checks event batches against the model and applies events to the overlay
// (live_state.hpp).
#include "partnergraph/engine/live_state.hpp"

#include <fmt/format.h>

#include <variant>

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

}  // namespace

LiveState::LiveState(std::shared_ptr<const EcosystemGraph> graph,
                     std::shared_ptr<LiveOverlay> overlay, std::uint64_t model_sequence)
    : graph_(std::move(graph)),
      g_(*graph_),
      overlay_(std::move(overlay)),
      model_sequence_(model_sequence),
      applied_(model_sequence) {}

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
  applied_count_.fetch_add(1, std::memory_order_relaxed);
  applied_.store(sequence, std::memory_order_release);
}

void LiveState::ApplyChange(const Event& event) {
  auto skipped = [&] { skipped_count_.fetch_add(1, std::memory_order_relaxed); };
  auto pending = [&] { pending_count_.fetch_add(1, std::memory_order_relaxed); };
  auto changed = [&] { changed_count_.fetch_add(1, std::memory_order_relaxed); };
  std::visit(Overloaded{[&](const OrderLineEvent&) { pending(); },
                        [&](const EngagementActivityEvent&) { pending(); },
                        [&](const ConsentChangeEvent& e) {
                          auto m = g_.FindMerchant(e.merchant_id);
                          auto c = g_.FindCustomer(e.customer_id);
                          if (!m.ok() || !c.ok()) {
                            // A customer or merchant no count of the model holds: the next model
                            // folds it.
                            pending();
                            return;
                          }
                          overlay_->SetConsent(*c, *m, e.channel, e.status, e.source, e.ts);
                          changed();
                        },
                        [&](const PolicyChangeEvent& e) {
                          auto m = g_.FindMerchant(e.merchant_id);
                          if (!m.ok()) {
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
                          auto a = g_.FindMerchant(e.merchant_a);
                          auto b = g_.FindMerchant(e.merchant_b);
                          if (!a.ok() || !b.ok()) {
                            pending();
                            return;
                          }
                          overlay_->SetRelation(*a, *b, e.kind, !e.removed);
                          changed();
                        },
                        [&](const NewMerchantEvent& e) {
                          if (g_.FindMerchant(e.merchant_id).ok() ||
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
