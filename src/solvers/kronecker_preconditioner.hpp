// The Kronecker-factored metric of the structured solver (src/solvers/structured_lbfgs.hpp).
//
// For softmax regression with parameters V = [W | b] (K x n', n' = n + 1 with an intercept) the
// Hessian is  sum_i w_i (diag(p_i) - p_i p_i^T) (x) x~_i x~_i^T / sum w  +  lambda on W.  Its
// Kronecker approximation, with the penalty in a column ridge R = diag(lambda, ..., lambda,
// 1e-3 min(lambda, 1)) (the tiny ridge on the unpenalised intercept keeps M invertible without
// putting the penalty where the objective has none; capped at 1e-3 of the intercept's G entry,
// which is 1, because at lambda = 1e28 (C = 1e-30 on 100 rows) a ridge of 1e-3 lambda made the
// intercept's steps 1e25 times too short: the fit ended no_progress at uniform probabilities),
// is
//     M = A (x) G + I (x) R,   A = weighted mean of diag(p_i) - p_i p_i^T  (K x K),
//                              G = weighted mean of x~_i x~_i^T            (n' x n'),
// applied as a matrix map V -> A V G + V R. In whitened columns (V = V' R^{-1/2}, G' =
// R^{-1/2} G R^{-1/2} = U diag(l) U^T, A = Q diag(s) Q^T):
//     M^{-1} V = R^{-1/2} Q [(Q^T V R^{-1/2} U) / (s l^T + 1)] U^T R^{-1/2}
// (elementwise division): two K x n' x n' and two K x K x n' products per application.
//
// The intercept's all-classes direction (1 (x) e_b) has zero curvature in the objective but
// curvature 1e-3 lambda in M; it is an eigenvector of M, so projecting it out of input and output
// (centring the intercept column over the classes) gives the exact inverse on the complement
// instead of amplifying rounding error along it by 1e3 / lambda. Without a penalty (lambda = 0,
// or so small that the ridge below replaces it) the same holds for every column of W: its
// all-classes directions are flat in the objective and eigenvectors of M with the ridge's
// curvature, so W's columns are centred over the classes too (K > 1), and a fit keeps its
// start's component along them. So also, column by column, for a penalty below 1e-6 times the
// column's G_jj, whose curvature there is under a float gradient's rounding: the penalised
// optimum has centred columns, so a centred start (the default zero; the fit centres a warm
// start in those columns, centred_columns() below and fit_run.hpp) loses nothing, and the
// subspace of all-classes directions is an eigenspace of M, so projecting part of it out is
// still the exact inverse on the rest.
//
// Sizes, memory and cost, and the automatic fallbacks (the choice is reported by describe()):
//   G full: n'^2 doubles plus an n' x n' eigendecomposition once (about 9 n'^3 flops) and
//           4 K n'^2 flops per application; used while n' <= max_dense_features (2048: 32 MiB)
//           and G's diagonal spans at most 1e24 (SoftmaxMetric decides). Otherwise G diagonal:
//           n' doubles (the second moments of the columns), U = I.
//   A full: K^2 doubles, a K x K eigendecomposition per update (about 9 K^3 flops);
//           used while K <= max_dense_classes (1024) and the caller allows it (SoftmaxMetric:
//           while 9 K^3 <= pass / 20). Otherwise A diagonal: mean p (1 - p), K doubles.
// Products and factorisations run with OpenBLAS held single-threaded; on the caller's TBB arena
// apply()'s entrywise passes run the rows in parallel (no sums across rows), its products with
// U (above 4 MFLOP) as two fixed column panels and its subspace solves one task per vector, and
// the subspace assembly in parallel with a fixed order: the bits do not depend on the thread
// count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace softmaxkit::solvers_detail {

inline constexpr std::size_t max_dense_features = 2048;
inline constexpr std::size_t max_dense_classes = 1024;
inline constexpr std::size_t max_subspace_size = 2048;  // K r: (K r)^2 doubles = 32 MiB

// The intercept's ridge over lambda, r = 1e-3 min(1, 1 / lambda): 1e-3 for every lambda <= 1.
double intercept_ridge_ratio(double l2);

// The part of the setup that depends on lambda only through r, reusable across fits on the same
// data with the same r (a C search, every C >= 1 / rows): the eigendecomposition of D G D,
// D = diag(1, ..., 1, r^{-1/2}). The whitened G' = R^{-1/2} G R^{-1/2} of a penalty lambda is
// that matrix over lambda: same eigenvectors, eigenvalues / lambda.
struct GramFactorization {
  std::uint64_t key = 0;  // what it was computed from (the caller's choice; 0 = none)
  std::size_t cols = 0;
  bool dense = true, intercept = true;
  double intercept_ratio = 1e-3;  // r, the intercept's ridge over lambda
  std::vector<double> vectors;    // n' x n', column j = vector j (empty when !dense)
  std::vector<double> values;     // ascending, >= 0 (the diagonal of D G D when !dense)
  double mean_diagonal = 0;       // of G, for the ridge that replaces a zero penalty
  std::vector<double> diagonal;   // G's, n' (which columns a tiny penalty centres)
  double flops = 0;               // of the eigendecomposition
};

// gram: n' x n' row-major (or, when !dense, only its n' diagonal entries): the weighted mean of
// x~ x~^T over a row sample, intercept column last.
// intercept_ratio: intercept_ridge_ratio(lambda) of the fits that will use it.
std::shared_ptr<GramFactorization> factorize_gram(std::span<const double> gram, std::size_t cols,
                                                  bool intercept, bool dense,
                                                  double intercept_ratio);

class KroneckerPreconditioner {
 public:
  // l2: lambda (>= 0; a zero penalty, or one so small that G / l2 overflows, is replaced by a
  // ridge of 1e-10 times the mean diagonal of G, so M stays invertible and finite). gram's
  // intercept_ratio must be intercept_ridge_ratio(l2) (std::logic_error otherwise).
  KroneckerPreconditioner(std::size_t classes, std::size_t features, bool intercept, double l2,
                          std::shared_ptr<const GramFactorization> gram,
                          bool diagonal_classes = false);

  // A at the current point: K x K row-major (or its K diagonal entries when classes() >
  // max_dense_classes). Clamps negative eigenvalues from rounding to 0.
  void set_class_covariance(std::span<const double> a);
  bool dense_class_covariance() const { return dense_classes_; }

  // out = M^{-1} in over the solver's flat layout [W (K x n, row-major), b (K)]. in and out may
  // not alias. Before the first set_class_covariance, A = (I - 11^T/K)/K (uniform p).
  void apply(std::span<const double> in, std::span<double> out) const;
  // apply() to two vectors in one sweep (the four spans do not alias): each product reads U
  // (n'^2 doubles) once for both, where OpenBLAS's packing of it costs as much as the product
  // itself at K = 10. Each result is computed row by row as apply() computes it, but OpenBLAS
  // may round a product with 2K rows differently: the same bits as apply() are not promised.
  void apply_pair(std::span<const double> in_a, std::span<double> out_a,
                  std::span<const double> in_b, std::span<double> out_b) const;

  // Phase 2: the Hessian of a row sample, all classes coupled, on the span of the top r
  // eigenvectors of G' (whitened), Cholesky-factored; the Kronecker diagonal s l^T + 1 stays on
  // the other directions. Needs a dense G and K r <= max_subspace_size. basis() gives the n' x r
  // matrix R^{-1/2} U_r, so a row's subspace coordinates are z = x~^T basis. z: rows x r,
  // probabilities: rows x K, weights: rows (summing to 1). Memory (K r)^2 doubles, and 512 r
  // per assembling thread for a moment; cost at most K (K + 1) rows r^2 + (K r)^3 / 3 flops once
  // (returned; classes with p < drop in a row are left out of its term; the blocks are OpenBLAS
  // products of gathered rows) and 2 (K r)^2 more per application.
  bool subspace_possible(std::size_t rank) const {
    return dense_gram_ && rank > 0 && rank <= cols_ && classes_ * rank <= max_subspace_size;
  }
  // `storage`: memory for the (K r)^2 Hessian (any contents; ScratchPool::take), or empty.
  void basis(std::size_t rank, std::vector<double>& out) const;
  double set_subspace(std::span<const double> z, std::span<const double> probabilities,
                      std::span<const double> weights, std::size_t rows, std::size_t rank,
                      double drop, std::vector<double> storage = {});
  // The subspace factor's memory (for a ScratchPool), leaving no subspace; empty without one.
  std::vector<double> release_subspace() {
    rank_ = 0;
    return std::move(subspace_);
  }
  std::size_t subspace_rank() const { return rank_; }

  // Flops of the one-time setup (the eigendecomposition of G) and of one apply / one update.
  double setup_flops() const { return setup_flops_; }
  double apply_flops() const;
  double update_flops() const;
  std::string describe() const;  // e.g. "kronecker(G full 785, A full 10)"
  // Which of W's n columns M^{-1} centres over the classes (their all-classes directions
  // projected out), one flag per column; empty when none is.
  std::span<const unsigned char> centred_columns() const {
    if (!centre_weights_) return {};
    return centred_columns_;
  }

 private:
  // apply() of each ins[v] into outs[v], the vectors' K x n' matrices stacked in the workspaces.
  void apply_each(std::span<const std::span<const double>> ins,
                  std::span<const std::span<double>> outs) const;
  // apply() when both factors are diagonal and there is no subspace: one pass, the same bits.
  void apply_diagonal(std::span<const double> in, std::span<double> out) const;
  // Without a penalty (centre_weights_): W's columns of one stacked K x n' matrix centred over
  // the classes, in place.
  void centre_weight_columns(double* matrix) const;
  // to[c * to_stride] = (from[c * from_stride] - mean over the classes) * scale of the intercept.
  void centre_intercept(const double* from, std::size_t from_stride, double* to,
                        std::size_t to_stride) const;
  std::size_t classes_, features_, cols_;  // cols_ = n'
  bool intercept_, dense_gram_, dense_classes_;
  // No penalty, or a tiny one for some columns: those columns' all-classes directions projected
  // out (centred_columns_[j] for each of W's columns).
  bool centre_weights_ = false;
  std::vector<unsigned char> centred_columns_;
  std::vector<double> scale_;                      // R^{-1/2}, n'
  std::shared_ptr<const GramFactorization> gram_;  // eigenvectors U of G' (and of D G D)
  std::vector<double> l_;                          // eigenvalues of G'
  std::vector<double> q_, s_;                      // the same for A (K x K / K)
  double setup_flops_ = 0;
  std::size_t rank_ = 0;
  // Cholesky factor of the K r x K r subspace Hessian: upper triangle, column-major (as dtrsv reads
  // it); the same memory read row-major holds the lower factor.
  std::vector<double> subspace_;
  mutable std::vector<double> rhs_;
  mutable std::vector<double> t1_, t2_;  // K x n' workspaces per vector applied at once
  mutable std::vector<double> column_means_;
};

}  // namespace softmaxkit::solvers_detail
