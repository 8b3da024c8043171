#include "partnergraph/ingest/dataset.hpp"

#include <array>
#include <utility>

namespace partnergraph {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> ParseEnum(const std::array<std::pair<std::string_view, Enum>, N>& table,
                              std::string_view s) {
  for (const auto& [name, value] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view EnumName(const std::array<std::pair<std::string_view, Enum>, N>& table,
                          Enum v) {
  for (const auto& [name, value] : table) {
    if (value == v) return name;
  }
  return "?";
}

constexpr std::array<std::pair<std::string_view, PartnershipKind>, 3> kPartnershipKinds{{
    {"partner", PartnershipKind::kPartner},
    {"competitor", PartnershipKind::kCompetitor},
    {"blocked", PartnershipKind::kBlocked},
}};
constexpr std::array<std::pair<std::string_view, ConsentStatus>, 6> kConsentStatuses{{
    {"unclear", ConsentStatus::kUnclear},
    {"blocked", ConsentStatus::kBlocked},
    {"unsubscribed", ConsentStatus::kUnsubscribed},
    {"confirmed_opt_in", ConsentStatus::kConfirmedOptIn},
    {"double_opt_in", ConsentStatus::kDoubleOptIn},
    {"pending", ConsentStatus::kPending},
}};
constexpr std::array<std::pair<std::string_view, ContactChannel>, kContactChannelCount>
    kContactChannels{{
        {"email", ContactChannel::kEmail},
        {"newsletter", ContactChannel::kNewsletter},
        {"call_centre", ContactChannel::kCallCentre},
        {"sms", ContactChannel::kSms},
        {"post", ContactChannel::kPost},
        {"events", ContactChannel::kEvents},
        {"account_manager", ContactChannel::kAccountManager},
    }};
// Spellings read on input only; ToString never writes them.
constexpr std::string_view kCallCentreAlias = "phone";
constexpr std::array<std::pair<std::string_view, PermissionModel>, 5> kPermissionModels{{
    {"ignore", PermissionModel::kIgnore},
    {"opt_out_only", PermissionModel::kOptOutOnly},
    {"building", PermissionModel::kBuilding},
    {"weakened", PermissionModel::kWeakened},
    {"full", PermissionModel::kFull},
}};

}  // namespace

std::optional<PartnershipKind> ParsePartnershipKind(std::string_view s) {
  return ParseEnum(kPartnershipKinds, s);
}
std::optional<ConsentStatus> ParseConsentStatus(std::string_view s) {
  return ParseEnum(kConsentStatuses, s);
}
std::optional<ContactChannel> ParseContactChannel(std::string_view s) {
  if (s == kCallCentreAlias) return ContactChannel::kCallCentre;
  return ParseEnum(kContactChannels, s);
}
std::optional<PermissionModel> ParsePermissionModel(std::string_view s) {
  return ParseEnum(kPermissionModels, s);
}
std::string_view ToString(PartnershipKind v) { return EnumName(kPartnershipKinds, v); }
std::string_view ToString(ConsentStatus v) { return EnumName(kConsentStatuses, v); }
std::string_view ToString(ContactChannel v) { return EnumName(kContactChannels, v); }
std::string_view ToString(PermissionModel v) { return EnumName(kPermissionModels, v); }

std::size_t Dataset::MemoryBytes() const {
  std::size_t bytes = 0;
  for (const Dictionary* d :
       {&merchant_ids, &sku_ids, &customer_ids, &order_ids, &categories, &regions,
        &order_channels, &devices, &consent_sources, &engagement_events, &journey_ids,
        &touch_channels, &campaigns}) {
    bytes += d->MemoryBytes();
  }
  bytes += merchants.capacity() * sizeof(Merchant);
  for (const auto& m : merchants) bytes += m.name.capacity() > 15 ? m.name.capacity() + 1 : 0;
  bytes += skus.capacity() * sizeof(Sku);
  bytes += customers.capacity() * sizeof(Customer);
  bytes += orders.capacity() * sizeof(OrderLine);
  bytes += partnerships.capacity() * sizeof(Partnership);
  bytes += consent.capacity() * sizeof(ConsentRecord);
  bytes += engagement.capacity() * sizeof(EngagementEvent);
  bytes += touchpoints.capacity() * sizeof(Touchpoint);
  bytes += policies.capacity() * sizeof(MerchantPolicy);
  return bytes;
}

}  // namespace partnergraph
