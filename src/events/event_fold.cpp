// Folding live events into a dataset (event_fold.hpp).
#include "partnergraph/events/event_fold.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace partnergraph {
namespace {

// The value of `name` in a value dictionary; kNoDictValue for an empty one (an absent field).
std::uint32_t OptionalValue(Dictionary& dict, std::string_view name) {
  return name.empty() ? kNoDictValue : dict.Add(name);
}

}  // namespace

EventFolder::EventFolder(Dataset* data) : data_(data) {}

Result<MerchantId> EventFolder::Merchant(EventSequence sequence, const Event& event,
                                         std::string_view field, std::string_view id) const {
  const std::uint32_t m = data_->merchant_ids.Find(id);
  if (m == Dictionary::kNotFound) {
    return Status::InvalidArgument(
        fmt::format("event {} ({}, id \"{}\"): {}.{}: merchant \"{}\" is not in the dataset",
                    sequence, ToString(event.kind()), event.event_id, ToString(event.kind()), field,
                    id));
  }
  return MerchantId(m);
}

CustomerId EventFolder::Customer(std::string_view id) {
  const std::uint32_t c = data_->customer_ids.Add(id);
  // A customer first seen in an event, as one first seen in orders.csv: no region.
  if (c == data_->customers.size()) data_->customers.push_back(partnergraph::Customer{});
  return CustomerId(c);
}

Status EventFolder::Fold(EventSequence sequence, const Event& event) {
  PG_RETURN_IF_ERROR(FoldBody(sequence, event));
  ++report_.events;
  ++report_.by_kind[static_cast<std::size_t>(event.kind())];
  report_.last_sequence = sequence;
  return Status::Ok();
}

Status EventFolder::FoldBody(EventSequence sequence, const Event& event) {
  Dataset& d = *data_;
  switch (event.kind()) {
    case EventKind::kOrderLine: {
      const auto& e = std::get<OrderLineEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId merchant, Merchant(sequence, event, "merchant_id", e.merchant_id));
      const std::uint32_t sku = d.sku_ids.Find(e.sku_id);
      if (sku == Dictionary::kNotFound || d.skus[sku].merchant != merchant) {
        return Status::InvalidArgument(fmt::format(
            "event {} (order_line, id \"{}\"): order_line.sku_id: SKU \"{}\" {}", sequence,
            event.event_id, e.sku_id,
            sku == Dictionary::kNotFound ? "is not in the dataset"
                                         : fmt::format("is not sold by \"{}\"", e.merchant_id)));
      }
      OrderLine line;
      line.order = OrderId(d.order_ids.Add(e.order_id));
      line.customer = Customer(e.customer_id);
      line.merchant = merchant;
      line.sku = SkuId(sku);
      line.ts = e.ts;
      line.unit_price = e.unit_price;
      line.quantity = e.quantity;
      line.channel = OptionalValue(d.order_channels, e.channel);
      line.device = OptionalValue(d.devices, e.device);
      if (!e.region.empty()) line.region = RegionId(d.regions.Add(e.region));
      d.orders.push_back(line);
      return Status::Ok();
    }
    case EventKind::kConsentChange: {
      const auto& e = std::get<ConsentChangeEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId merchant, Merchant(sequence, event, "merchant_id", e.merchant_id));
      d.consent.push_back(ConsentRecord{.customer = Customer(e.customer_id),
                                        .merchant = merchant,
                                        .channel = e.channel,
                                        .status = e.status,
                                        .ts = e.ts,
                                        .source = OptionalValue(d.consent_sources, e.source)});
      return Status::Ok();
    }
    case EventKind::kEngagementActivity: {
      const auto& e = std::get<EngagementActivityEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId merchant, Merchant(sequence, event, "merchant_id", e.merchant_id));
      d.engagement.push_back(EngagementEvent{.merchant = merchant,
                                             .ts = e.ts,
                                             .event = d.engagement_events.Add(e.activity),
                                             .points = e.points});
      return Status::Ok();
    }
    case EventKind::kPolicyChange: {
      const auto& e = std::get<PolicyChangeEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId merchant, Merchant(sequence, event, "merchant_id", e.merchant_id));
      MerchantPolicy& policy = d.policies[merchant.value];
      if (e.permission_model) policy.permission_model = *e.permission_model;
      if (e.k_min) policy.k_min = *e.k_min;
      if (e.share_overlaps) policy.share_overlaps = *e.share_overlaps;
      if (e.discoverable) policy.discoverable = *e.discoverable;
      if (e.allow_coupons) policy.allow_coupons = *e.allow_coupons;
      return Status::Ok();
    }
    case EventKind::kPartnershipChange: {
      const auto& e = std::get<PartnershipChangeEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId a, Merchant(sequence, event, "merchant_a", e.merchant_a));
      PG_ASSIGN_OR_RETURN(MerchantId b, Merchant(sequence, event, "merchant_b", e.merchant_b));
      auto same = [&](const Partnership& p) {
        return p.kind == e.kind && ((p.a == a && p.b == b) || (p.a == b && p.b == a));
      };
      auto& rows = d.partnerships;
      if (e.removed) {
        rows.erase(std::remove_if(rows.begin(), rows.end(), same), rows.end());
      } else if (std::none_of(rows.begin(), rows.end(), same)) {
        rows.push_back(Partnership{.a = a, .b = b, .kind = e.kind, .since = e.ts});
      }
      return Status::Ok();
    }
    case EventKind::kNewMerchant: {
      const auto& e = std::get<NewMerchantEvent>(event.body);
      if (d.merchant_ids.Find(e.merchant_id) != Dictionary::kNotFound) {
        ++report_.skipped;
        return Status::Ok();
      }
      d.merchant_ids.Add(e.merchant_id);
      d.merchants.push_back(partnergraph::Merchant{
          .name = e.name,
          .category = CategoryId(d.categories.Add(e.category)),
          .region = e.region.empty() ? RegionId() : RegionId(d.regions.Add(e.region))});
      d.policies.emplace_back();
      return Status::Ok();
    }
    case EventKind::kNewSku: {
      const auto& e = std::get<NewSkuEvent>(event.body);
      PG_ASSIGN_OR_RETURN(MerchantId merchant, Merchant(sequence, event, "merchant_id", e.merchant_id));
      if (d.sku_ids.Find(e.sku_id) != Dictionary::kNotFound) {
        ++report_.skipped;
        return Status::Ok();
      }
      d.sku_ids.Add(e.sku_id);
      d.skus.push_back(Sku{.merchant = merchant,
                           .category = CategoryId(d.categories.Add(e.category)),
                           .price = e.price});
      return Status::Ok();
    }
  }
  return Status::Internal(fmt::format("event {}: unknown kind", sequence));
}

Result<EventFoldReport> FoldEventLog(const std::filesystem::path& events_dir, Dataset* data) {
  PG_ASSIGN_OR_RETURN(std::unique_ptr<EventLog> log, EventLog::OpenReader(events_dir));
  EventFolder folder(data);
  PG_RETURN_IF_ERROR(log->Replay(0, [&](EventSequence sequence, const Event& event) {
    return folder.Fold(sequence, event);
  }));
  return folder.report();
}

}  // namespace partnergraph
