// SparseMatrix: the input of the matrix-factorisation embeddings, in
// compressed sparse row (CSR) form with float values.
//
// Layout: a rows() x cols() matrix. Row r's entries sit at positions
// [row_offsets()[r], row_offsets()[r + 1]) of col_indices() and values();
// row_offsets() has rows() + 1 entries, starts at 0 and ends at nnz(). Within a
// row, column indices are strictly increasing (no duplicates), and no stored
// value is zero, NaN or infinite. Rows are entities (merchants or SKUs),
// columns are contexts (customers, segments or SKUs), values are counts or
// weights; the caller maps its ids (MerchantId::value, ...) to row and column
// indices.
//
// Ownership: the matrix owns its arrays. Thread safety: immutable after
// construction; const members may be called from many threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class SparseMatrix {
 public:
  // One entry of a matrix under construction.
  struct Triplet {
    std::uint32_t row = 0;
    std::uint32_t col = 0;
    float value = 0;
  };
  // A row's entries: parallel spans of column indices and values.
  struct RowView {
    std::span<const std::uint32_t> cols;
    std::span<const float> values;
  };

  // An empty 0 x 0 matrix.
  SparseMatrix() = default;

  // Builds a rows x cols matrix from triplets in any order. Entries with the same
  // (row, col) are summed (in an order fixed by their values, so the result does not
  // depend on the input order); sums that are exactly zero are not stored.
  // Errors: InvalidArgument naming the triplet's index when a row or column is out of
  // range or a value is NaN or infinite.
  static Result<SparseMatrix> FromTriplets(std::uint32_t rows, std::uint32_t cols,
                                           std::vector<Triplet> triplets);
  // Takes ownership of ready-made CSR arrays after checking every invariant of the layout
  // above. Errors: InvalidArgument naming the first violation ("row 3: column indices not
  // strictly increasing at position 17").
  static Result<SparseMatrix> FromCsr(std::uint32_t rows, std::uint32_t cols,
                                      std::vector<std::uint64_t> row_offsets,
                                      std::vector<std::uint32_t> col_indices,
                                      std::vector<float> values);

  std::uint32_t rows() const { return rows_; }
  std::uint32_t cols() const { return cols_; }
  std::uint64_t nnz() const { return col_indices_.size(); }
  const std::vector<std::uint64_t>& row_offsets() const { return row_offsets_; }
  const std::vector<std::uint32_t>& col_indices() const { return col_indices_; }
  const std::vector<float>& values() const { return values_; }
  // Row r's entries; r < rows().
  RowView Row(std::uint32_t r) const;

  // Sum of each row (rows() entries) and of each column (cols() entries), in double.
  std::vector<double> RowSums() const;
  std::vector<double> ColSums() const;
  // The cols() x rows() transpose, in the same layout.
  SparseMatrix Transposed() const;

  // y = this * x, where x is cols() x k and y is rows() x k, both row-major float32.
  // Parallel over rows with oneTBB (in the caller's task arena); each output row is
  // summed in a fixed order, so the result does not depend on the thread count.
  // Preconditions (asserted): x.size() == cols() * k, y.size() == rows() * k.
  void MultiplyDense(std::span<const float> x, std::uint32_t k, std::span<float> y) const;

 private:
  std::uint32_t rows_ = 0;
  std::uint32_t cols_ = 0;
  std::vector<std::uint64_t> row_offsets_{0};
  std::vector<std::uint32_t> col_indices_;
  std::vector<float> values_;
};

}  // namespace partnergraph
