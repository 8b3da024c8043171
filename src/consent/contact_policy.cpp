#include "partnergraph/consent/contact_policy.hpp"

namespace partnergraph {

bool IsDirectMarketingChannel(ContactChannel channel) {
  return channel == ContactChannel::kEmail || channel == ContactChannel::kNewsletter ||
         channel == ContactChannel::kSms;
}

bool MayContact(PermissionModel model, std::optional<ConsentStatus> status,
                ContactChannel channel) {
  if (status == ConsentStatus::kUnsubscribed || status == ConsentStatus::kBlocked) return false;
  const bool opted_in =
      status == ConsentStatus::kConfirmedOptIn || status == ConsentStatus::kDoubleOptIn;
  const bool direct = IsDirectMarketingChannel(channel);
  switch (model) {
    case PermissionModel::kIgnore:
    case PermissionModel::kOptOutOnly:
      return true;
    case PermissionModel::kWeakened:
      return direct ? status.has_value() : true;
    case PermissionModel::kBuilding:
      return direct ? opted_in : true;
    case PermissionModel::kFull:
      return opted_in;
  }
  return false;
}

}  // namespace partnergraph
