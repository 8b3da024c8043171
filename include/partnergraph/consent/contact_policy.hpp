// ContactPolicy: which consent statuses a merchant may contact on which
// channel, under each of the five permission models (SPEC.md "Consent", seed
// "B2B permission management"), and how a customer's consent records for one
// (merchant, channel) fold into the status that decides.
//
// The rule table ("opt-in" = confirmed_opt_in or double_opt_in; "no record"
// for a customer, merchant and channel is the same state as `unclear`;
// `pending`, a double opt-in asked for and not yet confirmed, is never an
// opt-in; yes = may contact):
//
//   model         channel                     double  confirmed pending unclear,  unsub-   blocked
//                                             opt-in  opt-in            no record scribed
//   ignore        all                         yes     yes       yes     yes       no       no
//   opt_out_only  all                         yes     yes       yes     yes       no       no
//   weakened      all                         yes     yes       no      no        no       no
//   building      email, sms, newsletter,     yes     yes       no      no        no       no
//                 call_centre
//   building      events, account_manager,    yes     yes       yes     yes       no       no
//                 post
//   full          all                         yes     no        no      no        no       no
//
// The one deliberate deviation from the seed: under `ignore` ("no opt-in, no
// opt-out") an unsubscribed or blocked customer is still never contacted on
// that channel. Unsubscribed and blocked are honoured under every model
// (consent is law). A competitor's customers are never targeted either; the
// recommenders enforce that.
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <bitset>
#include <optional>
#include <string_view>

#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

// Whether a merchant running `model` may contact a customer whose status on
// `channel` is `status` (nullopt: no record, read as `unclear`), per the table
// above.
bool MayContact(PermissionModel model, std::optional<ConsentStatus> status,
                ContactChannel channel);

// Whether `channel` needs an opt-in under `building`: the direct marketing
// channels (email, sms, newsletter) and call-centre calls. The merchant's own
// account manager, event invitations and post also reach unclear contacts.
bool NeedsOptInUnderBuilding(ContactChannel channel);

// The order of statuses from the most restrictive (unsubscribed 0, blocked 1) to the least
// (unclear 2, pending 3, confirmed_opt_in 4, double_opt_in 5): of two records at the same time,
// the more restrictive wins (the graph build and the live overlay both order them so).
int ConsentRestrictiveness(ConsentStatus status);

// The consent source whose `blocked` records are sales blocks.
inline constexpr std::string_view kSalesConsentSource = "sales";

// The state of one (customer, merchant, channel) after folding its consent
// records in time order with NextConsentState.
struct ConsentState {
  // The status that decides (MayContact's `status`): kBlocked while a sales
  // block holds, else the latest record's status; nullopt before any record.
  std::optional<ConsentStatus> status;
  // A `blocked` record from source "sales" holds until a later "sales" record
  // that is not `blocked` lifts it.
  bool sales_block = false;
};

// The state after one more record (`status` from `source`), later than every
// record folded into `prev`: a `blocked` from source "sales" sets the sales
// block, any other record from "sales" lifts it; while the block holds the
// status stays kBlocked, otherwise the latest record wins. Ordering records
// that share a timestamp is the caller's.
ConsentState NextConsentState(const ConsentState& prev, ConsentStatus status,
                              std::string_view source);

// One bit per ContactChannel, bit i = channel with value i.
using ContactChannelSet = std::bitset<kContactChannelCount>;

// The channels on which a merchant running `model` may contact a customer
// whose status on channel i is statuses[i] (nullopt: no record). The customer
// is contactable at all when the result has any() bit set.
ContactChannelSet ContactableChannels(
    PermissionModel model,
    const std::array<std::optional<ConsentStatus>, kContactChannelCount>& statuses);

}  // namespace partnergraph
