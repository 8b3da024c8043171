#include <catch2/catch.hpp>

#include <cmath>

#include "partnergraph/embed/ppmi.hpp"

using namespace partnergraph;

TEST_CASE("PPMI of a tiny matrix matches the hand computation", "[embed]") {
  // counts = [[2, 1], [0, 1]]: total 4, row sums 3 and 1, column sums 2 and 2.
  auto counts = SparseMatrix::FromTriplets(2, 2, {{0, 0, 2}, {0, 1, 1}, {1, 1, 1}}).value();
  PpmiOptions plain;
  plain.context_smoothing = 1.0;
  auto ppmi = ComputePpmi(counts, plain);
  REQUIRE(ppmi.ok());
  // PMI(0,0) = log(2*4 / (3*2)) = log(4/3) > 0; PMI(0,1) = log(1*4 / (3*2)) < 0 -> dropped;
  // PMI(1,1) = log(1*4 / (1*2)) = log 2.
  CHECK(ppmi->row_offsets() == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(ppmi->col_indices() == std::vector<std::uint32_t>{0, 1});
  CHECK(ppmi->values()[0] == Approx(std::log(4.0 / 3.0)));
  CHECK(ppmi->values()[1] == Approx(std::log(2.0)));
}

TEST_CASE("PPMI context smoothing and shift", "[embed]") {
  // counts = [[3, 1], [1, 0]]: column sums 4 and 1, row sums 4 and 1.
  auto counts = SparseMatrix::FromTriplets(2, 2, {{0, 0, 3}, {0, 1, 1}, {1, 0, 1}}).value();
  PpmiOptions smoothed;
  smoothed.context_smoothing = 0.5;
  auto ppmi = ComputePpmi(counts, smoothed);
  REQUIRE(ppmi.ok());
  // Z = 4^0.5 + 1^0.5 = 3. PMI(0,0) = log(3*3/(4*2)) > 0; PMI(0,1) = log(1*3/(4*1)) < 0;
  // PMI(1,0) = log(1*3/(1*2)) > 0.
  CHECK(ppmi->col_indices() == std::vector<std::uint32_t>{0, 0});
  CHECK(ppmi->values()[0] == Approx(std::log(9.0 / 8.0)));
  CHECK(ppmi->values()[1] == Approx(std::log(1.5)));

  smoothed.shift = 1.2;  // log(9/8) < log(1.2) < log(1.5)
  auto shifted = ComputePpmi(counts, smoothed);
  REQUIRE(shifted.ok());
  CHECK(shifted->nnz() == 1);
  CHECK(shifted->values()[0] == Approx(std::log(1.5) - std::log(1.2)));
}

TEST_CASE("PPMI refuses negative counts and bad options", "[embed]") {
  auto counts = SparseMatrix::FromTriplets(1, 2, {{0, 1, -2}}).value();
  auto bad = ComputePpmi(counts, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("(0, 1) is negative") != std::string::npos);
  PpmiOptions options;
  options.context_smoothing = 0;
  CHECK(ComputePpmi(SparseMatrix(), options).status().IsInvalidArgument());
  options = {};
  options.shift = 0.5;
  CHECK(ComputePpmi(SparseMatrix(), options).status().IsInvalidArgument());
}

TEST_CASE("PPMI of an empty matrix is empty", "[embed]") {
  auto ppmi = ComputePpmi(SparseMatrix::FromTriplets(3, 4, {}).value(), {});
  REQUIRE(ppmi.ok());
  CHECK(ppmi->rows() == 3);
  CHECK(ppmi->nnz() == 0);
}
