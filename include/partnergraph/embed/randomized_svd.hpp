// Truncated randomized SVD of a sparse matrix (Halko, Martinsson & Tropp 2011,
// algorithms 4.4 and 5.1), and the PPMI-SVD embeddings built on it.
//
// With l = min(d + oversampling, rows, cols) test vectors:
//   1. Omega: cols x l Gaussian (seeded; row j drawn from stream (seed, j));
//   2. Q = orth(A Omega), then `power_iterations` times Q = orth(A orth(A^T Q));
//   3. B = Q^T A (l x cols) is factored B = L P with L lower-triangular l x l and
//      P with orthonormal rows (LAPACK LQ), then L = U_L S V_L^T (LAPACK dgesdd);
//      with cols >= 65,536, L is instead the Cholesky factor of B B^T (same L L^T),
//      falling back to LQ when that Gram matrix is not safely positive definite;
//   4. A ~ (Q U_L) S (V_L^T P): the left singular vectors are Q U_L.
// orth() is a Householder LQ factorisation of the row-major buffer read as its
// column-major transpose (sgelqf/sorglq), which orthonormalises the columns in
// place without a transposed copy; for matrices of >= 65,536 rows it is
// Cholesky QR applied twice (Gram matrix in double, fixed blocks summed in
// order; triangular solve), level-3 BLAS instead of LQ's memory-bound panels,
// with the LQ as fallback for badly conditioned input. The sparse products are
// ours (oneTBB, fixed summation order); the dense steps use LAPACK and BLAS.
//
// Determinism: for a given seed, the same input gives the same output for a
// given OpenBLAS thread count (OpenBLAS may split its own work differently with
// another count). Each singular vector's sign is fixed so that its entry of
// largest magnitude (the first such) is positive.
//
// Performance notes: memory is about 4 * (rows + cols) * l * 2 bytes plus a
// transposed copy of A. Debian's OpenBLAS is fastest with the environment
// variable OPENBLAS_CORETYPE=SkylakeX on AVX-512 machines; it runs its own
// pthreads beside oneTBB's (set OPENBLAS_NUM_THREADS to limit them), and
// OMP_WAIT_POLICY=PASSIVE stops OpenMP (FAISS) threads from spinning against
// them on small machines.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/embed/sparse_matrix.hpp"

namespace partnergraph {

// The leading singular triplets of a matrix (right singular vectors are not kept).
struct SvdResult {
  // Rows of the factored matrix.
  std::uint32_t rows = 0;
  // Singular triplets computed: min(options.dim, rows, cols).
  std::uint32_t rank = 0;
  // Left singular vectors, row-major rows x rank: column c is the c-th vector.
  std::vector<float> left;
  // The singular values, descending (rank entries).
  std::vector<double> singular_values;
};

// Computes the leading min(options.dim, rows, cols) singular triplets of `a`.
// Runs in a oneTBB arena of options.threads threads (0 = all).
// Errors: InvalidArgument for options out of range or a matrix with 2^31 or more rows or
// columns (LAPACK's 32-bit integers); Internal when LAPACK reports a failure.
// Thread safety: pure function; concurrent calls share OpenBLAS's thread pool.
Result<SvdResult> RandomizedSvd(const SparseMatrix& a, const SvdOptions& options);

// Builds embeddings from an SVD: row i is left[i] * S^options.singular_value_power,
// padded with zero dimensions up to options.dim when the rank is smaller, then
// L2-normalised when options.normalize. Dimensions whose singular value is below
// 1e-6 of the largest are zero (their singular vectors are arbitrary).
Embeddings EmbeddingsFromSvd(const SvdResult& svd, const SvdOptions& options);

// The merchant-audience / SKU co-purchase embedding: ComputePpmi(counts), then
// RandomizedSvd, then EmbeddingsFromSvd. The result has counts.rows() rows and
// svd.dim columns; its config_json records the method, both option sets and the
// singular values. Errors: those of ComputePpmi and RandomizedSvd.
Result<Embeddings> TrainSvdEmbeddings(const SparseMatrix& counts, const PpmiOptions& ppmi,
                                      const SvdOptions& svd);

}  // namespace partnergraph
