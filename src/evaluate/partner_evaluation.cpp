// The partner side of an evaluation (evaluator.hpp: "Partner ground truth", "Partner
// methods"): every method's ranked list per query and their metrics.
#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "evaluation_sides.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/recommend/ranking_metrics.hpp"

namespace partnergraph::evaluation {
namespace {

// The partner methods, in report order (evaluator.hpp documents each).
enum PartnerMethod : int {
  kPmPartnergraph = 0,
  kPmSvd,
  kPmRandomWalk,
  kPmPopularity,
  kPmJaccard,
  kPmAdamicAdar,
  kPmCategoryLift,
  kPartnerMethodCount
};
constexpr const char* kPartnerMethodNames[kPartnerMethodCount] = {
    "partnergraph",          "svd",
    "random_walk",           "baseline:popularity",
    "baseline:jaccard",      "baseline:adamic_adar",
    "baseline:category_lift"};

class PartnerEvaluation {
 public:
  PartnerEvaluation(const EvaluationModel& t, const EvaluationOptions& o) : t_(t), o_(o) {
    const EcosystemGraph& g = *t.parts.graph;
    n_ = g.merchant_count();
    category_.resize(n_);
    discoverable_.resize(n_);
    customers_.resize(n_);
    long_tail_.resize(n_);
    for (std::uint32_t i = 0; i < n_; ++i) {
      const MerchantInfo info = g.Merchant(MerchantId(i));
      category_[i] = info.category;
      discoverable_[i] = info.policy.discoverable;
      customers_[i] = static_cast<std::uint32_t>(g.CustomersOf(MerchantId(i)).size());
      long_tail_[i] = t.recommender->Profile(MerchantId(i)).long_tail;
    }
    // Customer -> merchants (CSR) and the customers' merchant degrees, for Adamic-Adar.
    customer_offsets_.assign(g.customer_count() + 1, 0);
    for (std::uint32_t m = 0; m < n_; ++m) {
      for (GraphVertex v : g.CustomersOf(MerchantId(m)).targets()) {
        ++customer_offsets_[g.IdOf<CustomerId>(v).value + 1];
      }
    }
    for (std::size_t c = 1; c < customer_offsets_.size(); ++c) {
      customer_offsets_[c] += customer_offsets_[c - 1];
    }
    customer_merchants_.resize(customer_offsets_.back());
    std::vector<std::uint64_t> fill(customer_offsets_.begin(), customer_offsets_.end() - 1);
    for (std::uint32_t m = 0; m < n_; ++m) {
      for (GraphVertex v : g.CustomersOf(MerchantId(m)).targets()) {
        customer_merchants_[fill[g.IdOf<CustomerId>(v).value]++] = m;
      }
    }
  }

  std::uint32_t merchant_count() const { return n_; }
  const std::vector<bool>& long_tail() const { return long_tail_; }
  std::uint32_t customers(std::uint32_t m) const { return customers_[m]; }

  // Whether c is in the candidate universe of m (evaluator.hpp).
  bool Eligible(std::uint32_t m, std::uint32_t c) const {
    if (c == m || category_[c] == category_[m] || !discoverable_[c]) return false;
    const EcosystemGraph& g = *t_.parts.graph;
    const MerchantId a(m), b(c);
    return !g.IsCompetitor(a, b) && !g.IsBlocked(a, b) && !g.IsPartner(a, b);
  }

  // The eligible candidates of m as a bitmap.
  std::vector<bool> EligibleSet(std::uint32_t m) const {
    std::vector<bool> ok(n_);
    for (std::uint32_t c = 0; c < n_; ++c) ok[c] = Eligible(m, c);
    return ok;
  }

  // Every method's ranked list for query m. Status of the recommender call.
  Result<MethodLists> Rank(std::uint32_t m) const {
    const EcosystemGraph& g = *t_.parts.graph;
    const std::size_t k = o_.list_length;
    const std::vector<bool> ok = EligibleSet(m);
    MethodLists lists(kPartnerMethodCount);

    // The view asked for (default: the operator's, exact evidence, the model card's figures).
    PartnerFilters filters;
    filters.audience = o_.audience;
    PG_ASSIGN_OR_RETURN(std::vector<PartnerResult> recs,
                        t_.recommender->RecommendPartners(MerchantId(m), o_.list_length, filters));
    for (const PartnerResult& r : recs) {
      if (ok[r.merchant.value]) lists[kPmPartnergraph].push_back(r.merchant.value);
    }

    // Per-query sparse scores.
    std::vector<double> jaccard(n_, 0.0), adamic_adar(n_, 0.0);
    const double own = customers_[m];
    for (const SharedCustomers& s : g.SharedCustomersOf(MerchantId(m))) {
      const double uni = own + customers_[s.merchant.value] - s.customers;
      jaccard[s.merchant.value] = uni > 0 ? s.customers / uni : 0.0;
    }
    for (GraphVertex v : g.CustomersOf(MerchantId(m)).targets()) {
      const std::uint32_t x = g.IdOf<CustomerId>(v).value;
      const std::uint64_t begin = customer_offsets_[x], end = customer_offsets_[x + 1];
      const std::uint64_t degree = end - begin;
      if (degree < 2) continue;
      const double w = 1.0 / std::log(static_cast<double>(degree));
      for (std::uint64_t i = begin; i < end; ++i) {
        if (customer_merchants_[i] != m) adamic_adar[customer_merchants_[i]] += w;
      }
    }

    std::vector<Scored> items;
    items.reserve(n_);
    auto rank = [&](int method, auto score) {
      items.clear();
      for (std::uint32_t c = 0; c < n_; ++c) {
        if (!ok[c]) continue;
        Scored s = score(c);
        s.id = c;
        items.push_back(s);
      }
      lists[method] = TopK(items, k);
    };
    rank(kPmSvd, [&](std::uint32_t c) { return Scored{t_.parts.merchant_svd->Dot(m, c), 0, 0}; });
    rank(kPmRandomWalk, [&](std::uint32_t c) {
      return Scored{t_.parts.merchant_walk->Dot(m, c), 0, 0};
    });
    rank(kPmPopularity, [&](std::uint32_t c) { return Scored{double(customers_[c]), 0, 0}; });
    rank(kPmJaccard, [&](std::uint32_t c) { return Scored{jaccard[c], 0, 0}; });
    rank(kPmAdamicAdar, [&](std::uint32_t c) { return Scored{adamic_adar[c], 0, 0}; });
    rank(kPmCategoryLift, [&](std::uint32_t c) {
      auto lift = g.CategoryLift(category_[m], category_[c]);
      return Scored{lift ? double(lift->lift) : 0.0, double(customers_[c]), 0};
    });
    return lists;
  }

 private:
  const EvaluationModel& t_;
  const EvaluationOptions& o_;
  std::uint32_t n_ = 0;
  std::vector<CategoryId> category_;
  std::vector<bool> discoverable_;
  std::vector<std::uint32_t> customers_;
  std::vector<bool> long_tail_;
  std::vector<std::uint64_t> customer_offsets_;
  std::vector<std::uint32_t> customer_merchants_;
};

}  // namespace

Status EvaluatePartnerSide(const Dataset& dataset, const PlantedPartners* planted,
                           const EvaluationModel& t, const EvaluationOptions& o,
                           EvaluationReport* report) {
  PartnerEvaluation eval(t, o);
  const std::uint32_t n = eval.merchant_count();

  std::vector<std::vector<std::uint32_t>> relevant(n), planted_relevant(n);
  {
    StageTimer timer(&report->stages, "partner ground truth");
    std::vector<std::vector<MerchantId>> gained = GainedPartners(dataset, o.split_ts);
    tbb::parallel_for(std::uint32_t{0}, n, [&](std::uint32_t m) {
      if (eval.customers(m) == 0) return;
      for (MerchantId c : gained[m]) {
        if (eval.Eligible(m, c.value)) relevant[m].push_back(c.value);
      }
      if (planted != nullptr) {
        for (MerchantId c : planted->partners[m]) {
          if (eval.Eligible(m, c.value)) planted_relevant[m].push_back(c.value);
        }
        std::sort(planted_relevant[m].begin(), planted_relevant[m].end());
        planted_relevant[m].erase(
            std::unique(planted_relevant[m].begin(), planted_relevant[m].end()),
            planted_relevant[m].end());
      }
    });
  }
  std::vector<std::uint32_t> queries;  // temporal or planted
  std::uint64_t relevant_total = 0;
  for (std::uint32_t m = 0; m < n; ++m) {
    if (!relevant[m].empty()) {
      ++report->queries;
      relevant_total += relevant[m].size();
    }
    if (!planted_relevant[m].empty()) ++report->planted_queries;
    if (!relevant[m].empty() || !planted_relevant[m].empty()) queries.push_back(m);
  }
  if (report->queries == 0) {
    return Status::InvalidArgument(fmt::format(
        "no partner query: no merchant with training orders gains a shared customer with an "
        "eligible merchant of another category after the split date {}",
        FormatTimestamp(o.split_ts)));
  }
  report->mean_relevant = static_cast<double>(relevant_total) / report->queries;
  report->has_planted = planted != nullptr;

  std::vector<MethodLists> lists;
  {
    StageTimer timer(&report->stages, "rank partners");
    PG_ASSIGN_OR_RETURN(lists, RankAll(queries, [&](std::uint32_t m) { return eval.Rank(m); }));
  }
  for (int method = 0; method < kPartnerMethodCount; ++method) {
    RankingAccumulator temporal(n, eval.long_tail());
    RankingAccumulator planted_acc(n, eval.long_tail());
    for (std::size_t i = 0; i < queries.size(); ++i) {
      const std::uint32_t m = queries[i];
      const auto& ranked = lists[i][method];
      if (!relevant[m].empty()) {
        temporal.Add(ranked, {relevant[m].begin(), relevant[m].end()});
      }
      if (!planted_relevant[m].empty()) {
        planted_acc.Add(ranked, {planted_relevant[m].begin(), planted_relevant[m].end()});
      }
    }
    MethodEvaluation e;
    e.name = kPartnerMethodNames[method];
    e.metrics = temporal.Finish();
    if (planted != nullptr) e.planted = planted_acc.Finish();
    report->methods.push_back(std::move(e));
  }
  if (o.keep_rankings) {
    for (std::size_t i = 0; i < queries.size(); ++i) {
      if (relevant[queries[i]].empty()) continue;
      report->rankings.push_back({queries[i], relevant[queries[i]], std::move(lists[i])});
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph::evaluation
