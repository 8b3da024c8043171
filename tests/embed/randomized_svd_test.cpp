#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "partnergraph/embed/randomized_svd.hpp"

using namespace partnergraph;

namespace {

// Entry (i, j) of the n x n Sylvester-Hadamard matrix (n a power of two).
int Hadamard(std::uint32_t i, std::uint32_t j) { return (__builtin_popcount(i & j) % 2) ? -1 : 1; }

// A = 5 u0 v0^T + 3 u1 v1^T + 1 u2 v2^T with orthonormal u (4-dim) and v (8-dim) taken
// from Hadamard columns: its singular values are exactly 5, 3, 1.
SparseMatrix KnownSpectrumMatrix() {
  const double s[3] = {5, 3, 1};
  std::vector<SparseMatrix::Triplet> triplets;
  for (std::uint32_t i = 0; i < 4; ++i) {
    for (std::uint32_t j = 0; j < 8; ++j) {
      double v = 0;
      for (std::uint32_t c = 0; c < 3; ++c) {
        v += s[c] * (Hadamard(i, c) / 2.0) * (Hadamard(j, c) / std::sqrt(8.0));
      }
      triplets.push_back({i, j, static_cast<float>(v)});
    }
  }
  return SparseMatrix::FromTriplets(4, 8, std::move(triplets)).value();
}

double Cosine(std::span<const float> a, std::span<const float> b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / std::sqrt(na * nb);
}

}  // namespace

TEST_CASE("RandomizedSvd recovers the singular values of a known matrix", "[embed]") {
  const SparseMatrix a = KnownSpectrumMatrix();
  SvdOptions options;
  options.dim = 3;
  auto svd = RandomizedSvd(a, options);
  REQUIRE(svd.ok());
  REQUIRE(svd->rank == 3);
  CHECK(svd->singular_values[0] == Approx(5).epsilon(1e-5));
  CHECK(svd->singular_values[1] == Approx(3).epsilon(1e-5));
  CHECK(svd->singular_values[2] == Approx(1).epsilon(1e-5));
  // Left vectors are the planted u's (up to sign; the sign rule makes the largest entry
  // positive) and orthonormal.
  for (std::uint32_t c = 0; c < 3; ++c) {
    double dot_u = 0;
    for (std::uint32_t i = 0; i < 4; ++i) dot_u += svd->left[i * 3 + c] * (Hadamard(i, c) / 2.0);
    CHECK(std::fabs(dot_u) == Approx(1).epsilon(1e-5));
    for (std::uint32_t c2 = 0; c2 < 3; ++c2) {
      double dot = 0;
      for (std::uint32_t i = 0; i < 4; ++i) dot += svd->left[i * 3 + c] * svd->left[i * 3 + c2];
      CHECK(dot == Approx(c == c2 ? 1.0 : 0.0).margin(1e-5));
    }
  }

  // Truncated to rank 2, without oversampling: the two leading values.
  options.dim = 2;
  options.oversampling = 0;
  auto truncated = RandomizedSvd(a, options);
  REQUIRE(truncated.ok());
  REQUIRE(truncated->singular_values.size() == 2);
  CHECK(truncated->singular_values[0] == Approx(5).epsilon(1e-4));
  CHECK(truncated->singular_values[1] == Approx(3).epsilon(1e-4));
}

TEST_CASE("PPMI-SVD embeddings separate two planted blocks", "[embed]") {
  // Merchants 0-9 share customers 0-19, merchants 10-19 share customers 20-39, with an
  // irregular pattern inside each block and two cross-block purchases as noise.
  std::vector<SparseMatrix::Triplet> counts;
  for (std::uint32_t m = 0; m < 20; ++m) {
    const std::uint32_t base = m < 10 ? 0 : 20;
    for (std::uint32_t c = 0; c < 20; ++c) {
      if ((m * 7 + c * 3) % 5 < 3) counts.push_back({m, base + c, 1.0f + static_cast<float>((m + c) % 3)});
    }
  }
  counts.push_back({2, 30, 1});
  counts.push_back({15, 4, 1});
  const auto matrix = SparseMatrix::FromTriplets(20, 40, counts).value();
  auto block_means = [](const Embeddings& e) {
    double within = 0, across = 0;
    int n_within = 0, n_across = 0;
    for (std::uint32_t a = 0; a < 20; ++a) {
      for (std::uint32_t b = a + 1; b < 20; ++b) {
        if ((a < 10) == (b < 10)) {
          within += e.Dot(a, b);
          ++n_within;
        } else {
          across += e.Dot(a, b);
          ++n_across;
        }
      }
    }
    return std::pair(within / n_within, across / n_across);
  };
  // Rank 2: the two leading directions are the blocks, so rows collapse onto two points.
  SvdOptions svd;
  svd.dim = 2;
  auto two = TrainSvdEmbeddings(matrix, {}, svd);
  REQUIRE(two.ok());
  REQUIRE(two->dim() == 2);
  const auto [within2, across2] = block_means(*two);
  INFO("rank 2: mean cosine within blocks " << within2 << ", across " << across2);
  CHECK(within2 > 0.9);
  CHECK(across2 < 0.2);

  // Rank 8 also keeps within-block detail; each row's nearest row is still in its block.
  svd.dim = 8;
  auto e = TrainSvdEmbeddings(matrix, {}, svd);
  REQUIRE(e.ok());
  const auto [within, across] = block_means(*e);
  INFO("rank 8: mean cosine within blocks " << within << ", across " << across);
  CHECK(within > across + 0.2);
  for (std::uint32_t a = 0; a < 20; ++a) {
    CHECK(Cosine(e->Row(a), e->Row(a)) == Approx(1.0));
    std::uint32_t best = a == 0 ? 1 : 0;
    for (std::uint32_t b = 0; b < 20; ++b) {
      if (b != a && e->Dot(a, b) > e->Dot(a, best)) best = b;
    }
    CHECK((a < 10) == (best < 10));
  }
  CHECK(e->config_json().find("\"method\":\"ppmi_svd\"") != std::string::npos);
}

TEST_CASE("RandomizedSvd is deterministic for a seed and thread count", "[embed]") {
  std::vector<SparseMatrix::Triplet> counts;
  for (std::uint32_t r = 0; r < 300; ++r) {
    for (std::uint32_t k = 0; k < 12; ++k) {
      counts.push_back({r, (r * 31 + k * 17 + k * k) % 500, 1.0f + static_cast<float>(k % 4)});
    }
  }
  const auto matrix = SparseMatrix::FromTriplets(300, 500, counts).value();
  SvdOptions options;
  options.dim = 16;
  options.threads = 2;
  auto first = TrainSvdEmbeddings(matrix, {}, options);
  auto second = TrainSvdEmbeddings(matrix, {}, options);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->values() == second->values());
}

TEST_CASE("RandomizedSvd on matrices smaller than the dimension", "[embed]") {
  auto matrix = SparseMatrix::FromTriplets(3, 5, {{0, 0, 1}, {1, 1, 2}, {2, 4, 3}}).value();
  SvdOptions options;
  options.dim = 16;
  auto e = TrainSvdEmbeddings(matrix, {}, options);
  REQUIRE(e.ok());
  CHECK(e->rows() == 3);
  CHECK(e->dim() == 16);
  for (std::uint32_t r = 0; r < 3; ++r) {
    for (std::uint32_t c = 3; c < 16; ++c) CHECK(e->Row(r)[c] == 0.0f);
  }
  // An empty matrix gives zero rows, not garbage.
  auto empty = TrainSvdEmbeddings(SparseMatrix::FromTriplets(4, 6, {}).value(), {}, options);
  REQUIRE(empty.ok());
  for (float v : empty->values()) CHECK(v == 0.0f);
  auto none = RandomizedSvd(SparseMatrix(), options);
  REQUIRE(none.ok());
  CHECK(none->rank == 0);
}

TEST_CASE("RandomizedSvd refuses options out of range", "[embed]") {
  SvdOptions options;
  options.dim = 0;
  auto bad = RandomizedSvd(SparseMatrix(), options);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message().find("svd.dim") != std::string::npos);
  options = {};
  options.singular_value_power = 2;
  CHECK(TrainSvdEmbeddings(SparseMatrix(), {}, options).status().IsInvalidArgument());
}

// Tall and wide matrices (>= 65,536 rows or columns) take the Cholesky-QR path of the
// randomized SVD (randomized_svd.cpp). A = sum_c s_c u_c v_c^T with s = 8, 7, ..., 1 and
// orthonormal Hadamard columns u (2^17 rows) and v (8 columns): full column rank, so the
// 8 computed singular values must be exactly these.
TEST_CASE("Randomized SVD of tall and wide matrices (Cholesky QR path) finds the spectrum",
          "[embed]") {
  const std::uint32_t n = 1u << 17, m = 8;
  std::vector<SparseMatrix::Triplet> tall, wide;
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < m; ++j) {
      double v = 0;
      for (std::uint32_t c = 0; c < m; ++c) {
        v += (8.0 - c) * (Hadamard(i, c) / std::sqrt(double(n))) *
             (Hadamard(j, c) / std::sqrt(double(m)));
      }
      tall.push_back({i, j, static_cast<float>(v)});
      wide.push_back({j, i, static_cast<float>(v)});
    }
  }
  SvdOptions options;
  options.dim = 8;
  options.oversampling = 0;
  options.power_iterations = 2;
  for (bool transposed : {false, true}) {
    auto a = transposed ? SparseMatrix::FromTriplets(m, n, wide)
                        : SparseMatrix::FromTriplets(n, m, tall);
    REQUIRE(a.ok());
    auto svd = RandomizedSvd(*a, options);
    REQUIRE(svd.ok());
    REQUIRE(svd->rank == 8);
    for (std::uint32_t c = 0; c < 8; ++c) {
      INFO("transposed " << transposed << ", singular value " << c);
      CHECK(svd->singular_values[c] == Approx(8.0 - c).epsilon(1e-3));  // float data
    }
    // Left vectors orthonormal.
    const std::uint32_t rows = svd->rows;
    for (std::uint32_t a1 = 0; a1 < 8; ++a1) {
      for (std::uint32_t a2 = a1; a2 < 8; ++a2) {
        double dot = 0;
        for (std::uint32_t r = 0; r < rows; ++r) {
          dot += double(svd->left[r * 8 + a1]) * svd->left[r * 8 + a2];
        }
        CHECK(dot == Approx(a1 == a2 ? 1.0 : 0.0).margin(1e-4));
      }
    }
  }
}
