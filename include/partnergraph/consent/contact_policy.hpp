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

// Whether a record (`status` at `ts`) comes after `other` (at `other_ts`) in the order records
// are folded: later in time, or at the same time at least as restrictive.
bool ConsentRecordIsLater(ConsentStatus status, Timestamp ts, ConsentStatus other,
                          Timestamp other_ts);

// One (customer, merchant, channel)'s consent as its records decide it, in whatever order they
// arrive: the latest record, and the latest record from source "sales" (ConsentRecordIsLater's
// order for both). Folding the same records in that order with NextConsentState ends in the same
// state(): the sales block holds exactly when the latest sales record is `blocked`, and the
// status is then kBlocked, else the latest record's own status. The live overlay merges events
// with it, so that a sales block recorded after a later-dated opt-in still blocks, as in a model
// built from the same records (tests/consent/contact_policy_test.cpp checks every order).
struct ConsentCell {
  std::optional<ConsentStatus> latest;  // the latest record's status (nullopt: no record)
  Timestamp latest_ts = 0;
  std::optional<ConsentStatus> latest_sales;  // the latest "sales" record's status
  Timestamp sales_ts = 0;
  ConsentState state() const;
  bool operator==(const ConsentCell&) const = default;
};

// `cell` with one more record, at any time.
ConsentCell MergeConsentRecord(ConsentCell cell, ConsentStatus status, std::string_view source,
                               Timestamp ts);

// One bit per ContactChannel, bit i = channel with value i.
using ContactChannelSet = std::bitset<kContactChannelCount>;

// The channels on which a merchant running `model` may contact a customer
// whose status on channel i is statuses[i] (nullopt: no record). The customer
// is contactable at all when the result has any() bit set.
ContactChannelSet ContactableChannels(
    PermissionModel model,
    const std::array<std::optional<ConsentStatus>, kContactChannelCount>& statuses);

}  // namespace partnergraph
