// SoftmaxRegression: multinomial logistic regression with fit / predict_proba / predict / score /
// save / load, trained by the structured L-BFGS (a Kronecker-factored metric; the default with
// L2), L-BFGS (with OWL-QN for L1) or trust-region Newton-CG on the library's deterministic
// loss-and-gradient kernel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/solvers.hpp"

namespace softmaxkit {

// Largest FitOptions::threads accepted (fit and predict throw Error above it): TBB itself fails
// on arenas of about 65536 threads, and no machine this library targets has more cores.
inline constexpr int max_threads = 4096;

namespace detail {
struct PathStart;  // model_selection.cpp: places a path's extrapolated start in the model
}
namespace solvers_detail {
struct GramFactorization;  // the structured solver's setup, kept for the next fit on the same data
class ScratchPool;         // a C search's buffers, kept from one fit to the next
}  // namespace solvers_detail

struct FitOptions {
  // L2 strength lambda in J = mean CE + (lambda/2)||W||^2. If `C` is set it wins:
  // lambda = 1 / (C * sum of sample weights), scikit-learn's convention (C * sum CE + ||W||^2/2,
  // divided by C * m).
  double l2 = 0;
  std::optional<double> C{};
  double l1 = 0;  // > 0: L1 penalty on W (not b) through OWL-QN; needs L-BFGS
  bool fit_intercept = true;
  // Empty: SolverKind::structured (L-BFGS with a Kronecker-factored metric, README "Training"),
  // or L-BFGS/OWL-QN when l1 > 0.
  std::optional<SolverKind> solver{};
  // Stop when ||gradient|| <= tolerance * max(1, ||initial gradient||), or after max_iterations.
  // 1e-6 lands the default solver within 1e-6 relative of the optimum on Fashion-MNIST (C = 1)
  // and on digits up to C = 10 (measured 2.9e-8 at C = 1, 1.9e-7 at C = 10; 1e-5 stopped 2.7e-5
  // above at C = 1). Not at larger C, where the problem is nearly separable and the small
  // curvature lambda hides the gap from both tests (README "Training"): digits at C = 100 stops
  // 2.6e-6 above, at C = 1000 8e-5 above; tolerance 1e-8 gives 3.1e-8 and 2.0e-6 there.
  double tolerance = 1e-6;    // finite and > 0
  int max_iterations = 1000;  // >= 0 (0: the start is evaluated and returned)
  // Start from the current parameters when the model has the same classes and feature count;
  // otherwise (or unfitted) the fit starts from zero, without an error.
  bool warm_start = false;
  // > 0: replaces ||initial gradient|| in the stopping rule above (and in the structured
  // solver's switch to its second phase), so a warm start stops where a cold fit would: pass
  // the cold fit's FitReport::initial_gradient_norm (fit_path does). 0: the start's own norm.
  // Finite and >= 0. In the stopping rule values below 1 act as 1; a value at or above
  // ||gradient at the start|| / tolerance stops at the start (converged, 0 iterations).
  double reference_gradient_norm = 0;
  // 0: every core; otherwise a TBB arena of this many (at most max_threads), capped at the
  // process's TBB parallelism limit (the core count unless a tbb::global_control raises it).
  // Results are the same bits for any value.
  int threads = 0;
  bool use_double = false;  // compute in double even for float data
  // Early stopping: hold out this fraction of the rows (deterministic split), evaluate validation
  // accuracy (weighted by the held-out rows' sample weights, which must not all be 0) at the
  // start and every iteration, stop after `patience` iterations without improvement and keep the
  // best parameters (the start's, if none did better). 0 disables it. A fraction that holds out
  // none of the rows, or every one, is an Error (the split is row i held out when a hash of i
  // falls below the fraction).
  double validation_fraction = 0;
  int patience = 10;             // >= 1, checked also when validation_fraction is 0
  IterationCallback callback{};  // optional; return false to stop training
};

struct FitReport {
  double objective = 0;  // at the returned parameters (penalties included)
  // The norm the stopping rule tests (with l1 > 0 the pseudo-gradient's, solvers.hpp), at the
  // returned parameters and at the start (a warm start's own norm, also when the rule's
  // reference is FitOptions::reference_gradient_norm, as in fit_path's warm fits).
  double gradient_norm = 0;
  double initial_gradient_norm = 0;
  int iterations = 0;
  int evaluations = 0;       // value-and-gradient evaluations (one pass over the data each)
  int hessian_products = 0;  // Hessian-vector products (Newton-CG; one pass each)
  // The structured solver's one-time setup over the data (the Gram matrix of a row sample and its
  // eigendecomposition), and its metric's per-iteration work (A from a row sample, M^{-1}
  // applications), each in pass equivalents (flops / the 4 m n K flops of one pass).
  double setup_pass_equivalents = 0;
  double metric_pass_equivalents = 0;
  // evaluations + hessian_products + setup_pass_equivalents + metric_pass_equivalents.
  double pass_equivalents = 0;
  std::string metric{};  // the structured solver's metric, e.g. "kronecker(G full 785, A full 10)"
  double seconds = 0;
  StopReason reason = StopReason::converged;
  std::optional<double> validation_accuracy{};  // with early stopping: the best one reached
};

class SoftmaxRegression {
 public:
  SoftmaxRegression() = default;
  explicit SoftmaxRegression(FitOptions options) : options_(std::move(options)) {}

  FitOptions& options() { return options_; }
  const FitOptions& options() const { return options_; }

  // Labels are any int32 values; the model's classes are the sorted distinct labels seen.
  // sample_weight: one finite non-negative weight per row, not all zero, or empty for all 1; the
  // weights the fit trains on must sum to W with 1/W normal in the computing type (float data:
  // W <= 8.5e37 unless use_double; regression.hpp), else an Error naming sample_weight ("the
  // weights", or "the training rows' weights" with validation_fraction) that says to rescale them.
  // Arguments are checked first (Error naming the option or argument: sample weights before
  // lambda, so NaN or all-zero weights with C are reported as such), then the data are prepared
  // (rows held out for early stopping only when validation_fraction > 0, whatever the precision).
  // A fit computing in float refuses a lambda beyond float's range (an Error naming C or l2:
  // set use_double). Non-finite data: NaN or inf in the features (or a gradient that overflows;
  // in rows held out for early stopping too, or their probabilities NaN) ends the fit with reason
  // StopReason::nan; the model is then left as it was before the call (unfitted if it was) and
  // the report is not a solution.
  FitReport fit(MatrixView<const float> features, std::span<const std::int32_t> labels,
                std::span<const float> sample_weight = {});
  FitReport fit(MatrixView<const double> features, std::span<const std::int32_t> labels,
                std::span<const double> sample_weight = {});
  // CSR features (softmaxkit/csr.hpp): the same model, options and report. The caller's arrays
  // are used in place (copied only for early stopping or use_double); the working set is the CSR
  // data plus LossGradient's for CSR features (regression.hpp: a column-major copy of the entries,
  // every row's gradient of the logits, m x K, and n x K totals; README "Sparse features") and
  // the solver's (about 224 bytes per parameter, structured), each refused before allocating
  // when above physical memory (README "Sparse features"). The structured solver's metric uses G's
  // diagonal (the column second moments) when n + 1 > 2048.
  // Columns without a single entry in the rows fitted on (training and held-out) do not change
  // the loss, so the solver leaves them out (when their K x 224 bytes of solver state each exceed
  // the nnz int32 of renumbered indices that costs, with n bytes and n int32 for a moment) and
  // gives them their value: without a penalty the
  // warm start's (else 0), with one (L2 or L1) 0 — except columns a warm start gives a nonzero
  // weight, which stay in the solve (the penalty shrinks them step by step, as it would). The
  // fit over the rest is bit for bit the fit of the same rows with those columns removed when
  // both plan the same chunk grid (LossGradientOptions::grid_features: it keeps the full width's,
  // which differs only from 5 x 2^20 entries on); FitReport::metric describes that fit's metric,
  // and the callback sees every column. The memory check above still counts every column (a file
  // naming column 2^27 is refused as before).
  FitReport fit(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                std::span<const float> sample_weight = {});
  FitReport fit(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                std::span<const double> sample_weight = {});

  // rows x num_classes() probabilities (row-major). Throws Error, named as the function called
  // (predict_proba, predict_logits, predict or score), before fit, on a feature count that differs
  // from the model's, and when rows x num_classes() doubles would exceed the machine's memory
  // (checked from the shape, before anything is allocated or read). A row with a NaN feature, or
  // whose logits leave double's range (a logit that overflows to +inf: an overflowed logit's value
  // is unknown, so no class can be said to win; also when only a partial sum of the product does,
  // as features of 1e308 and -1e308 whose exact logit is finite), or whose logits are all -inf,
  // gets NaN probabilities; predict and score throw an Error naming the first such row (they
  // predicted the first class for it).
  // predict and score make the logits a block of rows at a time and keep only each row's class
  // (rows x 4 bytes; predict_proba and predict_logits return rows x num_classes() doubles).
  // predict gives each row the class of its largest logit, the smallest label on an exact tie:
  // the most probable class of the logits, which rounded probabilities can hide (logits 0.5 and
  // 0.5 + 2^-53 give equal double probabilities; their first maximum was the wrong class).
  // predict_logits: the rows x num_classes() logits W x + b in double, the values predict_proba
  // takes the softmax of (the same bits); rows whose probabilities are NaN keep their logits.
  std::vector<double> predict_proba(MatrixView<const float> features) const;
  std::vector<double> predict_proba(MatrixView<const double> features) const;
  std::vector<double> predict_logits(MatrixView<const float> features) const;
  std::vector<double> predict_logits(MatrixView<const double> features) const;
  std::vector<std::int32_t> predict(MatrixView<const float> features) const;
  std::vector<std::int32_t> predict(MatrixView<const double> features) const;
  // Fraction of rows whose predicted label equals the given one. A label that is not one of the
  // model's classes is an Error naming it and its row (it could never be predicted).
  // sample_weight (fit's rules: one finite weight >= 0 per row, not all zero; empty: all 1): the
  // weighted fraction sum(w [correct]) / sum(w), summed in double (scikit-learn's score with
  // sample_weight; integer weights act as repeated rows, exactly).
  double score(MatrixView<const float> features, std::span<const std::int32_t> labels,
               std::span<const float> sample_weight = {}) const;
  double score(MatrixView<const double> features, std::span<const std::int32_t> labels,
               std::span<const double> sample_weight = {}) const;
  // CSR rows: logits summed over each row's entries in double, then the same softmax; a model
  // fitted on dense data predicts CSR rows and the other way round. A call with at least n / 2
  // entries makes a transposed n x K copy of W (n x K doubles); fewer read W in place. Each row's
  // bits are the same either way, so a row predicts alike alone or in any batch.
  std::vector<double> predict_proba(const CsrMatrixView<float>& features) const;
  std::vector<double> predict_proba(const CsrMatrixView<double>& features) const;
  std::vector<double> predict_logits(const CsrMatrixView<float>& features) const;
  std::vector<double> predict_logits(const CsrMatrixView<double>& features) const;
  std::vector<std::int32_t> predict(const CsrMatrixView<float>& features) const;
  std::vector<std::int32_t> predict(const CsrMatrixView<double>& features) const;
  double score(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
               std::span<const float> sample_weight = {}) const;
  double score(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
               std::span<const double> sample_weight = {}) const;

  // Atomic save (temporary file, fsync, rename) in the versioned binary format; load rejects
  // truncated or corrupt files. save then load round-trips bitwise. save writes the model as its
  // last fit (or load) made it: that fit's lambda, l1 and intercept setting, whatever options()
  // say now (it wrote options().l1 and options().fit_intercept, so a model given the next fit's
  // options saved another l1, or could not be saved at all).
  void save(const std::string& path) const;
  static SoftmaxRegression load(const std::string& path);

  bool is_fitted() const { return !class_labels_.empty(); }
  std::size_t num_classes() const { return class_labels_.size(); }
  std::size_t num_features() const { return num_features_; }
  const std::vector<std::int32_t>& class_labels() const { return class_labels_; }
  const std::vector<double>& weights() const { return weights_; }      // K x n row-major
  const std::vector<double>& intercept() const { return intercept_; }  // K
  // The lambda the last fit used (C converted).
  double effective_l2() const { return effective_l2_; }
  // The solver the last fit ran (options().solver, or the automatic choice). Model files do not
  // record it: a loaded model, or one never fitted, reports SolverKind::structured.
  SolverKind solver_used() const { return solver_used_; }

 private:
  friend struct detail::PathStart;
  template <class T, class Features>
  FitReport fit_impl(const Features& features, std::span<const std::int32_t> labels,
                     std::span<const T> sample_weight);
  // `where` names the public function in every Error (predict_proba, predict_logits, predict
  // or score). logits: the rows' logits, else their probabilities.
  template <class Features>
  std::vector<double> predict_rows_impl(const Features& features, const char* where,
                                        bool logits) const;
  template <class Features>
  std::vector<std::int32_t> predict_impl(const Features& features, const char* where) const;
  template <class Features, class T>
  double score_impl(const Features& features, std::span<const std::int32_t> labels,
                    std::span<const T> sample_weight) const;

  FitOptions options_;
  std::vector<std::int32_t> class_labels_;
  std::size_t num_features_ = 0;
  std::vector<double> weights_, intercept_;
  double effective_l2_ = 0;
  // The last fit's l1 and intercept setting, which save writes (options() may have changed since).
  double trained_l1_ = 0;
  bool trained_with_intercept_ = true;
  bool trained_in_double_ = false;
  SolverKind solver_used_ = SolverKind::structured;
  std::shared_ptr<solvers_detail::GramFactorization> gram_cache_;
  // Set by fit_path and cross_validate on their own model while they run (PathStart), else null.
  solvers_detail::ScratchPool* scratch_ = nullptr;
};

}  // namespace softmaxkit
