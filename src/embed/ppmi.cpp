#include "partnergraph/embed/ppmi.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace partnergraph {

Result<SparseMatrix> ComputePpmi(const SparseMatrix& counts, const PpmiOptions& options) {
  PG_RETURN_IF_ERROR(Validate(options));
  for (std::uint32_t r = 0; r < counts.rows(); ++r) {
    const auto row = counts.Row(r);
    for (std::size_t p = 0; p < row.cols.size(); ++p) {
      if (row.values[p] < 0) {
        return Status::InvalidArgument(
            fmt::format("PPMI: count at ({}, {}) is negative", r, row.cols[p]));
      }
    }
  }
  const std::vector<double> row_sums = counts.RowSums();
  std::vector<double> smoothed = counts.ColSums();
  double total = 0;
  for (double& c : smoothed) {
    c = std::pow(c, options.context_smoothing);
    total += c;
  }
  const double log_shift = std::log(options.shift);

  std::vector<std::uint64_t> offsets(static_cast<std::size_t>(counts.rows()) + 1, 0);
  std::vector<std::uint32_t> cols;
  std::vector<float> values;
  for (std::uint32_t r = 0; r < counts.rows(); ++r) {
    const auto row = counts.Row(r);
    for (std::size_t p = 0; p < row.cols.size(); ++p) {
      const std::uint32_t c = row.cols[p];
      const double pmi =
          std::log(static_cast<double>(row.values[p]) * total / (row_sums[r] * smoothed[c]));
      const auto weight = static_cast<float>(pmi - log_shift);
      if (weight > 0.0f) {
        cols.push_back(c);
        values.push_back(weight);
      }
    }
    offsets[r + 1] = cols.size();
  }
  return SparseMatrix::FromCsr(counts.rows(), counts.cols(), std::move(offsets), std::move(cols),
                               std::move(values));
}

}  // namespace partnergraph
