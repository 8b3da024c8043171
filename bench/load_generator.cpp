// load_generator: drives a running partnergraph-server with N connections for a fixed time and
// reports throughput and latency. Loopback only (it refuses another host: a load test is not
// something to point at a shared machine by accident).
//
//   load_generator --port P [--key K] [--protocol binary|compact] --connections N
//                  --duration-s S [--warmup-s W]
//                  --call health|partners|partners-live|partners-search|coupons
//                  [--merchant M ...] [--merchants-from-server N] [-k K] [--json]
//                  [--in-process-model DIR [--in-process-threads 2] [--recall-samples N]]
//
// Each connection is one thread running one call after another (closed loop); latency is taken
// per call around the client call (serialisation, the round trip and deserialisation included).
// Calls that fail are counted as errors (by kind) and not in the latencies; a broken connection
// is reopened. With --in-process-model, the same calls then run for the same time directly on an
// Engine opened in this process (one FAISS thread per call, as on the server's workers) on
// --in-process-threads threads: the baseline of the same run, and the ratio server/in-process.
// With --recall-samples N (and --in-process-model), it also measures how far the live path's
// approximate search is from an exact one, on N merchants spread evenly over the model: the
// recall@10 of the merchant index (its own top 10, and its top 10 at the live path's candidate
// count) against an exact "Flat" index over the same embeddings, and the recall@10 of the final
// live answers (the `partners-live` request) against a recommender whose index is exact.
// Output: one line of text per run (or one JSON object each with --json).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <filesystem>
#include <vector>

#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"
#include "rpc_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using partnergraph::Status;
namespace client = partnergraph::client;

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 9090;
  std::string key;
  std::string protocol = "binary";
  int connections = 8;
  double duration_s = 10;
  double warmup_s = 1;
  // health: Health. partners: RecommendPartners with default filters (served precomputed when the
  // model has them). partners-live, partners-search: RecommendPartners with a filter (computed
  // live; LiveFilters). coupons:
  // RecommendCouponPairs by merchant.
  std::string call = "health";
  std::vector<std::string> merchants;
  // When > 0: take up to this many merchant ids from ListMerchants (needs an operator key).
  int merchants_from_server = 0;
  int k = 10;
  bool json = false;
  std::string in_process_model;
  int in_process_threads = 2;
  // > 0: measure the recall@10 of the live path's approximate search on this many merchants.
  int recall_samples = 0;
};

struct ThreadResult {
  std::vector<std::int64_t> latencies_ns;
  std::map<std::string, std::int64_t> errors;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

client::RpcClientOptions ClientOptions(const LoadOptions& o) {
  client::RpcClientOptions c;
  c.host = o.host;
  c.port = o.port;
  c.api_key = o.key;
  c.protocol = o.protocol == "compact" ? client::RpcProtocol::kCompact : client::RpcProtocol::kBinary;
  c.call_timeout_ms = 10000;
  return c;
}

// The filters of the live calls: partners-live reads the stored ANN candidates
// (include_existing_partners is applied after the ANN stage); partners-search admits every
// tier, which changes no answer but is an in-index filter, so the ANN stage searches the
// merchant index live, as a region or category filter does.
partnergraph::PartnerFiltersView LiveFilters(const std::string& call) {
  partnergraph::PartnerFiltersView filters;
  // The local calls answer as the server does without a keys file: for an operator.
  filters.audience = partnergraph::Audience::kOperator;
  if (call == "partners-live") filters.include_existing_partners = true;
  if (call == "partners-search") filters.tiers = {"gold", "silver", "bronze"};
  return filters;
}

Status OneCall(client::RpcClient& c, const LoadOptions& o, const std::string& merchant) {
  if (o.call == "health") return c.Health().status();
  if (o.call == "partners") return c.RecommendPartners(merchant, o.k).status();
  if (o.call == "partners-live" || o.call == "partners-search") {
    return c.RecommendPartners(merchant, o.k, LiveFilters(o.call)).status();
  }
  return c.RecommendCouponPairs(std::nullopt, merchant, o.k).status();
}

Status OneLocalCall(const partnergraph::Engine& engine, const LoadOptions& o,
                    const std::string& merchant) {
  if (o.call == "health") {
    (void)engine.Stats();
    return Status::Ok();
  }
  if (o.call == "partners") {
    partnergraph::PartnerFiltersView filters;
    filters.audience = partnergraph::Audience::kOperator;
    return engine.RecommendPartners(merchant, o.k, filters).status();
  }
  if (o.call == "partners-live" || o.call == "partners-search") {
    return engine.RecommendPartners(merchant, o.k, LiveFilters(o.call)).status();
  }
  partnergraph::CouponFiltersView coupon_filters;
  coupon_filters.audience = partnergraph::Audience::kOperator;
  return engine.RecommendCouponPairs("", merchant, o.k, coupon_filters).status();
}

void RunLocal(const partnergraph::Engine& engine, const LoadOptions& o, int index,
              const std::atomic<int>& phase, ThreadResult& result) {
  std::size_t next = static_cast<std::size_t>(index);
  result.latencies_ns.reserve(1 << 16);
  static const std::string kNoMerchant;
  while (phase.load(std::memory_order_relaxed) < 2) {
    const std::string& merchant =
        o.merchants.empty() ? kNoMerchant : o.merchants[next++ % o.merchants.size()];
    auto start = Clock::now();
    Status status = OneLocalCall(engine, o, merchant);
    auto elapsed = Clock::now() - start;
    if (phase.load(std::memory_order_relaxed) != 1) continue;
    if (status.ok()) {
      result.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    } else {
      ++result.errors[std::string(Status::CodeName(status.code()))];
    }
  }
}

void RunConnection(const LoadOptions& o, int index, const std::atomic<int>& phase,
                   ThreadResult& result) {
  std::unique_ptr<client::RpcClient> c;
  std::size_t next = static_cast<std::size_t>(index);
  result.latencies_ns.reserve(1 << 16);
  while (phase.load(std::memory_order_relaxed) < 2) {
    if (!c) {
      auto connected = client::RpcClient::Connect(ClientOptions(o));
      if (!connected.ok()) {
        if (phase.load() == 1) ++result.errors["connect"];
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      c = std::move(connected).value();
    }
    static const std::string kNoMerchant;
    const std::string& merchant =
        o.merchants.empty() ? kNoMerchant : o.merchants[next++ % o.merchants.size()];
    auto start = Clock::now();
    Status status = OneCall(*c, o, merchant);
    auto elapsed = Clock::now() - start;
    if (phase.load(std::memory_order_relaxed) != 1) continue;  // warm-up, or already over
    if (status.ok()) {
      result.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    } else {
      ++result.errors[std::string(Status::CodeName(status.code()))];
      if (status.IsIOError()) c.reset();
    }
  }
}

double PercentileMs(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1e6;
}

struct Summary {
  double seconds = 0;
  std::size_t calls = 0;
  double qps = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;
  std::int64_t errors = 0;
  std::map<std::string, std::int64_t> errors_by_kind;
};

// Runs `body(index, phase, result)` on `threads` threads: warm-up, then the measured time.
template <typename Body>
Summary Measure(const LoadOptions& o, int threads, Body body) {
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 done
  std::vector<ThreadResult> results(static_cast<std::size_t>(threads));
  std::vector<std::thread> running;
  for (int i = 0; i < threads; ++i) {
    running.emplace_back([&, i] { body(i, phase, results[static_cast<std::size_t>(i)]); });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
  phase.store(1);
  auto measured_from = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  phase.store(2);
  Summary s;
  s.seconds = std::chrono::duration<double>(Clock::now() - measured_from).count();
  for (auto& t : running) t.join();

  std::vector<std::int64_t> all;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    for (const auto& [kind, n] : r.errors) {
      s.errors_by_kind[kind] += n;
      s.errors += n;
    }
  }
  std::sort(all.begin(), all.end());
  s.calls = all.size();
  s.qps = static_cast<double>(all.size()) / s.seconds;
  s.p50 = PercentileMs(all, 0.50);
  s.p99 = PercentileMs(all, 0.99);
  s.p999 = PercentileMs(all, 0.999);
  s.max = all.empty() ? 0 : static_cast<double>(all.back()) / 1e6;
  return s;
}

void Print(const LoadOptions& o, const char* target, int threads, const Summary& s) {
  if (o.json) {
    std::string error_json;
    for (const auto& [kind, n] : s.errors_by_kind) {
      error_json += (error_json.empty() ? "" : ", ") + ("\"" + kind + "\": " + std::to_string(n));
    }
    std::printf("{\"target\": \"%s\", \"call\": \"%s\", \"protocol\": \"%s\", "
                "\"%s\": %d, \"seconds\": %.3f, \"calls\": %zu, \"qps\": %.1f, "
                "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, \"max_ms\": %.4f, "
                "\"errors\": %lld, \"errors_by_kind\": {%s}}\n",
                target, o.call.c_str(), o.protocol.c_str(),
                std::string(target) == "server" ? "connections" : "threads", threads, s.seconds,
                s.calls, s.qps,
                s.p50, s.p99, s.p999, s.max, static_cast<long long>(s.errors), error_json.c_str());
    return;
  }
  std::string error_text;
  for (const auto& [kind, n] : s.errors_by_kind) error_text += " " + kind + "=" + std::to_string(n);
  std::printf("target=%s call=%s protocol=%s %s=%d seconds=%.2f calls=%zu qps=%.0f p50=%.4fms "
              "p99=%.4fms p999=%.4fms max=%.3fms errors=%lld%s\n",
              target, o.call.c_str(), o.protocol.c_str(),
              std::string(target) == "server" ? "connections" : "threads", threads, s.seconds,
              s.calls, s.qps, s.p50, s.p99, s.p999, s.max, static_cast<long long>(s.errors),
              error_text.c_str());
}

// Fraction of `exact`'s ids found in `approx` (recall@|exact|); 1 when `exact` is empty.
template <typename A, typename B, typename Id>
double RecallOf(const A& approx, const B& exact, Id id_of) {
  if (exact.empty()) return 1.0;
  std::size_t found = 0;
  for (const auto& e : exact) {
    for (const auto& a : approx) {
      if (id_of(a) == id_of(e)) {
        ++found;
        break;
      }
    }
  }
  return static_cast<double>(found) / static_cast<double>(exact.size());
}

// The recall measurement of --recall-samples (see the top of the file). Returns the exit code.
int MeasureRecall(const LoadOptions& o) {
  using namespace partnergraph;
  const std::filesystem::path dir = o.in_process_model;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "load_generator: recall: %s\n", s.ToString().c_str());
    return 2;
  };
  auto graph = LoadGraph(dir / "graph.pgg");
  if (!graph.ok()) return fail(graph.status());
  auto config = LoadModelConfig(dir / "config.json");
  if (!config.ok()) return fail(config.status());
  const auto vectors_file =
      dir / (config->model.partner_embedding == "walk" ? "merchants_walk.emb" : "merchants_svd.emb");
  auto vectors = Embeddings::Load(vectors_file);
  if (!vectors.ok()) return fail(vectors.status());
  auto ann = VectorIndex::Load(dir / "merchants.faiss", (*graph)->Fingerprint());
  if (!ann.ok()) return fail(ann.status());
  auto shared_vectors = std::make_shared<const Embeddings>(std::move(vectors).value());

  // The exact index over the rows the model's index holds (its ids), with its normalisation.
  VectorIndexOptions exact_options = config->index.merchants;
  exact_options.factory = "Flat";
  const std::vector<std::uint32_t>& ids = ann->ids();
  std::vector<float> rows;
  rows.reserve(ids.size() * shared_vectors->dim());
  for (std::uint32_t id : ids) {
    auto row = shared_vectors->Row(id);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  auto exact = VectorIndex::Build(rows, shared_vectors->dim(), ids, exact_options);
  if (!exact.ok()) return fail(exact.status());

  RecommendModel exact_model;
  exact_model.graph = *graph;
  exact_model.merchant_vectors = shared_vectors;
  exact_model.merchant_index = std::make_shared<const VectorIndex>(std::move(exact).value());
  auto exact_recommender = Recommender::Create(exact_model, config->recommend);
  if (!exact_recommender.ok()) return fail(exact_recommender.status());
  EngineOptions engine_options;
  engine_options.search_threads = 1;
  auto engine = Engine::Open(dir, engine_options);
  if (!engine.ok()) return fail(engine.status());

  const std::uint32_t candidates = config->recommend.partner_candidates + 1;
  const auto neighbor_id = [](const Neighbor& n) { return n.id; };
  double index_recall_10 = 0, index_recall_c = 0, answer_recall = 0;
  int samples = 0, answers = 0;
  const std::size_t n = ids.size();
  const std::size_t step = std::max<std::size_t>(1, n / static_cast<std::size_t>(o.recall_samples));
  for (std::size_t i = 0; i < n && samples < o.recall_samples; i += step, ++samples) {
    auto query = shared_vectors->Row(ids[i]);
    auto truth = exact_model.merchant_index->Search(query, 10);
    auto top10 = ann->Search(query, 10);
    auto top_c = ann->Search(query, candidates);
    if (!truth.ok() || !top10.ok() || !top_c.ok()) {
      return fail(!truth.ok() ? truth.status() : !top10.ok() ? top10.status() : top_c.status());
    }
    auto truth_hits = truth->Query(0);
    auto c_hits = top_c->Query(0);
    index_recall_10 += RecallOf(top10->Query(0), truth_hits, neighbor_id);
    index_recall_c += RecallOf(c_hits.first(std::min<std::size_t>(10, c_hits.size())), truth_hits,
                               neighbor_id);

    // The live request of --call partners-live, with the model's index and with the exact one.
    const MerchantId m(ids[i]);
    PartnerFilters filters;
    filters.audience = Audience::kOperator;
    filters.include_existing_partners = true;
    auto want = (*exact_recommender)->RecommendPartners(m, 10, filters);
    PartnerFiltersView live;
    live.audience = Audience::kOperator;
    live.include_existing_partners = true;
    auto got = (*engine)->RecommendPartners(std::string((*graph)->Merchant(m).external_id), 10, live);
    if (!want.ok() || !got.ok()) return fail(!want.ok() ? want.status() : got.status());
    std::vector<std::string> want_ids;
    for (const auto& r : *want) want_ids.emplace_back((*graph)->Merchant(r.merchant).external_id);
    answer_recall += RecallOf(got->partners, want_ids, [](const auto& x) -> std::string {
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
        return x;
      } else {
        return x.merchant_id;
      }
    });
    ++answers;
  }
  const double d = samples > 0 ? samples : 1;
  if (o.json) {
    std::printf("{\"target\": \"recall\", \"samples\": %d, \"index\": \"%s\", "
                "\"index_recall_at_10\": %.4f, \"index_recall_at_10_of_%u\": %.4f, "
                "\"live_answer_recall_at_10\": %.4f}\n",
                samples, ann->factory().c_str(), index_recall_10 / d, candidates,
                index_recall_c / d, answers > 0 ? answer_recall / answers : 0.0);
  } else {
    std::printf("recall samples=%d index=%s index_recall@10=%.4f index_recall@10_of_top%u=%.4f "
                "live_answer_recall@10=%.4f\n",
                samples, ann->factory().c_str(), index_recall_10 / d, candidates,
                index_recall_c / d, answers > 0 ? answer_recall / answers : 0.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  CLI::App app{"load_generator: closed-loop load on a running partnergraph-server (loopback only)"};
  app.add_option("--host", o.host, "Loopback address of the server")->capture_default_str();
  app.add_option("--port", o.port, "Server port")->capture_default_str();
  app.add_option("--key", o.key, "API key (operator to use --merchants-from-server)");
  app.add_option("--protocol", o.protocol)->check(CLI::IsMember({"binary", "compact"}))
      ->capture_default_str();
  app.add_option("--connections", o.connections, "Connections, one thread each")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--duration-s", o.duration_s, "Measured seconds")->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--warmup-s", o.warmup_s, "Seconds run before measuring")
      ->check(CLI::Range(0.0, 600.0))->capture_default_str();
  app.add_option("--call", o.call, "health, partners, partners-live, partners-search or coupons")
      ->check(CLI::IsMember({"health", "partners", "partners-live", "partners-search", "coupons"}))
      ->capture_default_str();
  app.add_option("--merchant", o.merchants, "Merchant ids to ask about, in turn (repeatable)");
  app.add_option("--merchants-from-server", o.merchants_from_server,
                 "Ask about up to N merchants listed by the server")->capture_default_str();
  app.add_option("-k", o.k, "Results per call")->capture_default_str();
  app.add_flag("--json", o.json, "Print one JSON object per run");
  app.add_option("--in-process-model", o.in_process_model,
                 "Also run the same calls on an Engine opened in this process from this model");
  app.add_option("--in-process-threads", o.in_process_threads, "Threads of the in-process run")
      ->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--recall-samples", o.recall_samples,
                 "With --in-process-model: measure the live path's ANN recall@10 on N merchants "
                 "(no load is run)")
      ->check(CLI::Range(1, 1000000));
  CLI11_PARSE(app, argc, argv);

  if (!IsLoopback(o.host)) {
    std::fprintf(stderr, "load_generator: %s is not a loopback address; refusing\n", o.host.c_str());
    return 1;
  }
  if (o.recall_samples > 0) {
    if (o.in_process_model.empty()) {
      std::fprintf(stderr, "load_generator: --recall-samples needs --in-process-model\n");
      return 1;
    }
    return MeasureRecall(o);
  }
  if (o.merchants_from_server > 0) {
    auto c = client::RpcClient::Connect(ClientOptions(o));
    if (!c.ok()) {
      std::fprintf(stderr, "load_generator: %s\n", c.status().ToString().c_str());
      return 3;
    }
    client::ListMerchantsQuery q;
    q.page_size = 1000;
    while (static_cast<int>(o.merchants.size()) < o.merchants_from_server) {
      auto page = (*c)->ListMerchants(q);
      if (!page.ok()) {
        std::fprintf(stderr, "load_generator: ListMerchants: %s\n", page.status().ToString().c_str());
        return 2;
      }
      for (const auto& m : page->merchants) {
        if (static_cast<int>(o.merchants.size()) < o.merchants_from_server) o.merchants.push_back(m.merchant_id);
      }
      if (!page->next_page_token) break;
      q.page_token = page->next_page_token;
    }
  }
  if (o.call != "health" && o.merchants.empty()) {
    std::fprintf(stderr, "load_generator: --call %s needs --merchant or --merchants-from-server\n",
                 o.call.c_str());
    return 1;
  }

  Summary server = Measure(o, o.connections, [&](int i, const std::atomic<int>& phase,
                                                   ThreadResult& r) { RunConnection(o, i, phase, r); });
  Print(o, "server", o.connections, server);
  std::int64_t errors = server.errors;
  if (!o.in_process_model.empty()) {
    partnergraph::EngineOptions engine_options;
    engine_options.search_threads = 1;
    auto engine = partnergraph::Engine::Open(o.in_process_model, engine_options);
    if (!engine.ok()) {
      std::fprintf(stderr, "load_generator: %s\n", engine.status().ToString().c_str());
      return 2;
    }
    Summary local = Measure(o, o.in_process_threads, [&](int i, const std::atomic<int>& phase,
                                                         ThreadResult& r) {
      RunLocal(**engine, o, i, phase, r);
    });
    Print(o, "in-process", o.in_process_threads, local);
    errors += local.errors;
    if (!o.json && local.qps > 0) {
      std::printf("ratio server/in-process qps=%.3f\n", server.qps / local.qps);
    }
  }
  return errors == 0 ? 0 : 2;
}