#include <catch2/catch.hpp>

#include "partnergraph/embed/sparse_matrix.hpp"

using namespace partnergraph;

TEST_CASE("SparseMatrix::FromTriplets sums duplicates whatever their order", "[embed]") {
  std::vector<SparseMatrix::Triplet> a = {{1, 2, 0.1f}, {0, 1, 2}, {1, 2, 0.7f}, {1, 0, 5},
                                          {1, 2, 1e-3f}, {0, 3, -1}, {0, 3, 1}};
  std::vector<SparseMatrix::Triplet> b(a.rbegin(), a.rend());
  auto ma = SparseMatrix::FromTriplets(2, 4, a);
  auto mb = SparseMatrix::FromTriplets(2, 4, b);
  REQUIRE(ma.ok());
  REQUIRE(mb.ok());
  // (0, 3) sums to zero and is not stored.
  CHECK(ma->row_offsets() == std::vector<std::uint64_t>{0, 1, 3});
  CHECK(ma->col_indices() == std::vector<std::uint32_t>{1, 0, 2});
  CHECK(ma->values() == mb->values());
  CHECK(ma->values()[0] == 2.0f);
  CHECK(ma->values()[2] == Approx(0.801f));
}

TEST_CASE("SparseMatrix::FromTriplets rejects out-of-range and non-finite entries", "[embed]") {
  auto out_of_range = SparseMatrix::FromTriplets(2, 2, {{0, 0, 1}, {2, 0, 1}});
  REQUIRE_FALSE(out_of_range.ok());
  CHECK(out_of_range.status().IsInvalidArgument());
  CHECK(out_of_range.status().message().find("triplet 1") != std::string::npos);
  auto nan = SparseMatrix::FromTriplets(2, 2, {{0, 0, std::nanf("")}});
  REQUIRE_FALSE(nan.ok());
  CHECK(nan.status().message().find("not finite") != std::string::npos);
}

TEST_CASE("SparseMatrix::FromCsr checks the layout", "[embed]") {
  CHECK(SparseMatrix::FromCsr(2, 3, {0, 1, 2}, {2, 0}, {1, 1}).ok());
  CHECK(SparseMatrix::FromCsr(2, 3, {0, 1}, {2}, {1}).status().IsInvalidArgument());
  CHECK(SparseMatrix::FromCsr(1, 3, {0, 2}, {2, 1}, {1, 1}).status().message().find(
            "not strictly increasing") != std::string::npos);
  CHECK(SparseMatrix::FromCsr(1, 3, {0, 1}, {3}, {1}).status().message().find("out of range") !=
        std::string::npos);
  CHECK(SparseMatrix::FromCsr(1, 3, {0, 1}, {1}, {0}).status().IsInvalidArgument());
  CHECK(SparseMatrix::FromCsr(2, 3, {0, 2, 1}, {0, 1}, {1, 1}).status().IsInvalidArgument());
}

TEST_CASE("SparseMatrix transpose, sums and dense product", "[embed]") {
  auto m = SparseMatrix::FromTriplets(2, 3, {{0, 0, 1}, {0, 2, 2}, {1, 1, 3}, {1, 2, 4}}).value();
  const SparseMatrix t = m.Transposed();
  CHECK(t.rows() == 3);
  CHECK(t.cols() == 2);
  CHECK(t.row_offsets() == std::vector<std::uint64_t>{0, 1, 2, 4});
  CHECK(t.col_indices() == std::vector<std::uint32_t>{0, 1, 0, 1});
  CHECK(t.values() == std::vector<float>{1, 3, 2, 4});
  CHECK(m.RowSums() == std::vector<double>{3, 7});
  CHECK(m.ColSums() == std::vector<double>{1, 3, 6});
  // x is 3 x 2.
  const std::vector<float> x = {1, 10, 2, 20, 3, 30};
  std::vector<float> y(4);
  m.MultiplyDense(x, 2, y);
  CHECK(y == std::vector<float>{7, 70, 18, 180});
}
