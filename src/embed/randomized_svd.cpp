#include "partnergraph/embed/randomized_svd.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "arena_threads.hpp"
#include "partnergraph/embed/ppmi.hpp"
#include "rng.hpp"

// The LAPACK and BLAS routines used, declared here with the gfortran calling
// convention (every argument by pointer, one hidden length per character
// argument) so that no LAPACKE/CBLAS header is needed. Their names are the libraries' symbols,
// hence the NOLINT of the naming check.
// NOLINTBEGIN(readability-identifier-naming)
extern "C" {
void sgelqf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void sorglq_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* iwork, int* info, std::size_t jobz_len);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc,
            std::size_t uplo_len, std::size_t trans_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info,
             std::size_t uplo_len);
void dtrsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const double* alpha, const double* a, const int* lda, double* b,
            const int* ldb, std::size_t side_len, std::size_t uplo_len, std::size_t transa_len,
            std::size_t diag_len);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t transa_len,
            std::size_t transb_len);
}
// NOLINTEND(readability-identifier-naming)

namespace partnergraph {
namespace {

constexpr std::uint32_t kMaxLapackDim = static_cast<std::uint32_t>(std::numeric_limits<int>::max());

// LQ factorisation (sgelqf) of the column-major m x n matrix in `buf`: L in the lower
// triangle, P as Householder reflectors in the rest and `tau`.
Status FactorLq(std::vector<float>& buf, std::uint32_t m_rows, std::uint32_t n_cols,
                std::vector<float>& tau) {
  const int m = static_cast<int>(m_rows);
  const int n = static_cast<int>(n_cols);
  tau.assign(m_rows, 0.0f);
  int info = 0;
  int lwork = -1;
  float query = 0;
  sgelqf_(&m, &n, buf.data(), &m, tau.data(), &query, &lwork, &info);
  if (info != 0)
    return Status::Internal(fmt::format("SVD: sgelqf workspace query failed, info {}", info));
  lwork = std::max(1, static_cast<int>(query));
  std::vector<float> work(static_cast<std::size_t>(lwork));
  sgelqf_(&m, &n, buf.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) return Status::Internal(fmt::format("SVD: sgelqf failed, info {}", info));
  return Status::Ok();
}

// Tall matrices (at least this many rows) are orthonormalised with Cholesky QR rather
// than Householder LQ. LAPACK's LQ of an l x n matrix runs its panels with level-2 BLAS
// over all n columns, which is memory-bound: at 2M customers (100k generated merchants)
// the merchant SVD spent minutes there. Cholesky QR is two level-3 passes (Gram matrix,
// triangular solve). Smaller matrices keep the LQ path, so their embeddings are unchanged.
constexpr std::uint32_t kCholeskyQrRows = 65536;
// Rows per block of the Gram accumulation and the solve (fixed: the sums, and so the
// result, do not depend on the thread count).
constexpr std::uint32_t kGramBlockRows = 8192;

// G = y^T y (l x l, column-major, upper triangle) of the row-major n x l matrix y, in
// double: blocks converted to double and accumulated with dsyrk, summed in block order.
std::vector<double> UpperGram(const std::vector<float>& y, std::uint32_t n, std::uint32_t l) {
  const std::uint32_t blocks = (n + kGramBlockRows - 1) / kGramBlockRows;
  std::vector<std::vector<double>> partial(blocks);
  tbb::parallel_for(std::uint32_t{0}, blocks, [&](std::uint32_t b) {
    const std::uint32_t lo = b * kGramBlockRows;
    const std::uint32_t rows = std::min(n - lo, kGramBlockRows);
    std::vector<double> m(y.begin() + static_cast<std::ptrdiff_t>(lo) * l,
                          y.begin() + static_cast<std::ptrdiff_t>(lo + rows) * l);
    std::vector<double>& g = partial[b];
    g.assign(static_cast<std::size_t>(l) * l, 0.0);
    const char upper = 'U', no_trans = 'N';
    const int li = static_cast<int>(l), k = static_cast<int>(rows);
    const double one = 1.0, zero = 0.0;
    // m is column-major l x rows (ld l): g = m m^T.
    dsyrk_(&upper, &no_trans, &li, &k, &one, m.data(), &li, &zero, g.data(), &li, 1, 1);
  });
  std::vector<double> g(static_cast<std::size_t>(l) * l, 0.0);
  for (const auto& p : partial) {
    for (std::size_t i = 0; i < g.size(); ++i) g[i] += p[i];
  }
  return g;
}

// Cholesky factor of the Gram matrix in `g` (in place, triangle `uplo`); false when the
// matrix is not numerically positive definite (a rank-deficient or badly conditioned y).
bool CholeskyOfGram(std::vector<double>& g, std::uint32_t l, char uplo) {
  const int li = static_cast<int>(l);
  int info = 0;
  dpotrf_(&uplo, &li, g.data(), &li, &info, 1);
  if (info != 0) return false;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (std::uint32_t i = 0; i < l; ++i) {
    const double d = std::fabs(g[i + static_cast<std::size_t>(i) * l]);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // cond(y) = cond(R) >= hi / lo; beyond ~1e6 one more pass would not restore
  // orthogonality from a float y.
  return hi > 0 && lo > 1e-6 * hi;
}

// One Cholesky QR pass: y <- y R^-1 with R^T R = y^T y. False (y unchanged) when the Gram
// matrix is not safely positive definite.
bool CholeskyQrPass(std::vector<float>& y, std::uint32_t n, std::uint32_t l) {
  std::vector<double> r = UpperGram(y, n, l);
  if (!CholeskyOfGram(r, l, 'U')) return false;
  const std::uint32_t blocks = (n + kGramBlockRows - 1) / kGramBlockRows;
  tbb::parallel_for(std::uint32_t{0}, blocks, [&](std::uint32_t b) {
    const std::uint32_t lo = b * kGramBlockRows;
    const std::uint32_t rows = std::min(n - lo, kGramBlockRows);
    float* first = y.data() + static_cast<std::size_t>(lo) * l;
    std::vector<double> m(first, first + static_cast<std::size_t>(rows) * l);
    // m is column-major l x rows = (y block)^T; y R^-1 transposed is R^-T m: solve R^T x = m.
    const char left = 'L', upper = 'U', trans = 'T', non_unit = 'N';
    const int li = static_cast<int>(l), k = static_cast<int>(rows);
    const double one = 1.0;
    dtrsm_(&left, &upper, &trans, &non_unit, &li, &k, &one, r.data(), &li, m.data(), &li, 1, 1, 1,
           1);
    std::transform(m.begin(), m.end(), first, [](double v) { return static_cast<float>(v); });
  });
  return true;
}

// Orthonormalises the columns of the row-major n x l matrix `y` in place (n >= l).
// Tall y (n >= kCholeskyQrRows): Cholesky QR twice (CholeskyQR2: the second pass restores
// the orthogonality the first loses to rounding), falling back to LQ when y is too badly
// conditioned. Otherwise, and as the fallback: the buffer is the column-major l x n
// matrix M = y^T; its LQ factorisation M = L P leaves P (orthonormal rows) in the buffer,
// i.e. y with orthonormal columns spanning the same space when y has full rank.
Status OrthonormalizeColumns(std::vector<float>& y, std::uint32_t n, std::uint32_t l) {
  if (n >= kCholeskyQrRows && CholeskyQrPass(y, n, l) && CholeskyQrPass(y, n, l)) {
    return Status::Ok();
  }
  std::vector<float> tau;
  PG_RETURN_IF_ERROR(FactorLq(y, l, n, tau));
  const int m = static_cast<int>(l);
  const int cols = static_cast<int>(n);
  int info = 0;
  int lwork = -1;
  float query = 0;
  sorglq_(&m, &cols, &m, y.data(), &m, tau.data(), &query, &lwork, &info);
  if (info != 0)
    return Status::Internal(fmt::format("SVD: sorglq workspace query failed, info {}", info));
  lwork = std::max(1, static_cast<int>(query));
  std::vector<float> work(static_cast<std::size_t>(lwork));
  sorglq_(&m, &cols, &m, y.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) return Status::Internal(fmt::format("SVD: sorglq failed, info {}", info));
  return Status::Ok();
}

Result<SvdResult> RandomizedSvdInArena(const SparseMatrix& a, const SvdOptions& options) {
  SvdResult result;
  result.rows = a.rows();
  const std::uint32_t small_side = std::min(a.rows(), a.cols());
  result.rank = std::min(options.dim, small_side);
  if (result.rank == 0) return result;
  const std::uint32_t l = std::min<std::uint32_t>(result.rank + options.oversampling, small_side);

  // Omega: cols x l, row j from its own stream so that it can be drawn in parallel.
  std::vector<float> omega(static_cast<std::size_t>(a.cols()) * l);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, a.cols(), 1024),
                    [&](const tbb::blocked_range<std::uint32_t>& range) {
                      for (std::uint32_t j = range.begin(); j != range.end(); ++j) {
                        embed_internal::Rng rng(options.seed, j);
                        float* row = omega.data() + static_cast<std::size_t>(j) * l;
                        for (std::uint32_t t = 0; t < l; ++t) {
                          row[t] = static_cast<float>(rng.Gaussian());
                        }
                      }
                    });

  std::vector<float> q(static_cast<std::size_t>(a.rows()) * l);
  a.MultiplyDense(omega, l, q);
  PG_RETURN_IF_ERROR(OrthonormalizeColumns(q, a.rows(), l));

  const SparseMatrix at = a.Transposed();
  std::vector<float>& z = omega;  // reused: cols x l
  for (std::uint32_t it = 0; it < options.power_iterations; ++it) {
    at.MultiplyDense(q, l, z);
    PG_RETURN_IF_ERROR(OrthonormalizeColumns(z, a.cols(), l));
    a.MultiplyDense(z, l, q);
    PG_RETURN_IF_ERROR(OrthonormalizeColumns(q, a.rows(), l));
  }

  // B^T = A^T Q, cols x l row-major, i.e. B (l x cols) column-major. LQ: B = L P.
  at.MultiplyDense(q, l, z);
  // L (l x l lower triangular, double, column-major) with B = L P, P orthonormal rows:
  // only L's SVD is needed. Wide B (many columns): L L^T = B B^T, the Cholesky factor
  // of z^T z; otherwise (and when that is not safely positive definite) LQ of B.
  std::vector<double> lower;
  if (a.cols() >= kCholeskyQrRows) {
    std::vector<double> g = UpperGram(z, a.cols(), l);
    // The upper triangle R of g = R^T R is L^T: copy it transposed.
    if (CholeskyOfGram(g, l, 'U')) {
      lower.assign(static_cast<std::size_t>(l) * l, 0.0);
      for (std::uint32_t j = 0; j < l; ++j) {
        for (std::uint32_t i = 0; i <= j; ++i) {
          lower[j + static_cast<std::size_t>(i) * l] = g[i + static_cast<std::size_t>(j) * l];
        }
      }
    }
  }
  if (lower.empty()) {
    std::vector<float> tau;
    PG_RETURN_IF_ERROR(FactorLq(z, l, a.cols(), tau));
    lower.assign(static_cast<std::size_t>(l) * l, 0.0);
    for (std::uint32_t j = 0; j < l; ++j) {
      for (std::uint32_t i = j; i < l; ++i) {
        lower[i + static_cast<std::size_t>(j) * l] = z[i + static_cast<std::size_t>(j) * l];
      }
    }
  }
  std::vector<double> s(l);
  std::vector<double> u(static_cast<std::size_t>(l) * l);
  std::vector<double> vt(static_cast<std::size_t>(l) * l);
  {
    const char jobz = 'S';
    const int n = static_cast<int>(l);
    int info = 0;
    int lwork = -1;
    double query = 0;
    std::vector<int> iwork(8 * static_cast<std::size_t>(l));
    dgesdd_(&jobz, &n, &n, lower.data(), &n, s.data(), u.data(), &n, vt.data(), &n, &query,
            &lwork, iwork.data(), &info, 1);
    if (info != 0)
      return Status::Internal(fmt::format("SVD: dgesdd workspace query failed, info {}", info));
    lwork = std::max(1, static_cast<int>(query));
    std::vector<double> work(static_cast<std::size_t>(lwork));
    dgesdd_(&jobz, &n, &n, lower.data(), &n, s.data(), u.data(), &n, vt.data(), &n, work.data(),
            &lwork, iwork.data(), &info, 1);
    if (info != 0)
      return Status::Internal(fmt::format("SVD: dgesdd did not converge, info {}", info));
  }

  // left = Q U_L[:, :rank]. Column-major view: left^T (rank x rows) = U_L[:, :rank]^T Q^T.
  std::vector<float> u_float(u.begin(), u.end());
  result.left.assign(static_cast<std::size_t>(a.rows()) * result.rank, 0.0f);
  {
    const char trans = 'T';
    const char no_trans = 'N';
    const int m = static_cast<int>(result.rank);
    const int n = static_cast<int>(a.rows());
    const int k = static_cast<int>(l);
    const float one = 1.0f;
    const float zero = 0.0f;
    sgemm_(&trans, &no_trans, &m, &n, &k, &one, u_float.data(), &k, q.data(), &k, &zero,
           result.left.data(), &m, 1, 1);
  }
  // Fix each vector's sign: its first entry of largest magnitude is positive.
  for (std::uint32_t c = 0; c < result.rank; ++c) {
    float best = 0;
    for (std::uint32_t r = 0; r < a.rows(); ++r) {
      const float v = result.left[static_cast<std::size_t>(r) * result.rank + c];
      if (std::fabs(v) > std::fabs(best)) best = v;
    }
    if (best < 0) {
      for (std::uint32_t r = 0; r < a.rows(); ++r) {
        result.left[static_cast<std::size_t>(r) * result.rank + c] *= -1.0f;
      }
    }
  }
  result.singular_values.assign(s.begin(), s.begin() + result.rank);
  return result;
}

}  // namespace

Result<SvdResult> RandomizedSvd(const SparseMatrix& a, const SvdOptions& options) {
  PG_RETURN_IF_ERROR(Validate(options));
  if (a.rows() > kMaxLapackDim || a.cols() > kMaxLapackDim) {
    return Status::InvalidArgument(fmt::format(
        "SVD: a {} x {} matrix exceeds LAPACK's 32-bit dimensions", a.rows(), a.cols()));
  }
  const int threads = embed_internal::ArenaThreads(options.threads);
  tbb::task_arena arena(threads);
  Result<SvdResult> result = Status::Internal("SVD: not run");
  arena.execute([&] { result = RandomizedSvdInArena(a, options); });
  return result;
}

Embeddings EmbeddingsFromSvd(const SvdResult& svd, const SvdOptions& options) {
  Embeddings e(svd.rows, options.dim);
  const double largest = svd.singular_values.empty() ? 0.0 : svd.singular_values.front();
  std::vector<float> scale(svd.rank, 0.0f);
  for (std::uint32_t c = 0; c < svd.rank; ++c) {
    const double s = svd.singular_values[c];
    if (largest > 0 && s > 1e-6 * largest) {
      scale[c] = static_cast<float>(std::pow(s, options.singular_value_power));
    }
  }
  for (std::uint32_t r = 0; r < svd.rows; ++r) {
    std::span<float> row = e.MutableRow(r);
    for (std::uint32_t c = 0; c < svd.rank; ++c) {
      row[c] = svd.left[static_cast<std::size_t>(r) * svd.rank + c] * scale[c];
    }
  }
  if (options.normalize) e.NormalizeRows();
  return e;
}

Result<Embeddings> TrainSvdEmbeddings(const SparseMatrix& counts, const PpmiOptions& ppmi,
                                      const SvdOptions& svd) {
  PG_RETURN_IF_ERROR(Validate(svd));
  PG_ASSIGN_OR_RETURN(SparseMatrix weighted, ComputePpmi(counts, ppmi));
  PG_ASSIGN_OR_RETURN(SvdResult factors, RandomizedSvd(weighted, svd));
  Embeddings e = EmbeddingsFromSvd(factors, svd);
  nlohmann::ordered_json config;
  config["method"] = "ppmi_svd";
  config["ppmi"] = nlohmann::ordered_json::parse(ToJson(ppmi));
  config["svd"] = nlohmann::ordered_json::parse(ToJson(svd));
  config["singular_values"] = factors.singular_values;
  e.set_config_json(config.dump());
  return e;
}

}  // namespace partnergraph
