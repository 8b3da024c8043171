// recommend_bench: in-process latency of the recommenders on a built model, and recall of
// their ANN stage against exact search (issue 3; results in bench/RESULTS.md). The timed
// queries are Google Benchmark benchmarks; the tables after Google Benchmark's give the
// figures as before.
//
//   recommend_bench --model DIR [--config FILE] [--queries 10000] [--recall-queries 1000]
//                   [--k 10] [--seed 1] [--audience operator|merchant] [--dump FILE]
//                   [--sku-ef-construction N] [--benchmark_filter=REGEX] ...
//
// --dump FILE: write every default-filter answer of the query set (partners, coupons by
// merchant, coupons by SKU; the format compares two binaries' answers with cmp).
// --sku-ef-construction N: also measure the recall of a SKU index rebuilt with efConstruction N.
// --audience: who every timed recommender query (and --dump's answers) is computed for:
// `operator` (the default: the exact computation, the only one before issue 12's merchant
// view, so figures compare with earlier runs) or `merchant` (the view a merchant API key
// gets: scored and ranked from disclosed values only). It sets PartnerFilters::audience and
// CouponFilters::audience; the bare ANN baselines and the recall section do not depend on it.
// --config: take the "recommend" options from FILE instead of the model's config.json (the
// query-time knobs; the embeddings and indexes stay the model's).
// DIR is a model folder written by `partnergraph build` (graph.pgg, config.json,
// embeddings, merchants.faiss, skus.faiss). Precomputed answers are NOT used: every query
// runs the recommender live. The precomputed neighbour lists (sku_neighbors.bin,
// merchant_neighbors.bin: the ANN stage of coupon queries and of unfiltered partner
// queries) are, when the folder has them and they match the recommend options (as the
// server reads them); the header lines say so. With --config options a file does not
// match, those queries search the index (said too).
//
// Latency: `--queries` queries per variant (the benchmark's iterations), each timed alone on
// the calling thread with FAISS's OpenMP at one thread (one query on one core, as a server worker
// runs it); p50, p99 and mean in microseconds of wall time, and p50/p99 of the thread's CPU time
// (on a loaded machine the wall p99 mostly measures waiting for a core). Query merchants and SKUs
// are drawn uniformly (seeded) among merchants with an embedding vector and SKUs with buyers.
// Variants:
//   partners            RecommendPartners(m, k) with default filters;
//   partners+filter     the same with live filters: candidates in m's region only and
//                       m's category excluded (the filter runs inside the ANN search);
//   coupons/sku         RecommendCouponPairs(sku, k), default filters;
//   coupons/sku+filter  the same with a price band [0.5, 2] x the trigger's price;
//   coupons/merchant    RecommendCouponPairs(m, k) (its best sellers as triggers);
//   coupons/merchant+filter  the same with a price band [0.5, 2] x m's median SKU price.
// Benchmark names: ann/merchant, partners, partners/filter, ann/sku, coupons/sku,
// coupons/sku/price_band, ann/triggers, coupons/merchant, coupons/merchant/price_band, and
// with an HNSW SKU index and --recall-queries, sku_search/ef:E (the recall section's beams).
// Baseline in the same run: the bare ANN search of the same query (one FAISS search of
// C + 1 neighbours for partners, coupon_candidates + 1 for a SKU, and for the merchant
// coupon query one batched search of its trigger SKUs); the ratio column is the
// variant's mean over that baseline's mean (what the graph filters, rerank and evidence
// cost on top of the index).
//
// Recall: `--recall-queries` stored vectors (evenly spaced) of each index searched with
// the model's index and with an exact Flat index over the same vectors (inner product on
// normalised vectors, as the model): recall@10, and recall@C of the candidate stage
// (C = partner_candidates + 1 or coupon_candidates + 1, the size the recommender fetches).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ann_recall.hpp"
#include "bench_support.hpp"
#include "partnergraph/common/audience.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

using namespace partnergraph;
using Clock = std::chrono::steady_clock;
using bench::Latency;
using bench::MeasureRecall;
using bench::NonZero;
using bench::OrDie;
using bench::Recall;

namespace {

struct Args {
  std::string model;
  std::string config;
  std::size_t queries = 10000;
  std::size_t recall_queries = 1000;
  std::uint32_t k = 10;
  std::uint64_t seed = 1;
  Audience audience = Audience::kOperator;
  // Diagnostic: also measure the recall of a SKU index rebuilt with this efConstruction.
  std::uint32_t sku_ef_construction = 0;
  // Diagnostic: write every default-filter answer of the timed queries to this file (to
  // compare two builds' answers).
  std::string dump;
};

void AddFlags(CLI::App& app, Args& a) {
  app.add_option("--model", a.model, "Model folder written by partnergraph build")->required();
  app.add_option("--config", a.config, "Take the recommend options from this config file");
  app.add_option("--queries", a.queries, "Timed queries per variant")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--recall-queries", a.recall_queries, "Queries of the recall section (0: skip it)")
      ->capture_default_str();
  app.add_option("--k", a.k, "Results per query (1..recommend.max_k)")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--seed", a.seed, "Seed of the query sets")->capture_default_str();
  app.add_option("--audience", a.audience, "Who the answers are for: operator or merchant")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Audience>{
          {"operator", Audience::kOperator}, {"merchant", Audience::kMerchant}}))
      ->default_str("operator");
  app.add_option("--sku-ef-construction", a.sku_ef_construction,
                 "Also measure a SKU index rebuilt with this efConstruction (0: no)");
  app.add_option("--dump", a.dump, "Write every default-filter answer to this file");
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The model, the recommender, the query sets and the latency of every benchmark that ran.
class RecommendBench {
 public:
  explicit RecommendBench(const Args& args) : args_(args), rng_(args.seed) {}

  // Loads the model and prints the header lines; returns the exit code (0: go on).
  int Load();
  // Registers one benchmark per variant (see the top of the file).
  void Register();
  // --dump, the latency table and the recall section; returns the exit code.
  int Finish();

 private:
  using Query = std::function<long(std::size_t)>;

  void Time(const std::string& name, std::size_t n, const Query& query) {
    benchmark::RegisterBenchmark(name.c_str(),
                                 [this, name, n, query](benchmark::State& state) {
                                   ScopedFaissThreads one_thread(1);
                                   Latency l;
                                   if (bench::TimeQueries(state, n, query, &l)) {
                                     latency_[name] = l;
                                   } else {
                                     failed_ = true;
                                   }
                                 })
        ->Iterations(static_cast<benchmark::IterationCount>(n))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  static long Fail(const Status& s) {
    std::fprintf(stderr, "recommend_bench: query failed: %s\n", s.ToString().c_str());
    return -1L;
  }
  int Dump() const;
  void PrintTable() const;
  void PrintRecall() const;

  const Args& args_;
  std::mt19937_64 rng_;
  ModelConfig config_;
  RecommendModel model_;
  std::shared_ptr<const Recommender> rec_;
  std::vector<MerchantId> qm_;  // the query merchants
  std::vector<SkuId> qs_;       // the query SKUs
  std::vector<SkuId> timed_;    // the sku_search/ef:E queries
  PartnerFilters partner_defaults_;
  CouponFilters coupon_defaults_;
  std::map<std::string, Latency> latency_;  // by benchmark name
  bool failed_ = false;
};

int RecommendBench::Load() {
  const std::filesystem::path dir(args_.model);
  const auto load_start = Clock::now();
  auto graph = OrDie(LoadGraph(dir / "graph.pgg"), "graph");
  config_ = OrDie(LoadModelConfig(dir / "config.json"), "config");
  if (!args_.config.empty()) {
    config_.recommend = OrDie(LoadModelConfig(args_.config), "--config").recommend;
  }
  const std::uint64_t fingerprint = graph->Fingerprint();
  RecommendModel& model = model_;
  model.graph = graph;
  model.merchant_vectors = std::make_shared<const Embeddings>(OrDie(
      Embeddings::Load(dir / (config_.model.partner_embedding == "walk" ? "merchants_walk.emb"
                                                                        : "merchants_svd.emb")),
      "merchant embeddings"));
  model.merchant_index = std::make_shared<const VectorIndex>(
      OrDie(VectorIndex::Load(dir / "merchants.faiss", fingerprint), "merchant index"));
  if (std::filesystem::exists(dir / "skus.faiss")) {
    model.sku_vectors = std::make_shared<const Embeddings>(
        OrDie(Embeddings::Load(dir / "skus_item2vec.emb"), "SKU embeddings"));
    model.sku_index = std::make_shared<const VectorIndex>(
        OrDie(VectorIndex::Load(dir / "skus.faiss", fingerprint), "SKU index"));
  }
  std::string neighbors_note = "none (every coupon query searches the SKU index)";
  if (model.sku_index && std::filesystem::exists(dir / kSkuNeighborsFileName)) {
    auto table = SkuNeighborTable::Load(
        dir / kSkuNeighborsFileName,
        ExpectedSkuNeighborKey(*model.sku_index, graph->sku_count(), config_.recommend));
    if (table.ok()) {
      neighbors_note = fmt::format("{} ({} SKUs)", kSkuNeighborsFileName, table->covered());
      model.sku_neighbors = std::make_shared<const SkuNeighborTable>(std::move(table).value());
    } else if (!args_.config.empty() && table.status().IsInvalidArgument()) {
      neighbors_note = fmt::format("not used: {}", table.status().message());
    } else {
      std::fprintf(stderr, "recommend_bench: %s\n", table.status().ToString().c_str());
      return 1;
    }
  }
  std::string merchant_lists_note = "none (every partner query searches the merchant index)";
  if (std::filesystem::exists(dir / kMerchantNeighborsFileName)) {
    auto table = MerchantNeighborTable::Load(
        dir / kMerchantNeighborsFileName,
        ExpectedMerchantNeighborKey(*model.merchant_index, graph->merchant_count(),
                                    config_.recommend));
    if (table.ok()) {
      merchant_lists_note =
          fmt::format("{} ({} merchants)", kMerchantNeighborsFileName, table->covered());
      model.merchant_neighbors =
          std::make_shared<const MerchantNeighborTable>(std::move(table).value());
    } else if (!args_.config.empty() && table.status().IsInvalidArgument()) {
      merchant_lists_note = fmt::format("not used: {}", table.status().message());
    } else {
      std::fprintf(stderr, "recommend_bench: %s\n", table.status().ToString().c_str());
      return 1;
    }
  }
  rec_ = OrDie(Recommender::Create(model, config_.recommend), "recommender");
  // The Recommender takes the k the Engine would accept (partner_recommender.hpp).
  if (args_.k > rec_->options().max_k) {
    fmt::print(stderr, "recommend_bench: --k {} is above recommend.max_k ({})\n", args_.k,
               rec_->options().max_k);
    return 1;
  }
  const double load_seconds = Seconds(load_start);
  const EcosystemGraph& g = *graph;
  const RecommendOptions& o = rec_->options();

  std::printf(
      "recommend_bench: model %s: %u merchants, %u SKUs, %u customers; merchant index "
      "%s (%u vectors), SKU index %s (%u vectors); loaded in %.1f s\n",
      args_.model.c_str(), g.merchant_count(), g.sku_count(), g.customer_count(),
      model.merchant_index->factory().c_str(), model.merchant_index->size(),
      model.sku_index ? model.sku_index->factory().c_str() : "-",
      model.sku_index ? model.sku_index->size() : 0u, load_seconds);
  std::printf("SKU neighbour lists: %s\n", neighbors_note.c_str());
  std::printf("merchant neighbour lists: %s\n", merchant_lists_note.c_str());
  const std::string audience(ToString(args_.audience));
  std::printf(
      "%zu queries per variant, k = %u, audience %s, one thread, FAISS OpenMP threads = "
      "1; C = %u partner candidates, %u graph candidates, %u coupon candidates, %u "
      "popular, %u triggers\n\n",
      args_.queries, args_.k, audience.c_str(), o.partner_candidates, o.partner_graph_candidates,
      o.coupon_candidates, o.coupon_popular_candidates, o.coupon_trigger_skus);
  std::fflush(stdout);

  // Query sets (seeded, uniform).
  std::vector<MerchantId> merchants_with_vector;
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
    if (NonZero(model.merchant_vectors->Row(m))) merchants_with_vector.push_back(MerchantId(m));
  }
  std::vector<SkuId> skus_with_buyers;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    if (g.SkuStatsOf(SkuId(s)).buyers > 0) skus_with_buyers.push_back(SkuId(s));
  }
  if (merchants_with_vector.empty() || skus_with_buyers.empty()) {
    std::fprintf(stderr, "recommend_bench: the model has no merchant vector or no bought SKU\n");
    return 1;
  }
  qm_.resize(args_.queries);
  qs_.resize(args_.queries);
  for (auto& m : qm_) m = merchants_with_vector[rng_() % merchants_with_vector.size()];
  for (auto& s : qs_) s = skus_with_buyers[rng_() % skus_with_buyers.size()];
  // Default filters of every timed query, for --audience.
  partner_defaults_.audience = args_.audience;
  coupon_defaults_.audience = args_.audience;
  return 0;
}

void RecommendBench::Register() {
  // The lambdas outlive this function: they capture pointers to members, and values.
  const EcosystemGraph* g = model_.graph.get();
  const RecommendOptions* o = &rec_->options();
  const RecommendModel* model = &model_;
  const Recommender* rec = rec_.get();
  const std::uint32_t c = o->partner_candidates;
  const std::uint32_t k = args_.k;
  const std::size_t n = args_.queries;
  Time("ann/merchant", n, [=, this](std::size_t i) {
    auto r = model->merchant_index->Search(model->merchant_vectors->Row(qm_[i].value), c + 1);
    return r.ok() ? static_cast<long>(r->Query(0).size()) : Fail(r.status());
  });
  Time("partners", n, [=, this](std::size_t i) {
    auto r = rec->RecommendPartners(qm_[i], k, partner_defaults_);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  Time("partners/filter", n, [=, this](std::size_t i) {
    PartnerFilters f = partner_defaults_;
    const MerchantInfo info = g->Merchant(qm_[i]);
    f.regions = {info.region};
    f.exclude_categories = {info.category};
    auto r = rec->RecommendPartners(qm_[i], k, f);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  if (model->sku_index) {
    Time("ann/sku", n, [=, this](std::size_t i) {
      auto row = model->sku_vectors->Row(qs_[i].value);
      if (!NonZero(row)) return 0L;
      auto r = model->sku_index->Search(row, o->coupon_candidates + 1);
      return r.ok() ? static_cast<long>(r->Query(0).size()) : Fail(r.status());
    });
  }
  Time("coupons/sku", n, [=, this](std::size_t i) {
    auto r = rec->RecommendCouponPairs(qs_[i], k, coupon_defaults_);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  Time("coupons/sku/price_band", n, [=, this](std::size_t i) {
    CouponFilters f = coupon_defaults_;
    const double price = g->Sku(qs_[i]).price;
    f.min_price = 0.5 * price;
    f.max_price = 2.0 * price;
    auto r = rec->RecommendCouponPairs(qs_[i], k, f);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  // The merchant query's own ANN stage: its trigger SKUs (best sellers by buyers, ties by
  // id, with buyers and a vector) searched in one batch, as the recommender does.
  if (model->sku_index) {
    Time("ann/triggers", n, [=, this](std::size_t i) {
      std::vector<std::pair<std::uint32_t, SkuId>> sellers;
      for (SkuId s : g->SkusOf(qm_[i])) sellers.emplace_back(g->SkuStatsOf(s).buyers, s);
      std::sort(sellers.begin(), sellers.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      if (sellers.size() > o->coupon_trigger_skus) sellers.resize(o->coupon_trigger_skus);
      std::vector<float> queries;
      for (const auto& [buyers, s] : sellers) {
        auto row = model->sku_vectors->Row(s.value);
        if (buyers > 0 && NonZero(row)) queries.insert(queries.end(), row.begin(), row.end());
      }
      if (queries.empty()) return 0L;
      auto r = model->sku_index->Search(queries, o->coupon_candidates + 1);
      return r.ok() ? static_cast<long>(r->num_queries()) : Fail(r.status());
    });
  }
  Time("coupons/merchant", n, [=, this](std::size_t i) {
    auto r = rec->RecommendCouponPairs(qm_[i], k, coupon_defaults_);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  Time("coupons/merchant/price_band", n, [=, this](std::size_t i) {
    std::vector<double> prices;
    for (SkuId s : g->SkusOf(qm_[i])) prices.push_back(g->Sku(s).price);
    CouponFilters f = coupon_defaults_;
    if (!prices.empty()) {
      std::nth_element(prices.begin(), prices.begin() + prices.size() / 2, prices.end());
      f.min_price = 0.5 * prices[prices.size() / 2];
      f.max_price = 2.0 * prices[prices.size() / 2];
    }
    auto r = rec->RecommendCouponPairs(qm_[i], k, f);
    return r.ok() ? static_cast<long>(r->size()) : Fail(r.status());
  });
  // HNSW: what one search of coupon_candidates + 1 costs at other beams (one thread, the
  // first --recall-queries bought SKUs with a vector of the latency query set); the recall
  // section prints it beside each beam's recall.
  if (args_.recall_queries > 0 && model->sku_index &&
      model->sku_index->factory().rfind("HNSW", 0) == 0) {
    for (SkuId s : qs_) {
      if (timed_.size() < args_.recall_queries && NonZero(model->sku_vectors->Row(s.value))) {
        timed_.push_back(s);
      }
    }
    if (timed_.empty()) return;
    for (std::uint32_t ef : {16u, 32u, 64u, 128u, 256u, 384u, 512u}) {
      Time(fmt::format("sku_search/ef:{}", ef), timed_.size(), [=, this](std::size_t i) {
        SearchOptions so;
        so.ef_search = ef;
        auto h = model->sku_index->Search(model->sku_vectors->Row(timed_[i].value),
                                          o->coupon_candidates + 1, so);
        return h.ok() ? static_cast<long>(h->Query(0).size()) : Fail(h.status());
      });
    }
  }
}

int RecommendBench::Finish() {
  if (const int code = Dump(); code != 0) return code;
  PrintTable();
  if (args_.recall_queries > 0) PrintRecall();
  return failed_ ? 1 : 0;
}

int RecommendBench::Dump() const {
  if (args_.dump.empty()) return 0;
  std::FILE* out = std::fopen(args_.dump.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "recommend_bench: cannot write %s\n", args_.dump.c_str());
    return 1;
  }
  for (std::size_t i = 0; i < args_.queries; ++i) {
    std::fprintf(out, "partners %u:", qm_[i].value);
    for (const auto& r :
         OrDie(rec_->RecommendPartners(qm_[i], args_.k, partner_defaults_), "dump")) {
      std::fprintf(out, " %u=%.9g", r.merchant.value, r.score.total);
    }
    std::fprintf(out, "\ncoupons/merchant %u:", qm_[i].value);
    for (const auto& r :
         OrDie(rec_->RecommendCouponPairs(qm_[i], args_.k, coupon_defaults_), "dump")) {
      std::fprintf(out, " %u<-%u=%.9g", r.sku.value, r.trigger.value, r.score);
    }
    std::fprintf(out, "\ncoupons/sku %u:", qs_[i].value);
    for (const auto& r :
         OrDie(rec_->RecommendCouponPairs(qs_[i], args_.k, coupon_defaults_), "dump")) {
      std::fprintf(out, " %u=%.9g", r.sku.value, r.score);
    }
    std::fprintf(out, "\n");
  }
  std::fclose(out);
  return 0;
}

void RecommendBench::PrintTable() const {
  std::printf(
      "\n| query | p50 (us) | p99 (us) | mean (us) | CPU p50 (us) | CPU p99 (us) | mean results | "
      "mean / bare ANN search |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  auto row = [&](const char* label, const std::string& name, const std::string& base) {
    const auto l = latency_.find(name);
    if (l == latency_.end()) return;
    const auto b = base.empty() ? latency_.end() : latency_.find(base);
    const std::string ratio = b != latency_.end() && b->second.mean_us > 0
                                  ? fmt::format("{:.2f}x", l->second.mean_us / b->second.mean_us)
                                  : "-";
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %s |\n", label, l->second.p50_us,
                l->second.p99_us, l->second.mean_us, l->second.cpu_p50_us, l->second.cpu_p99_us,
                l->second.mean_results, ratio.c_str());
  };
  row("bare ANN search, merchant (baseline)", "ann/merchant", "");
  row("partners", "partners", "ann/merchant");
  row("partners + region/category filter", "partners/filter", "ann/merchant");
  row("bare ANN search, SKU (baseline)", "ann/sku", "");
  row("coupons/sku", "coupons/sku", "ann/sku");
  row("coupons/sku + price band", "coupons/sku/price_band", "ann/sku");
  row("bare ANN search, trigger SKUs batched (baseline)", "ann/triggers", "");
  row("coupons/merchant", "coupons/merchant", "ann/triggers");
  row("coupons/merchant + price band", "coupons/merchant/price_band", "ann/triggers");
}

void RecommendBench::PrintRecall() const {
  const RecommendModel& model = model_;
  const RecommendOptions& o = rec_->options();
  std::printf(
      "\n| ANN stage | index | vectors | queries | recall@10 | recall@10, ties as hits | "
      "candidates C | recall@C |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  const auto t0 = Clock::now();
  Recall rm = MeasureRecall(*model.merchant_vectors, *model.merchant_index,
                            o.partner_candidates + 1, args_.recall_queries);
  std::printf("| merchants | %s | %u | %zu | %.4f | %.4f | %u | %.4f |\n",
              model.merchant_index->factory().c_str(), model.merchant_index->size(), rm.queries,
              rm.at10, rm.at10_ties, rm.c, rm.at_c);
  if (model.sku_index) {
    // At the coupon query's own beam (coupon_ef_search; 0 = the index's): the search of
    // a coupon query and of the stored SKU lists.
    Recall rs = MeasureRecall(*model.sku_vectors, *model.sku_index, o.coupon_candidates + 1,
                              args_.recall_queries, o.coupon_ef_search);
    std::printf(
        "| SKUs (coupon query: coupon_ef_search %u) | %s | %u | %zu | %.4f | %.4f | %u | "
        "%.4f |\n",
        o.coupon_ef_search, model.sku_index->factory().c_str(), model.sku_index->size(), rs.queries,
        rs.at10, rs.at10_ties, rs.c, rs.at_c);
    // HNSW: the recall other search beams give (the index's own default above), beside the
    // one-search cost that sku_search/ef:E measured.
    if (model.sku_index->factory().rfind("HNSW", 0) == 0) {
      for (std::uint32_t ef : {16u, 32u, 64u, 128u, 256u, 384u, 512u}) {
        Recall r = MeasureRecall(*model.sku_vectors, *model.sku_index, o.coupon_candidates + 1,
                                 args_.recall_queries, ef);
        const auto l = latency_.find(fmt::format("sku_search/ef:{}", ef));
        const std::string cost = l == latency_.end()
                                     ? "not timed"
                                     : fmt::format("CPU p50 {:.0f} us, p99 {:.0f} us",
                                                   l->second.cpu_p50_us, l->second.cpu_p99_us);
        std::printf(
            "| SKUs, efSearch %u (one search: %s) | %s | %u | %zu | %.4f | %.4f | %u | "
            "%.4f |\n",
            ef, cost.c_str(), model.sku_index->factory().c_str(), model.sku_index->size(),
            r.queries, r.at10, r.at10_ties, r.c, r.at_c);
      }
    }
    // Exact duplicates among the indexed (non-zero) SKU rows: the candidates for ties.
    std::vector<std::uint32_t> rows;
    for (std::uint32_t r = 0; r < model.sku_vectors->rows(); ++r) {
      if (NonZero(model.sku_vectors->Row(r))) rows.push_back(r);
    }
    auto less = [&](std::uint32_t a, std::uint32_t b) {
      auto x = model.sku_vectors->Row(a), y = model.sku_vectors->Row(b);
      return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
    };
    std::sort(rows.begin(), rows.end(), less);
    std::size_t duplicated = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const bool same_prev = i > 0 && !less(rows[i - 1], rows[i]);
      const bool same_next = i + 1 < rows.size() && !less(rows[i], rows[i + 1]);
      duplicated += same_prev || same_next;
    }
    std::printf("SKU rows that exactly equal another row: %zu of %zu\n", duplicated, rows.size());
  }
  if (model.sku_index && args_.sku_ef_construction > 0) {
    std::vector<std::uint32_t> ids;
    std::vector<float> values;
    for (std::uint32_t r = 0; r < model.sku_vectors->rows(); ++r) {
      auto row = model.sku_vectors->Row(r);
      if (!NonZero(row)) continue;
      ids.push_back(r);
      values.insert(values.end(), row.begin(), row.end());
    }
    VectorIndexOptions vo = config_.index.skus;
    vo.factory = model.sku_index->factory();
    vo.hnsw_ef_construction = args_.sku_ef_construction;
    const auto b0 = Clock::now();
    VectorIndex rebuilt =
        OrDie(VectorIndex::Build(values, model.sku_vectors->dim(), ids, vo), "rebuilt SKU index");
    const double build_s = Seconds(b0);
    Recall r =
        MeasureRecall(*model.sku_vectors, rebuilt, o.coupon_candidates + 1, args_.recall_queries);
    std::printf(
        "| SKUs, rebuilt with efConstruction %u (%.0f s) | %s | %u | %zu | %.4f | %.4f | "
        "%u | %.4f |\n",
        args_.sku_ef_construction, build_s, rebuilt.factory().c_str(), rebuilt.size(), r.queries,
        r.at10, r.at10_ties, r.c, r.at_c);
  }
  std::printf("(recall measured in %.1f s)\n", Seconds(t0));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::unique_ptr<RecommendBench> runner;
  return bench::RunBenchmarkMain(
      argc, argv, "recommend_bench: in-process latency of the recommenders on a built model",
      [&](CLI::App& app) { AddFlags(app, args); },
      [&] {
        runner = std::make_unique<RecommendBench>(args);
        if (const int code = runner->Load(); code != 0) return code;
        runner->Register();
        return 0;
      },
      [&] { return runner->Finish(); });
}
