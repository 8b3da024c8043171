// InnerProduct: the inner product of two float vectors, the one kernel behind every similarity
// the engine computes (the vector index's HNSW and flat searches, Embeddings::Dot).
//
// Summed in 16 independent lanes (GCC/Clang vector extensions: SSE2 on any x86-64, wider where
// the compiler may use it), then the lanes pairwise: a fixed order, so a given pair of vectors
// always gives the same float, wherever it is computed. FAISS 1.7.3 as Debian packages it is
// built without SIMD and sums one product at a time (fvec_inner_product_ref); so did
// Embeddings::Dot: that scalar chain was half of the coupon query's time, and a fifth of a
// served live partner query's.
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <cstring>

namespace partnergraph {

// x and y each hold d floats (any alignment).
inline float InnerProduct(const float* x, const float* y, std::size_t d) {
  typedef float Lane4 __attribute__((vector_size(16)));
  Lane4 s0{}, s1{}, s2{}, s3{};
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    Lane4 a[4], b[4];
    std::memcpy(a, x + i, sizeof a);
    std::memcpy(b, y + i, sizeof b);
    s0 += a[0] * b[0];
    s1 += a[1] * b[1];
    s2 += a[2] * b[2];
    s3 += a[3] * b[3];
  }
  const Lane4 s = (s0 + s1) + (s2 + s3);
  float sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < d; ++i) sum += x[i] * y[i];
  return sum;
}

}  // namespace partnergraph
