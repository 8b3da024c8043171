// recommend_bench: in-process latency of the recommenders on a built model, and recall of
// their ANN stage against exact search (issue 3; results in bench/RESULTS.md).
//
//   recommend_bench --model DIR [--config FILE] [--queries 10000] [--recall-queries 1000]
//                   [--k 10] [--seed 1] [--audience operator|merchant]
//
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
// Latency: `--queries` queries per variant, each timed alone on the calling thread with
// FAISS's OpenMP at one thread (one query on one core, as a server worker runs it);
// p50, p99 and mean in microseconds of wall time, and p50/p99 of the thread's CPU time (on a
// loaded machine the wall p99 mostly measures waiting for a core). Query merchants and SKUs are drawn uniformly (seeded)
// among merchants with an embedding vector and SKUs with buyers. Variants:
//   partners            RecommendPartners(m, k) with default filters;
//   partners+filter     the same with live filters: candidates in m's region only and
//                       m's category excluded (the filter runs inside the ANN search);
//   coupons/sku         RecommendCouponPairs(sku, k), default filters;
//   coupons/sku+filter  the same with a price band [0.5, 2] x the trigger's price;
//   coupons/merchant    RecommendCouponPairs(m, k) (its best sellers as triggers);
//   coupons/merchant+filter  the same with a price band [0.5, 2] x m's median SKU price.
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
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

using namespace partnergraph;
using Clock = std::chrono::steady_clock;

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

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "recommend_bench: %s\nusage: recommend_bench --model DIR [--config FILE] [--queries N] "
               "[--recall-queries N] [--k N] [--seed N] [--audience operator|merchant]\n",
               why.c_str());
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i += 2) {
    const std::string key = argv[i];
    if (i + 1 >= argc) Usage(key + ": missing value");
    const std::string value = argv[i + 1];
    try {
      if (key == "--model") a.model = value;
      else if (key == "--config") a.config = value;
      else if (key == "--queries") a.queries = std::stoull(value);
      else if (key == "--recall-queries") a.recall_queries = std::stoull(value);
      else if (key == "--k") a.k = static_cast<std::uint32_t>(std::stoul(value));
      else if (key == "--seed") a.seed = std::stoull(value);
      else if (key == "--dump") a.dump = value;
      else if (key == "--audience") {
        if (value == "operator") a.audience = Audience::kOperator;
        else if (value == "merchant") a.audience = Audience::kMerchant;
        else Usage("--audience: \"" + value + "\" is not operator or merchant");
      }
      else if (key == "--sku-ef-construction") a.sku_ef_construction = static_cast<std::uint32_t>(std::stoul(value));
      else Usage("unknown option " + key);
    } catch (const std::exception&) {
      Usage(key + ": \"" + value + "\" is not a number");
    }
  }
  if (a.model.empty()) Usage("--model is required");
  if (a.queries == 0) Usage("--queries must be positive");
  return a;
}

template <typename T>
T OrDie(Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::fprintf(stderr, "recommend_bench: %s: %s\n", what.c_str(), r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
  // The same over the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): what the query
  // costs without the time it waited for a core on a loaded machine.
  double cpu_p50_us = 0;
  double cpu_p99_us = 0;
  double mean_results = 0;
};

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

// Runs query(i) for i in [0, n), each timed alone; query returns the number of results
// (or -1 on error, which aborts the run).
Latency Time(std::size_t n, const std::function<long(std::size_t)>& query) {
  std::vector<double> us(n), cpu(n);
  double results = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double cpu_start = ThreadCpuMicros();
    const auto start = Clock::now();
    const long got = query(i);
    us[i] = Seconds(start) * 1e6;
    cpu[i] = ThreadCpuMicros() - cpu_start;
    if (got < 0) std::exit(1);
    results += static_cast<double>(got);
  }
  Latency l;
  for (double u : us) l.mean_us += u / static_cast<double>(n);
  l.mean_results = results / static_cast<double>(n);
  std::sort(us.begin(), us.end());
  std::sort(cpu.begin(), cpu.end());
  l.p50_us = us[n / 2];
  l.p99_us = us[std::min(n - 1, n * 99 / 100)];
  l.cpu_p50_us = cpu[n / 2];
  l.cpu_p99_us = cpu[std::min(n - 1, n * 99 / 100)];
  return l;
}

bool NonZero(std::span<const float> row) {
  return std::any_of(row.begin(), row.end(), [](float x) { return x != 0.0f; });
}

struct Recall {
  double at10 = 0;
  // recall@10 counting a hit whose exact score ties the 10th exact score (within 1e-5) as
  // found: exact and approximate search break ties between equal scores differently.
  double at10_ties = 0;
  double at_c = 0;
  std::uint32_t c = 0;
  std::size_t queries = 0;
};

// Recall of `index` against an exact Flat index over the same (non-zero) rows of `e`.
Recall MeasureRecall(const Embeddings& e, const VectorIndex& index, std::uint32_t c,
                     std::size_t max_queries, std::uint32_t ef_search = 0) {
  std::vector<std::uint32_t> ids;
  std::vector<float> values;
  for (std::uint32_t r = 0; r < e.rows(); ++r) {
    auto row = e.Row(r);
    if (!NonZero(row)) continue;
    ids.push_back(r);
    values.insert(values.end(), row.begin(), row.end());
  }
  VectorIndexOptions flat;
  flat.factory = "Flat";
  VectorIndex exact = OrDie(VectorIndex::Build(values, e.dim(), ids, flat), "exact index");
  const std::size_t nq = std::min(max_queries, ids.size());
  std::vector<float> queries;
  for (std::size_t q = 0; q < nq; ++q) {
    const std::size_t pick = q * ids.size() / nq;
    auto row = e.Row(ids[pick]);
    queries.insert(queries.end(), row.begin(), row.end());
  }
  Recall out;
  out.c = std::min<std::uint32_t>(c, static_cast<std::uint32_t>(ids.size()));
  out.queries = nq;
  for (std::uint32_t k : {std::min<std::uint32_t>(10, out.c), out.c}) {
    // Batched, all cores: only the hits matter here.
    SearchOptions all_threads;
    all_threads.omp_threads = FaissMaxThreads();
    SearchResults truth = OrDie(exact.Search(queries, k, all_threads), "exact search");
    SearchOptions approx = all_threads;
    approx.ef_search = ef_search;
    SearchResults got = OrDie(index.Search(queries, k, approx), "index search");
    std::size_t found = 0, total = 0, found_ties = 0;
    for (std::size_t q = 0; q < nq; ++q) {
      std::vector<std::uint32_t> t;
      for (const Neighbor& n : truth.Query(q)) t.push_back(n.id);
      std::sort(t.begin(), t.end());
      total += t.size();
      const float kth = truth.Query(q).empty() ? 0.0f : truth.Query(q).back().score;
      for (const Neighbor& n : got.Query(q)) {
        const bool hit = std::binary_search(t.begin(), t.end(), n.id);
        found += hit;
        found_ties += hit || n.score >= kth - 1e-5f;
      }
    }
    if (k == std::min<std::uint32_t>(10, out.c)) {
      out.at10_ties = total == 0 ? 1.0 : static_cast<double>(found_ties) / static_cast<double>(total);
    }
    const double r = total == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(total);
    (k == out.c ? out.at_c : out.at10) = r;
    if (k == out.c && out.c <= 10) out.at10 = r;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const std::filesystem::path dir(args.model);

  const auto load_start = Clock::now();
  auto graph = OrDie(LoadGraph(dir / "graph.pgg"), "graph");
  ModelConfig config = OrDie(LoadModelConfig(dir / "config.json"), "config");
  if (!args.config.empty()) {
    config.recommend = OrDie(LoadModelConfig(args.config), "--config").recommend;
  }
  const std::uint64_t fingerprint = graph->Fingerprint();
  RecommendModel model;
  model.graph = graph;
  model.merchant_vectors = std::make_shared<const Embeddings>(OrDie(
      Embeddings::Load(dir / (config.model.partner_embedding == "walk" ? "merchants_walk.emb"
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
        ExpectedSkuNeighborKey(*model.sku_index, graph->sku_count(), config.recommend));
    if (table.ok()) {
      neighbors_note = std::string(kSkuNeighborsFileName) + " (" +
                       std::to_string(table->covered()) + " SKUs)";
      model.sku_neighbors = std::make_shared<const SkuNeighborTable>(std::move(table).value());
    } else if (!args.config.empty() && table.status().IsInvalidArgument()) {
      neighbors_note = "not used: " + table.status().message();
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
                                    config.recommend));
    if (table.ok()) {
      merchant_lists_note = std::string(kMerchantNeighborsFileName) + " (" +
                            std::to_string(table->covered()) + " merchants)";
      model.merchant_neighbors =
          std::make_shared<const MerchantNeighborTable>(std::move(table).value());
    } else if (!args.config.empty() && table.status().IsInvalidArgument()) {
      merchant_lists_note = "not used: " + table.status().message();
    } else {
      std::fprintf(stderr, "recommend_bench: %s\n", table.status().ToString().c_str());
      return 1;
    }
  }
  auto rec = OrDie(Recommender::Create(model, config.recommend), "recommender");
  const double load_seconds = Seconds(load_start);
  const EcosystemGraph& g = *graph;
  const RecommendOptions& o = rec->options();

  std::printf("recommend_bench: model %s: %u merchants, %u SKUs, %u customers; merchant index "
              "%s (%u vectors), SKU index %s (%u vectors); loaded in %.1f s\n",
              args.model.c_str(), g.merchant_count(), g.sku_count(), g.customer_count(),
              model.merchant_index->factory().c_str(), model.merchant_index->size(),
              model.sku_index ? model.sku_index->factory().c_str() : "-",
              model.sku_index ? model.sku_index->size() : 0u, load_seconds);
  std::printf("SKU neighbour lists: %s\n", neighbors_note.c_str());
  std::printf("merchant neighbour lists: %s\n", merchant_lists_note.c_str());
  const std::string audience(ToString(args.audience));
  std::printf("%zu queries per variant, k = %u, audience %s, one thread, FAISS OpenMP threads = "
              "1; C = %u partner candidates, %u graph candidates, %u coupon candidates, %u "
              "popular, %u triggers\n\n",
              args.queries, args.k, audience.c_str(), o.partner_candidates,
              o.partner_graph_candidates, o.coupon_candidates, o.coupon_popular_candidates,
              o.coupon_trigger_skus);

  // Query sets (seeded, uniform).
  std::mt19937_64 rng(args.seed);
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
  std::vector<MerchantId> qm(args.queries);
  std::vector<SkuId> qs(args.queries);
  for (auto& m : qm) m = merchants_with_vector[rng() % merchants_with_vector.size()];
  for (auto& s : qs) s = skus_with_buyers[rng() % skus_with_buyers.size()];

  ScopedFaissThreads one_thread(1);
  const std::uint32_t c = o.partner_candidates;
  // Default filters of every timed query, for --audience.
  PartnerFilters partner_defaults;
  partner_defaults.audience = args.audience;
  CouponFilters coupon_defaults;
  coupon_defaults.audience = args.audience;

  auto fail = [](const Status& s) {
    std::fprintf(stderr, "recommend_bench: query failed: %s\n", s.ToString().c_str());
    return -1L;
  };
  const Latency partner_ann = Time(args.queries, [&](std::size_t i) {
    auto r = model.merchant_index->Search(model.merchant_vectors->Row(qm[i].value), c + 1);
    return r.ok() ? static_cast<long>(r->Query(0).size()) : fail(r.status());
  });
  const Latency partners = Time(args.queries, [&](std::size_t i) {
    auto r = rec->RecommendPartners(qm[i], args.k, partner_defaults);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });
  const Latency partners_filtered = Time(args.queries, [&](std::size_t i) {
    PartnerFilters f = partner_defaults;
    const MerchantInfo info = g.Merchant(qm[i]);
    f.regions = {info.region};
    f.exclude_categories = {info.category};
    auto r = rec->RecommendPartners(qm[i], args.k, f);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });

  Latency sku_ann, coupons_sku, coupons_sku_filtered, coupons_m, coupons_m_filtered;
  if (model.sku_index) {
    sku_ann = Time(args.queries, [&](std::size_t i) {
      auto row = model.sku_vectors->Row(qs[i].value);
      if (!NonZero(row)) return 0L;
      auto r = model.sku_index->Search(row, o.coupon_candidates + 1);
      return r.ok() ? static_cast<long>(r->Query(0).size()) : fail(r.status());
    });
  }
  coupons_sku = Time(args.queries, [&](std::size_t i) {
    auto r = rec->RecommendCouponPairs(qs[i], args.k, coupon_defaults);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });
  coupons_sku_filtered = Time(args.queries, [&](std::size_t i) {
    CouponFilters f = coupon_defaults;
    const double price = g.Sku(qs[i]).price;
    f.min_price = 0.5 * price;
    f.max_price = 2.0 * price;
    auto r = rec->RecommendCouponPairs(qs[i], args.k, f);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });
  // The merchant query's own ANN stage: its trigger SKUs (best sellers by buyers, ties by
  // id, with buyers and a vector) searched in one batch, as the recommender does.
  Latency trigger_ann;
  if (model.sku_index) {
    trigger_ann = Time(args.queries, [&](std::size_t i) {
      std::vector<std::pair<std::uint32_t, SkuId>> sellers;
      for (SkuId s : g.SkusOf(qm[i])) sellers.emplace_back(g.SkuStatsOf(s).buyers, s);
      std::sort(sellers.begin(), sellers.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      if (sellers.size() > o.coupon_trigger_skus) sellers.resize(o.coupon_trigger_skus);
      std::vector<float> queries;
      for (const auto& [buyers, s] : sellers) {
        auto row = model.sku_vectors->Row(s.value);
        if (buyers > 0 && NonZero(row)) queries.insert(queries.end(), row.begin(), row.end());
      }
      if (queries.empty()) return 0L;
      auto r = model.sku_index->Search(queries, o.coupon_candidates + 1);
      return r.ok() ? static_cast<long>(r->num_queries()) : fail(r.status());
    });
  }
  coupons_m = Time(args.queries, [&](std::size_t i) {
    auto r = rec->RecommendCouponPairs(qm[i], args.k, coupon_defaults);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });
  coupons_m_filtered = Time(args.queries, [&](std::size_t i) {
    std::vector<double> prices;
    for (SkuId s : g.SkusOf(qm[i])) prices.push_back(g.Sku(s).price);
    CouponFilters f = coupon_defaults;
    if (!prices.empty()) {
      std::nth_element(prices.begin(), prices.begin() + prices.size() / 2, prices.end());
      f.min_price = 0.5 * prices[prices.size() / 2];
      f.max_price = 2.0 * prices[prices.size() / 2];
    }
    auto r = rec->RecommendCouponPairs(qm[i], args.k, f);
    return r.ok() ? static_cast<long>(r->size()) : fail(r.status());
  });

  if (!args.dump.empty()) {
    std::FILE* out = std::fopen(args.dump.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "recommend_bench: cannot write %s\n", args.dump.c_str());
      return 1;
    }
    for (std::size_t i = 0; i < args.queries; ++i) {
      std::fprintf(out, "partners %u:", qm[i].value);
      for (const auto& r : OrDie(rec->RecommendPartners(qm[i], args.k, partner_defaults), "dump")) {
        std::fprintf(out, " %u=%.9g", r.merchant.value, r.score.total);
      }
      std::fprintf(out, "\ncoupons/merchant %u:", qm[i].value);
      for (const auto& r : OrDie(rec->RecommendCouponPairs(qm[i], args.k, coupon_defaults), "dump")) {
        std::fprintf(out, " %u<-%u=%.9g", r.sku.value, r.trigger.value, r.score);
      }
      std::fprintf(out, "\ncoupons/sku %u:", qs[i].value);
      for (const auto& r : OrDie(rec->RecommendCouponPairs(qs[i], args.k, coupon_defaults), "dump")) {
        std::fprintf(out, " %u=%.9g", r.sku.value, r.score);
      }
      std::fprintf(out, "\n");
    }
    std::fclose(out);
  }

  std::printf("| query | p50 (us) | p99 (us) | mean (us) | CPU p50 (us) | CPU p99 (us) | mean results | mean / bare ANN search |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  auto row = [&](const char* name, const Latency& l, const Latency* base) {
    char ratio[32] = "-";
    if (base && base->mean_us > 0) std::snprintf(ratio, sizeof(ratio), "%.2fx", l.mean_us / base->mean_us);
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %s |\n", name, l.p50_us, l.p99_us,
                l.mean_us, l.cpu_p50_us, l.cpu_p99_us, l.mean_results, ratio);
  };
  row("bare ANN search, merchant (baseline)", partner_ann, nullptr);
  row("partners", partners, &partner_ann);
  row("partners + region/category filter", partners_filtered, &partner_ann);
  if (model.sku_index) row("bare ANN search, SKU (baseline)", sku_ann, nullptr);
  row("coupons/sku", coupons_sku, model.sku_index ? &sku_ann : nullptr);
  row("coupons/sku + price band", coupons_sku_filtered, model.sku_index ? &sku_ann : nullptr);
  if (model.sku_index) row("bare ANN search, trigger SKUs batched (baseline)", trigger_ann, nullptr);
  row("coupons/merchant", coupons_m, model.sku_index ? &trigger_ann : nullptr);
  row("coupons/merchant + price band", coupons_m_filtered, model.sku_index ? &trigger_ann : nullptr);

  if (args.recall_queries > 0) {
    std::printf("\n| ANN stage | index | vectors | queries | recall@10 | recall@10, ties as hits | candidates C | recall@C |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    const auto t0 = Clock::now();
    Recall rm = MeasureRecall(*model.merchant_vectors, *model.merchant_index, c + 1,
                              args.recall_queries);
    std::printf("| merchants | %s | %u | %zu | %.4f | %.4f | %u | %.4f |\n",
                model.merchant_index->factory().c_str(), model.merchant_index->size(), rm.queries,
                rm.at10, rm.at10_ties, rm.c, rm.at_c);
    if (model.sku_index) {
      // At the coupon query's own beam (coupon_ef_search; 0 = the index's): the search of
      // a coupon query and of the stored SKU lists.
      Recall rs = MeasureRecall(*model.sku_vectors, *model.sku_index, o.coupon_candidates + 1,
                                args.recall_queries, o.coupon_ef_search);
      std::printf("| SKUs (coupon query: coupon_ef_search %u) | %s | %u | %zu | %.4f | %.4f | %u | "
                  "%.4f |\n",
                  o.coupon_ef_search, model.sku_index->factory().c_str(), model.sku_index->size(),
                  rs.queries, rs.at10, rs.at10_ties, rs.c, rs.at_c);
      // HNSW: the recall other search beams give (the index's own default above), and what
      // one search of coupon_candidates + 1 costs at that beam (one thread, the first
      // --recall-queries bought SKUs with a vector of the latency query set).
      if (model.sku_index->factory().rfind("HNSW", 0) == 0) {
        std::vector<SkuId> timed;
        for (SkuId s : qs) {
          if (timed.size() < args.recall_queries && NonZero(model.sku_vectors->Row(s.value))) {
            timed.push_back(s);
          }
        }
        for (std::uint32_t ef : {16u, 32u, 64u, 128u, 256u, 384u, 512u}) {
          Recall r = MeasureRecall(*model.sku_vectors, *model.sku_index, o.coupon_candidates + 1,
                                   args.recall_queries, ef);
          ScopedFaissThreads single(1);
          SearchOptions so;
          so.ef_search = ef;
          const Latency l = Time(timed.size(), [&](std::size_t i) {
            auto h = model.sku_index->Search(model.sku_vectors->Row(timed[i].value),
                                             o.coupon_candidates + 1, so);
            return h.ok() ? static_cast<long>(h->Query(0).size()) : fail(h.status());
          });
          std::printf("| SKUs, efSearch %u (one search: CPU p50 %.0f us, p99 %.0f us) | %s | %u | "
                      "%zu | %.4f | %.4f | %u | %.4f |\n",
                      ef, l.cpu_p50_us, l.cpu_p99_us, model.sku_index->factory().c_str(),
                      model.sku_index->size(), r.queries, r.at10, r.at10_ties, r.c, r.at_c);
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
    if (model.sku_index && args.sku_ef_construction > 0) {
      std::vector<std::uint32_t> ids;
      std::vector<float> values;
      for (std::uint32_t r = 0; r < model.sku_vectors->rows(); ++r) {
        auto row = model.sku_vectors->Row(r);
        if (!NonZero(row)) continue;
        ids.push_back(r);
        values.insert(values.end(), row.begin(), row.end());
      }
      VectorIndexOptions vo = config.index.skus;
      vo.factory = model.sku_index->factory();
      vo.hnsw_ef_construction = args.sku_ef_construction;
      const auto b0 = Clock::now();
      VectorIndex rebuilt = OrDie(VectorIndex::Build(values, model.sku_vectors->dim(), ids, vo), "rebuilt SKU index");
      const double build_s = Seconds(b0);
      Recall r = MeasureRecall(*model.sku_vectors, rebuilt, o.coupon_candidates + 1, args.recall_queries);
      std::printf("| SKUs, rebuilt with efConstruction %u (%.0f s) | %s | %u | %zu | %.4f | %.4f | %u | %.4f |\n",
                  args.sku_ef_construction, build_s, rebuilt.factory().c_str(), rebuilt.size(),
                  r.queries, r.at10, r.at10_ties, r.c, r.at_c);
    }
    std::printf("(recall measured in %.1f s)\n", Seconds(t0));
  }
  return 0;
}
