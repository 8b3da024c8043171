// index_bench: recall@10 of the approximate (HNSW) index against exact search, and the
// latency of one query on one thread, on clustered synthetic vectors (Google Benchmark).
//
//   index_bench [--n 100000] [--dim 64] [--queries 1000] [--clusters 1000] [--noise 0.5]
//               [--factory HNSW32] [--ef 16,32,64,128,256] [--ef-construction 80]
//               [--benchmark_filter=REGEX] [--benchmark_format=json] ...
//
// Data: `clusters` random unit centres; each vector is a centre plus Gaussian noise of
// norm about `noise` (0.5: neighbourhoods are neither trivial nor uniform; larger values
// blur the clusters and make the search harder); queries are fresh
// draws from the same distribution. Ground truth: the exact "Flat" index.
// Benchmarks: build/Flat and build/<factory> (one build each, all cores), search/Flat and
// search/<factory>/ef:<ef> (`queries` iterations, each query searched alone: one FAISS call,
// OpenMP threads = 1, as a server worker does; counters p50_us, p99_us and, for the
// approximate index, recall@10). The markdown table after Google Benchmark's gives the same
// figures as before. Run with OMP_WAIT_POLICY=PASSIVE on small machines.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"

using namespace partnergraph;

namespace {

struct Args {
  std::size_t n = 100000;
  std::uint32_t dim = 64;
  std::size_t queries = 1000;
  std::size_t clusters = 1000;
  float noise = 0.5f;
  std::string factory = "HNSW32";
  std::vector<std::uint32_t> ef = {16, 32, 64, 128, 256};
  std::uint32_t ef_construction = 80;
};

void AddFlags(CLI::App& app, Args& a) {
  app.add_option("--n", a.n, "Indexed vectors")->check(bench::kPositive)->capture_default_str();
  app.add_option("--dim", a.dim, "Dimensions")->check(bench::kPositive)->capture_default_str();
  app.add_option("--queries", a.queries, "Timed queries per index")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--clusters", a.clusters, "Cluster centres")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--noise", a.noise, "Norm of the noise around a centre")->capture_default_str();
  app.add_option("--factory", a.factory, "FAISS index_factory string of the approximate index")
      ->capture_default_str();
  app.add_option("--ef", a.ef, "efSearch values, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--ef-construction", a.ef_construction, "HNSW efConstruction")
      ->capture_default_str();
}

std::vector<float> Clustered(std::size_t n, std::uint32_t dim, const std::vector<float>& centres,
                             float noise_norm, std::mt19937_64& rng) {
  if (dim == 0 || centres.size() < dim) return {};
  const std::size_t k = centres.size() / dim;
  std::normal_distribution<float> noise(0.0f, noise_norm / std::sqrt(static_cast<float>(dim)));
  std::uniform_int_distribution<std::size_t> pick(0, k - 1);
  std::vector<float> v(n * dim);
  for (std::size_t i = 0; i < n; ++i) {
    const float* c = centres.data() + pick(rng) * dim;
    for (std::uint32_t j = 0; j < dim; ++j) v[i * dim + j] = c[j] + noise(rng);
  }
  return v;
}

using Hits = std::vector<std::vector<std::uint32_t>>;

double Recall(const Hits& got, const Hits& truth) {
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    total += truth[q].size();
    for (std::uint32_t id : got[q]) {
      found += std::find(truth[q].begin(), truth[q].end(), id) != truth[q].end();
    }
  }
  return total == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(total);
}

// The data, the two indexes (built by the build benchmarks, or untimed on first use when a
// filter skipped them) and the figures of every benchmark that ran, for the summary table.
class IndexBench {
 public:
  explicit IndexBench(const Args& args) : args_(args) {
    std::mt19937_64 rng(12345);
    std::vector<float> centres(args.clusters * args.dim);
    std::normal_distribution<float> normal;
    for (float& x : centres) x = normal(rng);
    for (std::size_t c = 0; c < args.clusters; ++c) {
      float norm = 0;
      for (std::uint32_t j = 0; j < args.dim; ++j) {
        norm += centres[c * args.dim + j] * centres[c * args.dim + j];
      }
      for (std::uint32_t j = 0; j < args.dim; ++j) centres[c * args.dim + j] /= std::sqrt(norm);
    }
    base_ = Clustered(args.n, args.dim, centres, args.noise, rng);
    queries_ = Clustered(args.queries, args.dim, centres, args.noise, rng);
    ids_.resize(args.n);
    for (std::size_t i = 0; i < args.n; ++i) ids_[i] = static_cast<std::uint32_t>(i);
  }

  void Register() {
    benchmark::RegisterBenchmark("build/Flat", [this](benchmark::State& s) { Build(s, false); })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
    benchmark::RegisterBenchmark(("build/" + args_.factory).c_str(),
                                 [this](benchmark::State& s) { Build(s, true); })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
    benchmark::RegisterBenchmark("search/Flat", [this](benchmark::State& s) { Search(s, 0); })
        ->Iterations(static_cast<benchmark::IterationCount>(args_.queries))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    for (std::uint32_t ef : args_.ef) {
      benchmark::RegisterBenchmark(
          ("search/" + args_.factory + "/ef:" + std::to_string(ef)).c_str(),
          [this, ef](benchmark::State& s) { Search(s, ef); })
          ->Iterations(static_cast<benchmark::IterationCount>(args_.queries))
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }

  // The markdown table of the figures (rows of benchmarks that did not run are left out).
  int PrintTable() const {
    std::printf("\nindex_bench: n=%zu dim=%u queries=%zu clusters=%zu noise=%.2f, %d cores\n\n",
                args_.n, args_.dim, args_.queries, args_.clusters, args_.noise, FaissMaxThreads());
    std::printf(
        "| index | build (s, all cores) | efSearch | recall@10 | p50 (us) | p99 (us) | mean (us) | "
        "mean vs Flat |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    const auto exact = searched_.find(0);
    if (exact != searched_.end()) {
      const bench::Latency& l = exact->second.latency;
      std::printf("| Flat | %s | - | 1.0000 | %.0f | %.0f | %.0f | 1.00 |\n",
                  BuildSeconds(exact_build_s_).c_str(), l.p50_us, l.p99_us, l.mean_us);
    }
    for (std::uint32_t ef : args_.ef) {
      const auto it = searched_.find(ef);
      if (it == searched_.end()) continue;
      const bench::Latency& l = it->second.latency;
      const std::string ratio = exact == searched_.end()
                                    ? "-"
                                    : Format("%.3f", l.mean_us / exact->second.latency.mean_us);
      std::printf("| %s (efConstruction %u) | %s | %u | %.4f | %.0f | %.0f | %.0f | %s |\n",
                  args_.factory.c_str(), args_.ef_construction,
                  BuildSeconds(approx_build_s_).c_str(), ef, it->second.recall, l.p50_us, l.p99_us,
                  l.mean_us, ratio.c_str());
    }
    return failed_ ? 1 : 0;
  }

 private:
  struct Searched {
    bench::Latency latency;
    double recall = 1;
  };

  static std::string Format(const char* format, double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
  }
  static std::string BuildSeconds(double s) { return s < 0 ? "-" : Format("%.2f", s); }

  // Builds the exact or the approximate index; returns false (and says why) on failure.
  bool BuildIndex(bool approximate) {
    VectorIndexOptions options;
    options.factory = approximate ? args_.factory : "Flat";
    if (approximate) options.hnsw_ef_construction = args_.ef_construction;
    ScopedFaissThreads all_cores(0);
    auto built = VectorIndex::Build(base_, args_.dim, ids_, options);
    if (!built.ok()) {
      std::fprintf(stderr, "index_bench: %s\n", built.status().ToString().c_str());
      failed_ = true;
      return false;
    }
    (approximate ? approx_ : exact_) = std::move(built).value();
    return true;
  }

  void Build(benchmark::State& state, bool approximate) {
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
      const auto start = std::chrono::steady_clock::now();
      if (!BuildIndex(approximate)) {
        state.SkipWithError("the index build failed");
        return;
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      state.SetIterationTime(seconds);
      (approximate ? approx_build_s_ : exact_build_s_) = seconds;
    }
    state.counters["vectors/s"] =
        benchmark::Counter(static_cast<double>(args_.n) * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
  }

  // ef 0: the exact index (its hits are the ground truth); otherwise the approximate one.
  void Search(benchmark::State& state, std::uint32_t ef) {
    const bool approximate = ef != 0;
    std::optional<VectorIndex>& index = approximate ? approx_ : exact_;
    if ((!index && !BuildIndex(approximate)) || (approximate && !TruthHits())) {
      state.SkipWithError("the index build failed");
      return;
    }
    ScopedFaissThreads one_thread(1);
    SearchOptions options;
    options.ef_search = ef;
    Hits hits(args_.queries);
    for (auto& h : hits) h.reserve(10);  // outside the timed calls
    Searched out;
    const bool ok = bench::TimeQueries(
        state, args_.queries,
        [&](std::size_t q) -> long {
          auto r = index->Search(std::span<const float>(queries_.data() + q * args_.dim, args_.dim),
                                 10, options);
          if (!r.ok()) {
            std::fprintf(stderr, "index_bench: search failed: %s\n", r.status().ToString().c_str());
            return -1;
          }
          hits[q].clear();
          for (const Neighbor& n : r->Query(0)) hits[q].push_back(n.id);
          return static_cast<long>(hits[q].size());
        },
        &out.latency);
    if (!ok) {
      failed_ = true;
      return;
    }
    if (approximate) {
      out.recall = Recall(hits, *truth_);
      state.counters["recall@10"] = out.recall;
    } else {
      truth_ = std::move(hits);
    }
    searched_[ef] = out;
  }

  // The exact hits of every query (searched untimed when search/Flat did not run).
  bool TruthHits() {
    if (truth_) return true;
    if (!exact_ && !BuildIndex(false)) return false;
    ScopedFaissThreads one_thread(1);
    Hits truth(args_.queries);
    for (std::size_t q = 0; q < args_.queries; ++q) {
      auto r = exact_->Search(std::span<const float>(queries_.data() + q * args_.dim, args_.dim),
                              10, SearchOptions{});
      if (!r.ok()) return false;
      for (const Neighbor& n : r->Query(0)) truth[q].push_back(n.id);
    }
    truth_ = std::move(truth);
    return true;
  }

  const Args& args_;
  std::vector<float> base_;
  std::vector<float> queries_;
  std::vector<std::uint32_t> ids_;
  std::optional<VectorIndex> exact_;
  std::optional<VectorIndex> approx_;
  double exact_build_s_ = -1;
  double approx_build_s_ = -1;
  std::optional<Hits> truth_;
  std::map<std::uint32_t, Searched> searched_;  // by efSearch; 0 = Flat
  bool failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::unique_ptr<IndexBench> runner;
  return bench::RunBenchmarkMain(
      argc, argv, "index_bench: recall@10 and one-query latency of an ANN index against Flat",
      [&](CLI::App& app) { AddFlags(app, args); },
      [&] {
        runner = std::make_unique<IndexBench>(args);
        runner->Register();
        return 0;
      },
      [&] { return runner->PrintTable(); });
}
