// The Kronecker-factored metric M = A (x) G + I (x) R and its inverse (see the header).
#include "solvers/kronecker_preconditioner.hpp"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <new>
#include <stdexcept>
#include <string>

#include "regression/blas.hpp"

namespace softmaxkit::solvers_detail {
namespace {

constexpr double intercept_ridge = 1e-3;  // R's entry for the intercept column, times lambda

// Eigendecomposition of the symmetric n x n row-major matrix in `a` (overwritten by the
// eigenvectors, column j = vector j); eigenvalues ascending into `values`. LAPACK runs with
// OpenBLAS single-threaded so its bits do not depend on a thread count.
void symmetric_eigen(std::vector<double>& a, std::vector<double>& values, std::size_t n) {
  values.assign(n, 0.0);
  if (n == 0) return;
  detail::SingleThreadedBlas single;
  const lapack_int size = static_cast<lapack_int>(n);
  const lapack_int info =
      LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', size, a.data(), size, values.data());
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) {
    throw std::bad_alloc();
  }
  if (info != 0) {
    // dsyevd fails only if its QR iteration does not converge (info > 0), which for a finite
    // symmetric matrix is not expected; a NaN in the input lands here too.
    throw std::runtime_error("softmaxkit: LAPACKE_dsyevd failed with info " + std::to_string(info) +
                             " (non-finite data?)");
  }
}

}  // namespace

KroneckerPreconditioner::KroneckerPreconditioner(std::size_t classes, std::size_t features,
                                                 bool intercept, double l2,
                                                 std::span<const double> gram, bool diagonal_gram)
    : classes_(classes),
      features_(features),
      cols_(features + (intercept ? 1 : 0)),
      intercept_(intercept),
      dense_gram_(!diagonal_gram) {
  const std::size_t n = cols_;
  double mean_diagonal = 0;
  for (std::size_t j = 0; j < n; ++j) mean_diagonal += dense_gram_ ? gram[j * n + j] : gram[j];
  mean_diagonal = n > 0 ? mean_diagonal / static_cast<double>(n) : 0;
  // Without a penalty M would be singular wherever G is; a ridge far below the data's scale
  // keeps it invertible and lets the gamma scaling of the solver set the step length.
  double ridge = l2;
  if (!(ridge > 0)) ridge = mean_diagonal > 0 ? 1e-10 * mean_diagonal : 1e-10;
  scale_.assign(n, 1 / std::sqrt(ridge));
  if (intercept_) scale_[n - 1] = 1 / std::sqrt(intercept_ridge * ridge);

  if (dense_gram_) {
    u_.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) u_[i * n + j] = scale_[i] * gram[i * n + j] * scale_[j];
    symmetric_eigen(u_, l_, n);
    for (double& value : l_) value = std::max(value, 0.0);
    setup_flops_ = 9.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  } else {
    l_.resize(n);
    for (std::size_t j = 0; j < n; ++j) l_[j] = std::max(scale_[j] * gram[j] * scale_[j], 0.0);
  }
  // Uniform probabilities until the first update: A = (I - 11^T / K) / K.
  std::vector<double> a(dense_class_covariance() ? classes_ * classes_ : classes_);
  const double k = static_cast<double>(classes_);
  if (dense_class_covariance()) {
    for (std::size_t r = 0; r < classes_; ++r)
      for (std::size_t c = 0; c < classes_; ++c) a[r * classes_ + c] = ((r == c) - 1 / k) / k;
  } else {
    std::fill(a.begin(), a.end(), (1 - 1 / k) / k);
  }
  set_class_covariance(a);
  t1_.resize(classes_ * n);
  t2_.resize(classes_ * n);
}

void KroneckerPreconditioner::set_class_covariance(std::span<const double> a) {
  if (dense_class_covariance()) {
    q_.assign(a.begin(), a.end());
    symmetric_eigen(q_, s_, classes_);
  } else {
    s_.assign(a.begin(), a.end());
  }
  for (double& value : s_) value = std::max(value, 0.0);
}

void KroneckerPreconditioner::apply(std::span<const double> in, std::span<double> out) const {
  const std::size_t k = classes_, n = cols_, f = features_;
  // Whitened K x n' matrix of the input, the intercept column centred over the classes.
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < f; ++j) t1_[c * n + j] = in[c * f + j] * scale_[j];
    if (intercept_) t1_[c * n + f] = in[k * f + c];
  }
  if (intercept_) {
    double mean = 0;
    for (std::size_t c = 0; c < k; ++c) mean += t1_[c * n + f];
    mean /= static_cast<double>(k);
    for (std::size_t c = 0; c < k; ++c) t1_[c * n + f] = (t1_[c * n + f] - mean) * scale_[f];
  }
  detail::SingleThreadedBlas single;
  const bool dense_a = dense_class_covariance();
  // t2 = Q^T t1; then t1 = t2 U (or copies when a factor is diagonal).
  if (dense_a) {
    detail::gemm(true, false, k, n, k, 1.0, q_.data(), k, t1_.data(), n, 0.0, t2_.data(), n);
  } else {
    t2_ = t1_;
  }
  if (dense_gram_) {
    detail::gemm(false, false, k, n, n, 1.0, t2_.data(), n, u_.data(), n, 0.0, t1_.data(), n);
  } else {
    t1_ = t2_;
  }
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < n; ++j) t1_[c * n + j] /= s_[c] * l_[j] + 1;
  if (dense_gram_) {
    detail::gemm(false, true, k, n, n, 1.0, t1_.data(), n, u_.data(), n, 0.0, t2_.data(), n);
  } else {
    t2_ = t1_;
  }
  if (dense_a) {
    detail::gemm(false, false, k, n, k, 1.0, q_.data(), k, t2_.data(), n, 0.0, t1_.data(), n);
  } else {
    t1_ = t2_;
  }
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < f; ++j) out[c * f + j] = t1_[c * n + j] * scale_[j];
  if (intercept_) {
    double mean = 0;
    for (std::size_t c = 0; c < k; ++c) mean += t1_[c * n + f];
    mean /= static_cast<double>(k);
    for (std::size_t c = 0; c < k; ++c) out[k * f + c] = (t1_[c * n + f] - mean) * scale_[f];
  }
}

double KroneckerPreconditioner::apply_flops() const {
  const double k = static_cast<double>(classes_), n = static_cast<double>(cols_);
  return (dense_gram_ ? 4 * k * n * n : 0) + (dense_class_covariance() ? 4 * k * k * n : 0) +
         4 * k * n;
}

double KroneckerPreconditioner::update_flops() const {
  const double k = static_cast<double>(classes_);
  return dense_class_covariance() ? 9 * k * k * k : 0;
}

std::string KroneckerPreconditioner::describe() const {
  return std::string("kronecker(G ") + (dense_gram_ ? "full " : "diagonal ") +
         std::to_string(cols_) + ", A " + (dense_class_covariance() ? "full " : "diagonal ") +
         std::to_string(classes_) + ")";
}

}  // namespace softmaxkit::solvers_detail
