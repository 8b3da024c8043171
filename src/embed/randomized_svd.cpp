#include "partnergraph/embed/randomized_svd.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "partnergraph/embed/ppmi.hpp"
#include "arena_threads.hpp"
#include "rng.hpp"

// The LAPACK and BLAS routines used, declared here with the gfortran calling
// convention (every argument by pointer, one hidden length per character
// argument) so that no LAPACKE/CBLAS header is needed.
extern "C" {
void sgelqf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void sorglq_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* iwork, int* info, std::size_t jobz_len);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t transa_len,
            std::size_t transb_len);
}

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
  if (info != 0) return Status::Internal("SVD: sgelqf workspace query failed, info " + std::to_string(info));
  lwork = std::max(1, static_cast<int>(query));
  std::vector<float> work(static_cast<std::size_t>(lwork));
  sgelqf_(&m, &n, buf.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) return Status::Internal("SVD: sgelqf failed, info " + std::to_string(info));
  return Status::Ok();
}

// Orthonormalises the columns of the row-major n x l matrix `y` in place (n >= l).
// The buffer is the column-major l x n matrix M = y^T; its LQ factorisation M = L P
// leaves P (orthonormal rows) in the buffer, i.e. y with orthonormal columns spanning
// the same space when y has full rank.
Status OrthonormalizeColumns(std::vector<float>& y, std::uint32_t n, std::uint32_t l) {
  std::vector<float> tau;
  PG_RETURN_IF_ERROR(FactorLq(y, l, n, tau));
  const int m = static_cast<int>(l);
  const int cols = static_cast<int>(n);
  int info = 0;
  int lwork = -1;
  float query = 0;
  sorglq_(&m, &cols, &m, y.data(), &m, tau.data(), &query, &lwork, &info);
  if (info != 0) return Status::Internal("SVD: sorglq workspace query failed, info " + std::to_string(info));
  lwork = std::max(1, static_cast<int>(query));
  std::vector<float> work(static_cast<std::size_t>(lwork));
  sorglq_(&m, &cols, &m, y.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) return Status::Internal("SVD: sorglq failed, info " + std::to_string(info));
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
  std::vector<float> tau;
  PG_RETURN_IF_ERROR(FactorLq(z, l, a.cols(), tau));
  // L (l x l, lower triangle of the first l columns), in double, column-major.
  std::vector<double> lower(static_cast<std::size_t>(l) * l, 0.0);
  for (std::uint32_t j = 0; j < l; ++j) {
    for (std::uint32_t i = j; i < l; ++i) {
      lower[i + static_cast<std::size_t>(j) * l] = z[i + static_cast<std::size_t>(j) * l];
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
    if (info != 0) return Status::Internal("SVD: dgesdd workspace query failed, info " + std::to_string(info));
    lwork = std::max(1, static_cast<int>(query));
    std::vector<double> work(static_cast<std::size_t>(lwork));
    dgesdd_(&jobz, &n, &n, lower.data(), &n, s.data(), u.data(), &n, vt.data(), &n, work.data(),
            &lwork, iwork.data(), &info, 1);
    if (info != 0) return Status::Internal("SVD: dgesdd did not converge, info " + std::to_string(info));
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
    return Status::InvalidArgument("SVD: a " + std::to_string(a.rows()) + " x " +
                                   std::to_string(a.cols()) +
                                   " matrix exceeds LAPACK's 32-bit dimensions");
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
