// The wire events of RecordEvents translated to partnergraph::Event, and the caller's role
// checked per event (event_wire.hpp).
#include "event_wire.hpp"

#include <fmt/format.h>

#include "partnergraph/engine/live_state.hpp"

namespace partnergraph::server {
namespace {

// Reads one wire event's fields, naming each as "events[i].<kind>.<field>" in its errors.
class WireFields {
 public:
  WireFields(std::size_t index, std::string_view kind) : index_(index), kind_(kind) {}

  Status status() const { return status_; }

  Timestamp Time(std::string_view field, const std::string& text) {
    auto ts = ParseTimestamp(text);
    if (!ts) Fail(field, fmt::format("\"{}\" is not an ISO-8601 UTC time", text));
    return ts.value_or(0);
  }

  template <typename T>
  T Enum(std::string_view field, const std::string& text,
         std::optional<T> (*parse)(std::string_view), std::string_view allowed) {
    auto value = parse(text);
    if (!value) Fail(field, fmt::format("\"{}\" is not one of {}", text, allowed));
    return value.value_or(T{});
  }

  std::uint32_t Positive(std::string_view field, std::int32_t value) {
    if (value < 1) Fail(field, fmt::format("{} is not >= 1", value));
    return value < 1 ? 1 : static_cast<std::uint32_t>(value);
  }

 private:
  void Fail(std::string_view field, std::string why) {
    if (status_.ok()) {
      status_ =
          Status::InvalidArgument(fmt::format("events[{}].{}.{}: {}", index_, kind_, field, why));
    }
  }

  std::size_t index_;
  std::string_view kind_;
  Status status_;
};

constexpr std::string_view kChannels =
    "email, newsletter, call_centre (phone), sms, post, events, account_manager";
constexpr std::string_view kStatuses =
    "unsubscribed, blocked, unclear, pending, confirmed_opt_in, double_opt_in";
constexpr std::string_view kModels = "ignore, opt_out_only, weakened, building, full";
constexpr std::string_view kKinds = "partner, competitor, blocked";

Result<Event> FromWire(const rpc::Event& w, std::size_t i) {
  Event event;
  event.event_id = w.event_id;
  const int bodies = w.__isset.order_line + w.__isset.consent_change +
                     w.__isset.engagement_activity + w.__isset.policy_change +
                     w.__isset.partnership_change + w.__isset.new_merchant + w.__isset.new_sku;
  if (bodies != 1) {
    return Status::InvalidArgument(fmt::format(
        "events[{}]: {} event bodies set; exactly one of order_line, consent_change, "
        "engagement_activity, policy_change, partnership_change, new_merchant, new_sku must be",
        i, bodies));
  }
  if (w.__isset.order_line) {
    const auto& b = w.order_line;
    WireFields f(i, "order_line");
    OrderLineEvent e;
    e.order_id = b.order_id;
    e.customer_id = b.customer_id;
    e.merchant_id = b.merchant_id;
    e.sku_id = b.sku_id;
    e.ts = f.Time("ts", b.ts);
    e.quantity = f.Positive("quantity", b.quantity);
    e.unit_price = b.unit_price;
    if (b.__isset.channel) e.channel = b.channel;
    if (b.__isset.device) e.device = b.device;
    if (b.__isset.region) e.region = b.region;
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else if (w.__isset.consent_change) {
    const auto& b = w.consent_change;
    WireFields f(i, "consent_change");
    ConsentChangeEvent e;
    e.customer_id = b.customer_id;
    e.merchant_id = b.merchant_id;
    e.channel = f.Enum("channel", b.channel, &ParseContactChannel, kChannels);
    e.status = f.Enum("status", b.status, &ParseConsentStatus, kStatuses);
    e.ts = f.Time("ts", b.ts);
    if (b.__isset.source) e.source = b.source;
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else if (w.__isset.engagement_activity) {
    const auto& b = w.engagement_activity;
    WireFields f(i, "engagement_activity");
    EngagementActivityEvent e;
    e.merchant_id = b.merchant_id;
    e.ts = f.Time("ts", b.ts);
    e.activity = b.activity;
    if (b.__isset.points) e.points = b.points;
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else if (w.__isset.policy_change) {
    const auto& b = w.policy_change;
    WireFields f(i, "policy_change");
    PolicyChangeEvent e;
    e.merchant_id = b.merchant_id;
    e.ts = f.Time("ts", b.ts);
    if (b.__isset.permission_model) {
      e.permission_model =
          f.Enum("permission_model", b.permission_model, &ParsePermissionModel, kModels);
    }
    if (b.__isset.k_min) e.k_min = f.Positive("k_min", b.k_min);
    if (b.__isset.share_overlaps) e.share_overlaps = b.share_overlaps;
    if (b.__isset.discoverable) e.discoverable = b.discoverable;
    if (b.__isset.allow_coupons) e.allow_coupons = b.allow_coupons;
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else if (w.__isset.partnership_change) {
    const auto& b = w.partnership_change;
    WireFields f(i, "partnership_change");
    PartnershipChangeEvent e;
    e.merchant_a = b.merchant_a;
    e.merchant_b = b.merchant_b;
    e.kind = f.Enum("kind", b.kind, &ParsePartnershipKind, kKinds);
    e.removed = b.removed;
    e.ts = f.Time("ts", b.ts);
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else if (w.__isset.new_merchant) {
    const auto& b = w.new_merchant;
    WireFields f(i, "new_merchant");
    NewMerchantEvent e;
    e.merchant_id = b.merchant_id;
    e.name = b.name;
    e.category = b.category;
    e.region = b.region;
    e.ts = f.Time("ts", b.ts);
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  } else {
    const auto& b = w.new_sku;
    WireFields f(i, "new_sku");
    NewSkuEvent e;
    e.sku_id = b.sku_id;
    e.merchant_id = b.merchant_id;
    e.category = b.category;
    e.price = b.price;
    e.ts = f.Time("ts", b.ts);
    event.body = std::move(e);
    PG_RETURN_IF_ERROR(f.status());
  }
  return event;
}

// A merchant key records only events about its own merchant; engagement, partnership and
// new-merchant events are the operator's. The message does not say whether another merchant
// exists.
Status CheckEventRole(const Principal& principal, const Event& event, std::size_t i) {
  if (principal.is_operator()) return Status::Ok();
  const std::optional<std::string_view> owner = LiveState::OwnerMerchant(event);
  if (!owner) {
    return Status::PermissionDenied(fmt::format(
        "events[{}]: {} events are recorded by operators only", i, ToString(event.kind())));
  }
  if (*owner != principal.merchant_id) {
    return Status::PermissionDenied(fmt::format(
        "events[{}].{}.merchant_id: a merchant key records events of its own merchant \"{}\" only",
        i, ToString(event.kind()), principal.merchant_id));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Event>> EventsFromWire(const std::vector<rpc::Event>& events) {
  std::vector<Event> batch;
  batch.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    PG_ASSIGN_OR_RETURN(Event event, FromWire(events[i], i));
    batch.push_back(std::move(event));
  }
  return batch;
}

Status CheckEventRoles(const Principal& principal, std::span<const Event> batch) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PG_RETURN_IF_ERROR(CheckEventRole(principal, batch[i], i));
  }
  return Status::Ok();
}

}  // namespace partnergraph::server
