// ContactPolicy: which consent statuses a merchant may contact on which
// channel, under each of the five permission models (SPEC.md "Consent").
//
// The rule table (rows: permission model; "opt-in" = confirmed_opt_in or
// double_opt_in; "none" = no consent record for that customer, merchant and
// channel):
//
//   model         email / newsletter / sms        phone / post / events
//   ignore        any but unsubscribed, blocked    any but unsubscribed, blocked
//   opt_out_only  any but unsubscribed, blocked    any but unsubscribed, blocked
//   weakened      opt-in, pending, unclear         opt-in, pending, unclear, none
//   building      opt-in                           opt-in, pending, unclear, none
//   full          opt-in                           opt-in
//
// Two rules hold under every model, `ignore` included: an unsubscribed or
// blocked customer is never contacted on that channel (consent is law), and a
// competitor's customers are never targeted (enforced by the recommenders).
// `pending` (a double opt-in asked for, not yet confirmed) never counts as an
// opt-in.
//
// Thread safety: pure functions.
#pragma once

#include <optional>

#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

// Whether a merchant running `model` may contact a customer whose latest
// status on `channel` is `status` (nullopt: no record).
bool MayContact(PermissionModel model, std::optional<ConsentStatus> status,
                ContactChannel channel);

// Whether `channel` is a direct marketing channel (email, newsletter, sms),
// which needs the stricter column of the table.
bool IsDirectMarketingChannel(ContactChannel channel);

}  // namespace partnergraph
