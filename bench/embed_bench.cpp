// embed_bench: training time of the embeddings on synthetic data, by thread count
// (Google Benchmark).
//
//   embed_bench [--merchants 10000] [--customers 200000] [--per-customer 5]
//               [--communities 50] [--dim 64] [--threads 1,2]
//               [--benchmark_filter=REGEX] [--benchmark_format=json] ...
//
// Data: customers belong to one of `communities` audiences and buy from
// `per-customer` merchants, mostly (90%) of their audience's merchants. Measures, for each
// thread count T (one run each): (1) svd/threads:T, PPMI + randomized SVD of the merchant x
// customer matrix (counter nnz/s); (2) walks/threads:T, DeepWalk walks over the bipartite
// merchant-customer graph (10 walks of 40 nodes per merchant; tokens/s); (3)
// skipgram/threads:T, skip-gram on those walks (3 epochs; tokens/s), and checks that its
// vectors are bit-identical across thread counts. Quality proxy (counter
// nearest_in_community): the share of merchants whose nearest merchant (cosine) is in their
// own community. The markdown table after Google Benchmark's gives the same figures.
// Run with OMP_WAIT_POLICY=PASSIVE; OpenBLAS threads follow OPENBLAS_NUM_THREADS.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "partnergraph/embed/random_walker.hpp"
#include "partnergraph/embed/randomized_svd.hpp"
#include "partnergraph/embed/skip_gram.hpp"

using namespace partnergraph;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::uint32_t merchants = 10000;
  std::uint32_t customers = 200000;
  std::uint32_t per_customer = 5;
  std::uint32_t communities = 50;
  std::uint32_t dim = 64;
  std::vector<std::uint32_t> threads = {1, 2};
};

void AddFlags(CLI::App& app, Args& a) {
  app.add_option("--merchants", a.merchants, "Merchants")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--customers", a.customers, "Customers")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--per-customer", a.per_customer, "Merchants each customer buys from")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--communities", a.communities, "Audiences (merchant m is in m % communities)")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--dim", a.dim, "Embedding dimensions")
      ->check(bench::kPositive)
      ->capture_default_str();
  app.add_option("--threads", a.threads, "Thread counts, comma-separated")
      ->delimiter(',')
      ->check(bench::kPositive)
      ->capture_default_str();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Share of the first `sample` merchants whose nearest other merchant is in their community.
double NearestInCommunity(const Embeddings& e, std::uint32_t merchants, std::uint32_t communities,
                          std::uint32_t sample) {
  std::uint32_t good = 0;
  for (std::uint32_t a = 0; a < sample; ++a) {
    std::uint32_t best = a == 0 ? 1 : 0;
    float best_score = -2;
    for (std::uint32_t b = 0; b < merchants; ++b) {
      if (b == a) continue;
      const float s = e.Dot(a, b);
      if (s > best_score) {
        best_score = s;
        best = b;
      }
    }
    good += (a % communities) == (best % communities);
  }
  return static_cast<double>(good) / sample;
}

// The synthetic data, the walk corpus of each thread count (kept until its skip-gram ran) and
// the figures of every benchmark that ran, for the summary table.
class EmbedBench {
 public:
  explicit EmbedBench(const Args& args) : args_(args) {
    // Merchant m belongs to community m % communities.
    std::mt19937_64 rng(7);
    std::vector<SparseMatrix::Triplet> purchases;
    purchases.reserve(static_cast<std::size_t>(args.customers) * args.per_customer);
    const std::uint32_t per_community = std::max(1u, args.merchants / args.communities);
    for (std::uint32_t c = 0; c < args.customers; ++c) {
      const std::uint32_t community = c % args.communities;
      for (std::uint32_t k = 0; k < args.per_customer; ++k) {
        std::uint32_t m;
        if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.9) {
          m = community + args.communities * std::uniform_int_distribution<std::uint32_t>(
                                                 0, per_community - 1)(rng);
        } else {
          m = std::uniform_int_distribution<std::uint32_t>(0, args.merchants - 1)(rng);
        }
        purchases.push_back({m, c, 1.0f});
      }
    }
    counts_ = SparseMatrix::FromTriplets(args.merchants, args.customers, purchases).value();

    // Bipartite graph: merchants 0..M-1, customers M..M+C-1, both directions.
    const SparseMatrix by_customer = counts_->Transposed();
    offsets_ = {0};
    for (std::uint32_t m = 0; m < args.merchants; ++m) {
      for (std::uint32_t c : counts_->Row(m).cols) targets_.push_back(args.merchants + c);
      offsets_.push_back(targets_.size());
    }
    for (std::uint32_t c = 0; c < args.customers; ++c) {
      for (std::uint32_t m : by_customer.Row(c).cols) targets_.push_back(m);
      offsets_.push_back(targets_.size());
    }
    merchant_nodes_.resize(args.merchants);
    for (std::uint32_t m = 0; m < args.merchants; ++m) merchant_nodes_[m] = m;
  }

  void Register() {
    for (std::uint32_t t : args_.threads) {
      const std::string suffix = "/threads:" + std::to_string(t);
      Register("svd" + suffix, [this, t](benchmark::State& s) { Svd(s, t); });
      Register("walks" + suffix, [this, t](benchmark::State& s) { Walks(s, t); });
      Register("skipgram" + suffix, [this, t](benchmark::State& s) { SkipGram(s, t); });
    }
  }

  int PrintTable() const {
    std::printf(
        "\nembed_bench: %u merchants x %u customers, %llu non-zeros, %u communities, dim %u\n\n",
        args_.merchants, args_.customers, static_cast<unsigned long long>(counts_->nnz()),
        args_.communities, args_.dim);
    std::printf(
        "| step | threads | seconds | throughput | nearest merchant in community "
        "|\n|---|---|---|---|---|\n");
    bool first_sgns = true;
    for (std::uint32_t t : args_.threads) {
      if (const auto it = svd_.find(t); it != svd_.end()) {
        std::printf(
            "| PPMI + randomized SVD | %u | %.2f | %.1f M nnz/s | %.3f |\n", t, it->second.seconds,
            static_cast<double>(counts_->nnz()) / it->second.seconds / 1e6, it->second.nearest);
      }
      if (const auto it = walks_.find(t); it != walks_.end()) {
        std::printf("| DeepWalk walks (10 x 40 per merchant) | %u | %.2f | %.1f M tokens/s | - |\n",
                    t, it->second.seconds, it->second.tokens / it->second.seconds / 1e6);
      }
      if (const auto it = sgns_.find(t); it != sgns_.end()) {
        std::printf(
            "| skip-gram (3 epochs, window 5, 5 negatives) | %u | %.2f | %.2f M tokens/s | %.3f "
            "|\n",
            t, it->second.seconds, 3.0 * it->second.tokens / it->second.seconds / 1e6,
            it->second.nearest);
        if (!first_sgns) {
          std::printf(
              "|   (skip-gram vectors bit-identical to the first thread count: %s) | | | | |\n",
              it->second.identical ? "yes" : "NO");
        }
        first_sgns = false;
      }
    }
    return failed_ ? 1 : 0;
  }

 private:
  struct Step {
    double seconds = 0;
    double tokens = 0;      // walks and skip-gram: tokens of the corpus
    double nearest = 0;     // svd and skip-gram: nearest merchant in community
    bool identical = true;  // skip-gram: vectors equal to the first thread count's
  };

  template <typename Fn>
  static void Register(const std::string& name, Fn fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
  }

  bool Fail(benchmark::State& state, const Status& status) {
    std::fprintf(stderr, "embed_bench: %s\n", status.ToString().c_str());
    state.SkipWithError("failed (see the message above)");
    failed_ = true;
    return false;
  }

  void Svd(benchmark::State& state, std::uint32_t threads) {
    SvdOptions svd;
    svd.dim = args_.dim;
    svd.threads = threads;
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
      const auto start = Clock::now();
      auto embeddings = TrainSvdEmbeddings(*counts_, {}, svd);
      const double seconds = Seconds(start);
      state.SetIterationTime(seconds);
      if (!embeddings.ok()) {
        Fail(state, embeddings.status());
        return;
      }
      svd_[threads] = {
          seconds, 0,
          NearestInCommunity(*embeddings, args_.merchants, args_.communities, Sample())};
    }
    state.counters["nnz/s"] =
        benchmark::Counter(static_cast<double>(counts_->nnz()), benchmark::Counter::kIsRate);
    state.counters["nearest_in_community"] = svd_[threads].nearest;
  }

  // Walks the corpus of `threads` into corpora_; returns false on failure.
  bool Walk(benchmark::State& state, std::uint32_t threads, double* seconds) {
    WalkOptions walks;
    walks.threads = threads;
    const auto start = Clock::now();
    auto walker = RandomWalker::Create({offsets_, targets_, {}}, walks);
    if (!walker.ok()) return Fail(state, walker.status());
    auto corpus = walker->Walk(merchant_nodes_);
    *seconds = Seconds(start);
    if (!corpus.ok()) return Fail(state, corpus.status());
    corpora_.insert_or_assign(threads, std::move(corpus).value());
    return true;
  }

  void Walks(benchmark::State& state, std::uint32_t threads) {
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
      double seconds = 0;
      if (!Walk(state, threads, &seconds)) return;
      state.SetIterationTime(seconds);
      walks_[threads] = {seconds, static_cast<double>(corpora_.at(threads).token_count()), 0, true};
    }
    state.counters["tokens/s"] =
        benchmark::Counter(walks_[threads].tokens, benchmark::Counter::kIsRate);
  }

  void SkipGram(benchmark::State& state, std::uint32_t threads) {
    double unused = 0;
    if (corpora_.count(threads) == 0 && !Walk(state, threads, &unused)) return;  // untimed
    const SequenceCorpus& corpus = corpora_.at(threads);
    SgnsOptions sgns;
    sgns.dim = args_.dim;
    sgns.epochs = 3;
    sgns.threads = threads;
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
      const auto start = Clock::now();
      auto embeddings = TrainSkipGram(corpus, args_.merchants + args_.customers, sgns);
      const double seconds = Seconds(start);
      state.SetIterationTime(seconds);
      if (!embeddings.ok()) {
        Fail(state, embeddings.status());
        return;
      }
      Step step{seconds, static_cast<double>(corpus.token_count()),
                NearestInCommunity(*embeddings, args_.merchants, args_.communities, Sample()),
                true};
      if (!first_sgns_) {
        first_sgns_ = embeddings->values();
      } else {
        step.identical = *first_sgns_ == embeddings->values();
      }
      sgns_[threads] = step;
    }
    corpora_.erase(threads);
    state.counters["tokens/s"] =
        benchmark::Counter(3.0 * sgns_[threads].tokens, benchmark::Counter::kIsRate);
    state.counters["nearest_in_community"] = sgns_[threads].nearest;
    state.counters["identical"] = sgns_[threads].identical ? 1 : 0;
  }

  std::uint32_t Sample() const { return std::min<std::uint32_t>(500, args_.merchants); }

  const Args& args_;
  std::optional<SparseMatrix> counts_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::uint32_t> targets_;
  std::vector<std::uint32_t> merchant_nodes_;
  std::map<std::uint32_t, SequenceCorpus> corpora_;  // by thread count
  std::optional<std::vector<float>> first_sgns_;
  std::map<std::uint32_t, Step> svd_, walks_, sgns_;  // by thread count
  bool failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::unique_ptr<EmbedBench> runner;
  return bench::RunBenchmarkMain(
      argc, argv, "embed_bench: training time of the SVD and random-walk embeddings",
      [&](CLI::App& app) { AddFlags(app, args); },
      [&] {
        runner = std::make_unique<EmbedBench>(args);
        runner->Register();
        return 0;
      },
      [&] { return runner->PrintTable(); });
}
