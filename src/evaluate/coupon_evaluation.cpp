// The coupon-pair side of an evaluation (evaluator.hpp: "Coupon-pair ground truth and
// methods"): every method's ranked SKUs per query and their metrics.
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <utility>
#include <vector>

#include "evaluation_sides.hpp"
#include "partnergraph/recommend/ranking_metrics.hpp"

namespace partnergraph::evaluation {
namespace {

enum CouponMethod : int {
  kCmPartnergraph = 0,
  kCmItem2vec,
  kCmPopularity,
  kCmCopurchase,
  kCouponMethodCount
};
constexpr const char* kCouponMethodNames[kCouponMethodCount] = {
    "partnergraph", "item2vec", "baseline:popularity", "baseline:copurchase"};

// Share of SKUs (by training buyers) that form the head.
constexpr double kSkuHeadShare = 0.2;

// `count` indices spread evenly over [0, total) (all of them when count is 0 or >= total).
std::vector<std::size_t> EvenlySpaced(std::size_t total, std::size_t count) {
  std::vector<std::size_t> out;
  if (count == 0 || count >= total) {
    out.resize(total);
    for (std::size_t i = 0; i < total; ++i) out[i] = i;
    return out;
  }
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(i * total / count);
  return out;
}

}  // namespace

Status EvaluateCouponSide(const Dataset& dataset, const EvaluationModel& t,
                          const EvaluationOptions& o, EvaluationReport* report) {
  const EcosystemGraph& g = *t.parts.graph;
  const std::uint32_t n_skus = g.sku_count();
  const std::uint32_t n_merchants = g.merchant_count();
  std::vector<MerchantId> merchant_of(n_skus);
  std::vector<std::uint32_t> buyers(n_skus);
  for (std::uint32_t s = 0; s < n_skus; ++s) {
    merchant_of[s] = g.Sku(SkuId(s)).merchant;
    buyers[s] = g.SkuStatsOf(SkuId(s)).buyers;
  }
  std::vector<bool> allows(n_merchants);
  for (std::uint32_t m = 0; m < n_merchants; ++m) {
    allows[m] = g.Merchant(MerchantId(m)).policy.allow_coupons;
  }
  // Merchants whose SKUs the trigger's merchant x may be paired with.
  auto allowed_merchants = [&](MerchantId x) {
    std::vector<bool> ok(n_merchants);
    for (std::uint32_t y = 0; y < n_merchants; ++y) {
      const MerchantId my(y);
      ok[y] = y != x.value && allows[y] && !g.IsCompetitor(x, my) && !g.IsBlocked(x, my);
    }
    return ok;
  };

  // Test pairs: per customer, the distinct SKUs bought in the test period.
  std::vector<std::vector<std::uint32_t>> relevant(n_skus);
  {
    StageTimer timer(&report->stages, "coupon ground truth");
    std::vector<std::pair<std::uint32_t, std::uint32_t>> bought;  // (customer, sku)
    for (const OrderLine& line : dataset.orders) {
      if (line.ts >= o.split_ts) bought.emplace_back(line.customer.value, line.sku.value);
    }
    std::sort(bought.begin(), bought.end());
    bought.erase(std::unique(bought.begin(), bought.end()), bought.end());
    for (std::size_t i = 0; i < bought.size();) {
      std::size_t j = i;
      while (j < bought.size() && bought[j].first == bought[i].first) ++j;
      for (std::size_t a = i; a < j; ++a) {
        for (std::size_t b = i; b < j; ++b) {
          const std::uint32_t sa = bought[a].second, sb = bought[b].second;
          if (merchant_of[sa] != merchant_of[sb]) relevant[sa].push_back(sb);
        }
      }
      i = j;
    }
  }
  std::vector<std::uint32_t> eligible_queries;
  tbb::parallel_for(std::uint32_t{0}, n_skus, [&](std::uint32_t s) {
    auto& rel = relevant[s];
    if (rel.empty()) return;
    const MerchantId x = merchant_of[s];
    if (buyers[s] == 0 || !allows[x.value]) {
      rel.clear();
      return;
    }
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    std::erase_if(rel, [&](std::uint32_t b) {
      const MerchantId y = merchant_of[b];
      return !allows[y.value] || g.IsCompetitor(x, y) || g.IsBlocked(x, y);
    });
  });
  for (std::uint32_t s = 0; s < n_skus; ++s) {
    if (!relevant[s].empty()) eligible_queries.push_back(s);
  }
  report->has_coupons = true;
  report->coupon_candidate_queries = eligible_queries.size();
  std::vector<std::uint32_t> queries;
  for (std::size_t i : EvenlySpaced(eligible_queries.size(), o.max_coupon_queries)) {
    queries.push_back(eligible_queries[i]);
  }
  report->coupon_queries = queries.size();
  if (queries.empty()) return Status::Ok();  // reported as 0 queries, no metrics
  std::uint64_t relevant_total = 0;
  for (std::uint32_t s : queries) relevant_total += relevant[s].size();
  report->coupon_mean_relevant = static_cast<double>(relevant_total) / queries.size();

  // SKUs by training buyers (desc, id asc): the popularity ranking.
  std::vector<std::uint32_t> by_buyers(n_skus);
  for (std::uint32_t s = 0; s < n_skus; ++s) by_buyers[s] = s;
  std::sort(by_buyers.begin(), by_buyers.end(), [&](std::uint32_t a, std::uint32_t b) {
    return buyers[a] != buyers[b] ? buyers[a] > buyers[b] : a < b;
  });
  std::vector<std::uint32_t> with_vector, without_vector;  // by id
  for (std::uint32_t s = 0; s < n_skus; ++s) {
    auto row = t.parts.sku_item2vec->Row(s);
    const bool zero = std::all_of(row.begin(), row.end(), [](float x) { return x == 0.0f; });
    (zero ? without_vector : with_vector).push_back(s);
  }
  const std::size_t k = o.list_length;
  auto rank = [&](std::uint32_t s) -> Result<MethodLists> {
    MethodLists lists(kCouponMethodCount);
    const std::vector<bool> ok_merchant = allowed_merchants(merchant_of[s]);
    auto ok = [&](std::uint32_t b) { return ok_merchant[merchant_of[b].value]; };

    CouponFilters filters;
    filters.audience = o.audience;  // as the partner ranking above
    PG_ASSIGN_OR_RETURN(std::vector<CouponResult> recs,
                        t.recommender->RecommendCouponPairs(SkuId(s), o.list_length, filters));
    for (const CouponResult& r : recs) {
      if (ok(r.sku.value)) lists[kCmPartnergraph].push_back(r.sku.value);
    }
    // Exact cosine ranking: every SKU with a vector is scored; the ones without
    // (never bought in training) all score 0 and tie by id, so only the first k
    // of them can reach the top k.
    std::vector<Scored> items;
    for (std::uint32_t b : with_vector) {
      if (ok(b)) items.push_back({t.parts.sku_item2vec->Dot(s, b), 0, b});
    }
    std::size_t zeros = 0;
    for (std::uint32_t b : without_vector) {
      if (zeros >= k) break;
      if (ok(b)) {
        items.push_back({0.0, 0, b});
        ++zeros;
      }
    }
    lists[kCmItem2vec] = TopK(items, k);
    for (std::uint32_t b : by_buyers) {
      if (lists[kCmPopularity].size() >= k) break;
      if (ok(b)) lists[kCmPopularity].push_back(b);
    }
    items.clear();
    for (const CoPurchase& c : g.CoPurchaseNeighbors(SkuId(s))) {
      if (ok(c.sku.value))
        items.push_back({double(c.support), double(buyers[c.sku.value]), c.sku.value});
    }
    lists[kCmCopurchase] = TopK(items, k);
    std::unordered_set<std::uint32_t> taken(lists[kCmCopurchase].begin(),
                                            lists[kCmCopurchase].end());
    for (std::uint32_t b : by_buyers) {
      if (lists[kCmCopurchase].size() >= k) break;
      if (ok(b) && !taken.count(b)) lists[kCmCopurchase].push_back(b);
    }
    return lists;
  };
  std::vector<MethodLists> lists;
  {
    StageTimer timer(&report->stages, "rank coupon pairs");
    PG_ASSIGN_OR_RETURN(lists, RankAll(queries, rank));
  }
  const std::vector<bool> sku_long_tail = LongTailBySize(buyers, kSkuHeadShare);
  for (int method = 0; method < kCouponMethodCount; ++method) {
    RankingAccumulator acc(n_skus, sku_long_tail);
    for (std::size_t i = 0; i < queries.size(); ++i) {
      const auto& rel = relevant[queries[i]];
      acc.Add(lists[i][method], {rel.begin(), rel.end()});
    }
    report->coupon_methods.push_back({kCouponMethodNames[method], acc.Finish(), std::nullopt});
  }
  return Status::Ok();
}

}  // namespace partnergraph::evaluation
