// Positive pointwise mutual information (PPMI) weighting of a count matrix,
// the first step of the matrix-factorisation embeddings.
//
// For a count n(i, j) of row i (entity) with column j (context), row sums
// n(i), column sums n(j) and smoothed total Z = sum_j n(j)^alpha:
//   PMI(i, j)  = log( n(i, j) * Z / (n(i) * n(j)^alpha) )
//   PPMI(i, j) = max(PMI(i, j) - log(shift), 0)
// (alpha = PpmiOptions::context_smoothing; with alpha = 1, Z is the grand
// total and this is the textbook PMI of the empirical joint distribution).
// Entries whose PPMI is 0 are not stored, so the result is at most as dense
// as the input.
#pragma once

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/sparse_matrix.hpp"

namespace partnergraph {

// Returns the PPMI-weighted matrix (same shape as `counts`).
// Errors: InvalidArgument when options are out of range or an entry is negative
// (naming its row and column).
// Thread safety: pure function; may be called concurrently.
Result<SparseMatrix> ComputePpmi(const SparseMatrix& counts, const PpmiOptions& options);

}  // namespace partnergraph
