// The Kronecker-factored metric M = A (x) G + I (x) R and its inverse (see the header).
#include "solvers/kronecker_preconditioner.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "loss/blas.hpp"
#include "solvers/vector_blocks.hpp"

namespace softmaxkit::solvers_detail {
namespace {

constexpr double intercept_ridge = 1e-3;  // R's intercept entry over min(lambda, G_bb = 1)
// Below this times a column's G_jj a penalty's all-classes curvature is under a float gradient's
// rounding (see the constructor).
constexpr double centre_below = 1e-6;

// Under ThreadSanitizer the subspace assembly and the panels stay serial (thread_sanitizer_build,
// from common/sanitizer_build.hpp; why in solvers/vector_blocks.hpp): the serial and parallel
// runs give the same bits (see below).

// Eigendecomposition of the symmetric n x n row-major matrix in `a` (overwritten by the
// eigenvectors, column j = vector j); eigenvalues ascending into `values`. LAPACK runs with
// OpenBLAS single-threaded so its bits do not depend on a thread count.
// The work arrays are ours (a workspace query, then std::vector), and so are the transpositions
// LAPACKE_dsyevd made for a row-major matrix (the same ones, so the same bits): LAPACKE's
// allocations print "Not enough memory to allocate work array in LAPACKE_dsyevd" on standard
// output when they fail (an audit under RLIMIT_AS), and the library never prints. An
// allocation that fails here is the std::bad_alloc every other one is.
void symmetric_eigen(std::vector<double>& a, std::vector<double>& values, std::size_t n) {
  values.assign(n, 0.0);
  if (n == 0) return;
  detail::SingleThreadedBlas single;
  const lapack_int size = static_cast<lapack_int>(n);
  std::vector<double> columns(n * n);  // a column-major: its transpose
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) columns[j * n + i] = a[i * n + j];
  double work_size = 0;
  lapack_int iwork_size = 0;
  lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', size, columns.data(), size,
                                        values.data(), &work_size, -1, &iwork_size, -1);
  if (info == 0) {
    std::vector<double> work(static_cast<std::size_t>(work_size));
    std::vector<lapack_int> iwork(static_cast<std::size_t>(iwork_size));
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', size, columns.data(), size,
                               values.data(), work.data(), static_cast<lapack_int>(work.size()),
                               iwork.data(), iwork_size);
  }
  if (info != 0) {
    // dsyevd fails only if its QR iteration does not converge (info > 0), which for a finite
    // symmetric matrix is not expected; a NaN in the input lands here too.
    throw std::runtime_error("softmaxkit: LAPACKE_dsyevd_work failed with info " +
                             std::to_string(info) + " (non-finite data?)");
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) a[i * n + j] = columns[j * n + i];
}

}  // namespace

double intercept_ridge_ratio(double l2) {
  return l2 > 1 ? intercept_ridge / l2 : intercept_ridge;
}

std::shared_ptr<GramFactorization> factorize_gram(std::span<const double> gram, std::size_t cols,
                                                  bool intercept, bool dense,
                                                  double intercept_ratio) {
  auto out = std::make_shared<GramFactorization>();
  const std::size_t n = cols;
  out->cols = n;
  out->dense = dense;
  out->intercept = intercept;
  out->intercept_ratio = intercept_ratio;
  std::vector<double> d(n, 1.0);
  if (intercept && n > 0) d[n - 1] = 1 / std::sqrt(intercept_ratio);
  out->diagonal.resize(n);
  for (std::size_t j = 0; j < n; ++j) out->diagonal[j] = dense ? gram[j * n + j] : gram[j];
  for (std::size_t j = 0; j < n; ++j) out->mean_diagonal += out->diagonal[j];
  out->mean_diagonal = n > 0 ? out->mean_diagonal / static_cast<double>(n) : 0;
  if (dense) {
    out->vectors.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) out->vectors[i * n + j] = d[i] * gram[i * n + j] * d[j];
    symmetric_eigen(out->vectors, out->values, n);
    out->flops = 9.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  } else {
    out->values.resize(n);
    for (std::size_t j = 0; j < n; ++j) out->values[j] = d[j] * gram[j] * d[j];
  }
  for (double& value : out->values) value = std::max(value, 0.0);
  return out;
}

KroneckerPreconditioner::KroneckerPreconditioner(std::size_t classes, std::size_t features,
                                                 bool intercept, double l2,
                                                 std::shared_ptr<const GramFactorization> gram,
                                                 bool diagonal_classes)
    : classes_(classes),
      features_(features),
      cols_(features + (intercept ? 1 : 0)),
      intercept_(intercept),
      dense_gram_(gram->dense),
      dense_classes_(!diagonal_classes && classes <= max_dense_classes),
      gram_(std::move(gram)) {
  const std::size_t n = cols_;
  // Without a penalty M would be singular wherever G is; a ridge far below the data's scale
  // keeps it invertible and lets the gamma scaling of the solver set the step length.
  // A positive lambda so small that G / lambda overflows (C near DBL_MAX: lambda ~ 1e-310) made
  // the metric inf and the structured fit end with line_search_failed away from the optimum: it
  // gets the same ridge as no penalty. Elsewhere lambda is used as given (the same bits).
  double largest = 0;
  for (double value : gram_->values) largest = std::max(largest, value);
  // A lambda with G / lambda beyond 1e150 too (C = 1e300 on 200 rows: lambda = 5e-303 passed the
  // overflow test and ended line_search_failed at the start, the whitened subspace's squares
  // overflowing): a metric's curvature of 1e-10 of G's scale where the objective has less changes
  // only the steps along directions G does not see, on which the gradient is lambda W.
  // And a lambda below 1e-10 of every column's scale (G's smallest positive diagonal entry, the
  // intercept's 1 included): as a ridge its inverse amplified the rounding along the all-classes
  // directions by 1 / lambda, and iris at C = 1e28 (lambda 7e-31) ended with its intercepts
  // summing to -51, at 1e30 to 3.0 (the same probabilities). Its curvature is below the float
  // gradient's rounding in every column, so it is no penalty to the metric.
  double smallest = std::numeric_limits<double>::infinity();
  for (double value : gram_->diagonal)
    if (value > 0) smallest = std::min(smallest, value);
  double ridge = l2;
  if (!(ridge > 0) || !(largest / ridge <= 1e150) || !std::isfinite(1 / std::sqrt(ridge)) ||
      (std::isfinite(smallest) && ridge < 1e-10 * smallest)) {
    ridge = gram_->mean_diagonal > 0 ? 1e-10 * gram_->mean_diagonal : 1e-10;
    // No penalty: every all-classes direction 1 (x) v of W is flat in the objective (softmax is
    // unchanged when all classes' logits move together) and had curvature `ridge` in M, so the
    // rounding error a float gradient has along it was amplified by 1 / ridge: a default fit
    // drifted along it until max |W| was 150 and its float loss was 1.5e-6 off (ended
    // no_progress). These directions are eigenvectors of M (A 1 = 0), so, as for the intercept,
    // projecting them out of input and output is the exact inverse on the complement, and the
    // iterates keep the start's component along them (any value is optimal without a penalty).
    centred_columns_.assign(features_, 1);
  } else {
    // A positive lambda below a column's rounding has the same trouble there: the all-classes
    // directions' true gradient is lambda K times the column means, under the float gradient's
    // rounding (relative to G_jj), and M has curvature lambda along them, so the rounding was
    // amplified by 1 / lambda (C = 1e10 on 200 rows of 4 overlapping classes: no_progress after
    // 554 evaluations with a float loss 2e-5 below the optimum; C = 1e12: line_search_failed
    // 2e-4 above it). The penalised optimum has centred columns (moving W by 1 v^T leaves the
    // loss unchanged and only adds to the penalty), so an iterate that starts centred (the
    // default start, zero) stays centred and the projection is exact there. Columns whose
    // lambda is at their scale keep their bits.
    centred_columns_.assign(features_, 0);
    for (std::size_t j = 0; j < features_; ++j)
      centred_columns_[j] = ridge < centre_below * gram_->diagonal[j];
  }
  centre_weights_ = classes_ > 1 && std::find(centred_columns_.begin(), centred_columns_.end(),
                                              1) != centred_columns_.end();
  if (gram_->intercept_ratio != intercept_ridge_ratio(l2)) {
    throw std::logic_error(
        "KroneckerPreconditioner: the Gram factorisation's intercept ratio is "
        "not this penalty's");
  }
  scale_.assign(n, 1 / std::sqrt(ridge));
  if (intercept_) scale_[n - 1] = 1 / std::sqrt(gram_->intercept_ratio * ridge);
  l_.resize(n);
  for (std::size_t j = 0; j < n; ++j) l_[j] = gram_->values[j] / ridge;
  setup_flops_ = gram_->flops;
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
  const std::span<const double> ins[] = {in};
  const std::span<double> outs[] = {out};
  apply_each(ins, outs);
}

void KroneckerPreconditioner::apply_pair(std::span<const double> in_a, std::span<double> out_a,
                                         std::span<const double> in_b,
                                         std::span<double> out_b) const {
  const std::span<const double> ins[] = {in_a, in_b};
  const std::span<double> outs[] = {out_a, out_b};
  apply_each(ins, outs);
}

void KroneckerPreconditioner::apply_each(std::span<const std::span<const double>> ins,
                                         std::span<const std::span<double>> outs) const {
  const std::size_t k = classes_, n = cols_, f = features_, count = ins.size();
  if (!dense_gram_ && !dense_class_covariance() && rank_ == 0 && !centre_weights_) {
    for (std::size_t v = 0; v < count; ++v) apply_diagonal(ins[v], outs[v]);
    return;
  }
  // The vectors' whitened K x n' matrices stacked (count K x n'), each intercept column centred
  // over the classes. Every step below acts on each row, or each vector's K rows, on its own:
  // stacking only lets one product read U (n'^2 doubles, several MB) for all the vectors.
  const std::size_t rows = count * k;
  t1_.resize(rows * n);
  t2_.resize(rows * n);
  rhs_.resize(count * k * rank_);
  // The entrywise passes run over the rows in parallel (no sums: the same bits).
  for_rows(rows, n, [&](std::size_t row) {
    const double* in = ins[row / k].data() + (row % k) * f;
    for (std::size_t j = 0; j < f; ++j) t1_[row * n + j] = in[j] * scale_[j];
  });
  if (intercept_)
    for (std::size_t v = 0; v < count; ++v)
      centre_intercept(ins[v].data() + k * f, 1, t1_.data() + v * k * n + f, n);
  if (centre_weights_)
    for (std::size_t v = 0; v < count; ++v) centre_weight_columns(t1_.data() + v * k * n);
  detail::SingleThreadedBlas single;
  const bool dense_a = dense_class_covariance();
  // The products with U run as two column panels of the result, each one single-threaded
  // OpenBLAS call in its own task, once they are worth a task (4 MFLOP); the panels follow from
  // the shape alone, so the bits do not depend on the thread count (one thread runs both).
  const double product_flops = 2 * static_cast<double>(rows) * static_cast<double>(n * n);
  const std::size_t panels = product_flops >= 4e6 && n >= 16 ? 2 : 1;
  auto panel_begin = [&](std::size_t p) { return p == 0 ? 0 : n / 2 / 8 * 8; };
  auto panel_end = [&](std::size_t p) { return p + 1 == panels ? n : n / 2 / 8 * 8; };
  // Where a factor is diagonal (or absent) the step's result is its input: the workspaces are
  // swapped rather than copied (each step reads only the one it was handed; on CSR data, where
  // both factors are diagonal, copies of K x n' values were a tenth of the fit).
  // t2 = t1 U (the eigenbasis of G'); the subspace's coordinates are its last rank_ columns.
  if (dense_gram_) {
    for_each_task(panels, [&](std::size_t p) {
      const std::size_t begin = panel_begin(p), end = panel_end(p);
      detail::gemm(false, false, rows, end - begin, n, 1.0, t1_.data(), n,
                   gram_->vectors.data() + begin, n, 0.0, t2_.data() + begin, n);
    });
  } else {
    t2_.swap(t1_);
  }
  if (rank_ > 0) {
    for (std::size_t row = 0; row < rows; ++row)
      for (std::size_t a = 0; a < rank_; ++a) rhs_[row * rank_ + a] = t2_[row * n + n - rank_ + a];
  }
  // t1 = Q^T t2, divided by s l^T + 1, and back: t2 = Q t1 (Q acts on each vector's K rows).
  if (dense_a) {
    for (std::size_t v = 0; v < count; ++v)
      detail::gemm(true, false, k, n, k, 1.0, q_.data(), k, t2_.data() + v * k * n, n, 0.0,
                   t1_.data() + v * k * n, n);
  } else {
    t1_.swap(t2_);
  }
  for_rows(rows, n, [&](std::size_t row) {
    const double class_scale = s_[row % k];
    for (std::size_t j = 0; j < n; ++j) t1_[row * n + j] /= class_scale * l_[j] + 1;
  });
  if (dense_a) {
    for (std::size_t v = 0; v < count; ++v)
      detail::gemm(false, false, k, n, k, 1.0, q_.data(), k, t1_.data() + v * k * n, n, 0.0,
                   t2_.data() + v * k * n, n);
  } else {
    t2_.swap(t1_);
  }
  if (rank_ > 0) {
    // The factor is column-major upper (set_subspace): solve U^T U x = rhs by two triangular
    // solves. dpotrs does the same through dtrsm, which packs the (K r)^2
    // factor on every call: 0.63-0.72 ms against 0.26-0.29 ms for the two dtrsv at K r = 1000,
    // twice per iteration of a fit (bench/c_path.py cv).
    // One task per vector.
    const auto size = static_cast<blasint>(k * rank_);
    for_each_task(count, [&](std::size_t v) {
      double* x = rhs_.data() + v * k * rank_;
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, size, subspace_.data(), size,
                  x, 1);
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, size, subspace_.data(),
                  size, x, 1);
    });
    for (std::size_t row = 0; row < rows; ++row)
      for (std::size_t a = 0; a < rank_; ++a) t2_[row * n + n - rank_ + a] = rhs_[row * rank_ + a];
  }
  if (dense_gram_) {
    for_each_task(panels, [&](std::size_t p) {
      const std::size_t begin = panel_begin(p), end = panel_end(p);
      detail::gemm(false, true, rows, end - begin, n, 1.0, t2_.data(), n,
                   gram_->vectors.data() + begin * n, n, 0.0, t1_.data() + begin, n);
    });
  } else {
    t1_.swap(t2_);
  }
  if (centre_weights_)
    for (std::size_t v = 0; v < count; ++v) centre_weight_columns(t1_.data() + v * k * n);
  for_rows(rows, n, [&](std::size_t row) {
    double* out = outs[row / k].data() + (row % k) * f;
    for (std::size_t j = 0; j < f; ++j) out[j] = t1_[row * n + j] * scale_[j];
  });
  if (intercept_)
    for (std::size_t v = 0; v < count; ++v)
      centre_intercept(t1_.data() + v * k * n + f, n, outs[v].data() + k * f, 1);
}

// The intercept column's step on either side of the metric: centred over the classes (M acts on
// the classes' differences only), then scaled by R^{-1/2}; from and to may be the same entries.
void KroneckerPreconditioner::centre_intercept(const double* from, std::size_t from_stride,
                                               double* to, std::size_t to_stride) const {
  const std::size_t k = classes_;
  double mean = 0;
  for (std::size_t c = 0; c < k; ++c) mean += from[c * from_stride];
  mean /= static_cast<double>(k);
  for (std::size_t c = 0; c < k; ++c)
    to[c * to_stride] = (from[c * from_stride] - mean) * scale_[features_];
}

// Each of the first features_ columns of one vector's K x n' matrix (rows n' apart) minus its
// mean over the classes, summed in class order: the same bits for any thread count.
void KroneckerPreconditioner::centre_weight_columns(double* matrix) const {
  const std::size_t k = classes_, n = cols_, f = features_;
  column_means_.assign(matrix, matrix + f);
  for (std::size_t c = 1; c < k; ++c)
    for (std::size_t j = 0; j < f; ++j) column_means_[j] += matrix[c * n + j];
  for (std::size_t j = 0; j < f; ++j)
    column_means_[j] = centred_columns_[j] ? column_means_[j] / static_cast<double>(k) : 0.0;
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < f; ++j) matrix[c * n + j] -= column_means_[j];
}

// Both factors diagonal and no subspace (CSR data): the steps of apply() become one pass over the
// features, each entry computed by the same operations in the same order ((x s_j) / (s_c l_j + 1))
// s_j, so the bits are apply()'s; the intercept column takes apply()'s steps (centre_intercept,
// the division, centre_intercept).
void KroneckerPreconditioner::apply_diagonal(std::span<const double> in,
                                             std::span<double> out) const {
  const std::size_t k = classes_, n = cols_, f = features_;
  for_rows(k, n, [&](std::size_t c) {
    const double class_scale = s_[c];
    const double* x = in.data() + c * f;
    double* y = out.data() + c * f;
    for (std::size_t j = 0; j < f; ++j)
      y[j] = x[j] * scale_[j] / (class_scale * l_[j] + 1) * scale_[j];
  });
  if (!intercept_) return;
  centre_intercept(in.data() + k * f, 1, t1_.data() + f, n);
  for (std::size_t c = 0; c < k; ++c) t1_[c * n + f] /= s_[c] * l_[f] + 1;
  centre_intercept(t1_.data() + f, n, out.data() + k * f, 1);
}

void KroneckerPreconditioner::basis(std::size_t rank, std::vector<double>& out) const {
  const std::size_t n = cols_;
  out.resize(n * rank);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t a = 0; a < rank; ++a)
      out[j * rank + a] = scale_[j] * gram_->vectors[j * n + n - rank + a];
}

double KroneckerPreconditioner::set_subspace(std::span<const double> z,
                                             std::span<const double> probabilities,
                                             std::span<const double> weights, std::size_t rows,
                                             std::size_t rank, double drop,
                                             std::vector<double> storage) {
  const std::size_t k = classes_, r = rank, size = k * r;
  std::vector<double> h = std::move(storage);
  h.assign(size * size, 0.0);
  double flops = 0;
  // Row i adds w_i (diag(p_i) - p_i p_i^T) (x) z_i z_i^T. Classes with p_ic < drop are left out
  // of that row's term (their entries are below drop in size): near the optimum most rows keep
  // two or three classes, so this costs sum_i t_i (t_i + 1) r^2 flops instead of K (K + 1) r^2.
  // Blocks (c, e) with c <= e are accumulated, then mirrored. One task per block row c (the
  // blocks (c, e), e >= c), each block computed whole by its task as below: the same operations
  // whatever the thread count, so h has the same bits for any number of threads.
  // kept[c]: the rows (ascending) that keep class c, so block (c, e) visits only c's rows rather
  // than every row for each of the K (K + 1) / 2 blocks.
  std::vector<std::vector<std::size_t>> kept(k);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* p = probabilities.data() + i * k;
    std::size_t t = 0;
    for (std::size_t c = 0; c < k; ++c) {
      if (!(p[c] >= drop)) continue;
      kept[c].push_back(i);
      ++t;
    }
    flops += static_cast<double>(t * (t + 1)) * static_cast<double>(r * r);
  }
  // Block (c, e) = sum over the rows where both classes are kept of coefficient_i z_i z_i^T:
  // those rows are gathered, in row order, kGatherRows at a time (scaled by their coefficient,
  // and as they are) and multiplied by OpenBLAS, single-threaded in the task that owns the block,
  // so the block's bits do not depend on the thread count. The scalar loop this replaced ran at a
  // few GFLOP/s: 15 % of a cross-validation's time on Fashion-MNIST (bench/c_path.py cv).
  detail::SingleThreadedBlas single;
  constexpr std::size_t kGatherRows = 256;
  auto assemble = [&](std::size_t first, std::size_t last) {
    std::vector<double> scaled(kGatherRows * r), plain(kGatherRows * r);
    for (std::size_t c = first; c != last; ++c) {
      for (std::size_t e = c; e < k; ++e) {
        double* block = h.data() + (c * r) * size + e * r;
        std::size_t count = 0;
        bool empty = true;
        auto multiply = [&] {
          if (count == 0) return;
          detail::gemm(true, false, r, r, count, 1.0, scaled.data(), r, plain.data(), r,
                       empty ? 0.0 : 1.0, block, size);
          empty = false;
          count = 0;
        };
        for (const std::size_t i : kept[c]) {
          const double* p = probabilities.data() + i * k;
          if (!(p[e] >= drop)) continue;
          const double coefficient = weights[i] * ((c == e ? p[c] : 0.0) - p[c] * p[e]);
          const double* zi = z.data() + i * r;
          double* scaled_row = scaled.data() + count * r;
          for (std::size_t a = 0; a < r; ++a) scaled_row[a] = coefficient * zi[a];
          std::copy(zi, zi + r, plain.data() + count * r);
          if (++count == kGatherRows) multiply();
        }
        multiply();
      }
    }
  };
  // Small assemblies stay on the calling thread (a task handoff would cost more than the work);
  // either way every entry of h gets the same additions in the same order.
  constexpr double parallel_flops = 1e8;
  if (flops >= parallel_flops) {
    for_each_task(k, [&](std::size_t c) { assemble(c, c + 1); });
  } else {
    assemble(0, k);
  }
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t e = c + 1; e < k; ++e)
      for (std::size_t a = 0; a < r; ++a)
        for (std::size_t b = 0; b < r; ++b)
          h[(e * r + b) * size + c * r + a] = h[(c * r + a) * size + e * r + b];
  for (std::size_t i = 0; i < size; ++i) h[i * size + i] += 1;  // the whitened ridge R
  // h is symmetric, so column-major it is the same matrix: factored in place as U^T U. Row-major
  // LAPACKE would copy it into a column-major buffer and back (two (K r)^2 transpositions and a
  // fresh 22 MB buffer per fit at K r = 1651: 2-3 % of a cross-validation's time).
  const lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', static_cast<lapack_int>(size),
                                         h.data(), static_cast<lapack_int>(size));
  const double sd = static_cast<double>(size);
  flops += sd * sd * sd / 3;
  if (info != 0) return flops;  // not positive definite (non-finite input): stay in phase 1
  subspace_ = std::move(h);
  rank_ = r;
  return flops;
}

double KroneckerPreconditioner::apply_flops() const {
  const double k = static_cast<double>(classes_), n = static_cast<double>(cols_);
  const double kr = k * static_cast<double>(rank_);
  return 2 * kr * kr + (dense_gram_ ? 4 * k * n * n : 0) +
         (dense_class_covariance() ? 4 * k * k * n : 0) + 4 * k * n;
}

double KroneckerPreconditioner::update_flops() const {
  const double k = static_cast<double>(classes_);
  return dense_class_covariance() ? 9 * k * k * k : 0;
}

std::string KroneckerPreconditioner::describe() const {
  return std::string("kronecker(G ") + (dense_gram_ ? "full " : "diagonal ") +
         std::to_string(cols_) + ", A " + (dense_class_covariance() ? "full " : "diagonal ") +
         std::to_string(classes_) +
         (rank_ > 0 ? ", subspace Hessian rank " + std::to_string(rank_) : std::string()) + ")";
}

}  // namespace softmaxkit::solvers_detail
