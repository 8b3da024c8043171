#include "partnergraph/consent/contact_policy.hpp"

namespace partnergraph {

bool NeedsOptInUnderBuilding(ContactChannel channel) {
  switch (channel) {
    case ContactChannel::kEmail:
    case ContactChannel::kNewsletter:
    case ContactChannel::kSms:
    case ContactChannel::kCallCentre:
      return true;
    case ContactChannel::kPost:
    case ContactChannel::kEvents:
    case ContactChannel::kAccountManager:
      return false;
  }
  return true;
}

bool MayContact(PermissionModel model, std::optional<ConsentStatus> status,
                ContactChannel channel) {
  if (status == ConsentStatus::kUnsubscribed || status == ConsentStatus::kBlocked) return false;
  const bool double_opt_in = status == ConsentStatus::kDoubleOptIn;
  const bool opted_in = double_opt_in || status == ConsentStatus::kConfirmedOptIn;
  switch (model) {
    case PermissionModel::kIgnore:
    case PermissionModel::kOptOutOnly:
      return true;
    case PermissionModel::kWeakened:
      return opted_in;
    case PermissionModel::kBuilding:
      return opted_in || !NeedsOptInUnderBuilding(channel);
    case PermissionModel::kFull:
      return double_opt_in;
  }
  return false;
}

ConsentState NextConsentState(const ConsentState& prev, ConsentStatus status,
                              std::string_view source) {
  ConsentState next = prev;
  if (source == kSalesConsentSource) next.sales_block = status == ConsentStatus::kBlocked;
  next.status = next.sales_block ? ConsentStatus::kBlocked : status;
  return next;
}

bool ConsentRecordIsLater(ConsentStatus status, Timestamp ts, ConsentStatus other,
                          Timestamp other_ts) {
  return ts > other_ts ||
         (ts == other_ts && ConsentRestrictiveness(status) <= ConsentRestrictiveness(other));
}

ConsentState ConsentCell::state() const {
  ConsentState s;
  s.sales_block = latest_sales == ConsentStatus::kBlocked;
  if (latest) s.status = s.sales_block ? ConsentStatus::kBlocked : *latest;
  return s;
}

ConsentCell MergeConsentRecord(ConsentCell cell, ConsentStatus status, std::string_view source,
                               Timestamp ts) {
  if (!cell.latest || ConsentRecordIsLater(status, ts, *cell.latest, cell.latest_ts)) {
    cell.latest = status;
    cell.latest_ts = ts;
  }
  if (source == kSalesConsentSource &&
      (!cell.latest_sales || ConsentRecordIsLater(status, ts, *cell.latest_sales, cell.sales_ts))) {
    cell.latest_sales = status;
    cell.sales_ts = ts;
  }
  return cell;
}

ContactChannelSet ContactableChannels(
    PermissionModel model,
    const std::array<std::optional<ConsentStatus>, kContactChannelCount>& statuses) {
  ContactChannelSet channels;
  for (int i = 0; i < kContactChannelCount; ++i) {
    if (MayContact(model, statuses[i], static_cast<ContactChannel>(i))) channels.set(i);
  }
  return channels;
}

int ConsentRestrictiveness(ConsentStatus status) {
  switch (status) {
    case ConsentStatus::kUnsubscribed:
      return 0;
    case ConsentStatus::kBlocked:
      return 1;
    case ConsentStatus::kUnclear:
      return 2;
    case ConsentStatus::kPending:
      return 3;
    case ConsentStatus::kConfirmedOptIn:
      return 4;
    case ConsentStatus::kDoubleOptIn:
      return 5;
  }
  return 0;
}

}  // namespace partnergraph
