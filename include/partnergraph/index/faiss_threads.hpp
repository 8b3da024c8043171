// FAISS's OpenMP threads, set deliberately (STYLE.md "one owner of threads").
//
// FAISS parallelises inside one call (over queries, over database blocks,
// over the vectors being added) with OpenMP. OpenMP's thread count is a
// per-thread setting (the nthreads-var ICV of the calling thread's data
// environment): SetFaissThreads on one thread changes the parallel regions
// that thread starts afterwards, not those of other threads. Hence:
//   - server workers (oneTBB or Thrift threads answering one request each)
//     call SetFaissThreads(1) once, or search with SearchOptions::omp_threads
//     = 1, so that requests do not fan out into OpenMP teams that fight the
//     other workers for the cores (FAISS issues 2731 and 458);
//   - batch builds and batched searches use all cores (0).
// Environment: on small machines run with OMP_WAIT_POLICY=PASSIVE, so idle
// OpenMP threads sleep instead of spinning against oneTBB and OpenBLAS
// threads; Debian's OpenBLAS (used by FAISS for exact search of >= 20
// queries at once) is fastest with OPENBLAS_CORETYPE=SkylakeX on AVX-512
// machines.
//
// Thread safety: all functions act on the calling thread only.
#pragma once

namespace partnergraph {

// Sets the calling thread's OpenMP thread count for later FAISS calls; threads <= 0
// means the number of cores.
void SetFaissThreads(int threads);
// The calling thread's current OpenMP thread count.
int FaissThreads();
// The number of cores OpenMP sees.
int FaissMaxThreads();

// Sets the calling thread's OpenMP thread count for its lifetime, then restores it.
class ScopedFaissThreads {
 public:
  // threads <= 0 means the number of cores.
  explicit ScopedFaissThreads(int threads);
  ~ScopedFaissThreads();
  ScopedFaissThreads(const ScopedFaissThreads&) = delete;
  ScopedFaissThreads& operator=(const ScopedFaissThreads&) = delete;

 private:
  int previous_;
};

}  // namespace partnergraph
