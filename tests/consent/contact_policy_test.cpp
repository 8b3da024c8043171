#include <catch2/catch.hpp>

#include "partnergraph/consent/contact_policy.hpp"

using namespace partnergraph;

namespace {
constexpr PermissionModel kAllModels[] = {PermissionModel::kIgnore, PermissionModel::kOptOutOnly,
                                          PermissionModel::kWeakened, PermissionModel::kBuilding,
                                          PermissionModel::kFull};
constexpr ContactChannel kAllChannels[] = {ContactChannel::kEmail,  ContactChannel::kNewsletter,
                                           ContactChannel::kPhone,  ContactChannel::kSms,
                                           ContactChannel::kPost,   ContactChannel::kEvents};
}  // namespace

TEST_CASE("An unsubscription or a block is never contacted, under any model", "[consent]") {
  for (auto model : kAllModels) {
    for (auto channel : kAllChannels) {
      CHECK_FALSE(MayContact(model, ConsentStatus::kUnsubscribed, channel));
      CHECK_FALSE(MayContact(model, ConsentStatus::kBlocked, channel));
    }
  }
}

TEST_CASE("Opt-ins may be contacted under every model", "[consent]") {
  for (auto model : kAllModels) {
    for (auto channel : kAllChannels) {
      CHECK(MayContact(model, ConsentStatus::kDoubleOptIn, channel));
      CHECK(MayContact(model, ConsentStatus::kConfirmedOptIn, channel));
    }
  }
}

TEST_CASE("building: newsletter only with opt-in, events also with unclear", "[consent]") {
  auto m = PermissionModel::kBuilding;
  CHECK_FALSE(MayContact(m, ConsentStatus::kUnclear, ContactChannel::kNewsletter));
  CHECK_FALSE(MayContact(m, ConsentStatus::kPending, ContactChannel::kEmail));
  CHECK_FALSE(MayContact(m, std::nullopt, ContactChannel::kSms));
  CHECK(MayContact(m, ConsentStatus::kUnclear, ContactChannel::kEvents));
  CHECK(MayContact(m, std::nullopt, ContactChannel::kPost));
}

TEST_CASE("full needs an opt-in on every channel, pending is not one", "[consent]") {
  auto m = PermissionModel::kFull;
  for (auto channel : kAllChannels) {
    CHECK_FALSE(MayContact(m, ConsentStatus::kPending, channel));
    CHECK_FALSE(MayContact(m, ConsentStatus::kUnclear, channel));
    CHECK_FALSE(MayContact(m, std::nullopt, channel));
  }
}

TEST_CASE("weakened: direct channels need a record, others do not", "[consent]") {
  auto m = PermissionModel::kWeakened;
  CHECK(MayContact(m, ConsentStatus::kUnclear, ContactChannel::kEmail));
  CHECK_FALSE(MayContact(m, std::nullopt, ContactChannel::kEmail));
  CHECK(MayContact(m, std::nullopt, ContactChannel::kPhone));
}

TEST_CASE("ignore and opt_out_only contact everyone not opted out", "[consent]") {
  for (auto m : {PermissionModel::kIgnore, PermissionModel::kOptOutOnly}) {
    CHECK(MayContact(m, std::nullopt, ContactChannel::kNewsletter));
    CHECK(MayContact(m, ConsentStatus::kUnclear, ContactChannel::kEmail));
    CHECK(MayContact(m, ConsentStatus::kPending, ContactChannel::kSms));
  }
}
