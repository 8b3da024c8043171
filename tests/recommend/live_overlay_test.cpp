// LiveOverlay on datasets/tiny (README.md): policies, contactable counts and relations as events
// change them, and what the recommender's parts read from it.
#include "partnergraph/recommend/live_overlay.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <random>
#include <tuple>
#include <vector>

#include "partner_scoring.hpp"
#include "partnergraph/datagen/generator.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "recommend_fixture.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using partnergraph::recommend_internal::PartnerScoring;
using testing::MerchantNamed;

namespace {

constexpr Timestamp kLater = 1'800'000'000;  // 2027: after every record of the fixture

CustomerId CustomerNamed(const EcosystemGraph& g, std::string_view id) {
  auto c = g.FindCustomer(id);
  REQUIRE(c.ok());
  return *c;
}

void UnsubscribeEverywhere(LiveOverlay& live, CustomerId c, MerchantId m, Timestamp ts) {
  for (int i = 0; i < kContactChannelCount; ++i) {
    live.SetConsent(c, m, static_cast<ContactChannel>(i), ConsentStatus::kUnsubscribed, "web", ts);
  }
}

bool Contains(const std::vector<MerchantId>& v, MerchantId m) {
  return std::find(v.begin(), v.end(), m) != v.end();
}

// A generated ecosystem of 60 merchants and 1,200 customers (a few thousand customer-merchant
// pairs: more than the overlay's first table holds), built once per process.
std::shared_ptr<const EcosystemGraph> GeneratedGraph() {
  static std::shared_ptr<const EcosystemGraph> graph = [] {
    const auto dir = testing::FreshTempDir("live_overlay_data_" + std::to_string(::getpid()));
    GeneratorOptions options;
    options.merchants = 60;
    options.order_lines_per_merchant = 60;
    options.seed = 11;
    GeneratorStats stats;
    const Status generated = GenerateEcosystem(options, dir, &stats);
    INFO(generated.ToString());
    REQUIRE(generated.ok());
    return testing::GraphOfFolder(dir);
  }();
  return graph;
}

// The consent rules of live_overlay.hpp written out per (customer, merchant, channel), the
// simplest way: every record kept, and the state recomputed by folding them in time order (at
// the same time, the more restrictive last) with NextConsentState, whatever order they arrived
// in. The model's folded state counts as one record at its time (from "sales" when it holds a
// sales block), as the overlay takes it. What the overlay's counts must equal after any
// sequence of changes.
class ReferenceConsent {
 public:
  explicit ReferenceConsent(const EcosystemGraph& g) : g_(g) {}

  void Set(CustomerId c, MerchantId m, ContactChannel channel, ConsentStatus status,
           std::string_view source, Timestamp ts) {
    records_[{c.value, m.value, static_cast<int>(channel)}].push_back(
        {status, std::string(source), ts});
  }

  // m's customers contactable on each channel (index kContactChannelCount: on any) under `model`.
  std::array<std::uint32_t, kContactChannelCount + 1> Count(MerchantId m, PermissionModel model,
                                                            bool with_changes) const {
    std::array<std::uint32_t, kContactChannelCount + 1> counts{};
    for (const CustomerLink& link : g_.CustomersOf(m)) {
      std::array<std::optional<ConsentStatus>, kContactChannelCount> statuses;
      for (int i = 0; i < kContactChannelCount; ++i) {
        const auto channel = static_cast<ContactChannel>(i);
        const ConsentEntry e = with_changes ? Current(link.customer, m, channel)
                                            : Graph(link.customer, m, channel);
        if (e.ts != kNone) statuses[static_cast<std::size_t>(i)] = e.status;
      }
      const ContactChannelSet channels = ContactableChannels(model, statuses);
      for (std::size_t i = 0; i < kContactChannelCount; ++i) counts[i] += channels[i] ? 1 : 0;
      counts[kContactChannelCount] += channels.any() ? 1 : 0;
    }
    return counts;
  }

 private:
  static constexpr Timestamp kNone = std::numeric_limits<Timestamp>::min();  // no record
  ConsentEntry Graph(CustomerId c, MerchantId m, ContactChannel channel) const {
    if (auto e = g_.ConsentStatusOf(c, m, channel)) return *e;
    ConsentEntry none;
    none.ts = kNone;
    return none;
  }
  ConsentEntry Current(CustomerId c, MerchantId m, ContactChannel channel) const {
    auto it = records_.find({c.value, m.value, static_cast<int>(channel)});
    const ConsentEntry graph = Graph(c, m, channel);
    if (it == records_.end()) return graph;
    std::vector<Record> all = it->second;
    if (graph.ts != kNone) {
      all.push_back({graph.status, graph.sales_block ? "sales" : "model", graph.ts});
    }
    std::stable_sort(all.begin(), all.end(), [](const Record& a, const Record& b) {
      if (a.ts != b.ts) return a.ts < b.ts;
      return ConsentRestrictiveness(a.status) > ConsentRestrictiveness(b.status);
    });
    ConsentState state;
    for (const Record& r : all) state = NextConsentState(state, r.status, r.source);
    ConsentEntry e;
    e.status = *state.status;
    e.sales_block = state.sales_block;
    e.ts = all.back().ts;
    return e;
  }

  struct Record {
    ConsentStatus status;
    std::string source;
    Timestamp ts;
  };
  const EcosystemGraph& g_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, int>, std::vector<Record>> records_;
};

}  // namespace

TEST_CASE("the overlay starts as the model: policies, contactable counts, relations",
          "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const EcosystemGraph& g = *context.model.graph;
  const LiveOverlay& live = *context.live;
  for (std::uint32_t i = 0; i < g.merchant_count(); ++i) {
    const MerchantId m(i);
    const MerchantPolicy want = g.Merchant(m).policy;
    const MerchantPolicy got = live.Policy(m);
    CHECK(got.k_min == want.k_min);
    CHECK(got.discoverable == want.discoverable);
    CHECK(got.share_overlaps == want.share_overlaps);
    CHECK(got.allow_coupons == want.allow_coupons);
    CHECK(got.permission_model == want.permission_model);
    CHECK(live.Contactable(m) == context.profiles->Profile(m).contactable);
    for (int c = 0; c < kContactChannelCount; ++c) {
      const auto channel = static_cast<ContactChannel>(c);
      CHECK(live.ContactableOn(m, channel) ==
            context.profiles->Profile(m).contactable_by_channel[static_cast<std::size_t>(c)]);
    }
    CHECK_FALSE(live.Touched(m));
  }
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), hardware = MerchantNamed(g, "m_hardware");
  CHECK(live.IsBlocked(bakery, hardware));
  CHECK(live.IsCompetitor(bakery, MerchantNamed(g, "m_bakery2")));
  CHECK(live.touched_merchants() == 0);
}

TEST_CASE("consent changes move the contactable count, latest record wins", "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const EcosystemGraph& g = *context.model.graph;
  LiveOverlay& live = *context.live;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  const CustomerId c01 = CustomerNamed(g, "c01");
  const std::uint32_t before = live.Contactable(bakery);
  REQUIRE(before > 0);
  // One channel: the count on that channel moves, not the any-channel count.
  const std::uint32_t email_before = live.ContactableOn(bakery, ContactChannel::kEmail);
  const std::uint32_t post_before = live.ContactableOn(bakery, ContactChannel::kPost);
  live.SetConsent(c01, bakery, ContactChannel::kEmail, ConsentStatus::kUnsubscribed, "web",
                  kLater - 100);
  CHECK(live.ContactableOn(bakery, ContactChannel::kEmail) == email_before - 1);
  CHECK(live.ContactableOn(bakery, ContactChannel::kPost) == post_before);
  CHECK(live.Contactable(bakery) == before);
  UnsubscribeEverywhere(live, c01, bakery, kLater);
  CHECK(live.Contactable(bakery) == before - 1);
  CHECK(live.ContactableOn(bakery, ContactChannel::kPost) == post_before - 1);
  CHECK(live.Touched(bakery));
  CHECK(live.touched_merchants() == 1);
  // An older record arriving later does not undo the newer unsubscription.
  live.SetConsent(c01, bakery, ContactChannel::kEmail, ConsentStatus::kDoubleOptIn, "web",
                  kLater - 10);
  CHECK(live.Contactable(bakery) == before - 1);
  // At the same time the more restrictive record wins.
  live.SetConsent(c01, bakery, ContactChannel::kEmail, ConsentStatus::kDoubleOptIn, "web", kLater);
  CHECK(live.Contactable(bakery) == before - 1);
  // A newer opt-in makes c01 contactable again (building: email with opt-in).
  live.SetConsent(c01, bakery, ContactChannel::kEmail, ConsentStatus::kDoubleOptIn, "web",
                  kLater + 1);
  CHECK(live.Contactable(bakery) == before);
  // A customer who never bought at the merchant moves no count.
  const MerchantId florist = MerchantNamed(g, "m_florist");
  const std::uint32_t florist_before = live.Contactable(florist);
  UnsubscribeEverywhere(live, CustomerNamed(g, "c10"), florist, kLater);
  CHECK(live.Contactable(florist) == florist_before);
}

TEST_CASE("a sales block wins over a later opt-in until sales lifts it", "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const EcosystemGraph& g = *context.model.graph;
  LiveOverlay& live = *context.live;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  const CustomerId c06 = CustomerNamed(g, "c06");  // blocked on the phone by sales in the model
  const std::uint32_t before = live.Contactable(bakery);
  // c06 unsubscribes on every channel but the call centre, where sales blocked it.
  for (int i = 0; i < kContactChannelCount; ++i) {
    const auto channel = static_cast<ContactChannel>(i);
    if (channel == ContactChannel::kCallCentre) continue;
    live.SetConsent(c06, bakery, channel, ConsentStatus::kUnsubscribed, "web", kLater);
  }
  CHECK(live.Contactable(bakery) == before - 1);
  live.SetConsent(c06, bakery, ContactChannel::kCallCentre, ConsentStatus::kDoubleOptIn, "web",
                  kLater + 1);
  CHECK(live.Contactable(bakery) == before - 1);  // the sales block stands
  live.SetConsent(c06, bakery, ContactChannel::kCallCentre, ConsentStatus::kConfirmedOptIn, "sales",
                  kLater + 2);
  CHECK(live.Contactable(bakery) == before);  // lifted by sales
}

TEST_CASE("a new permission model recounts the contactable customers", "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const EcosystemGraph& g = *context.model.graph;
  LiveOverlay& live = *context.live;
  const MerchantId bakery = MerchantNamed(g, "m_bakery");
  MerchantPolicy policy = live.Policy(bakery);
  policy.permission_model = PermissionModel::kFull;
  live.SetPolicy(bakery, policy);
  // full: double opt-in only; c01 is the bakery's one double opt-in (c05's was followed by an
  // unsubscription).
  CHECK(live.Contactable(bakery) == 1);
  CHECK(live.Policy(bakery).permission_model == PermissionModel::kFull);
  policy.permission_model = PermissionModel::kIgnore;
  policy.k_min = 7;
  live.SetPolicy(bakery, policy);
  CHECK(live.Contactable(bakery) ==
        g.CustomersOf(bakery).size());  // nobody unsubscribed everywhere
  CHECK(live.PairKMin(bakery, MerchantNamed(g, "m_florist")) == 7);
}

TEST_CASE("relations added and removed reach the partner query's exclusions", "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  LiveOverlay& live = *context.live;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), florist = MerchantNamed(g, "m_florist"),
                   hardware = MerchantNamed(g, "m_hardware"), wine = MerchantNamed(g, "m_wine");
  std::vector<MerchantId> excluded;
  live.SetRelation(florist, bakery, PartnershipKind::kBlocked, true);
  CHECK(live.IsBlocked(bakery, florist));
  CHECK_FALSE(scoring.Visible(bakery, florist, Audience::kMerchant));
  live.SetRelation(bakery, hardware, PartnershipKind::kBlocked, false);
  CHECK_FALSE(live.IsBlocked(bakery, hardware));
  live.SetRelation(bakery, wine, PartnershipKind::kPartner, true);
  scoring.ExcludedByRelation(bakery, PartnerFilters{}, &excluded);
  CHECK(std::is_sorted(excluded.begin(), excluded.end()));
  CHECK(Contains(excluded, florist));
  CHECK_FALSE(Contains(excluded, hardware));
  CHECK(Contains(excluded, wine));                           // now a partner
  CHECK(Contains(excluded, MerchantNamed(g, "m_bakery2")));  // the competitor stays
  PartnerFilters with_partners;
  with_partners.include_existing_partners = true;
  scoring.ExcludedByRelation(bakery, with_partners, &excluded);
  CHECK_FALSE(Contains(excluded, wine));
  live.SetRelation(florist, bakery, PartnershipKind::kBlocked, false);
  CHECK_FALSE(live.IsBlocked(florist, bakery));
  CHECK(live.touched_merchants() == 4);
}

TEST_CASE("policy changes reach the partner query's filters and pair answers",
          "[recommend][live]") {
  const auto context = testing::TinyContext(testing::TinyModel(false));
  const PartnerScoring scoring(context);
  const EcosystemGraph& g = *context.model.graph;
  LiveOverlay& live = *context.live;
  const MerchantId bakery = MerchantNamed(g, "m_bakery"), florist = MerchantNamed(g, "m_florist");
  CHECK_FALSE(scoring.ExcludedByProfile(bakery, florist, PartnerFilters{}));
  MerchantPolicy policy = live.Policy(florist);
  policy.discoverable = false;
  live.SetPolicy(florist, policy);
  CHECK(scoring.ExcludedByProfile(bakery, florist, PartnerFilters{}));
  CHECK(scoring.OverlapReport(bakery, florist, Audience::kOperator).ok());
  policy.share_overlaps = false;
  live.SetPolicy(florist, policy);
  CHECK(scoring.OverlapReport(bakery, florist, Audience::kOperator).status().IsPermissionDenied());
}

TEST_CASE("random consent changes and permission models: the counts equal a recount",
          "[recommend][live]") {
  const auto graph = GeneratedGraph();
  const EcosystemGraph& g = *graph;
  RecommendModel model;
  model.graph = graph;
  const auto context = testing::TinyContext(std::move(model));
  LiveOverlay& live = *context.live;
  ReferenceConsent reference(g);
  const std::uint32_t merchants = g.merchant_count();
  std::vector<std::array<std::uint32_t, kContactChannelCount + 1>> model_counts(merchants);
  std::uint64_t pairs = 0;
  for (std::uint32_t m = 0; m < merchants; ++m) {
    const MerchantId merchant(m);
    model_counts[m] =
        reference.Count(merchant, g.Merchant(merchant).policy.permission_model, false);
    pairs += g.CustomersOf(MerchantId(m)).size();
  }
  REQUIRE(pairs > 2000);
  // The overlay's counts = the model's + what the changes moved (the reference recounts both).
  auto check_counts = [&] {
    for (std::uint32_t i = 0; i < merchants; ++i) {
      const MerchantId m(i);
      const auto now = reference.Count(m, live.Policy(m).permission_model, true);
      const auto& then = model_counts[i];
      for (std::size_t c = 0; c <= kContactChannelCount; ++c) {
        const std::uint32_t got = c == kContactChannelCount
                                      ? live.Contactable(m)
                                      : live.ContactableOn(m, static_cast<ContactChannel>(c));
        const std::uint32_t profile =
            c == kContactChannelCount
                ? context.profiles->Profile(m).contactable
                : context.profiles->Profile(m).contactable_by_channel[c];
        INFO("merchant " << i << ", channel " << c);
        REQUIRE(got == profile + now[c] - then[c]);
      }
    }
  };
  std::mt19937_64 rng(3);
  constexpr ConsentStatus kStatuses[] = {
      ConsentStatus::kUnclear,         ConsentStatus::kBlocked,     ConsentStatus::kUnsubscribed,
      ConsentStatus::kConfirmedOptIn, ConsentStatus::kDoubleOptIn, ConsentStatus::kPending};
  constexpr const char* kSources[] = {"web", "checkout", "sales"};
  // Times in a narrow range: many changes arrive older than, or as old as, the record they meet.
  constexpr Timestamp kBase = 1'700'000'000;
  for (int step = 1; step <= 30000; ++step) {
    const MerchantId m(static_cast<std::uint32_t>(rng() % merchants));
    const auto customers = g.CustomersOf(m);
    // Mostly m's customers (the counts move), sometimes anyone's (kept, counted nowhere).
    const CustomerId c = !customers.empty() && rng() % 4 != 0
                             ? customers[rng() % customers.size()].customer
                             : CustomerId(static_cast<std::uint32_t>(rng() % g.customer_count()));
    const auto channel = static_cast<ContactChannel>(rng() % kContactChannelCount);
    const ConsentStatus status = kStatuses[rng() % 6];
    const char* source = kSources[rng() % 3];
    const Timestamp ts = kBase + static_cast<Timestamp>(rng() % 40);
    live.SetConsent(c, m, channel, status, source, ts);
    reference.Set(c, m, channel, status, source, ts);
    if (step % 3000 == 0) {
      // A new permission model for one merchant: its customers recounted with the changes.
      const MerchantId p(static_cast<std::uint32_t>(rng() % merchants));
      MerchantPolicy policy = live.Policy(p);
      policy.permission_model = static_cast<PermissionModel>(rng() % 5);
      live.SetPolicy(p, policy);
    }
    if (step % 10000 == 0) check_counts();
  }
  check_counts();
}
