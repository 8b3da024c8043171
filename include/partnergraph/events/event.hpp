// Live events: the rows of the native CSV files (docs/formats.md) as single changes that a client
// records while the service runs (SPEC.md "Serving", issue 14). An event names merchants, SKUs and
// customers by their external ids, because an event may introduce an id the model does not know
// yet (a new merchant, SKU or customer) and dense ids belong to one model.
//
// Every event carries an event id chosen by the client: the idempotency key. The event log
// (event_log.hpp) writes an event id once; a retried batch is acknowledged with the sequence
// numbers of its first recording and is not applied again.
//
// ValidateEvent checks what an event says on its own (required fields, ranges, the time
// tolerance); whether its ids exist is decided where the state is (the engine), not here.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

// One line of an order (an orders.csv row). The merchant is the SKU's.
struct OrderLineEvent {
  std::string order_id;
  std::string customer_id;
  std::string merchant_id;
  std::string sku_id;
  Timestamp ts = 0;
  std::uint32_t quantity = 0;  // > 0
  double unit_price = 0.0;     // >= 0
  std::string channel;         // empty: none
  std::string device;          // empty: none
  std::string region;          // empty: none
  bool operator==(const OrderLineEvent&) const = default;
};

// A consent change of a customer toward a merchant on one channel (a consent.csv row).
struct ConsentChangeEvent {
  std::string customer_id;
  std::string merchant_id;
  ContactChannel channel = ContactChannel::kEmail;
  ConsentStatus status = ConsentStatus::kUnclear;
  Timestamp ts = 0;
  std::string source;  // empty: none
  bool operator==(const ConsentChangeEvent&) const = default;
};

// An engagement activity of a merchant (an engagement.csv row).
struct EngagementActivityEvent {
  std::string merchant_id;
  Timestamp ts = 0;
  std::string activity;          // e.g. email_open, webinar
  std::optional<double> points;  // unset: the scorecard's default for the activity
  bool operator==(const EngagementActivityEvent&) const = default;
};

// A change of a merchant's policy (merchant_policy.csv); unset fields keep their value.
struct PolicyChangeEvent {
  std::string merchant_id;
  Timestamp ts = 0;
  std::optional<PermissionModel> permission_model;
  std::optional<std::uint32_t> k_min;  // >= 1
  std::optional<bool> share_overlaps;
  std::optional<bool> discoverable;
  std::optional<bool> allow_coupons;
  bool operator==(const PolicyChangeEvent&) const = default;
};

// A declared relation added or removed (a partnerships.csv row).
struct PartnershipChangeEvent {
  std::string merchant_a;
  std::string merchant_b;  // != merchant_a
  PartnershipKind kind = PartnershipKind::kPartner;
  bool removed = false;  // false: added
  Timestamp ts = 0;
  bool operator==(const PartnershipChangeEvent&) const = default;
};

// A merchant that joins the platform (a merchants.csv row).
struct NewMerchantEvent {
  std::string merchant_id;
  std::string name;
  std::string category;
  std::string region;
  Timestamp ts = 0;
  bool operator==(const NewMerchantEvent&) const = default;
};

// A SKU a merchant starts selling (a skus.csv row).
struct NewSkuEvent {
  std::string sku_id;
  std::string merchant_id;
  std::string category;
  double price = 0.0;  // >= 0
  Timestamp ts = 0;
  bool operator==(const NewSkuEvent&) const = default;
};

// The kinds in the order of Event::Body's alternatives (the codec stores this number).
enum class EventKind : std::uint8_t {
  kOrderLine = 0,
  kConsentChange = 1,
  kEngagementActivity = 2,
  kPolicyChange = 3,
  kPartnershipChange = 4,
  kNewMerchant = 5,
  kNewSku = 6,
};
inline constexpr std::size_t kEventKindCount = 7;
std::string_view ToString(EventKind kind);

struct Event {
  using Body =
      std::variant<OrderLineEvent, ConsentChangeEvent, EngagementActivityEvent, PolicyChangeEvent,
                   PartnershipChangeEvent, NewMerchantEvent, NewSkuEvent>;
  std::string event_id;  // the client's idempotency key: non-empty, at most kMaxEventIdBytes
  Body body;

  EventKind kind() const { return static_cast<EventKind>(body.index()); }
  // The time the event happened (every kind has one).
  Timestamp ts() const;
  bool operator==(const Event&) const = default;
};

// Limits of one event (longer ids or texts are refused, not cut).
inline constexpr std::size_t kMaxEventIdBytes = 128;
inline constexpr std::size_t kMaxEventTextBytes = 4096;  // as a CSV field (docs/formats.md)

struct EventCheckOptions {
  // Latest accepted time: an event dated later than now + this is refused (a clock or unit
  // error, e.g. milliseconds sent as seconds).
  std::int64_t future_tolerance_seconds = 300;
};

// Checks one event on its own: the event id, every required field non-empty, texts within
// kMaxEventTextBytes, numbers in range (quantity > 0, prices finite and >= 0, points finite and
// >= 0, k_min >= 1), the two merchants of a partnership different, a policy change that
// changes something, and ts no later than `now` + the tolerance. InvalidArgument naming the
// field as `<prefix>.<field>` (e.g. "events[3].consent_change.customer_id: is empty").
Status ValidateEvent(const Event& event, Timestamp now, const EventCheckOptions& options,
                     std::string_view prefix);

// The event ids of one batch met so far: Add refuses an id met before with InvalidArgument
// "events[i].event_id: \"x\" repeats events[j]". Keeps views of the ids: the events must
// outlive it.
class BatchEventIds {
 public:
  explicit BatchEventIds(std::size_t batch_size) { first_index_.reserve(batch_size); }
  Status Add(const Event& event, std::size_t index);

 private:
  std::unordered_map<std::string_view, std::size_t> first_index_;
};

// One line for people (`partnergraph events tail --log`): the kind, the id, then every set field
// as name=value in the native CSV's names and words, e.g.
//   consent_change id=e1 ts=2026-12-07T10:00:00Z customer_id=c1 merchant_id=m1 channel=email
//   status=unsubscribed source=web
// A value with a space, '=' or '"' is quoted with '"' (inner '"' doubled), so a line splits back
// into its fields.
std::string DescribeEvent(const Event& event);

// ValidateEvent over a batch (prefix "events[i]"), plus: an event id may appear once per batch.
// The first error, naming the index.
Status ValidateEventBatch(const std::vector<Event>& batch, Timestamp now,
                          const EventCheckOptions& options);

}  // namespace partnergraph
