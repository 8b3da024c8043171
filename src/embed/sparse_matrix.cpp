#include "partnergraph/embed/sparse_matrix.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <tuple>

namespace partnergraph {

Result<SparseMatrix> SparseMatrix::FromTriplets(std::uint32_t rows, std::uint32_t cols,
                                                std::vector<Triplet> triplets) {
  for (std::size_t i = 0; i < triplets.size(); ++i) {
    const Triplet& t = triplets[i];
    if (t.row >= rows || t.col >= cols) {
      return Status::InvalidArgument(fmt::format(
          "triplet {}: ({}, {}) is outside the {} x {} matrix", i, t.row, t.col, rows, cols));
    }
    if (!std::isfinite(t.value)) {
      return Status::InvalidArgument(
          fmt::format("triplet {}: value at ({}, {}) is not finite", i, t.row, t.col));
    }
  }
  // Equal keys are ordered by value, so the summation order is fixed by the data alone.
  tbb::parallel_sort(triplets.begin(), triplets.end(), [](const Triplet& a, const Triplet& b) {
    return std::tie(a.row, a.col, a.value) < std::tie(b.row, b.col, b.value);
  });

  SparseMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.row_offsets_.assign(static_cast<std::size_t>(rows) + 1, 0);
  m.col_indices_.reserve(triplets.size());
  m.values_.reserve(triplets.size());
  std::size_t i = 0;
  while (i < triplets.size()) {
    const std::uint32_t row = triplets[i].row;
    const std::uint32_t col = triplets[i].col;
    double sum = 0;
    for (; i < triplets.size() && triplets[i].row == row && triplets[i].col == col; ++i) {
      sum += triplets[i].value;
    }
    const auto value = static_cast<float>(sum);
    if (value == 0.0f) continue;
    if (!std::isfinite(value)) {
      return Status::InvalidArgument(
          fmt::format("entry ({}, {}): the sum of its triplets overflows a float", row, col));
    }
    m.col_indices_.push_back(col);
    m.values_.push_back(value);
    ++m.row_offsets_[static_cast<std::size_t>(row) + 1];
  }
  for (std::size_t r = 0; r < rows; ++r) m.row_offsets_[r + 1] += m.row_offsets_[r];
  return m;
}

Result<SparseMatrix> SparseMatrix::FromCsr(std::uint32_t rows, std::uint32_t cols,
                                           std::vector<std::uint64_t> row_offsets,
                                           std::vector<std::uint32_t> col_indices,
                                           std::vector<float> values) {
  if (row_offsets.size() != static_cast<std::size_t>(rows) + 1) {
    return Status::InvalidArgument(fmt::format("row_offsets has {} entries, expected rows + 1 = {}",
                                               row_offsets.size(), rows + 1ull));
  }
  if (col_indices.size() != values.size()) {
    return Status::InvalidArgument(fmt::format("col_indices has {} entries but values has {}",
                                               col_indices.size(), values.size()));
  }
  if (row_offsets.front() != 0 || row_offsets.back() != col_indices.size()) {
    return Status::InvalidArgument(
        fmt::format("row_offsets must start at 0 and end at nnz = {}", col_indices.size()));
  }
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::uint64_t begin = row_offsets[r];
    const std::uint64_t end = row_offsets[r + 1];
    if (end < begin || end > col_indices.size()) {
      return Status::InvalidArgument(fmt::format("row {}: row_offsets decrease", r));
    }
    for (std::uint64_t p = begin; p < end; ++p) {
      if (col_indices[p] >= cols) {
        return Status::InvalidArgument(
            fmt::format("row {}: column {} at position {} is out of range (cols = {})", r,
                        col_indices[p], p, cols));
      }
      if (p > begin && col_indices[p] <= col_indices[p - 1]) {
        return Status::InvalidArgument(
            fmt::format("row {}: column indices not strictly increasing at position {}", r, p));
      }
      if (!std::isfinite(values[p]) || values[p] == 0.0f) {
        return Status::InvalidArgument(
            fmt::format("row {}: value at position {} is zero or not finite", r, p));
      }
    }
  }
  SparseMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.row_offsets_ = std::move(row_offsets);
  m.col_indices_ = std::move(col_indices);
  m.values_ = std::move(values);
  return m;
}

SparseMatrix::RowView SparseMatrix::Row(std::uint32_t r) const {
  assert(r < rows_);
  const std::uint64_t begin = row_offsets_[r];
  const std::uint64_t count = row_offsets_[r + 1] - begin;
  return RowView{std::span<const std::uint32_t>(col_indices_.data() + begin, count),
                 std::span<const float>(values_.data() + begin, count)};
}

std::vector<double> SparseMatrix::RowSums() const {
  std::vector<double> sums(rows_, 0.0);
  for (std::uint32_t r = 0; r < rows_; ++r) {
    for (std::uint64_t p = row_offsets_[r]; p < row_offsets_[r + 1]; ++p) sums[r] += values_[p];
  }
  return sums;
}

std::vector<double> SparseMatrix::ColSums() const {
  std::vector<double> sums(cols_, 0.0);
  for (std::uint64_t p = 0; p < col_indices_.size(); ++p) sums[col_indices_[p]] += values_[p];
  return sums;
}

SparseMatrix SparseMatrix::Transposed() const {
  SparseMatrix t;
  t.rows_ = cols_;
  t.cols_ = rows_;
  t.row_offsets_.assign(static_cast<std::size_t>(cols_) + 1, 0);
  for (std::uint32_t c : col_indices_) ++t.row_offsets_[static_cast<std::size_t>(c) + 1];
  for (std::size_t c = 0; c < cols_; ++c) t.row_offsets_[c + 1] += t.row_offsets_[c];
  t.col_indices_.resize(col_indices_.size());
  t.values_.resize(values_.size());
  std::vector<std::uint64_t> next(t.row_offsets_.begin(), t.row_offsets_.end() - 1);
  // Rows are visited in increasing order, so each transposed row comes out sorted.
  for (std::uint32_t r = 0; r < rows_; ++r) {
    for (std::uint64_t p = row_offsets_[r]; p < row_offsets_[r + 1]; ++p) {
      const std::uint64_t q = next[col_indices_[p]]++;
      t.col_indices_[q] = r;
      t.values_[q] = values_[p];
    }
  }
  return t;
}

void SparseMatrix::MultiplyDense(std::span<const float> x, std::uint32_t k,
                                 std::span<float> y) const {
  assert(x.size() == static_cast<std::size_t>(cols_) * k);
  assert(y.size() == static_cast<std::size_t>(rows_) * k);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, rows_, 256),
                    [&](const tbb::blocked_range<std::uint32_t>& range) {
                      for (std::uint32_t r = range.begin(); r != range.end(); ++r) {
                        float* out = y.data() + static_cast<std::size_t>(r) * k;
                        std::fill(out, out + k, 0.0f);
                        for (std::uint64_t p = row_offsets_[r]; p < row_offsets_[r + 1]; ++p) {
                          const float v = values_[p];
                          const float* in = x.data() + static_cast<std::size_t>(col_indices_[p]) * k;
                          for (std::uint32_t j = 0; j < k; ++j) out[j] += v * in[j];
                        }
                      }
                    });
}

}  // namespace partnergraph
