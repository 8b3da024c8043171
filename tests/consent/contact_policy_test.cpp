#include "partnergraph/consent/contact_policy.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <random>
#include <set>
#include <vector>
#include <string_view>
#include <utility>

using namespace partnergraph;

namespace {

using M = PermissionModel;
using C = ContactChannel;
using S = ConsentStatus;

// The table of contact_policy.hpp, written out from the rules: one row per
// (model, channel); `allowed` has one letter per status column below, y = may
// contact, n = may not.
constexpr std::array<std::optional<S>, 7> kStatusColumns = {
    std::nullopt,    S::kUnclear,      S::kPending, S::kConfirmedOptIn,
    S::kDoubleOptIn, S::kUnsubscribed, S::kBlocked};

struct Rule {
  M model;
  C channel;
  // One letter per kStatusColumns entry, in its order.
  std::string_view allowed;
};

// clang-format off
constexpr Rule kRules[] = {
    {M::kIgnore,      C::kEmail,           "yyyyynn"},
    {M::kIgnore,      C::kNewsletter,      "yyyyynn"},
    {M::kIgnore,      C::kCallCentre,      "yyyyynn"},
    {M::kIgnore,      C::kSms,             "yyyyynn"},
    {M::kIgnore,      C::kPost,            "yyyyynn"},
    {M::kIgnore,      C::kEvents,          "yyyyynn"},
    {M::kIgnore,      C::kAccountManager,  "yyyyynn"},
    {M::kOptOutOnly,  C::kEmail,           "yyyyynn"},
    {M::kOptOutOnly,  C::kNewsletter,      "yyyyynn"},
    {M::kOptOutOnly,  C::kCallCentre,      "yyyyynn"},
    {M::kOptOutOnly,  C::kSms,             "yyyyynn"},
    {M::kOptOutOnly,  C::kPost,            "yyyyynn"},
    {M::kOptOutOnly,  C::kEvents,          "yyyyynn"},
    {M::kOptOutOnly,  C::kAccountManager,  "yyyyynn"},
    {M::kWeakened,    C::kEmail,           "nnnyynn"},
    {M::kWeakened,    C::kNewsletter,      "nnnyynn"},
    {M::kWeakened,    C::kCallCentre,      "nnnyynn"},
    {M::kWeakened,    C::kSms,             "nnnyynn"},
    {M::kWeakened,    C::kPost,            "nnnyynn"},
    {M::kWeakened,    C::kEvents,          "nnnyynn"},
    {M::kWeakened,    C::kAccountManager,  "nnnyynn"},
    {M::kBuilding,    C::kEmail,           "nnnyynn"},
    {M::kBuilding,    C::kNewsletter,      "nnnyynn"},
    {M::kBuilding,    C::kCallCentre,      "nnnyynn"},
    {M::kBuilding,    C::kSms,             "nnnyynn"},
    {M::kBuilding,    C::kPost,            "yyyyynn"},
    {M::kBuilding,    C::kEvents,          "yyyyynn"},
    {M::kBuilding,    C::kAccountManager,  "yyyyynn"},
    {M::kFull,        C::kEmail,           "nnnnynn"},
    {M::kFull,        C::kNewsletter,      "nnnnynn"},
    {M::kFull,        C::kCallCentre,      "nnnnynn"},
    {M::kFull,        C::kSms,             "nnnnynn"},
    {M::kFull,        C::kPost,            "nnnnynn"},
    {M::kFull,        C::kEvents,          "nnnnynn"},
    {M::kFull,        C::kAccountManager,  "nnnnynn"},
};
// clang-format on

std::string Describe(std::optional<S> status) {
  return status ? std::string(ToString(*status)) : std::string("no record");
}

const Rule& RuleFor(M model, C channel) {
  for (const Rule& rule : kRules) {
    if (rule.model == model && rule.channel == channel) return rule;
  }
  FAIL(fmt::format("no rule for {} on {}", ToString(model), ToString(channel)));
  return kRules[0];
}

ConsentState Fold(std::initializer_list<std::pair<S, std::string_view>> records) {
  ConsentState state;
  for (const auto& [status, source] : records) state = NextConsentState(state, status, source);
  return state;
}

}  // namespace

TEST_CASE("The rule table covers every model and channel exactly once", "[consent]") {
  std::set<std::pair<int, int>> seen;
  for (const Rule& rule : kRules) {
    REQUIRE(rule.allowed.size() == kStatusColumns.size());
    CHECK(seen.emplace(static_cast<int>(rule.model), static_cast<int>(rule.channel)).second);
  }
  CHECK(seen.size() == 5u * kContactChannelCount);
}

TEST_CASE("MayContact follows the rule table: every model x status x channel", "[consent]") {
  for (const Rule& rule : kRules) {
    for (std::size_t col = 0; col < kStatusColumns.size(); ++col) {
      const std::optional<S> status = kStatusColumns[col];
      INFO(fmt::format("{} / {} / {}", ToString(rule.model), ToString(rule.channel),
                       Describe(status)));
      CHECK(MayContact(rule.model, status, rule.channel) == (rule.allowed[col] == 'y'));
    }
  }
}

TEST_CASE("No record and unclear are the same state under every model", "[consent]") {
  for (const Rule& rule : kRules) {
    INFO(fmt::format("{} / {}", ToString(rule.model), ToString(rule.channel)));
    CHECK(MayContact(rule.model, std::nullopt, rule.channel) ==
          MayContact(rule.model, S::kUnclear, rule.channel));
  }
}

TEST_CASE("building: call centre needs an opt-in, the account manager does not", "[consent]") {
  CHECK_FALSE(MayContact(M::kBuilding, S::kUnclear, C::kCallCentre));
  CHECK(MayContact(M::kBuilding, S::kUnclear, C::kAccountManager));
  CHECK(NeedsOptInUnderBuilding(C::kCallCentre));
  CHECK_FALSE(NeedsOptInUnderBuilding(C::kAccountManager));
  CHECK_FALSE(NeedsOptInUnderBuilding(C::kEvents));
  CHECK(NeedsOptInUnderBuilding(C::kNewsletter));
}

TEST_CASE("ContactableChannels sets the bit of every channel MayContact allows", "[consent]") {
  std::array<std::optional<S>, kContactChannelCount> statuses{};
  statuses[static_cast<int>(C::kEmail)] = S::kConfirmedOptIn;
  statuses[static_cast<int>(C::kNewsletter)] = S::kUnsubscribed;
  statuses[static_cast<int>(C::kCallCentre)] = S::kUnclear;
  statuses[static_cast<int>(C::kSms)] = S::kPending;
  statuses[static_cast<int>(C::kPost)] = S::kBlocked;
  statuses[static_cast<int>(C::kEvents)] = S::kDoubleOptIn;
  // kAccountManager: no record.
  for (M model : {M::kIgnore, M::kOptOutOnly, M::kWeakened, M::kBuilding, M::kFull}) {
    const ContactChannelSet channels = ContactableChannels(model, statuses);
    for (int i = 0; i < kContactChannelCount; ++i) {
      const Rule& rule = RuleFor(model, static_cast<C>(i));
      std::size_t col = 0;
      while (kStatusColumns[col] != statuses[i]) ++col;
      INFO(fmt::format("{} / {}", ToString(model), ToString(rule.channel)));
      CHECK(channels.test(i) == (rule.allowed[col] == 'y'));
    }
  }
  // Spelled out for two models.
  CHECK(ContactableChannels(M::kFull, statuses) == ContactChannelSet("0100000"));
  CHECK(ContactableChannels(M::kBuilding, statuses) == ContactChannelSet("1100001"));
}

TEST_CASE("ContactableChannels: nobody reachable is an empty set", "[consent]") {
  std::array<std::optional<S>, kContactChannelCount> statuses{};
  CHECK(ContactableChannels(M::kFull, statuses).none());
  CHECK(ContactableChannels(M::kWeakened, statuses).none());
  CHECK(ContactableChannels(M::kOptOutOnly, statuses).all());
  statuses.fill(S::kUnsubscribed);
  CHECK(ContactableChannels(M::kIgnore, statuses).none());
}

TEST_CASE("Consent fold: the latest record wins without a sales block", "[consent]") {
  CHECK_FALSE(Fold({}).status.has_value());
  CHECK(Fold({{S::kConfirmedOptIn, "web_form"}}).status == S::kConfirmedOptIn);
  CHECK(Fold({{S::kConfirmedOptIn, "web_form"}, {S::kUnsubscribed, "email_link"}}).status ==
        S::kUnsubscribed);
  CHECK(Fold({{S::kPending, "web_form"}, {S::kDoubleOptIn, "email_link"}}).status ==
        S::kDoubleOptIn);
}

TEST_CASE("Consent fold: a sales block wins over a later opt-in", "[consent]") {
  const ConsentState state =
      Fold({{S::kBlocked, "sales"}, {S::kDoubleOptIn, "web_form"}, {S::kConfirmedOptIn, "import"}});
  CHECK(state.sales_block);
  CHECK(state.status == S::kBlocked);
  CHECK_FALSE(MayContact(M::kIgnore, state.status, C::kEmail));
}

TEST_CASE("Consent fold: a later sales record that is not blocked lifts the block", "[consent]") {
  ConsentState state =
      Fold({{S::kBlocked, "sales"}, {S::kDoubleOptIn, "web_form"}, {S::kConfirmedOptIn, "sales"}});
  CHECK_FALSE(state.sales_block);
  CHECK(state.status == S::kConfirmedOptIn);
  // After the lift, the latest record wins again.
  state = NextConsentState(state, S::kUnsubscribed, "email_link");
  CHECK(state.status == S::kUnsubscribed);
  // A second sales block holds again.
  state = NextConsentState(state, S::kBlocked, "sales");
  state = NextConsentState(state, S::kDoubleOptIn, "checkout");
  CHECK(state.status == S::kBlocked);
  CHECK(state.sales_block);
}

TEST_CASE("Consent fold: a block from another source is overridden by a later opt-in",
          "[consent]") {
  for (std::string_view source : {"import", "web_form", "", "Sales"}) {
    INFO(std::string(source));
    const ConsentState state = Fold({{S::kBlocked, source}, {S::kConfirmedOptIn, "web_form"}});
    CHECK_FALSE(state.sales_block);
    CHECK(state.status == S::kConfirmedOptIn);
  }
}

TEST_CASE("Consent fold: a sales record other than blocked sets no block", "[consent]") {
  const ConsentState state = Fold({{S::kUnclear, "sales"}, {S::kDoubleOptIn, "web_form"}});
  CHECK_FALSE(state.sales_block);
  CHECK(state.status == S::kDoubleOptIn);
}

TEST_CASE("consent restrictiveness orders unsubscribed first and double opt-in last", "[consent]") {
  const std::vector<ConsentStatus> order = {
      ConsentStatus::kUnsubscribed, ConsentStatus::kBlocked,        ConsentStatus::kUnclear,
      ConsentStatus::kPending,      ConsentStatus::kConfirmedOptIn, ConsentStatus::kDoubleOptIn};
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK(ConsentRestrictiveness(order[i]) == static_cast<int>(i));
  }
}

namespace {

struct Record {
  ConsentStatus status;
  std::string_view source;
  Timestamp ts;
};

}  // namespace

TEST_CASE("ConsentCell: any arrival order ends where the fold in time order ends", "[consent]") {
  // Random small histories with many ties and sales records, merged in several random orders,
  // against NextConsentState over the records sorted as the graph build sorts them (time, then
  // the more restrictive last).
  std::mt19937 rng(20261208);
  const std::array<std::string_view, 3> sources = {"web", "sales", ""};
  for (int history = 0; history < 2000; ++history) {
    std::vector<Record> records(1 + rng() % 6);
    for (Record& r : records) {
      r = {static_cast<ConsentStatus>(rng() % 6), sources[rng() % sources.size()],
           static_cast<Timestamp>(rng() % 4)};
    }
    std::vector<Record> sorted = records;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Record& a, const Record& b) {
      if (a.ts != b.ts) return a.ts < b.ts;
      return ConsentRestrictiveness(a.status) > ConsentRestrictiveness(b.status);
    });
    ConsentState folded;
    for (const Record& r : sorted) folded = NextConsentState(folded, r.status, r.source);
    for (int order = 0; order < 4; ++order) {
      std::shuffle(records.begin(), records.end(), rng);
      ConsentCell cell;
      for (const Record& r : records) cell = MergeConsentRecord(cell, r.status, r.source, r.ts);
      const ConsentState merged = cell.state();
      INFO("history " << history << " order " << order);
      REQUIRE(merged.status == folded.status);
      REQUIRE(merged.sales_block == folded.sales_block);
    }
  }
}

TEST_CASE("ConsentCell: a sales block that arrives after a later opt-in still blocks",
          "[consent]") {
  ConsentCell cell;
  cell = MergeConsentRecord(cell, ConsentStatus::kDoubleOptIn, "web", 200);
  cell = MergeConsentRecord(cell, ConsentStatus::kBlocked, "sales", 100);
  CHECK(cell.state().status == ConsentStatus::kBlocked);
  CHECK(cell.state().sales_block);
  // A sales lift dated between them, arriving last: the opt-in (the latest record) decides.
  cell = MergeConsentRecord(cell, ConsentStatus::kUnclear, "sales", 150);
  CHECK(cell.state().status == ConsentStatus::kDoubleOptIn);
  CHECK_FALSE(cell.state().sales_block);
  CHECK_FALSE(ConsentCell().state().status.has_value());
}
