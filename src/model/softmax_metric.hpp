// The softmax-regression Metric for SolverKind::structured: the Kronecker factors of
// solvers/kronecker_preconditioner.hpp, built from the problem.
//
//   setup (once): G = weighted mean of x~ x~^T over `gram_rows` rows (x~ = [x, 1] with an
//           intercept), then its eigendecomposition. Cost counted as s n'^2 + 9 n'^3 flops (a
//           symmetric rank-s update and dsyevd), divided by a pass's 4 m n K flops.
//   update (each accepted point): A = weighted mean of diag(p) - p p^T over `class_rows` rows,
//           with p from those rows' logits at x; counted as (2 s n K + 2 s K^2 + 9 K^3) flops.
//   apply: counted as the preconditioner's 4 K n'^2 + 4 K^2 n' flops.
// CSR features: the same factors, G's diagonal form when n' > max_dense_features (the column
// second moments, from the sampled rows' entries), A from the sampled rows' logits computed from
// their entries; a pass then counts 4 nnz K flops.
// Row samples are chosen from the shape and a fixed seed only (a partial Fisher-Yates shuffle by
// splitmix64, then sorted), OpenBLAS runs single-threaded, and what runs on the caller's TBB
// threads (the CSR sample's logits row by row, the dense sample's in two fixed halves of its
// rows, the preconditioner's rows and panels) adds in a fixed
// order: the metric, and so the fit, does not depend on the number of threads.
// Memory: (gram_rows or 1024) x n' doubles while G is accumulated (in chunks of 1024 rows), n'^2
// for G, class_rows x n' for the A sample, and the preconditioner's workspaces.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/metric.hpp"
#include "softmaxkit/regression.hpp"
#include "solvers/kronecker_preconditioner.hpp"
#include "solvers/scratch_pool.hpp"

namespace softmaxkit::detail {

// Above this many classes A is one number (the mean of its diagonal: a row sample holds too few
// rows of each class for a per-class value) and the metric is (mean a) G + R only when G is
// concentrated: its effective rank tr(G)^2 / ||G||_F^2 over the features below n / 4. Otherwise
// the identity (plain L-BFGS with this solver's line search and gamma scaling): each class's
// curvature then lives on its own rows, which a shared, nearly isotropic G does not describe.
// Measured on K = 1000, n = 512, m = 10,000 probes (README, Training): isotropic features, the
// metric lost (104 pass-equivalents to 1e-6 above the optimum, the identity 58, liblbfgs 57);
// features scaled by 4 / sqrt(j) (effective rank about 28), it won (128 to convergence, the
// identity 214, liblbfgs 212). With a per-class A from the sample: 3 % above after 250.
inline constexpr std::size_t max_kronecker_classes = 100;

// tr(G)^2 / ||G||_F^2 of the leading n x n block of a cols x cols row-major G (n for G ~ I).
double effective_rank(std::span<const double> gram, std::size_t n, std::size_t cols);

struct SoftmaxMetricSettings {
  std::size_t gram_rows = 10000;  // rows sampled for G
  std::size_t class_rows = 2048;  // rows sampled for A at each update
  // Phase 2 (the subspace Hessian on the G sample) from ||g|| <= subspace_from ||g0||; rank r.
  double subspace_from = 1e-2;
  std::size_t subspace_rank = 100;
  double subspace_drop = 1e-3;  // classes with p below this leave a row's Hessian term
  std::uint64_t seed = 0x5eed17;
};

// count distinct indices in [0, rows), sorted, from (rows, count, seed) only.
std::vector<std::size_t> sample_rows(std::size_t rows, std::size_t count, std::uint64_t seed);

// The rows (sorted, distinct) that a metric for a problem of this shape reads: its G and A
// samples (for any number of classes: above max_kronecker_classes G is still probed). sparse:
// CSR features (whose diagonal G samples more rows).
std::vector<std::size_t> metric_rows(std::size_t rows, std::size_t features, std::size_t classes,
                                     bool intercept, const SoftmaxMetricSettings& settings = {},
                                     bool sparse = false);

template <class T>
class SoftmaxMetric final : public Metric {
 public:
  // cache: where a fit on the same data left its factorization of G (see GramFactorization);
  // reused when the sampled rows hash the same, replaced otherwise. May be null.
  // scratch: a C search's pool (solvers/scratch_pool.hpp) the metric's large buffers are taken
  // from and given back to when it is destroyed. May be null.
  SoftmaxMetric(const RegressionProblem<T>& problem, const SoftmaxMetricSettings& settings = {},
                std::shared_ptr<solvers_detail::GramFactorization>* cache = nullptr,
                solvers_detail::ScratchPool* scratch = nullptr);
  // For a problem whose rows are elsewhere (softmaxkit::mpi gathers these to every process):
  // `sampled` holds only the rows metric_rows(rows, ...) names, in that order (features and
  // weights, if any); `rows` is the whole problem's row count. The same metric, bitwise, as the
  // whole problem's. CSR sampled rows (sparse_features): `nnz` is the whole problem's entry
  // count (a pass's cost, which the metric's choices and counts are measured against).
  SoftmaxMetric(const RegressionProblem<T>& sampled, std::size_t rows,
                const SoftmaxMetricSettings& settings = {}, std::size_t nnz = 0);
  ~SoftmaxMetric() override;
  SoftmaxMetric(const SoftmaxMetric&) = delete;
  SoftmaxMetric& operator=(const SoftmaxMetric&) = delete;

  void update(std::span<const double> x, double relative_gradient_norm) override;
  void apply(std::span<const double> in, std::span<double> out) override;
  void apply_pair(std::span<const double> in_a, std::span<double> out_a,
                  std::span<const double> in_b, std::span<double> out_b) override;
  double pass_equivalents() const override;

  double setup_pass_equivalents() const { return setup_passes_; }
  bool reused_setup() const { return reused_setup_; }
  // KroneckerPreconditioner::centred_columns(): W's columns the metric keeps centred (empty
  // without the Kronecker metric).
  std::span<const unsigned char> centred_columns() const {
    if (!preconditioner_) return {};
    return preconditioner_->centred_columns();
  }
  std::string describe() const {
    if (preconditioner_)
      return preconditioner_->describe() + (class_scalar_ ? " A averaged" : "") +
             (reused_setup_ ? " reused" : "");
    if (nonfinite_) return "identity (non-finite data)";
    return "identity (" + std::to_string(classes_) + " classes > " +
           std::to_string(max_kronecker_classes) +
           (identity_after_probe_
                ? ", G effective rank " + std::to_string(std::lround(gram_effective_rank_)) +
                      " >= " + std::to_string(features_) + " / 4"
                : std::string()) +
           ")";
  }

 private:
  void setup(const RegressionProblem<T>& problem, std::size_t rows,
             const SoftmaxMetricSettings& settings,
             std::shared_ptr<solvers_detail::GramFactorization>* cache);
  void build_subspace(std::span<const double> x);
  // Row i of the features as n doubles (zeros between a CSR row's entries).
  void copy_row(std::size_t i, double* out) const;
  // f(j, x_ij) for each stored entry of row i, in increasing j (every j for dense rows).
  template <class F>
  void for_each_entry(std::size_t i, F&& f) const;
  void sample_logits(std::span<const double> x);  // logits_ = sampled rows x W^T
  std::size_t at(std::size_t row) const;          // a sampled row's index in features_view_

  std::vector<std::size_t> row_index_;  // the sampled problem's rows; empty: all rows
  solvers_detail::ScratchPool* scratch_ = nullptr;

  MatrixView<const T> features_view_;
  CsrMatrixView<T> sparse_view_;
  bool sparse_ = false;
  std::size_t whole_nnz_ = 0;  // CSR rows sampled from elsewhere: the whole problem's entries
  // CSR rows: the A sample row by row, each entry's column as its slot in sample_columns_ (the
  // columns with entries, ascending); gathered_ holds W at those columns (slot x K).
  std::vector<std::size_t> sample_row_offsets_;
  std::vector<std::int32_t> sample_row_slots_;
  std::vector<std::int32_t> sample_columns_;
  std::vector<double> gathered_;
  std::span<const T> sample_weights_;
  std::vector<std::size_t> gram_sample_;
  bool gram_unweighted_ = false, subspace_tried_ = false, nonfinite_ = false, reused_setup_ = false;
  bool class_scalar_ = false, identity_after_probe_ = false;  // K > max_kronecker_classes
  double gram_effective_rank_ = 0;
  SoftmaxMetricSettings settings_;
  std::size_t classes_ = 0, features_ = 0;
  bool intercept_ = true;
  double pass_flops_ = 1;
  double setup_passes_ = 0, work_flops_ = 0;
  std::unique_ptr<solvers_detail::KroneckerPreconditioner> preconditioner_;
  // The A sample: s x n dense rows (CSR: its entries, row by row), and
  // the rows' weights.
  std::vector<double> rows_, row_weights_;
  double row_weight_total_ = 0;
  std::vector<double> logits_, a_, weights_scratch_;
};

}  // namespace softmaxkit::detail

namespace softmaxkit::detail {

// L-BFGS memory of the structured solver: 40 pairs (the prototype's choice), fewer when 2 x 40
// vectors of the parameters' size would exceed 256 MiB (K = 1000, n = 512: 40 pairs take 328
// MB), never fewer than 3.
inline int structured_memory(std::size_t size) {
  const std::size_t budget = (std::size_t{256} << 20) / (16 * std::max<std::size_t>(size, 1));
  return static_cast<int>(std::clamp<std::size_t>(budget, 3, 40));
}

}  // namespace softmaxkit::detail
