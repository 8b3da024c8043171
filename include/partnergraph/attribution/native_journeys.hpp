// Journeys from the native format: touchpoints joined to orders by customer.
//
// Rules (docs/attribution.md "Native journeys"):
//  - A conversion is an order (all order lines with the same order_id; its
//    time is the earliest line's ts, its customer the lines' customer). Its
//    value is the sum of its lines' revenue (quantity × unit price).
//  - An order's path is the customer's touchpoints with
//        previous order's time < ts <= order time   and   ts >= order time - lookback,
//    in time order (ties: file order). Orders of one customer at the same
//    second are taken in order_id order; the first one gets the touches.
//    A touchpoint therefore belongs to at most one order.
//  - An order without such a touchpoint gets the one-touch path
//    [options.direct_key] ("(direct)"), in both views.
//  - Non-converting journeys (nulls, needed by Markov and Shapley): the
//    customer's touchpoints that no order took, one journey per stretch
//    between two orders of the customer (and one after the last order);
//    touchpoints without customer_id: one journey per journey_id.
//  - Each order line (SKU) gets a share of the order's conversion in
//    proportion to its revenue (equal shares when the order's revenue is 0),
//    and its revenue; lines of the same SKU in one order are summed.
//  - Two views with the same journeys: keys = touchpoint channels, and keys =
//    partners (partner_id's merchant id; options.no_partner_key "(none)" when
//    a touchpoint has no partner).
//  - Keys are the channels (partners) that occur in some journey, in the
//    dataset's dictionary order, then the pseudo keys when used.
//  - Unknown references are errors, never dropped: a touchpoint whose channel id
//    is not in Dataset::touch_channels ("unknown channel"), a partner,
//    customer or journey id out of range, a touchpoint with neither customer
//    nor journey, an order line whose customer, SKU or order id is out of
//    range, or whose customer differs from its order's other lines. Messages
//    name the row ("touchpoints row 12 (customer c03, ts 2026-01-09T09:00:00Z):
//    channel id 9 is not in touch_channels").
//
// Memory: O(orders + touchpoints) for the tables (the Dataset is in memory anyway).
// Thread safety: reentrant; reads the Dataset only.
#pragma once

#include <cstdint>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

struct NativeJourneys {
  JourneyTable by_channel;  // keys: channels
  JourneyTable by_partner;  // keys: partners
  std::uint64_t orders = 0;
  std::uint64_t direct_orders = 0;         // orders without touchpoints
  std::uint64_t null_journeys = 0;
  std::uint64_t touchpoints_in_orders = 0;
  std::uint64_t touchpoints_in_nulls = 0;
};

// Builds both views from `dataset` with options.lookback_seconds,
// options.direct_key and options.no_partner_key. Paths are: orders in
// (customer, time, order_id) order interleaved with that customer's null
// journeys, customers in id order, then the journeys without customer in
// journey_id order. Errors: InvalidArgument as listed above.
Result<NativeJourneys> BuildNativeJourneys(const Dataset& dataset,
                                           const AttributionOptions& options);

}  // namespace partnergraph
