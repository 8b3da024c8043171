// LiveState: what a served model does with live events (issue 14, docs/events.md). It checks a
// batch against the model before the event log writes it, and applies each durable event to the
// LiveOverlay the answers read (recommend/live_overlay.hpp), in log order.
//
// What an event changes at once (the next call sees it):
//   consent_change      the merchant's contactable customers (reach, coupon targeting);
//   policy_change       discoverability, k_min, share_overlaps, allow_coupons, the permission
//                       model (and with it the contactable customers);
//   partnership_change  whether the pair is partners, competitors or blocked.
// What waits for the next model (`partnergraph build --events`, docs/events.md): order lines,
// new merchants and SKUs, engagement (their counts are kept in Stats as "pending"). They are
// checked and logged now, so a new merchant's events are accepted right after it.
//
// Checks (Check), besides what ValidateEvent checks on its own: every merchant id is the model's
// or was introduced by an earlier event (new_merchant, earlier in the log or the batch); an
// order line's SKU is known and sold by the order's merchant; a new merchant or SKU id is not
// known yet. InvalidArgument naming "events[i].<kind>.<field>".
//
// Thread safety: Check and Apply run on one thread at a time (the event log's commit thread, or
// replay before serving); stats() and applied_sequence() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "partnergraph/common/status.hpp"
#include "partnergraph/events/event.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/recommend/live_overlay.hpp"

namespace partnergraph {

struct LiveStats {
  std::uint64_t applied = 0;  // events applied since the model
  std::uint64_t pending = 0;  // of those, the ones only a new model will reflect
  std::uint64_t changed = 0;  // of those, the ones that changed an answer's inputs
  std::uint64_t skipped = 0;  // of those, the ones naming what the model does not know
  std::uint32_t touched_merchants = 0;
};

class LiveState {
 public:
  // `model_sequence`: the last event sequence the model already includes (0: none).
  LiveState(std::shared_ptr<const EcosystemGraph> graph, std::shared_ptr<LiveOverlay> overlay,
            std::uint64_t model_sequence);
  ~LiveState();

  // The merchant an event is about, for a merchant key's permission: the order's, consent's,
  // policy's or new SKU's merchant; nullopt for the operator's kinds (engagement, partnership,
  // new merchant).
  static std::optional<std::string_view> OwnerMerchant(const Event& event);

  // Checks `batch` against the model and the events applied so far (see the top). An event
  // with recorded[i] (a retry, already in the log; empty: none) is not checked: it was when it
  // was first recorded, and will not be applied again.
  Status Check(std::span<const Event> batch, const std::vector<bool>& recorded = {}) const;
  // Applies one durable event; events at or below the model's sequence are skipped (the model
  // holds them). Never fails: an event that Check would refuse now (possible only on replay of
  // a log written for another model) changes nothing and is counted in stats().skipped.
  void Apply(std::uint64_t sequence, const Event& event);

  // The last sequence applied (the model's when none was): every answer computed after reading
  // it reflects every event up to it.
  std::uint64_t applied_sequence() const { return applied_.load(std::memory_order_acquire); }
  std::uint64_t model_sequence() const { return model_sequence_; }
  LiveStats stats() const;

 private:
  bool KnownMerchant(std::string_view id) const;
  // The merchant of a known SKU ("" when unknown).
  std::string_view SkuMerchant(std::string_view sku_id) const;
  void ApplyChange(const Event& event);
  // The model's merchant or customer with this external id (nullopt: unknown), for Apply: through
  // hash indexes of the graph's ids, each built by the first event that needs it (a few bytes
  // per id), instead of the graph's binary search over the sorted ids.
  std::optional<MerchantId> ModelMerchant(std::string_view id);
  std::optional<CustomerId> ModelCustomer(std::string_view id);

  std::shared_ptr<const EcosystemGraph> graph_;
  const EcosystemGraph& g_;
  std::shared_ptr<LiveOverlay> overlay_;
  std::uint64_t model_sequence_;
  std::atomic<std::uint64_t> applied_;
  std::atomic<std::uint64_t> applied_count_{0};
  std::atomic<std::uint64_t> pending_count_{0};
  std::atomic<std::uint64_t> changed_count_{0};
  std::atomic<std::uint64_t> skipped_count_{0};
  // Introduced by events (the commit thread's alone).
  std::unordered_set<std::string> new_merchants_;
  std::unordered_map<std::string, std::string> new_sku_merchant_;
  class IdIndex;  // live_state.cpp
  std::unique_ptr<IdIndex> merchant_index_;
  std::unique_ptr<IdIndex> customer_index_;
};

}  // namespace partnergraph
