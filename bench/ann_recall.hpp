// ann_recall: the recall of an approximate vector index against an exact (Flat) index over
// the same vectors, as recommend_bench's recall section measures it (bench/README.md).
// Thread safety: the functions only read their arguments; the searches use all cores.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"

namespace partnergraph::bench {

// The value of `r`, or exits with "recommend_bench: <what>: <status>" (exit code 1).
template <typename T>
T OrDie(Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::fprintf(stderr, "recommend_bench: %s: %s\n", what.c_str(), r.status().ToString().c_str());
    std::exit(1);  // NOLINT(concurrency-mt-unsafe): called before or after the timed runs
  }
  return std::move(r).value();
}

// Whether a row has a non-zero value (a zero row is not indexed: its entity has no vector).
inline bool NonZero(std::span<const float> row) {
  return std::any_of(row.begin(), row.end(), [](float x) { return x != 0.0f; });
}

// Recall figures of one index: recall@10 and recall@C over `queries` stored vectors.
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
// Queries: up to `max_queries` stored vectors, evenly spaced; C = `c` (capped at the vector
// count); ef_search 0 = the index's own. Exits on a failed build or search (OrDie).
inline Recall MeasureRecall(const Embeddings& e, const VectorIndex& index, std::uint32_t c,
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
      out.at10_ties =
          total == 0 ? 1.0 : static_cast<double>(found_ties) / static_cast<double>(total);
    }
    const double r = total == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(total);
    (k == out.c ? out.at_c : out.at10) = r;
    if (k == out.c && out.c <= 10) out.at10 = r;
  }
  return out;
}

}  // namespace partnergraph::bench
