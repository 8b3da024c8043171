#include "partnergraph/events/event.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <unordered_map>

namespace partnergraph {
namespace {

// The field names of each kind's body in messages ("events[3].consent_change.ts").
constexpr std::string_view kBodyNames[kEventKindCount] = {
    "order_line",   "consent_change", "engagement_activity", "policy_change", "partnership_change",
    "new_merchant", "new_sku"};

// Collects the first error of one event's checks, each naming `<prefix>.<body>.<field>`.
class FieldChecker {
 public:
  FieldChecker(std::string_view prefix, std::string_view body) : prefix_(prefix), body_(body) {}

  void Text(std::string_view field, const std::string& value, bool required) {
    if (required && value.empty()) return Fail(field, "is empty");
    if (value.size() > kMaxEventTextBytes) {
      Fail(field,
           fmt::format("is {} bytes long, over the limit of {}", value.size(), kMaxEventTextBytes));
    }
  }
  void NonNegative(std::string_view field, double value) {
    if (!std::isfinite(value) || value < 0) {
      Fail(field, fmt::format("{} is not a finite number >= 0", value));
    }
  }
  void Time(Timestamp ts, Timestamp now, const EventCheckOptions& o) {
    if (ts > now + o.future_tolerance_seconds) {
      Fail("ts", fmt::format("{} is more than {} s in the future (now {})", FormatTimestamp(ts),
                             o.future_tolerance_seconds, FormatTimestamp(now)));
    }
  }
  void Fail(std::string_view field, std::string_view what) {
    if (status_.ok()) {
      status_ = Status::InvalidArgument(fmt::format("{}.{}.{}: {}", prefix_, body_, field, what));
    }
  }
  Status status() const { return status_; }

 private:
  std::string_view prefix_;
  std::string_view body_;
  Status status_ = Status::Ok();
};

void CheckBody(const OrderLineEvent& e, FieldChecker& c) {
  c.Text("order_id", e.order_id, true);
  c.Text("customer_id", e.customer_id, true);
  c.Text("merchant_id", e.merchant_id, true);
  c.Text("sku_id", e.sku_id, true);
  if (e.quantity == 0) c.Fail("quantity", "must be at least 1");
  c.NonNegative("unit_price", e.unit_price);
  c.Text("channel", e.channel, false);
  c.Text("device", e.device, false);
  c.Text("region", e.region, false);
}

void CheckBody(const ConsentChangeEvent& e, FieldChecker& c) {
  c.Text("customer_id", e.customer_id, true);
  c.Text("merchant_id", e.merchant_id, true);
  c.Text("source", e.source, false);
}

void CheckBody(const EngagementActivityEvent& e, FieldChecker& c) {
  c.Text("merchant_id", e.merchant_id, true);
  c.Text("activity", e.activity, true);
  if (e.points) c.NonNegative("points", *e.points);
}

void CheckBody(const PolicyChangeEvent& e, FieldChecker& c) {
  c.Text("merchant_id", e.merchant_id, true);
  if (e.k_min && *e.k_min == 0) c.Fail("k_min", "must be at least 1");
  if (!e.permission_model && !e.k_min && !e.share_overlaps && !e.discoverable && !e.allow_coupons) {
    c.Fail("permission_model", "no field of the policy is set (the change changes nothing)");
  }
}

void CheckBody(const PartnershipChangeEvent& e, FieldChecker& c) {
  c.Text("merchant_a", e.merchant_a, true);
  c.Text("merchant_b", e.merchant_b, true);
  if (e.merchant_a == e.merchant_b) {
    c.Fail("merchant_b", fmt::format("equals merchant_a (\"{}\")", e.merchant_a));
  }
}

void CheckBody(const NewMerchantEvent& e, FieldChecker& c) {
  c.Text("merchant_id", e.merchant_id, true);
  c.Text("name", e.name, true);
  c.Text("category", e.category, true);
  c.Text("region", e.region, true);
}

void CheckBody(const NewSkuEvent& e, FieldChecker& c) {
  c.Text("sku_id", e.sku_id, true);
  c.Text("merchant_id", e.merchant_id, true);
  c.Text("category", e.category, true);
  c.NonNegative("price", e.price);
}

}  // namespace

std::string_view ToString(EventKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kEventKindCount ? kBodyNames[i] : std::string_view("unknown");
}

Timestamp Event::ts() const {
  return std::visit([](const auto& b) { return b.ts; }, body);
}

Status ValidateEvent(const Event& event, Timestamp now, const EventCheckOptions& options,
                     std::string_view prefix) {
  if (event.event_id.empty()) {
    return Status::InvalidArgument(fmt::format("{}.event_id: is empty", prefix));
  }
  if (event.event_id.size() > kMaxEventIdBytes) {
    return Status::InvalidArgument(
        fmt::format("{}.event_id: is {} bytes long, over the limit of {}", prefix,
                    event.event_id.size(), kMaxEventIdBytes));
  }
  FieldChecker checker(prefix, ToString(event.kind()));
  std::visit([&](const auto& body) { CheckBody(body, checker); }, event.body);
  checker.Time(event.ts(), now, options);
  return checker.status();
}

Status BatchEventIds::Add(const Event& event, std::size_t index) {
  auto [it, inserted] = first_index_.emplace(event.event_id, index);
  if (inserted) return Status::Ok();
  return Status::InvalidArgument(fmt::format("events[{}].event_id: \"{}\" repeats events[{}]",
                                             index, event.event_id, it->second));
}

Status ValidateEventBatch(const std::vector<Event>& batch, Timestamp now,
                          const EventCheckOptions& options) {
  BatchEventIds ids(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PG_RETURN_IF_ERROR(ValidateEvent(batch[i], now, options, fmt::format("events[{}]", i)));
    PG_RETURN_IF_ERROR(ids.Add(batch[i], i));
  }
  return Status::Ok();
}

namespace {

// Appends " name=value", quoting the value when it holds a space, '=' or '"' (or is empty).
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += '=';
  if (!value.empty() && value.find_first_of(" =\"\t\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string Number(double v) { return fmt::format("{}", v); }

}  // namespace

std::string DescribeEvent(const Event& event) {
  std::string out(ToString(event.kind()));
  AppendField(out, "id", event.event_id);
  AppendField(out, "ts", FormatTimestamp(event.ts()));
  auto optional_text = [&](std::string_view name, const std::string& v) {
    if (!v.empty()) AppendField(out, name, v);
  };
  switch (event.kind()) {
    case EventKind::kOrderLine: {
      const auto& e = std::get<OrderLineEvent>(event.body);
      AppendField(out, "order_id", e.order_id);
      AppendField(out, "customer_id", e.customer_id);
      AppendField(out, "merchant_id", e.merchant_id);
      AppendField(out, "sku_id", e.sku_id);
      AppendField(out, "quantity", std::to_string(e.quantity));
      AppendField(out, "price", Number(e.unit_price));
      optional_text("channel", e.channel);
      optional_text("device", e.device);
      optional_text("region", e.region);
      break;
    }
    case EventKind::kConsentChange: {
      const auto& e = std::get<ConsentChangeEvent>(event.body);
      AppendField(out, "customer_id", e.customer_id);
      AppendField(out, "merchant_id", e.merchant_id);
      AppendField(out, "channel", ToString(e.channel));
      AppendField(out, "status", ToString(e.status));
      optional_text("source", e.source);
      break;
    }
    case EventKind::kEngagementActivity: {
      const auto& e = std::get<EngagementActivityEvent>(event.body);
      AppendField(out, "merchant_id", e.merchant_id);
      AppendField(out, "event", e.activity);
      if (e.points) AppendField(out, "points", Number(*e.points));
      break;
    }
    case EventKind::kPolicyChange: {
      const auto& e = std::get<PolicyChangeEvent>(event.body);
      AppendField(out, "merchant_id", e.merchant_id);
      if (e.permission_model) AppendField(out, "permission_model", ToString(*e.permission_model));
      if (e.k_min) AppendField(out, "k_min", std::to_string(*e.k_min));
      auto flag = [&](std::string_view name, const std::optional<bool>& v) {
        if (v) AppendField(out, name, *v ? "true" : "false");
      };
      flag("share_overlaps", e.share_overlaps);
      flag("discoverable", e.discoverable);
      flag("allow_coupons", e.allow_coupons);
      break;
    }
    case EventKind::kPartnershipChange: {
      const auto& e = std::get<PartnershipChangeEvent>(event.body);
      AppendField(out, "merchant_a", e.merchant_a);
      AppendField(out, "merchant_b", e.merchant_b);
      AppendField(out, "kind", ToString(e.kind));
      AppendField(out, "change", e.removed ? "removed" : "added");
      break;
    }
    case EventKind::kNewMerchant: {
      const auto& e = std::get<NewMerchantEvent>(event.body);
      AppendField(out, "merchant_id", e.merchant_id);
      AppendField(out, "name", e.name);
      AppendField(out, "category", e.category);
      AppendField(out, "region", e.region);
      break;
    }
    case EventKind::kNewSku: {
      const auto& e = std::get<NewSkuEvent>(event.body);
      AppendField(out, "sku_id", e.sku_id);
      AppendField(out, "merchant_id", e.merchant_id);
      AppendField(out, "category", e.category);
      AppendField(out, "price", Number(e.price));
      break;
    }
  }
  return out;
}

}  // namespace partnergraph
