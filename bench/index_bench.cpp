// index_bench: recall@10 of the approximate (HNSW) index against exact search, and the
// latency of one query on one thread, on clustered synthetic vectors.
//
//   index_bench [--n 100000] [--dim 64] [--queries 1000] [--clusters 1000] [--noise 0.5]
//               [--factory HNSW32] [--ef 16,32,64,128,256] [--ef-construction 80]
//
// Data: `clusters` random unit centres; each vector is a centre plus Gaussian noise of
// norm about `noise` (0.5: neighbourhoods are neither trivial nor uniform; larger values
// blur the clusters and make the search harder); queries are fresh
// draws from the same distribution. Ground truth: the exact "Flat" index. Latency: each
// query searched alone (one FAISS call, OpenMP threads = 1), as a server worker does.
// Run with OMP_WAIT_POLICY=PASSIVE on small machines.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"

using namespace partnergraph;
using Clock = std::chrono::steady_clock;

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

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--n") a.n = std::stoull(value);
    else if (key == "--dim") a.dim = static_cast<std::uint32_t>(std::stoul(value));
    else if (key == "--queries") a.queries = std::stoull(value);
    else if (key == "--clusters") a.clusters = std::stoull(value);
    else if (key == "--noise") a.noise = std::stof(value);
    else if (key == "--factory") a.factory = value;
    else if (key == "--ef-construction") a.ef_construction = static_cast<std::uint32_t>(std::stoul(value));
    else if (key == "--ef") {
      a.ef.clear();
      std::stringstream list(value);
      std::string item;
      while (std::getline(list, item, ',')) a.ef.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

std::vector<float> Clustered(std::size_t n, std::uint32_t dim, const std::vector<float>& centres,
                             float noise_norm, std::mt19937_64& rng) {
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

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
};

// Searches each query alone on one OpenMP thread; returns the hits and the latencies.
Latency TimeSingleQueries(const VectorIndex& index, const std::vector<float>& queries,
                          std::uint32_t dim, const SearchOptions& options,
                          std::vector<std::vector<std::uint32_t>>* hits) {
  const std::size_t nq = queries.size() / dim;
  std::vector<double> us(nq);
  hits->assign(nq, {});
  for (std::size_t q = 0; q < nq; ++q) {
    const auto start = Clock::now();
    auto r = index.Search(std::span<const float>(queries.data() + q * dim, dim), 10, options);
    us[q] = Seconds(start) * 1e6;
    if (!r.ok()) {
      std::fprintf(stderr, "search failed: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    for (const Neighbor& n : r->Query(0)) (*hits)[q].push_back(n.id);
  }
  Latency l;
  for (double u : us) l.mean_us += u / static_cast<double>(nq);
  std::sort(us.begin(), us.end());
  l.p50_us = us[nq / 2];
  l.p99_us = us[std::min(nq - 1, nq * 99 / 100)];
  return l;
}

double Recall(const std::vector<std::vector<std::uint32_t>>& got,
              const std::vector<std::vector<std::uint32_t>>& truth) {
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    total += truth[q].size();
    for (std::uint32_t id : got[q]) {
      found += std::find(truth[q].begin(), truth[q].end(), id) != truth[q].end();
    }
  }
  return total == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(total);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::mt19937_64 rng(12345);
  std::vector<float> centres(args.clusters * args.dim);
  std::normal_distribution<float> normal;
  for (float& x : centres) x = normal(rng);
  for (std::size_t c = 0; c < args.clusters; ++c) {
    float norm = 0;
    for (std::uint32_t j = 0; j < args.dim; ++j) norm += centres[c * args.dim + j] * centres[c * args.dim + j];
    for (std::uint32_t j = 0; j < args.dim; ++j) centres[c * args.dim + j] /= std::sqrt(norm);
  }
  const std::vector<float> base = Clustered(args.n, args.dim, centres, args.noise, rng);
  const std::vector<float> queries = Clustered(args.queries, args.dim, centres, args.noise, rng);
  std::vector<std::uint32_t> ids(args.n);
  for (std::size_t i = 0; i < args.n; ++i) ids[i] = static_cast<std::uint32_t>(i);

  std::printf("index_bench: n=%zu dim=%u queries=%zu clusters=%zu noise=%.2f, %d cores\n\n",
              args.n, args.dim, args.queries, args.clusters, args.noise, FaissMaxThreads());

  VectorIndexOptions exact_options;
  exact_options.factory = "Flat";
  auto start = Clock::now();
  auto exact = VectorIndex::Build(base, args.dim, ids, exact_options);
  if (!exact.ok()) {
    std::fprintf(stderr, "%s\n", exact.status().ToString().c_str());
    return 1;
  }
  const double exact_build = Seconds(start);

  VectorIndexOptions approx_options;
  approx_options.factory = args.factory;
  approx_options.hnsw_ef_construction = args.ef_construction;
  start = Clock::now();
  auto approx = VectorIndex::Build(base, args.dim, ids, approx_options);
  if (!approx.ok()) {
    std::fprintf(stderr, "%s\n", approx.status().ToString().c_str());
    return 1;
  }
  const double approx_build = Seconds(start);

  SetFaissThreads(1);
  SearchOptions one_thread;
  std::vector<std::vector<std::uint32_t>> truth;
  const Latency exact_latency = TimeSingleQueries(*exact, queries, args.dim, one_thread, &truth);

  std::printf("| index | build (s, all cores) | efSearch | recall@10 | p50 (us) | p99 (us) | mean (us) | mean vs Flat |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::printf("| Flat | %.2f | - | 1.0000 | %.0f | %.0f | %.0f | 1.00 |\n", exact_build,
              exact_latency.p50_us, exact_latency.p99_us, exact_latency.mean_us);
  for (std::uint32_t ef : args.ef) {
    SearchOptions options;
    options.ef_search = ef;
    std::vector<std::vector<std::uint32_t>> got;
    const Latency l = TimeSingleQueries(*approx, queries, args.dim, options, &got);
    std::printf("| %s (efConstruction %u) | %.2f | %u | %.4f | %.0f | %.0f | %.0f | %.3f |\n",
                args.factory.c_str(), args.ef_construction, approx_build, ef, Recall(got, truth),
                l.p50_us, l.p99_us, l.mean_us, l.mean_us / exact_latency.mean_us);
  }
  return 0;
}
