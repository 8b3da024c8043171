// Events for the events tests: one valid event of each kind.
#pragma once

#include <string>
#include <vector>

#include "partnergraph/events/event.hpp"

namespace partnergraph::testing {

// One valid event of each kind, in EventKind order, with ids "e0".."e6", dated `ts`.
inline std::vector<Event> OneEventOfEachKind(Timestamp ts) {
  OrderLineEvent order;
  order.order_id = "o1";
  order.customer_id = "c1";
  order.merchant_id = "m1";
  order.sku_id = "s1";
  order.ts = ts;
  order.quantity = 2;
  order.unit_price = 9.5;
  order.channel = "web";
  order.region = "north";
  ConsentChangeEvent consent;
  consent.customer_id = "c1";
  consent.merchant_id = "m1";
  consent.channel = ContactChannel::kNewsletter;
  consent.status = ConsentStatus::kUnsubscribed;
  consent.ts = ts;
  consent.source = "web_form";
  EngagementActivityEvent activity;
  activity.merchant_id = "m2";
  activity.ts = ts;
  activity.activity = "webinar";
  PolicyChangeEvent policy;
  policy.merchant_id = "m1";
  policy.ts = ts;
  policy.permission_model = PermissionModel::kFull;
  policy.k_min = 50;
  policy.discoverable = false;
  PartnershipChangeEvent partnership;
  partnership.merchant_a = "m1";
  partnership.merchant_b = "m2";
  partnership.kind = PartnershipKind::kBlocked;
  partnership.removed = true;
  partnership.ts = ts;
  NewMerchantEvent merchant;
  merchant.merchant_id = "m9";
  merchant.name = "Nine";
  merchant.category = "food";
  merchant.region = "south";
  merchant.ts = ts;
  NewSkuEvent sku;
  sku.sku_id = "s9";
  sku.merchant_id = "m9";
  sku.category = "food";
  sku.price = 3.25;
  sku.ts = ts;
  return {{"e0", order},       {"e1", consent},  {"e2", activity}, {"e3", policy},
          {"e4", partnership}, {"e5", merchant}, {"e6", sku}};
}

// A consent change of customer `customer` at merchant `merchant`.
inline ConsentChangeEvent Consent(std::string customer, std::string merchant, ConsentStatus status,
                                  Timestamp ts) {
  ConsentChangeEvent e;
  e.customer_id = std::move(customer);
  e.merchant_id = std::move(merchant);
  e.status = status;
  e.ts = ts;
  return e;
}

}  // namespace partnergraph::testing
