#include "partnergraph/evaluate/evaluator.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "partnergraph/common/json_text.hpp"
#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/embed/graph_embeddings.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/embedding_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

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
    "partnergraph",        "svd",
    "random_walk",         "baseline:popularity",
    "baseline:jaccard",    "baseline:adamic_adar",
    "baseline:category_lift"};

enum CouponMethod : int {
  kCmPartnergraph = 0,
  kCmItem2vec,
  kCmPopularity,
  kCmCopurchase,
  kCouponMethodCount
};
constexpr const char* kCouponMethodNames[kCouponMethodCount] = {
    "partnergraph", "item2vec", "baseline:popularity", "baseline:copurchase"};

// Share of items (by training customers or buyers) that form the head.
constexpr double kSkuHeadShare = 0.2;

// One scored candidate: ranked by primary desc, secondary desc, id asc.
struct Scored {
  double primary = 0;
  double secondary = 0;
  std::uint32_t id = 0;
};

bool Better(const Scored& a, const Scored& b) {
  if (a.primary != b.primary) return a.primary > b.primary;
  if (a.secondary != b.secondary) return a.secondary > b.secondary;
  return a.id < b.id;
}

// The ids of the best `k` of `items` (which it reorders), best first.
std::vector<std::uint32_t> TopK(std::vector<Scored>& items, std::size_t k) {
  const std::size_t top = std::min(k, items.size());
  if (top < items.size()) {
    std::nth_element(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(top), items.end(),
                     Better);
  }
  std::sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(top), Better);
  std::vector<std::uint32_t> ids(top);
  for (std::size_t i = 0; i < top; ++i) ids[i] = items[i].id;
  return ids;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Records the wall time of a scope as a stage of the report.
class StageTimer {
 public:
  StageTimer(EvaluationReport* report, std::string name)
      : report_(report), name_(std::move(name)), start_(Clock::now()) {}
  ~StageTimer() { report_->stages.push_back({name_, SecondsSince(start_)}); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  EvaluationReport* report_;
  std::string name_;
  Clock::time_point start_;
};

// Marks the top kSkuHeadShare (or 1 - long_tail_share) of items by `size`
// (ties by id) as head; the others are the long tail.
std::vector<bool> LongTailBySize(const std::vector<std::uint32_t>& size, double head_share) {
  const auto n = static_cast<std::uint32_t>(size.size());
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return size[a] != size[b] ? size[a] > size[b] : a < b;
  });
  const auto head = static_cast<std::uint32_t>(std::ceil(head_share * n));
  std::vector<bool> tail(n, true);
  for (std::uint32_t r = 0; r < std::min(head, n); ++r) tail[order[r]] = false;
  return tail;
}

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

Json MetricsJson(const RankingMetrics& m, const std::optional<RankingMetrics>& planted) {
  Json j = {{"recall@10", m.recall_at_10},       {"recall@50", m.recall_at_50},
            {"ndcg@10", m.ndcg_at_10},           {"mrr", m.mrr},
            {"precision@10", m.precision_at_10}, {"coverage", m.coverage},
            {"long_tail_share", m.long_tail_share}};
  if (planted) {
    j["planted_precision@10"] = planted->precision_at_10;
    j["planted_recall@10"] = planted->recall_at_10;
    j["planted_ndcg@10"] = planted->ndcg_at_10;
  }
  return j;
}

Status ValidateOptions(const EvaluationOptions& o) {
  PG_RETURN_IF_ERROR(Validate(o.recommend));
  if (o.list_length < 10 || o.list_length > o.recommend.max_k) {
    return Status::InvalidArgument("k: " + std::to_string(o.list_length) +
                                   " is out of range [10, " + std::to_string(o.recommend.max_k) +
                                   "] (recommend.max_k)");
  }
  GraphOptions g = o.graph;
  g.threads = o.threads;
  return g.Validate();
}

// Everything trained on the training data.
struct TrainedModel {
  std::shared_ptr<const EcosystemGraph> graph;
  std::shared_ptr<const Embeddings> svd;
  std::shared_ptr<const Embeddings> walk;
  std::shared_ptr<const Embeddings> sku;  // null without coupons
  std::shared_ptr<const Recommender> recommender;
};

Result<TrainedModel> Train(const Dataset& train, const EvaluationOptions& o,
                           EvaluationReport* report) {
  TrainedModel t;
  {
    StageTimer timer(report, "train graph");
    GraphOptions go = o.graph;
    go.threads = o.threads;
    go.show_progress = false;
    GraphBuilder builder(go);
    Status built = builder.Build(train);
    if (!built.ok()) return built.WithContext("train graph");
    auto frozen = builder.Freeze();
    if (!frozen.ok()) return frozen.status().WithContext("train graph");
    t.graph = std::move(frozen).value();
  }
  {
    StageTimer timer(report, "embed: merchant PPMI-SVD");
    auto e = TrainMerchantSvdEmbeddings(*t.graph, o.merchant_svd);
    if (!e.ok()) return e.status().WithContext("merchant PPMI-SVD embedding");
    t.svd = std::make_shared<const Embeddings>(std::move(e).value());
  }
  {
    StageTimer timer(report, "embed: merchant random-walk skip-gram");
    auto e = TrainMerchantWalkEmbeddings(*t.graph, o.merchant_walk);
    if (!e.ok()) return e.status().WithContext("merchant random-walk embedding");
    t.walk = std::make_shared<const Embeddings>(std::move(e).value());
  }
  RecommendModel model;
  model.graph = t.graph;
  model.merchant_vectors = o.partner_embedding == PartnerEmbedding::kSvd ? t.svd : t.walk;
  {
    StageTimer timer(report, "index: merchants");
    auto index = IndexNonZeroRows(*model.merchant_vectors, o.index.merchants);
    if (!index.ok()) return index.status().WithContext("merchant index");
    model.merchant_index = std::make_shared<const VectorIndex>(std::move(index).value());
  }
  if (o.evaluate_coupons) {
    {
      StageTimer timer(report, "embed: SKU item2vec");
      auto e = TrainSkuItem2vecEmbeddings(*t.graph, o.sku_item2vec);
      if (!e.ok()) return e.status().WithContext("SKU item2vec embedding");
      t.sku = std::make_shared<const Embeddings>(std::move(e).value());
    }
    StageTimer timer(report, "index: SKUs");
    model.sku_vectors = t.sku;
    auto index = IndexNonZeroRows(*t.sku, o.index.skus);
    if (!index.ok()) return index.status().WithContext("SKU index");
    model.sku_index = std::make_shared<const VectorIndex>(std::move(index).value());
  }
  StageTimer timer(report, "recommender");
  auto r = Recommender::Create(std::move(model), o.recommend);
  if (!r.ok()) return r.status().WithContext("recommender");
  t.recommender = std::move(r).value();
  return t;
}

// ---- Partners ----

class PartnerEvaluation {
 public:
  PartnerEvaluation(const TrainedModel& t, const EvaluationOptions& o) : t_(t), o_(o) {
    const EcosystemGraph& g = *t.graph;
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
    const EcosystemGraph& g = *t_.graph;
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
  Result<std::vector<std::vector<std::uint32_t>>> Rank(std::uint32_t m) const {
    const EcosystemGraph& g = *t_.graph;
    const std::size_t k = o_.list_length;
    const std::vector<bool> ok = EligibleSet(m);
    std::vector<std::vector<std::uint32_t>> lists(kPartnerMethodCount);

    // The view asked for (default: the operator's, exact evidence, the model card's figures).
    PartnerFilters filters;
    filters.audience = o_.audience;
    PG_ASSIGN_OR_RETURN(std::vector<PartnerResult> recs,
                        t_.recommender->RecommendPartners(MerchantId(m), o_.list_length,
                                                          filters));
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
    rank(kPmSvd, [&](std::uint32_t c) { return Scored{t_.svd->Dot(m, c), 0, 0}; });
    rank(kPmRandomWalk, [&](std::uint32_t c) { return Scored{t_.walk->Dot(m, c), 0, 0}; });
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
  const TrainedModel& t_;
  const EvaluationOptions& o_;
  std::uint32_t n_ = 0;
  std::vector<CategoryId> category_;
  std::vector<bool> discoverable_;
  std::vector<std::uint32_t> customers_;
  std::vector<bool> long_tail_;
  std::vector<std::uint64_t> customer_offsets_;
  std::vector<std::uint32_t> customer_merchants_;
};

// Runs `rank(query)` for every query in parallel into fixed slots; the first
// error (in query order) wins.
template <typename RankFn>
Result<std::vector<std::vector<std::vector<std::uint32_t>>>> RankAll(
    const std::vector<std::uint32_t>& queries, RankFn rank) {
  std::vector<std::vector<std::vector<std::uint32_t>>> lists(queries.size());
  std::vector<Status> errors(queries.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, queries.size(), 8), [&](const auto& r) {
    ScopedFaissThreads one_thread(1);
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      auto result = rank(queries[i]);
      if (result.ok()) {
        lists[i] = std::move(result).value();
      } else {
        errors[i] = result.status();
      }
    }
  });
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (!errors[i].ok()) return errors[i].WithContext("query " + std::to_string(queries[i]));
  }
  return lists;
}

Status EvaluatePartnerSide(const Dataset& dataset, const PlantedPartners* planted,
                           const TrainedModel& t, const EvaluationOptions& o,
                           EvaluationReport* report) {
  PartnerEvaluation eval(t, o);
  const std::uint32_t n = eval.merchant_count();

  std::vector<std::vector<std::uint32_t>> relevant(n), planted_relevant(n);
  {
    StageTimer timer(report, "partner ground truth");
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
    return Status::InvalidArgument(
        "no partner query: no merchant with training orders gains a shared customer with an "
        "eligible merchant of another category after the split date " +
        FormatTimestamp(o.split_ts));
  }
  report->mean_relevant = static_cast<double>(relevant_total) / report->queries;
  report->has_planted = planted != nullptr;

  std::vector<std::vector<std::vector<std::uint32_t>>> lists;
  {
    StageTimer timer(report, "rank partners");
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

// ---- Coupon pairs ----

Status EvaluateCouponSide(const Dataset& dataset, const TrainedModel& t,
                          const EvaluationOptions& o, EvaluationReport* report) {
  const EcosystemGraph& g = *t.graph;
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
    StageTimer timer(report, "coupon ground truth");
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
    auto row = t.sku->Row(s);
    const bool zero = std::all_of(row.begin(), row.end(), [](float x) { return x == 0.0f; });
    (zero ? without_vector : with_vector).push_back(s);
  }
  const std::size_t k = o.list_length;
  auto rank = [&](std::uint32_t s) -> Result<std::vector<std::vector<std::uint32_t>>> {
    std::vector<std::vector<std::uint32_t>> lists(kCouponMethodCount);
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
      if (ok(b)) items.push_back({t.sku->Dot(s, b), 0, b});
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
      if (ok(c.sku.value)) items.push_back({double(c.support), double(buyers[c.sku.value]), c.sku.value});
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
  std::vector<std::vector<std::vector<std::uint32_t>>> lists;
  {
    StageTimer timer(report, "rank coupon pairs");
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

void AppendMarkdownTable(const std::vector<MethodEvaluation>& methods, bool planted,
                         std::string* out) {
  *out += "| method | recall@10 | recall@50 | ndcg@10 | mrr | precision@10 | coverage | "
          "long_tail_share |";
  if (planted) *out += " planted P@10 | planted R@10 | planted NDCG@10 |";
  *out += "\n|---|---|---|---|---|---|---|---|";
  if (planted) *out += "---|---|---|";
  *out += "\n";
  char buf[64];
  auto cell = [&](double v) {
    std::snprintf(buf, sizeof buf, " %.4f |", v);
    *out += buf;
  };
  for (const MethodEvaluation& e : methods) {
    *out += "| " + e.name + " |";
    const RankingMetrics& m = e.metrics;
    for (double v : {m.recall_at_10, m.recall_at_50, m.ndcg_at_10, m.mrr, m.precision_at_10,
                     m.coverage, m.long_tail_share}) {
      cell(v);
    }
    if (planted && e.planted) {
      cell(e.planted->precision_at_10);
      cell(e.planted->recall_at_10);
      cell(e.planted->ndcg_at_10);
    }
    *out += "\n";
  }
}

}  // namespace

Result<TemporalSplit> SplitAtTimestamp(const Dataset& full, Timestamp split_ts) {
  if (full.orders.empty()) {
    return Status::InvalidArgument("the dataset has no order line: nothing to split");
  }
  TemporalSplit split;
  split.first_order_ts = full.orders.front().ts;
  split.last_order_ts = full.orders.front().ts;
  std::vector<std::uint8_t> side(full.order_ids.size(), 0);  // bit 0 train, bit 1 test
  for (const OrderLine& line : full.orders) {
    split.first_order_ts = std::min(split.first_order_ts, line.ts);
    split.last_order_ts = std::max(split.last_order_ts, line.ts);
    const bool train = line.ts < split_ts;
    (train ? split.train_order_lines : split.test_order_lines) += 1;
    if (line.order.value < side.size()) side[line.order.value] |= train ? 1 : 2;
  }
  const std::string at = "split date " + FormatTimestamp(split_ts);
  if (split.train_order_lines == 0) {
    return Status::InvalidArgument(at + " is at or before the first order (" +
                                   FormatTimestamp(split.first_order_ts) +
                                   "): no order is left to train on");
  }
  if (split.test_order_lines == 0) {
    return Status::InvalidArgument(at + " is after the last order (" +
                                   FormatTimestamp(split.last_order_ts) +
                                   "): no order is left to test on");
  }
  for (std::uint8_t s : side) {
    split.train_orders += (s & 1) != 0;
    split.test_orders += (s & 2) != 0;
  }
  split.train = full;
  std::erase_if(split.train.orders, [&](const OrderLine& l) { return l.ts >= split_ts; });
  std::erase_if(split.train.consent, [&](const ConsentRecord& r) { return r.ts >= split_ts; });
  std::erase_if(split.train.engagement,
                [&](const EngagementEvent& e) { return e.ts >= split_ts; });
  std::erase_if(split.train.touchpoints, [&](const Touchpoint& t) { return t.ts >= split_ts; });
  return split;
}

std::vector<std::vector<MerchantId>> GainedPartners(const Dataset& dataset, Timestamp split_ts) {
  // One entry per (customer, merchant): whether it has a training line.
  struct Visit {
    std::uint32_t customer;
    std::uint32_t merchant;
    bool train;
  };
  std::vector<Visit> visits;
  visits.reserve(dataset.orders.size());
  for (const OrderLine& l : dataset.orders) {
    visits.push_back({l.customer.value, l.merchant.value, l.ts < split_ts});
  }
  std::sort(visits.begin(), visits.end(), [](const Visit& a, const Visit& b) {
    if (a.customer != b.customer) return a.customer < b.customer;
    if (a.merchant != b.merchant) return a.merchant < b.merchant;
    return a.train > b.train;  // the training visit first, kept by unique
  });
  visits.erase(std::unique(visits.begin(), visits.end(),
                           [](const Visit& a, const Visit& b) {
                             return a.customer == b.customer && a.merchant == b.merchant;
                           }),
               visits.end());
  std::vector<std::vector<MerchantId>> gained(dataset.merchants.size());
  for (std::size_t i = 0; i < visits.size();) {
    std::size_t j = i;
    while (j < visits.size() && visits[j].customer == visits[i].customer) ++j;
    // A pair gains this customer unless both merchants were visited in training.
    for (std::size_t a = i; a < j; ++a) {
      if (visits[a].train) continue;
      for (std::size_t b = i; b < j; ++b) {
        if (b == a) continue;
        gained[visits[a].merchant].push_back(MerchantId(visits[b].merchant));
        gained[visits[b].merchant].push_back(MerchantId(visits[a].merchant));
      }
    }
    i = j;
  }
  for (auto& list : gained) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return gained;
}

Result<PlantedPartners> LoadPlantedPartners(const std::filesystem::path& path,
                                            const Dataset& dataset) {
  PG_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  const std::string file = path.filename().string();
  auto merchant_col = reader.Column("merchant_id");
  auto partner_col = reader.Column("partner_id");
  auto rank_col = reader.Column("rank");
  for (auto [name, col] : {std::pair{"merchant_id", merchant_col},
                           {"partner_id", partner_col},
                           {"rank", rank_col}}) {
    if (!col) return Status::InvalidArgument(file + ": required column " + name + " is missing");
  }
  struct Row {
    std::uint32_t merchant, partner;
    std::uint64_t rank;
    std::size_t line;
  };
  std::vector<Row> rows;
  Status error;
  reader.ForEach([&](const CsvRecord& rec) {
    if (!error.ok()) return;
    const std::string where = file + ":" + std::to_string(rec.line) + ": ";
    if (!rec.error.empty()) {
      error = Status::InvalidArgument(where + std::string(rec.error));
      return;
    }
    Row row{0, 0, 0, rec.line};
    for (auto [col, name, out] :
         {std::tuple{*merchant_col, "merchant_id", &row.merchant},
          std::tuple{*partner_col, "partner_id", &row.partner}}) {
      std::string_view id = rec.fields[col];
      *out = dataset.merchant_ids.Find(id);
      if (*out == Dictionary::kNotFound) {
        error = Status::InvalidArgument(where + "column " + name + ": unknown merchant \"" +
                                        std::string(id) + "\"");
        return;
      }
    }
    std::string_view rank = rec.fields[*rank_col];
    std::uint64_t value = 0;
    bool digits = !rank.empty() && rank.size() <= 9;
    for (char ch : rank) {
      digits = digits && ch >= '0' && ch <= '9';
      if (digits) value = value * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    if (!digits || value == 0) {
      error = Status::InvalidArgument(where + "column rank: \"" + std::string(rank) +
                                      "\" is not a positive integer");
      return;
    }
    row.rank = value;
    rows.push_back(row);
  });
  PG_RETURN_IF_ERROR(error);
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.merchant != b.merchant ? a.merchant < b.merchant : a.rank < b.rank;
  });
  PlantedPartners planted;
  planted.partners.resize(dataset.merchants.size());
  for (const Row& r : rows) planted.partners[r.merchant].push_back(MerchantId(r.partner));
  return planted;
}

Result<EvaluationReport> Evaluate(const Dataset& dataset, const PlantedPartners* planted,
                                  const EvaluationOptions& options) {
  PG_RETURN_IF_ERROR(ValidateOptions(options));
  if (planted != nullptr && planted->partners.size() != dataset.merchants.size()) {
    return Status::InvalidArgument(
        "planted ground truth has " + std::to_string(planted->partners.size()) +
        " merchants but the dataset has " + std::to_string(dataset.merchants.size()));
  }
  const int threads = options.threads == 0 ? tbb::this_task_arena::max_concurrency()
                                           : static_cast<int>(options.threads);
  tbb::task_arena arena(threads);
  Result<EvaluationReport> result = Status::Internal("evaluation did not run");
  arena.execute([&] {
    result = [&]() -> Result<EvaluationReport> {
      EvaluationReport report;
      report.split_ts = options.split_ts;
      report.list_length = options.list_length;
      report.audience = options.audience;
      report.merchants = static_cast<std::uint32_t>(dataset.merchants.size());
      TrainedModel trained;
      {
        Result<TemporalSplit> split = Status::Internal("not split");
        {
          StageTimer timer(&report, "split");
          split = SplitAtTimestamp(dataset, options.split_ts);
        }
        if (!split.ok()) return split.status();
        report.train_order_lines = split->train_order_lines;
        report.test_order_lines = split->test_order_lines;
        report.train_orders = split->train_orders;
        report.test_orders = split->test_orders;
        PG_ASSIGN_OR_RETURN(trained, Train(split->train, options, &report));
      }  // the training Dataset is released here
      PG_RETURN_IF_ERROR(EvaluatePartnerSide(dataset, planted, trained, options, &report));
      if (options.evaluate_coupons) {
        PG_RETURN_IF_ERROR(EvaluateCouponSide(dataset, trained, options, &report));
      }
      return report;
    }();
  });
  return result;
}

std::string ToMarkdown(const EvaluationReport& r) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Temporal split at %s: train %llu orders (%llu lines), test %llu orders (%llu "
                "lines); %u merchants; lists of %u; partnergraph ranked for the %s view.\n\n",
                FormatTimestamp(r.split_ts).c_str(),
                static_cast<unsigned long long>(r.train_orders),
                static_cast<unsigned long long>(r.train_order_lines),
                static_cast<unsigned long long>(r.test_orders),
                static_cast<unsigned long long>(r.test_order_lines), r.merchants, r.list_length,
                std::string(ToString(r.audience)).c_str());
  out += buf;
  std::snprintf(buf, sizeof buf,
                "Partners: %llu queries (merchants gaining cross-category shared customers after "
                "the split), %.2f relevant partners per query",
                static_cast<unsigned long long>(r.queries), r.mean_relevant);
  out += buf;
  if (r.has_planted) {
    std::snprintf(buf, sizeof buf, "; %llu queries with planted best partners",
                  static_cast<unsigned long long>(r.planted_queries));
    out += buf;
  }
  out += ".\n\n";
  AppendMarkdownTable(r.methods, r.has_planted, &out);
  if (r.has_coupons) {
    std::snprintf(buf, sizeof buf,
                  "\nCoupon pairs: %llu queries (of %llu SKUs with cross-merchant test pairs), "
                  "%.2f relevant SKUs per query.\n\n",
                  static_cast<unsigned long long>(r.coupon_queries),
                  static_cast<unsigned long long>(r.coupon_candidate_queries),
                  r.coupon_mean_relevant);
    out += buf;
    if (!r.coupon_methods.empty()) AppendMarkdownTable(r.coupon_methods, false, &out);
  }
  return out;
}

std::string ToJson(const EvaluationReport& r) {
  Json j;
  j["split_date"] = FormatTimestamp(r.split_ts);
  j["train_orders"] = r.train_orders;
  j["test_orders"] = r.test_orders;
  j["train_order_lines"] = r.train_order_lines;
  j["test_order_lines"] = r.test_order_lines;
  j["merchants"] = r.merchants;
  j["k"] = r.list_length;
  j["audience"] = std::string(ToString(r.audience));
  j["queries"] = r.queries;
  j["mean_relevant"] = r.mean_relevant;
  if (r.has_planted) j["planted_queries"] = r.planted_queries;
  Json methods = Json::object();
  for (const MethodEvaluation& e : r.methods) methods[e.name] = MetricsJson(e.metrics, e.planted);
  j["methods"] = std::move(methods);
  if (r.has_coupons) {
    Json coupon_methods = Json::object();
    for (const MethodEvaluation& e : r.coupon_methods) {
      coupon_methods[e.name] = MetricsJson(e.metrics, std::nullopt);
    }
    j["coupon_pairs"] = {{"queries", r.coupon_queries},
                         {"candidate_queries", r.coupon_candidate_queries},
                         {"mean_relevant", r.coupon_mean_relevant},
                         {"methods", std::move(coupon_methods)}};
  }
  Json stages = Json::array();
  for (const EvaluationStage& s : r.stages) stages.push_back({{"name", s.name}, {"seconds", s.seconds}});
  j["stages"] = std::move(stages);
  return JsonText(j, 2);
}

}  // namespace partnergraph
