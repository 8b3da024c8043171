#include "partnergraph/index/faiss_threads.hpp"

#include <omp.h>

namespace partnergraph {

void SetFaissThreads(int threads) { omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs()); }

int FaissThreads() { return omp_get_max_threads(); }

int FaissMaxThreads() { return omp_get_num_procs(); }

ScopedFaissThreads::ScopedFaissThreads(int threads) : previous_(omp_get_max_threads()) {
  SetFaissThreads(threads);
}

ScopedFaissThreads::~ScopedFaissThreads() { omp_set_num_threads(previous_); }

}  // namespace partnergraph
