#include "partnergraph/recommend/partner_recommender.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include "partnergraph/consent/contact_policy.hpp"
#include "partnergraph/index/faiss_threads.hpp"

namespace partnergraph {
namespace {

constexpr std::array<ContactChannel, kContactChannelCount> kChannels{
    ContactChannel::kEmail, ContactChannel::kNewsletter, ContactChannel::kPhone,
    ContactChannel::kSms,   ContactChannel::kPost,       ContactChannel::kEvents};

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// log(x) / log(cap), clamped to [0, 1]; 0 for x <= 1.
double LogScaled(double x, double cap) {
  if (!(x > 1.0)) return 0.0;
  return Clamp01(std::log(x) / std::log(cap));
}

template <typename T>
bool Contains(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Whether merchant m (running `model`) may contact customer c on some channel.
bool Contactable(const EcosystemGraph& g, CustomerId c, MerchantId m, PermissionModel model) {
  for (ContactChannel ch : kChannels) {
    std::optional<ConsentStatus> status;
    if (auto entry = g.ConsentStatusOf(c, m, ch)) status = entry->status;
    if (MayContact(model, status, ch)) return true;
  }
  return false;
}

}  // namespace

std::string_view ToString(MerchantTier tier) {
  switch (tier) {
    case MerchantTier::kGold: return "gold";
    case MerchantTier::kSilver: return "silver";
    case MerchantTier::kBronze: return "bronze";
  }
  return "?";
}

std::optional<MerchantTier> ParseMerchantTier(std::string_view s) {
  if (s == "gold") return MerchantTier::kGold;
  if (s == "silver") return MerchantTier::kSilver;
  if (s == "bronze") return MerchantTier::kBronze;
  return std::nullopt;
}

Recommender::Recommender(RecommendModel model, RecommendOptions options)
    : model_(std::move(model)), options_(options) {}

Result<std::shared_ptr<const Recommender>> Recommender::Create(RecommendModel model,
                                                               RecommendOptions options) {
  PG_RETURN_IF_ERROR(Validate(options));
  if (!model.graph) return Status::InvalidArgument("recommender: no graph");
  const EcosystemGraph& g = *model.graph;
  if (model.merchant_vectors && model.merchant_vectors->rows() != g.merchant_count()) {
    return Status::InvalidArgument(
        "merchant embeddings have " + std::to_string(model.merchant_vectors->rows()) +
        " rows but the graph has " + std::to_string(g.merchant_count()) + " merchants");
  }
  if (model.sku_vectors && model.sku_vectors->rows() != g.sku_count()) {
    return Status::InvalidArgument("SKU embeddings have " +
                                   std::to_string(model.sku_vectors->rows()) +
                                   " rows but the graph has " + std::to_string(g.sku_count()) +
                                   " SKUs");
  }
  if (model.merchant_index && !model.merchant_vectors) {
    return Status::InvalidArgument("a merchant index needs the merchant embeddings");
  }
  if (model.sku_index && !model.sku_vectors) {
    return Status::InvalidArgument("a SKU index needs the SKU embeddings");
  }
  PG_RETURN_IF_ERROR(CheckNeighborTables(model, options));
  std::shared_ptr<Recommender> r(new Recommender(std::move(model), options));

  const std::uint32_t n = g.merchant_count();
  r->profiles_.resize(n);
  std::vector<double> revenue(n);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n), [&](const auto& range) {
    for (std::uint32_t i = range.begin(); i != range.end(); ++i) {
      MerchantId m(i);
      MerchantProfile& p = r->profiles_[i];
      const MerchantInfo info = g.Merchant(m);
      p.category = info.category;
      p.region = info.region;
      p.discoverable = info.policy.discoverable;
      p.k_min = info.policy.k_min;
      const PermissionModel model_kind = info.policy.permission_model;
      auto customers = g.CustomersOf(m);
      p.customers = static_cast<std::uint32_t>(customers.size());
      p.log1p_customers = std::log1p(static_cast<double>(p.customers));
      std::uint32_t contactable = 0;
      for (GraphVertex v : customers.targets()) {
        if (Contactable(g, g.IdOf<CustomerId>(v), m, model_kind)) ++contactable;
      }
      p.contactable = contactable;
      revenue[i] = g.MerchantStatsOf(m).revenue;
    }
  });
  // Tiers by revenue rank and the long tail by customer rank (ties by id).
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return revenue[a] != revenue[b] ? revenue[a] > revenue[b] : a < b;
  });
  for (std::uint32_t rank = 0; rank < n; ++rank) {
    double q = static_cast<double>(rank) / std::max<std::uint32_t>(n, 1);
    r->profiles_[order[rank]].tier =
        q < 0.05 ? MerchantTier::kGold : (q < 0.20 ? MerchantTier::kSilver : MerchantTier::kBronze);
  }
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    auto ca = r->profiles_[a].customers, cb = r->profiles_[b].customers;
    return ca != cb ? ca > cb : a < b;
  });
  const auto head = static_cast<std::uint32_t>(std::ceil((1.0 - options.long_tail_share) * n));
  for (std::uint32_t rank = 0; rank < n; ++rank) {
    r->profiles_[order[rank]].long_tail = rank >= head;
    r->max_customers_ = std::max(r->max_customers_, r->profiles_[order[rank]].customers);
  }
  r->log1p_max_customers_ = std::log1p(r->max_customers_);
  r->category_merchants_.assign(g.category_count(), 0);
  for (const MerchantProfile& p : r->profiles_) {
    if (p.category.valid()) ++r->category_merchants_[p.category.value];
  }
  // Each merchant's partner_graph_candidates largest shared-customer neighbours (customers
  // desc, merchant asc), so that a query does not sort its whole shared-customer list.
  {
    auto lists = std::make_shared<GraphCandidateLists>();
    lists->offsets.assign(std::size_t{n} + 1, 0);
    std::vector<std::vector<MerchantId>> per_merchant(n);
    const std::size_t want = options.partner_graph_candidates;
    if (want > 0) {
      tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n), [&](const auto& range) {
        std::vector<SharedCustomers> top;
        for (std::uint32_t i = range.begin(); i != range.end(); ++i) {
          auto shared = g.SharedCustomersOf(MerchantId(i));
          top.assign(shared.begin(), shared.end());
          const std::size_t keep = std::min(top.size(), want);
          std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(keep),
                            top.end(), [](const SharedCustomers& a, const SharedCustomers& b) {
                              return a.customers != b.customers ? a.customers > b.customers
                                                                : a.merchant < b.merchant;
                            });
          per_merchant[i].reserve(keep);
          for (std::size_t j = 0; j < keep; ++j) per_merchant[i].push_back(top[j].merchant);
        }
      });
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      lists->offsets[i + 1] = lists->offsets[i] + per_merchant[i].size();
    }
    lists->ids.reserve(lists->offsets.back());
    for (auto& list : per_merchant) {
      lists->ids.insert(lists->ids.end(), list.begin(), list.end());
      list = {};
    }
    r->graph_candidates_ = std::move(lists);
  }
  // The most-bought SKUs (buyers desc, id asc) for the coupon candidates.
  std::vector<std::pair<std::uint32_t, SkuId>> popular;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    const std::uint32_t buyers = g.SkuStatsOf(SkuId(s)).buyers;
    r->max_sku_buyers_ = std::max(r->max_sku_buyers_, buyers);
    if (buyers > 0) popular.emplace_back(buyers, SkuId(s));
  }
  const std::size_t keep_popular =
      std::min<std::size_t>(popular.size(), options.coupon_popular_candidates);
  std::partial_sort(popular.begin(), popular.begin() + static_cast<std::ptrdiff_t>(keep_popular),
                    popular.end(), [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  for (std::size_t i = 0; i < keep_popular; ++i) r->popular_skus_.push_back(popular[i].second);
  return std::shared_ptr<const Recommender>(std::move(r));
}

std::uint32_t Recommender::PairKMin(MerchantId a, MerchantId b) const {
  return std::max(profiles_[a.value].k_min, profiles_[b.value].k_min);
}

double Recommender::Similarity(MerchantId a, MerchantId b) const {
  if (!model_.merchant_vectors) return 0.0;
  return model_.merchant_vectors->Dot(a.value, b.value);
}

PartnerScore Recommender::ScorePair(MerchantId m, MerchantId c, double similarity,
                                    double long_tail_weight, bool competitor,
                                    std::uint32_t shared_customers, Audience audience) const {
  const EcosystemGraph& g = *model_.graph;
  const auto& w = options_.partner_weights;
  PartnerScore s;
  s.audience_similarity = similarity;
  const MerchantProfile& pm = profiles_[m.value];
  const MerchantProfile& pc = profiles_[c.value];
  const CategoryId cm = pm.category;
  const CategoryId cc = pc.category;
  const bool merchant_view = audience == Audience::kMerchant;
  if (cm != cc) {
    if (auto lift = g.CategoryLift(cm, cc)) {
      // Between two categories of one merchant each, the category pair's customers are the
      // pair's shared customers: a merchant's view reads the lift only when that count is
      // disclosed or the categories hold more merchants than the pair.
      const bool disclosed =
          !merchant_view || lift->customers_both >= std::max(pm.k_min, pc.k_min) ||
          category_merchants_[cm.value] > 1 || category_merchants_[cc.value] > 1;
      if (disclosed) {
        s.category_complementarity = LogScaled(lift->lift, options_.complementarity_lift_cap);
      }
    }
  }
  // The two terms that read c's customers. An operator's score reads them exactly. A
  // merchant's reads only what the answer discloses anyway (docs/privacy.md): the shared
  // count when it is at or above the pair's k_min (else 0, like no overlap at all), c's
  // contactable share in tenths, and whether c is in the long tail (one fixed factor for
  // every long-tail merchant), so no suppressed count and no customer count of c can be
  // solved for from the components, the total or the ranking.
  double reachable = 0;
  double long_tail_factor = 0;
  if (!merchant_view) {
    reachable = shared_customers * pc.contactable_share();
    if (max_customers_ > 0) long_tail_factor = 1.0 - pc.log1p_customers / log1p_max_customers_;
  } else {
    const bool disclosed = shared_customers >= std::max(pm.k_min, pc.k_min);
    reachable = disclosed ? shared_customers * pc.disclosed_contactable_share() : 0.0;
    long_tail_factor = kDisclosedLongTailFactor;
  }
  if (pm.customers > 0) s.shared_reach = Clamp01(std::log1p(reachable) / pm.log1p_customers);
  s.competition_penalty = (cm == cc || competitor) ? 1.0 : 0.0;
  if (pc.long_tail) s.long_tail_boost = long_tail_weight * long_tail_factor;
  s.total = w.audience_similarity * s.audience_similarity +
            w.category_complementarity * s.category_complementarity +
            w.shared_reach * s.shared_reach - w.competition_penalty * s.competition_penalty +
            s.long_tail_boost;
  return s;
}

std::vector<SegmentCount> Recommender::SharedSegments(MerchantId a, MerchantId b,
                                                      std::size_t limit,
                                                      Audience audience) const {
  const EcosystemGraph& g = *model_.graph;
  auto ta = g.CustomersOf(a).targets();
  auto tb = g.CustomersOf(b).targets();
  std::unordered_map<std::uint32_t, std::uint32_t> per_segment;
  auto count = [&](GraphVertex v) {
    SegmentId seg = g.Customer(g.IdOf<CustomerId>(v)).segment;
    if (seg.valid()) ++per_segment[seg.value];
  };
  // Both lists are sorted by customer vertex. Lopsided pairs (a small merchant and a
  // large one): each customer of the small list is looked up in the large one with a
  // binary search that starts where the previous one ended, O(small * log large);
  // otherwise a merge walk, O(small + large).
  if (ta.size() > tb.size()) std::swap(ta, tb);
  if (ta.size() * 16 < tb.size()) {
    auto from = tb.begin();
    for (GraphVertex v : ta) {
      from = std::lower_bound(from, tb.end(), v);
      if (from == tb.end()) break;
      if (*from == v) count(v);
    }
  } else {
    std::size_t i = 0, j = 0;
    while (i < ta.size() && j < tb.size()) {
      if (ta[i] < tb[j]) {
        ++i;
      } else if (tb[j] < ta[i]) {
        ++j;
      } else {
        count(ta[i]);
        ++i;
        ++j;
      }
    }
  }
  const std::uint32_t k_min = PairKMin(a, b);
  const bool both_share =
      g.Merchant(a).policy.share_overlaps && g.Merchant(b).policy.share_overlaps;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranked;
  ranked.reserve(per_segment.size());
  for (const auto& [seg, count] : per_segment) {
    // A merchant sees only disclosed segments: which segments hold a few shared customers,
    // and in which order, would tell about counts below k_min.
    if (audience == Audience::kMerchant && !(both_share && count >= k_min)) continue;
    ranked.emplace_back(seg, count);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (audience == Audience::kMerchant && !ranked.empty()) {
    // Complementary suppression: the pair's total is shown (it is >= k_min whenever a segment
    // is), so the rest (total minus the segments shown) is a count too; when it is below
    // k_min, the smallest shown segments join it until it is not (one suppressed segment
    // would otherwise be the difference).
    std::uint64_t rest = g.SharedCustomerCount(a, b);
    for (const auto& entry : ranked) rest -= entry.second;
    while (!ranked.empty() && rest > 0 && rest < k_min) {
      rest += ranked.back().second;
      ranked.pop_back();
    }
  }
  if (ranked.size() > limit) ranked.resize(limit);
  std::vector<SegmentCount> out;
  out.reserve(ranked.size());
  for (const auto& [seg, count] : ranked) {
    SegmentCount sc;
    sc.segment = SegmentId(seg);
    if (both_share && count >= k_min) sc.count = count;
    out.push_back(sc);
  }
  return out;
}

void Recommender::ExclusionReasons(MerchantId m, MerchantId c, const PartnerFilters& f,
                                   std::vector<std::string>* reasons) const {
  const EcosystemGraph& g = *model_.graph;
  if (m == c) reasons->push_back("the merchant itself");
  if (!f.include_existing_partners && g.IsPartner(m, c)) reasons->push_back("already a partner");
  if (g.IsDeclaredCompetitor(m, c)) reasons->push_back("declared competitor");
  if (g.IsDerivedCompetitor(m, c)) reasons->push_back("derived competitor (same category, overlapping assortment)");
  const MerchantInfo info = g.Merchant(c);
  // The other merchant's own setting and a block are an operator's to see: a merchant asking
  // about such a pair is answered as about an unknown merchant (Visible, the Engine).
  if (f.audience == Audience::kOperator) {
    if (g.IsBlocked(m, c)) reasons->push_back("blocked pair");
    if (!info.policy.discoverable) reasons->push_back("opted out of discovery");
  }
  if (!f.regions.empty() && !Contains(f.regions, info.region)) {
    reasons->push_back("region not in the request's regions");
  }
  if (!f.categories.empty() && !Contains(f.categories, info.category)) {
    reasons->push_back("category not in the request's categories");
  }
  if (Contains(f.exclude_categories, info.category)) reasons->push_back("category excluded by the request");
  if (!f.tiers.empty() && !Contains(f.tiers, profiles_[c.value].tier)) {
    reasons->push_back("tier not in the request's tiers");
  }
}

bool Recommender::ExcludedByProfile(MerchantId m, MerchantId c, const PartnerFilters& f) const {
  if (m == c) return true;
  const MerchantProfile& info = profiles_[c.value];
  if (!info.discoverable) return true;
  if (!f.regions.empty() && !Contains(f.regions, info.region)) return true;
  if (!f.categories.empty() && !Contains(f.categories, info.category)) return true;
  if (Contains(f.exclude_categories, info.category)) return true;
  if (!f.tiers.empty() && !Contains(f.tiers, info.tier)) return true;
  return false;
}

void Recommender::ExcludedByRelation(MerchantId m, const PartnerFilters& f,
                                     std::vector<MerchantId>* out) const {
  const EcosystemGraph& g = *model_.graph;
  out->clear();
  if (!f.include_existing_partners) {
    for (MerchantId p : g.Partners(m)) out->push_back(p);
  }
  for (MerchantId c : g.DeclaredCompetitors(m)) out->push_back(c);
  for (const DerivedCompetitor& c : g.DerivedCompetitors(m)) out->push_back(c.merchant);
  for (MerchantId b : g.Blocked(m)) out->push_back(b);
  std::sort(out->begin(), out->end());
}

// The per-merchant filters of a request that do not depend on the pair, for use inside
// the ANN search. Thread-safe: const lookups only.
class Recommender::CandidateFilter final : public IdFilter {
 public:
  CandidateFilter(const Recommender& r, MerchantId m, const PartnerFilters& f)
      : r_(r), m_(m), f_(f) {}
  bool active() const {
    return !f_.regions.empty() || !f_.categories.empty() || !f_.exclude_categories.empty() ||
           !f_.tiers.empty();
  }
  bool Allows(std::uint32_t id) const override {
    MerchantId c(id);
    if (c == m_ || !r_.model_.graph->Contains(c)) return false;
    const MerchantProfile& info = r_.profiles_[id];
    if (!f_.regions.empty() && !Contains(f_.regions, info.region)) return false;
    if (!f_.categories.empty() && !Contains(f_.categories, info.category)) return false;
    if (Contains(f_.exclude_categories, info.category)) return false;
    if (!f_.tiers.empty() && !Contains(f_.tiers, info.tier)) return false;
    return true;
  }

 private:
  const Recommender& r_;
  MerchantId m_;
  const PartnerFilters& f_;
};

Status Recommender::CheckPartnerRequest(MerchantId m, std::uint32_t k,
                                        const PartnerFilters& filters) const {
  if (!model_.graph->Contains(m)) return Status::NotFound("merchant index " + std::to_string(m.value));
  if (k < 1 || k > options_.max_k) {
    return Status::InvalidArgument("k: " + std::to_string(k) + " is out of range [1, " +
                                   std::to_string(options_.max_k) + "]");
  }
  const std::uint32_t c = filters.candidates.value_or(options_.partner_candidates);
  if (c < 1 || c > options_.max_candidates) {
    return Status::InvalidArgument("candidates: " + std::to_string(c) + " is out of range [1, " +
                                   std::to_string(options_.max_candidates) + "]");
  }
  const double lt_weight = filters.long_tail_boost.value_or(options_.partner_weights.long_tail_boost);
  if (!(lt_weight >= 0.0 && lt_weight <= 100.0)) {
    return Status::InvalidArgument("long_tail_boost: must be in [0, 100]");
  }
  return Status::Ok();
}

bool Recommender::HasMerchantVector(MerchantId m) const {
  if (!model_.merchant_index) return false;
  auto row = model_.merchant_vectors->Row(m.value);
  return std::any_of(row.begin(), row.end(), [](float x) { return x != 0.0f; });
}

bool Recommender::HasSkuVector(SkuId s) const {
  if (!model_.sku_index) return false;
  auto row = model_.sku_vectors->Row(s.value);
  return std::any_of(row.begin(), row.end(), [](float x) { return x != 0.0f; });
}

Result<std::vector<PartnerResult>> Recommender::RecommendPartners(
    MerchantId m, std::uint32_t k, const PartnerFilters& filters) const {
  PG_RETURN_IF_ERROR(CheckPartnerRequest(m, k, filters));
  // 1. Candidates: ANN neighbours (then, in PartnersFromHits, shared-customer neighbours).
  if (auto stored = StoredPartnerCandidates(m, filters)) {
    return PartnersFromHits(m, k, filters, *stored);
  }
  if (HasMerchantVector(m)) {
    PG_ASSIGN_OR_RETURN(SearchResults hits, SearchPartnerCandidates(m, filters));
    return PartnersFromHits(m, k, filters, hits.Query(0));
  }
  return PartnersFromHits(m, k, filters, {});
}

Result<SearchResults> Recommender::SearchPartnerCandidates(MerchantId m,
                                                           const PartnerFilters& filters) const {
  const std::uint32_t c = filters.candidates.value_or(options_.partner_candidates);
  // The request's static filters run inside the search (a FAISS IDSelector), so a narrow
  // region or category still gets C candidates of its own.
  CandidateFilter filter(*this, m, filters);
  SearchOptions search;
  if (filter.active()) search.filter = &filter;
  return model_.merchant_index->Search(model_.merchant_vectors->Row(m.value), c + 1, search);
}

Result<std::vector<std::vector<PartnerResult>>> Recommender::RecommendPartnersBatch(
    std::span<const MerchantId> merchants, std::uint32_t k, const PartnerFilters& filters) const {
  std::vector<std::vector<PartnerResult>> out(merchants.size());
  for (MerchantId m : merchants) PG_RETURN_IF_ERROR(CheckPartnerRequest(m, k, filters));
  // A filtered search excludes the query merchant itself: one search per merchant.
  if (CandidateFilter(*this, MerchantId(0), filters).active()) {
    for (std::size_t i = 0; i < merchants.size(); ++i) {
      PG_ASSIGN_OR_RETURN(out[i], RecommendPartners(merchants[i], k, filters));
    }
    return out;
  }
  const std::uint32_t c = filters.candidates.value_or(options_.partner_candidates);
  std::vector<std::size_t> searched;  // positions in `merchants` with a vector
  std::vector<float> queries;
  std::vector<std::optional<std::span<const Neighbor>>> stored(merchants.size());
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    stored[i] = StoredPartnerCandidates(merchants[i], filters);
    if (stored[i] || !HasMerchantVector(merchants[i])) continue;
    auto row = model_.merchant_vectors->Row(merchants[i].value);
    queries.insert(queries.end(), row.begin(), row.end());
    searched.push_back(i);
  }
  SearchResults hits;
  if (!searched.empty()) {
    PG_ASSIGN_OR_RETURN(hits, model_.merchant_index->Search(queries, c + 1));
  }
  std::size_t next = 0;
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    std::span<const Neighbor> h;
    if (stored[i]) {
      h = *stored[i];
    } else if (next < searched.size() && searched[next] == i) {
      h = hits.Query(next++);
    }
    out[i] = PartnersFromHits(merchants[i], k, filters, h);
  }
  return out;
}

std::vector<PartnerResult> Recommender::PartnersFromHits(MerchantId m, std::uint32_t k,
                                                         const PartnerFilters& filters,
                                                         std::span<const Neighbor> hits) const {
  const EcosystemGraph& g = *model_.graph;
  const double lt_weight = filters.long_tail_boost.value_or(options_.partner_weights.long_tail_boost);
  std::vector<MerchantId> candidates;
  const GraphCandidateLists& lists = *graph_candidates_;
  const std::span<const MerchantId> graph_candidates(
      lists.ids.data() + lists.offsets[m.value], lists.offsets[m.value + 1] - lists.offsets[m.value]);
  candidates.reserve(hits.size() + graph_candidates.size());
  for (const Neighbor& hit : hits) candidates.push_back(MerchantId(hit.id));

  // m's partners (unless asked), competitors and blocked pairs, looked up once (sorted); and
  // m's shared-customer list, walked in step with the sorted candidates (merchant vertices
  // are merchant ids: ecosystem_graph.hpp).
  thread_local std::vector<MerchantId> excluded;
  ExcludedByRelation(m, filters, &excluded);
  const auto shared = g.SharedCustomersOf(m);
  const std::span<const GraphVertex> shared_targets = shared.targets();
  auto shared_count = [&](MerchantId c) -> std::uint32_t {
    auto it = std::lower_bound(shared_targets.begin(), shared_targets.end(), g.VertexOf(c));
    if (it == shared_targets.end() || *it != g.VertexOf(c)) return 0;
    return shared[static_cast<std::size_t>(it - shared_targets.begin())].customers;
  };
  if (filters.audience == Audience::kOperator) {
    candidates.insert(candidates.end(), graph_candidates.begin(), graph_candidates.end());
  } else {
    // A merchant's candidates come from the graph only through disclosed overlaps: that a
    // merchant with a handful of shared customers entered the list would tell about them.
    for (MerchantId c : graph_candidates) {
      if (shared_count(c) >= PairKMin(m, c)) candidates.push_back(c);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  auto next_shared = shared_targets.begin();

  // The candidates are scattered over the merchant tables: each one's profile and embedding
  // row is fetched a few candidates ahead of its use (cache misses were most of this loop).
  constexpr std::size_t kAhead = 6;
  auto prefetch = [&](std::size_t i) {
    __builtin_prefetch(&profiles_[candidates[i].value]);
    if (model_.merchant_vectors) {
      const auto row = model_.merchant_vectors->Row(candidates[i].value);
      const char* bytes = reinterpret_cast<const char*>(row.data());
      for (std::size_t line = 0; line < row.size_bytes(); line += 64) {
        __builtin_prefetch(bytes + line);
      }
    }
  };
  for (std::size_t i = 0; i < std::min(kAhead, candidates.size()); ++i) prefetch(i);

  // 2. Filters, 3. score (the similarity recomputed from the embeddings, so that the
  // score does not depend on how the ANN stage summed).
  std::vector<PartnerResult> results;
  results.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i + kAhead < candidates.size()) prefetch(i + kAhead);
    const MerchantId cand = candidates[i];
    if (ExcludedByProfile(m, cand, filters)) continue;
    if (std::binary_search(excluded.begin(), excluded.end(), cand)) continue;
    next_shared = std::lower_bound(next_shared, shared_targets.end(), g.VertexOf(cand));
    std::uint32_t shared_customers = 0;
    if (next_shared != shared_targets.end() && *next_shared == g.VertexOf(cand)) {
      shared_customers = shared[static_cast<std::size_t>(next_shared - shared_targets.begin())]
                             .customers;
    }
    PartnerResult r;
    r.merchant = cand;
    // Not a competitor: those were excluded above.
    r.score = ScorePair(m, cand, Similarity(m, cand), lt_weight, /*competitor=*/false,
                        shared_customers, filters.audience);
    results.push_back(r);
  }
  auto better = [](const PartnerResult& a, const PartnerResult& b) {
    return a.score.total != b.score.total ? a.score.total > b.score.total : a.merchant < b.merchant;
  };
  const std::size_t top = std::min<std::size_t>(k, results.size());
  std::partial_sort(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(top),
                    results.end(), better);
  results.resize(top);
  // The answer keeps k results, not the capacity of every candidate: the precompute holds
  // one answer per merchant (at 100k merchants the spare capacity was gigabytes).
  results.shrink_to_fit();

  // Evidence for the kept results only.
  for (auto& r : results) {
    r.shared_segments = SharedSegments(m, r.merchant, 3, filters.audience);
    const std::uint32_t shared = g.SharedCustomerCount(m, r.merchant);
    if (shared >= PairKMin(m, r.merchant)) r.shared_customers = shared;
  }
  return results;
}

PairExplanation Recommender::ExplainPair(MerchantId m, MerchantId other,
                                         Audience audience) const {
  const EcosystemGraph& g = *model_.graph;
  PairExplanation e;
  const std::uint32_t shared = g.SharedCustomerCount(m, other);
  e.score = ScorePair(m, other, Similarity(m, other), options_.partner_weights.long_tail_boost,
                      g.IsCompetitor(m, other), shared, audience);
  e.shared_segments = SharedSegments(m, other, 3, audience);
  if (shared >= PairKMin(m, other)) e.shared_customers = shared;
  PartnerFilters filters;
  filters.audience = audience;
  ExclusionReasons(m, other, filters, &e.excluded_because);
  return e;
}

bool Recommender::Visible(MerchantId m, MerchantId other, Audience audience) const {
  if (audience == Audience::kOperator) return true;
  return profiles_[other.value].discoverable && !model_.graph->IsBlocked(m, other);
}

Result<OverlapDetail> Recommender::OverlapReport(MerchantId m, MerchantId other,
                                                 Audience audience) const {
  const EcosystemGraph& g = *model_.graph;
  if (!g.Merchant(m).policy.share_overlaps || !g.Merchant(other).policy.share_overlaps) {
    return Status::PermissionDenied(
        "overlap detail needs both merchants to opt in to sharing (merchant_policy.csv "
        "share_overlaps)");
  }
  OverlapDetail d;
  d.k_min = PairKMin(m, other);
  // Both share. An operator sees every shared segment (those below k_min as suppressed); a
  // merchant the disclosed ones (SharedSegments).
  d.segments = SharedSegments(m, other, g.segment_count(), audience);
  const std::uint32_t shared = g.SharedCustomerCount(m, other);
  if (shared >= d.k_min) d.shared_customers = shared;
  return d;
}

void Recommender::CouponCandidatesFor(SkuId s, const CouponFilters& f,
                                      std::span<const Neighbor> hits,
                                      std::vector<CouponResult>* out) const {
  const EcosystemGraph& g = *model_.graph;
  const SkuInfo trigger = g.Sku(s);
  const MerchantId x = trigger.merchant;
  if (!g.Merchant(x).policy.allow_coupons) return;
  const auto& w = options_.coupon_weights;
  const MerchantProfile& px = profiles_[x.value];
  const double reach = g.SkuStatsOf(s).buyers * px.contactable_share();
  const double reach_scaled =
      px.customers > 0 ? Clamp01(std::log1p(reach) / std::log1p(static_cast<double>(px.customers)))
                       : 0.0;

  auto keep = [&](SkuId cand) {
    const SkuInfo info = g.Sku(cand);
    const MerchantId y = info.merchant;
    if (y == x) return false;
    if (!g.Merchant(y).policy.allow_coupons) return false;
    if (g.IsCompetitor(x, y) || g.IsBlocked(x, y)) return false;
    if (f.min_price && info.price < *f.min_price) return false;
    if (f.max_price && info.price > *f.max_price) return false;
    if (!f.categories.empty() && !Contains(f.categories, info.category)) return false;
    return true;
  };
  auto similarity = [&](SkuId cand) {
    return model_.sku_vectors ? static_cast<double>(model_.sku_vectors->Dot(s.value, cand.value))
                              : 0.0;
  };
  const double log_max_buyers = std::log1p(static_cast<double>(max_sku_buyers_));
  const bool merchant_view = f.audience == Audience::kMerchant;
  auto make = [&](SkuId cand, std::uint32_t support, double lift) {
    CouponResult r;
    r.trigger = s;
    r.sku = cand;
    r.embedding_similarity = similarity(cand);
    const std::uint32_t k_min = PairKMin(x, g.Sku(cand).merchant);
    std::uint32_t buyers = g.SkuStatsOf(cand).buyers;
    if (merchant_view) {
      // The merchant's view reads the other SKU's figures only where they are disclosed
      // (docs/privacy.md): a suppressed support takes the lift with it (the lift and the
      // support term would give the support back), and a SKU's buyers below k_min count as 0.
      if (support < k_min) {
        support = 0;
        lift = 0.0;
      }
      if (buyers < k_min) buyers = 0;
    }
    r.lift = lift;
    if (support >= k_min) r.support = support;
    r.reach = static_cast<std::uint32_t>(std::llround(reach));
    const double popularity =
        log_max_buyers > 0 ? std::log1p(static_cast<double>(buyers)) / log_max_buyers : 0.0;
    r.score = w.lift * LogScaled(lift, options_.coupon_lift_cap) +
              w.support * Clamp01(std::log1p(support) / std::log1p(options_.coupon_support_cap)) +
              w.reach * reach_scaled + w.embedding_similarity * r.embedding_similarity +
              w.popularity * popularity;
    return r;
  };

  std::vector<SkuId> seen;
  for (const CoPurchase& n : g.CoPurchaseNeighbors(s)) {
    // In the merchant's view an edge below k_min is no edge: the SKU may still come in as
    // an embedding or popular candidate, as any SKU without an edge does.
    if (merchant_view && n.support < PairKMin(x, g.Sku(n.sku).merchant)) continue;
    seen.push_back(n.sku);
    if (keep(n.sku)) out->push_back(make(n.sku, n.support, n.lift));
  }
  std::sort(seen.begin(), seen.end());
  const std::size_t copurchase_end = seen.size();
  auto add_unseen = [&](SkuId cand) {
    if (cand == s || std::binary_search(seen.begin(), seen.begin() + copurchase_end, cand)) return;
    if (keep(cand)) out->push_back(make(cand, 0, 0.0));
  };
  const std::size_t first_extra = out->size();
  for (const Neighbor& hit : hits) add_unseen(SkuId(hit.id));
  for (SkuId p : popular_skus_) add_unseen(p);
  // A SKU both near in the embedding and popular was added twice: keep one.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first_extra), out->end(),
            [](const CouponResult& a, const CouponResult& b) { return a.sku < b.sku; });
  out->erase(std::unique(out->begin() + static_cast<std::ptrdiff_t>(first_extra), out->end(),
                         [](const CouponResult& a, const CouponResult& b) { return a.sku == b.sku; }),
             out->end());
}

Status Recommender::CheckNeighborTables(const RecommendModel& model,
                                        const RecommendOptions& options) {
  if (model.sku_neighbors) {
    if (!model.sku_index) {
      return Status::InvalidArgument("SKU neighbour lists given for a model without a SKU index");
    }
    const NeighborKey expected =
        ExpectedSkuNeighborKey(*model.sku_index, model.graph->sku_count(), options);
    if (model.sku_neighbors->key() != expected) {
      return Status::InvalidArgument("the SKU neighbour lists do not match the model: " +
                                     DescribeKeyMismatch(expected, model.sku_neighbors->key()));
    }
  }
  if (model.merchant_neighbors) {
    if (!model.merchant_index) {
      return Status::InvalidArgument(
          "merchant neighbour lists given for a model without a merchant index");
    }
    const NeighborKey expected =
        ExpectedMerchantNeighborKey(*model.merchant_index, model.graph->merchant_count(), options);
    if (model.merchant_neighbors->key() != expected) {
      return Status::InvalidArgument(
          "the merchant neighbour lists do not match the model: " +
          DescribeKeyMismatch(expected, model.merchant_neighbors->key()));
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Recommender>> Recommender::WithModel(RecommendModel model) const {
  PG_RETURN_IF_ERROR(CheckNeighborTables(model, options_));
  auto r = std::shared_ptr<Recommender>(new Recommender(*this));
  r->model_ = std::move(model);
  return std::shared_ptr<const Recommender>(std::move(r));
}

Result<std::shared_ptr<const Recommender>> Recommender::WithNeighbors(
    std::shared_ptr<const SkuNeighborTable> table) const {
  RecommendModel model = model_;
  model.sku_neighbors = std::move(table);
  return WithModel(std::move(model));
}

Result<std::shared_ptr<const Recommender>> Recommender::WithNeighbors(
    std::shared_ptr<const MerchantNeighborTable> table) const {
  RecommendModel model = model_;
  model.merchant_neighbors = std::move(table);
  return WithModel(std::move(model));
}

namespace {

// The lists of `items` (ascending), item i's found by search(items[i]) (a Result of its
// hits, at most key.k), in parallel: oneTBB tasks, FAISS one thread per task. Item i's hits
// go to slots [i * k, i * k + counts[i]) of one array, compacted afterwards. Errors: the
// first search error, naming the item.
template <typename Id, typename Search>
Result<NeighborTable<Id>> ComputeNeighborTable(const NeighborKey& key, std::vector<Id> items,
                                               const char* item_name, const Search& search) {
  const std::size_t k = key.k;
  std::vector<Neighbor> hits(items.size() * k);
  std::vector<std::uint32_t> counts(items.size(), 0);
  std::mutex error_mutex;
  Status first_error;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, items.size(), 256), [&](const auto& range) {
    ScopedFaissThreads one_thread(1);
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      auto found = search(items[i]);
      if (!found.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (first_error.ok()) {
          first_error = found.status().WithContext(std::string(item_name) + " " +
                                                   std::to_string(items[i].value));
        }
        return;
      }
      std::copy(found->begin(), found->end(), hits.begin() + static_cast<std::ptrdiff_t>(i * k));
      counts[i] = static_cast<std::uint32_t>(found->size());
    }
  });
  if (!first_error.ok()) return first_error;
  std::vector<std::uint64_t> offsets(items.size() + 1, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    offsets[i + 1] = offsets[i] + counts[i];
    if (offsets[i] != i * k) {  // always to the left: the ranges may overlap that way
      std::copy_n(hits.begin() + static_cast<std::ptrdiff_t>(i * k), counts[i],
                  hits.begin() + static_cast<std::ptrdiff_t>(offsets[i]));
    }
  }
  hits.resize(offsets.back());
  return NeighborTable<Id>::FromLists(key, std::move(items), std::move(offsets), std::move(hits));
}

}  // namespace

Result<SkuNeighborTable> Recommender::ComputeSkuNeighbors() const {
  if (!model_.sku_index || options_.coupon_candidates == 0) {
    return Status::InvalidArgument(
        "SKU neighbour lists: nothing to precompute (no SKU index, or coupon_candidates is 0)");
  }
  if (model_.sku_index->file_checksum() == 0) {
    return Status::InvalidArgument(
        "SKU neighbour lists: the SKU index has no identity (save or load it first)");
  }
  const EcosystemGraph& g = *model_.graph;
  std::vector<SkuId> skus;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    if (HasSkuVector(SkuId(s))) skus.push_back(SkuId(s));
  }
  // One search per SKU, as RecommendCouponPairs(SkuId) makes it (a batch would change how
  // an exact Flat index sums: see neighbor_table.hpp).
  return ComputeNeighborTable(
      ExpectedSkuNeighborKey(*model_.sku_index, g.sku_count(), options_), std::move(skus),
      "SKU neighbours of SKU", [&](SkuId s) -> Result<std::vector<Neighbor>> {
        PG_ASSIGN_OR_RETURN(auto found, SearchSkuNeighbors(std::span<const SkuId>(&s, 1)));
        return std::move(found[0]);
      });
}

Result<MerchantNeighborTable> Recommender::ComputeMerchantNeighbors() const {
  if (!model_.merchant_index) {
    return Status::InvalidArgument(
        "merchant neighbour lists: nothing to precompute (no merchant index)");
  }
  if (model_.merchant_index->file_checksum() == 0) {
    return Status::InvalidArgument(
        "merchant neighbour lists: the merchant index has no identity (save or load it first)");
  }
  const EcosystemGraph& g = *model_.graph;
  std::vector<MerchantId> merchants;
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
    if (HasMerchantVector(MerchantId(m))) merchants.push_back(MerchantId(m));
  }
  // One search per merchant, RecommendPartners' own without a filter.
  return ComputeNeighborTable(
      ExpectedMerchantNeighborKey(*model_.merchant_index, g.merchant_count(), options_),
      std::move(merchants), "partner candidates of merchant",
      [&](MerchantId m) -> Result<std::vector<Neighbor>> {
        PG_ASSIGN_OR_RETURN(SearchResults hits, SearchPartnerCandidates(m, PartnerFilters{}));
        auto h = hits.Query(0);
        return std::vector<Neighbor>(h.begin(), h.end());
      });
}

std::optional<std::span<const Neighbor>> Recommender::StoredPartnerCandidates(
    MerchantId m, const PartnerFilters& filters) const {
  if (!model_.merchant_neighbors) return std::nullopt;
  if (filters.candidates && *filters.candidates != options_.partner_candidates) return std::nullopt;
  if (CandidateFilter(*this, m, filters).active()) return std::nullopt;
  return model_.merchant_neighbors->Find(m);
}

Result<std::vector<std::vector<Neighbor>>> Recommender::SkuNeighbors(
    std::span<const SkuId> skus) const {
  if (!model_.sku_neighbors) return SearchSkuNeighbors(skus);
  std::vector<std::vector<Neighbor>> out(skus.size());
  if (!model_.sku_index || options_.coupon_candidates == 0) return out;
  std::vector<SkuId> unstored;
  std::vector<std::size_t> where;  // unstored[j] is skus[where[j]]
  for (std::size_t i = 0; i < skus.size(); ++i) {
    if (auto stored = model_.sku_neighbors->Find(skus[i])) {
      out[i].assign(stored->begin(), stored->end());
    } else {
      unstored.push_back(skus[i]);
      where.push_back(i);
    }
  }
  if (unstored.empty()) return out;
  PG_ASSIGN_OR_RETURN(auto searched, SearchSkuNeighbors(unstored));
  for (std::size_t j = 0; j < unstored.size(); ++j) out[where[j]] = std::move(searched[j]);
  return out;
}

Result<std::vector<std::vector<Neighbor>>> Recommender::SearchSkuNeighbors(
    std::span<const SkuId> skus) const {
  std::vector<std::vector<Neighbor>> out(skus.size());
  if (!model_.sku_index || options_.coupon_candidates == 0) return out;
  std::vector<std::size_t> searched;
  std::vector<float> queries;
  for (std::size_t i = 0; i < skus.size(); ++i) {
    if (!HasSkuVector(skus[i])) continue;
    auto row = model_.sku_vectors->Row(skus[i].value);
    queries.insert(queries.end(), row.begin(), row.end());
    searched.push_back(i);
  }
  if (searched.empty()) return out;
  SearchOptions search;
  search.ef_search = options_.coupon_ef_search;
  PG_ASSIGN_OR_RETURN(SearchResults hits,
                      model_.sku_index->Search(queries, options_.coupon_candidates + 1, search));
  for (std::size_t q = 0; q < searched.size(); ++q) {
    auto h = hits.Query(q);
    out[searched[q]].assign(h.begin(), h.end());
  }
  return out;
}

namespace {
bool BetterCoupon(const CouponResult& a, const CouponResult& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.sku != b.sku) return a.sku < b.sku;
  return a.trigger < b.trigger;
}
}  // namespace

Status Recommender::CheckCouponRequest(std::uint32_t k, const CouponFilters& filters) const {
  if (k < 1 || k > options_.max_k) {
    return Status::InvalidArgument("k: " + std::to_string(k) + " is out of range [1, " +
                                   std::to_string(options_.max_k) + "]");
  }
  if (filters.min_price && filters.max_price && *filters.min_price > *filters.max_price) {
    return Status::InvalidArgument("min_price is above max_price");
  }
  return Status::Ok();
}

Result<std::vector<CouponResult>> Recommender::RecommendCouponPairs(
    SkuId s, std::uint32_t k, const CouponFilters& filters) const {
  const EcosystemGraph& g = *model_.graph;
  if (!g.Contains(s)) return Status::NotFound("SKU index " + std::to_string(s.value));
  PG_RETURN_IF_ERROR(CheckCouponRequest(k, filters));
  PG_ASSIGN_OR_RETURN(auto neighbors, SkuNeighbors(std::span<const SkuId>(&s, 1)));
  std::vector<CouponResult> out;
  CouponCandidatesFor(s, filters, neighbors[0], &out);
  const std::size_t top = std::min<std::size_t>(k, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(top), out.end(),
                    BetterCoupon);
  out.resize(top);
  out.shrink_to_fit();  // k results, not every candidate's capacity (see PartnersFromHits)
  return out;
}

std::vector<SkuId> Recommender::TriggerSkus(MerchantId m) const {
  const EcosystemGraph& g = *model_.graph;
  // The merchant's best sellers (buyers desc, id asc) are the triggers.
  std::vector<std::pair<std::uint32_t, SkuId>> sellers;
  for (SkuId s : g.SkusOf(m)) sellers.emplace_back(g.SkuStatsOf(s).buyers, s);
  std::sort(sellers.begin(), sellers.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (sellers.size() > options_.coupon_trigger_skus) sellers.resize(options_.coupon_trigger_skus);
  std::vector<SkuId> out;
  for (const auto& [buyers, s] : sellers) {
    if (buyers > 0) out.push_back(s);
  }
  return out;
}

std::vector<CouponResult> Recommender::BestCoupons(std::vector<CouponResult> all,
                                                   std::uint32_t k) {
  // One pair per coupon SKU: its best trigger.
  std::sort(all.begin(), all.end(), [](const CouponResult& a, const CouponResult& b) {
    return a.sku != b.sku ? a.sku < b.sku : BetterCoupon(a, b);
  });
  all.erase(std::unique(all.begin(), all.end(),
                        [](const CouponResult& a, const CouponResult& b) { return a.sku == b.sku; }),
            all.end());
  const std::size_t top = std::min<std::size_t>(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(top), all.end(),
                    BetterCoupon);
  all.resize(top);
  all.shrink_to_fit();  // k results, not every candidate's capacity (see PartnersFromHits)
  return all;
}

Result<std::vector<CouponResult>> Recommender::RecommendCouponPairs(
    MerchantId m, std::uint32_t k, const CouponFilters& filters) const {
  const EcosystemGraph& g = *model_.graph;
  if (!g.Contains(m)) return Status::NotFound("merchant index " + std::to_string(m.value));
  PG_RETURN_IF_ERROR(CheckCouponRequest(k, filters));
  const std::vector<SkuId> triggers = TriggerSkus(m);
  PG_ASSIGN_OR_RETURN(auto neighbors, SkuNeighbors(triggers));
  std::vector<CouponResult> all;
  for (std::size_t i = 0; i < triggers.size(); ++i) {
    CouponCandidatesFor(triggers[i], filters, neighbors[i], &all);
  }
  return BestCoupons(std::move(all), k);
}

Result<std::vector<std::vector<CouponResult>>> Recommender::RecommendCouponPairsBatch(
    std::span<const MerchantId> merchants, std::uint32_t k, const CouponFilters& filters) const {
  const EcosystemGraph& g = *model_.graph;
  PG_RETURN_IF_ERROR(CheckCouponRequest(k, filters));
  std::vector<SkuId> triggers;
  std::vector<std::size_t> first(merchants.size() + 1, 0);
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    if (!g.Contains(merchants[i])) {
      return Status::NotFound("merchant index " + std::to_string(merchants[i].value));
    }
    for (SkuId s : TriggerSkus(merchants[i])) triggers.push_back(s);
    first[i + 1] = triggers.size();
  }
  PG_ASSIGN_OR_RETURN(auto neighbors, SkuNeighbors(triggers));
  std::vector<std::vector<CouponResult>> out(merchants.size());
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    std::vector<CouponResult> all;
    for (std::size_t t = first[i]; t < first[i + 1]; ++t) {
      CouponCandidatesFor(triggers[t], filters, neighbors[t], &all);
    }
    out[i] = BestCoupons(std::move(all), k);
  }
  return out;
}

}  // namespace partnergraph
