// RecordEvents' translation between the wire and the event types (server/partnergraph.thrift,
// events/event.hpp), and who may record what (docs/events.md "Roles").
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "PartnerGraph.h"
#include "partnergraph/common/status.hpp"
#include "partnergraph/engine/api_keys.hpp"
#include "partnergraph/events/event.hpp"

namespace partnergraph::server {

// The events of a RecordEvents request: times parsed (ISO-8601 UTC), enums from their CSV words
// ("phone" is call_centre). InvalidArgument naming "events[i].<kind>.<field>" for a bad time,
// enum or count, or "events[i]" when not exactly one body is set. What an event says on its own
// beyond that is ValidateEventBatch's.
Result<std::vector<Event>> EventsFromWire(const std::vector<rpc::Event>& events);

// OK when `principal` may record every event of `batch`: an operator anything; a merchant key
// only order lines, consent changes, policy changes and new SKUs of its own merchant.
// PermissionDenied naming the first event that it may not record (never whether another
// merchant exists).
Status CheckEventRoles(const Principal& principal, std::span<const Event> batch);

}  // namespace partnergraph::server
