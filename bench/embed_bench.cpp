// embed_bench: training time of the embeddings on synthetic data, by thread count.
//
//   embed_bench [--merchants 10000] [--customers 200000] [--per-customer 5]
//               [--communities 50] [--dim 64] [--threads 1,2]
//
// Data: customers belong to one of `communities` audiences and buy from
// `per-customer` merchants, mostly (90%) of their audience's merchants. Measures
// (1) PPMI + randomized SVD of the merchant x customer matrix, (2) DeepWalk walks over
// the bipartite merchant-customer graph (10 walks of 40 nodes per merchant), (3)
// skip-gram on those walks (3 epochs); and for (3) checks that the vectors are
// bit-identical across thread counts. Quality proxy: the share of merchants whose
// nearest merchant (cosine) is in their own community.
// Run with OMP_WAIT_POLICY=PASSIVE; OpenBLAS threads follow OPENBLAS_NUM_THREADS.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

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

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    auto u32 = [&] { return static_cast<std::uint32_t>(std::stoul(value)); };
    if (key == "--merchants") a.merchants = u32();
    else if (key == "--customers") a.customers = u32();
    else if (key == "--per-customer") a.per_customer = u32();
    else if (key == "--communities") a.communities = u32();
    else if (key == "--dim") a.dim = u32();
    else if (key == "--threads") {
      a.threads.clear();
      std::stringstream list(value);
      std::string item;
      while (std::getline(list, item, ',')) a.threads.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
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

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  // Merchant m belongs to community m % communities.
  std::mt19937_64 rng(7);
  std::vector<SparseMatrix::Triplet> purchases;
  purchases.reserve(static_cast<std::size_t>(args.customers) * args.per_customer);
  const std::uint32_t per_community = args.merchants / args.communities;
  for (std::uint32_t c = 0; c < args.customers; ++c) {
    const std::uint32_t community = c % args.communities;
    for (std::uint32_t k = 0; k < args.per_customer; ++k) {
      std::uint32_t m;
      if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.9) {
        m = community + args.communities * std::uniform_int_distribution<std::uint32_t>(0, per_community - 1)(rng);
      } else {
        m = std::uniform_int_distribution<std::uint32_t>(0, args.merchants - 1)(rng);
      }
      purchases.push_back({m, c, 1.0f});
    }
  }
  const SparseMatrix counts =
      SparseMatrix::FromTriplets(args.merchants, args.customers, purchases).value();
  std::printf("embed_bench: %u merchants x %u customers, %llu non-zeros, %u communities, dim %u\n\n",
              args.merchants, args.customers, static_cast<unsigned long long>(counts.nnz()),
              args.communities, args.dim);

  // Bipartite graph: merchants 0..M-1, customers M..M+C-1, both directions.
  const SparseMatrix by_customer = counts.Transposed();
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> targets;
  for (std::uint32_t m = 0; m < args.merchants; ++m) {
    for (std::uint32_t c : counts.Row(m).cols) targets.push_back(args.merchants + c);
    offsets.push_back(targets.size());
  }
  for (std::uint32_t c = 0; c < args.customers; ++c) {
    for (std::uint32_t m : by_customer.Row(c).cols) targets.push_back(m);
    offsets.push_back(targets.size());
  }
  std::vector<std::uint32_t> merchant_nodes(args.merchants);
  for (std::uint32_t m = 0; m < args.merchants; ++m) merchant_nodes[m] = m;
  const std::uint32_t nodes = args.merchants + args.customers;

  std::printf("| step | threads | seconds | throughput | nearest merchant in community |\n|---|---|---|---|---|\n");
  std::vector<float> first_sgns;
  for (std::uint32_t threads : args.threads) {
    SvdOptions svd;
    svd.dim = args.dim;
    svd.threads = threads;
    auto start = Clock::now();
    auto svd_embeddings = TrainSvdEmbeddings(counts, {}, svd);
    const double svd_seconds = Seconds(start);
    if (!svd_embeddings.ok()) {
      std::fprintf(stderr, "%s\n", svd_embeddings.status().ToString().c_str());
      return 1;
    }
    std::printf("| PPMI + randomized SVD | %u | %.2f | %.1f M nnz/s | %.3f |\n", threads, svd_seconds,
                counts.nnz() / svd_seconds / 1e6,
                NearestInCommunity(*svd_embeddings, args.merchants, args.communities, 500));

    WalkOptions walks;
    walks.threads = threads;
    start = Clock::now();
    auto walker = RandomWalker::Create({offsets, targets, {}}, walks);
    auto corpus = walker->Walk(merchant_nodes);
    const double walk_seconds = Seconds(start);
    if (!corpus.ok()) {
      std::fprintf(stderr, "%s\n", corpus.status().ToString().c_str());
      return 1;
    }
    std::printf("| DeepWalk walks (10 x 40 per merchant) | %u | %.2f | %.1f M tokens/s | - |\n", threads,
                walk_seconds, corpus->token_count() / walk_seconds / 1e6);

    SgnsOptions sgns;
    sgns.dim = args.dim;
    sgns.epochs = 3;
    sgns.threads = threads;
    start = Clock::now();
    auto sgns_embeddings = TrainSkipGram(*corpus, nodes, sgns);
    const double sgns_seconds = Seconds(start);
    if (!sgns_embeddings.ok()) {
      std::fprintf(stderr, "%s\n", sgns_embeddings.status().ToString().c_str());
      return 1;
    }
    std::printf("| skip-gram (3 epochs, window 5, 5 negatives) | %u | %.2f | %.2f M tokens/s | %.3f |\n",
                threads, sgns_seconds, 3.0 * corpus->token_count() / sgns_seconds / 1e6,
                NearestInCommunity(*sgns_embeddings, args.merchants, args.communities, 500));
    if (first_sgns.empty()) {
      first_sgns = sgns_embeddings->values();
    } else {
      std::printf("|   (skip-gram vectors bit-identical to the first thread count: %s) | | | | |\n",
                  first_sgns == sgns_embeddings->values() ? "yes" : "NO");
    }
  }
  return 0;
}
