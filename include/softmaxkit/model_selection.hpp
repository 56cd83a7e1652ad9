// Choosing C: a regularization path with a shared solver setup (fit_path) and stratified k-fold
// cross-validation over it (cross_validate), both deterministic for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/model.hpp"

namespace softmaxkit {

// One point of a path: the fit at C (lambda = 1 / (C * training rows)).
struct PathPoint {
  double C = 0;
  double lambda = 0;
  std::vector<double> weights{};    // K x n row-major
  std::vector<double> intercept{};  // K (zeros without fit_intercept)
  FitReport report{};  // objective, gradient_norm, iterations, pass_equivalents, seconds, reason
};

struct PathResult {
  std::vector<std::int32_t> classes{};  // sorted distinct labels
  std::vector<PathPoint> points{};      // in the order of the Cs given
};

// Fits every C of `Cs` on all rows, from the smallest C (most regularised) to the largest, on one
// SoftmaxRegression, so the label mapping and the structured solver's factorization of the Gram
// matrix are computed once for the whole path. The first fit starts from zero, the second from
// the first solution, each later one from the line through the last two solutions extended to its
// C in log C by at most the last step's length (a predictor step; a predicted start whose elements
// or sum of squares overflow is not used, and a fit from it that ends with StopReason::nan is
// redone from the last solution; options.warm_start is not consulted), stopping where a cold fit
// would: options.reference_gradient_norm (if 0, the first fit's initial gradient norm, which does
// not depend on C) replaces the warm start's own small gradient in the relative tests.
// options: everything but C, l2 and warm_start is used as given; validation_fraction must be 0.
// Cs: non-empty, each finite and > 0 (duplicates allowed).
// sample_weight: as SoftmaxRegression::fit (one finite weight >= 0 per row, not all zero; empty
// for all 1); every fit of the path uses them, lambda = 1 / (C * sum of the weights).
// Results are bitwise identical for any options.threads.
PathResult fit_path(MatrixView<const float> features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options = {},
                    std::span<const float> sample_weight = {});
PathResult fit_path(MatrixView<const double> features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options = {},
                    std::span<const double> sample_weight = {});
// CSR features: the same path, errors and determinism; the caller's arrays are used in place
// (memory: the CSR data plus what SoftmaxRegression::fit on CSR needs, nothing dense m x n).
PathResult fit_path(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options = {},
                    std::span<const float> sample_weight = {});
PathResult fit_path(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options = {},
                    std::span<const double> sample_weight = {});

// A train / validation split of the rows (indices into the features). stratified_folds gives each
// list sorted; cross_validate takes explicit lists as given, in any order, with repeats (a row
// listed twice counts twice, as indexing with it does in scikit-learn) and with rows in both
// parts (as LogisticRegressionCV uses them).
struct Fold {
  std::vector<std::size_t> train{}, test{};
};

// k stratified folds: each class's rows are shuffled by a fixed generator (splitmix64 and a
// Fisher-Yates shuffle written here, so the same on every machine and standard library) seeded
// by `seed`, then dealt round-robin over the folds, continuing from class to class, so every
// fold holds floor or ceil of count/k rows of each class and the fold sizes differ by at most 1.
// Error if k < 2 or k is larger than the smallest class count.
std::vector<Fold> stratified_folds(std::span<const std::int32_t> labels, int k,
                                   std::uint64_t seed = 0);

enum class CvScoring { accuracy, log_loss };

// After each (fold, C) fit: which one ran and how far along the search is.
struct CvProgress {
  std::size_t fold = 0, folds = 0;  // fold index, number of folds
  std::size_t c_index = 0;          // index into Cs
  double C = 0;
  std::size_t done = 0, total = 0;  // fits finished / folds x Cs
  double seconds = 0;               // since cross_validate started
};

struct CvOptions {
  int folds = 5;                            // stratified folds when no explicit folds are given
  std::uint64_t seed = 0;                   // for stratified_folds
  CvScoring scoring = CvScoring::accuracy;  // picks the best C (log_loss: the smallest mean);
                                            // another value is an Error
  bool refit = true;                        // fit all rows at the best C
  // Keep every (fold, C) fit's coefficients in its CvScore (memory: folds x Cs x K x (n + 1)
  // doubles; scikit-learn's coefs_paths_).
  bool keep_coefficients = false;
  std::function<void(const CvProgress&)> progress{};
};

struct CvScore {
  double accuracy = 0;  // on the fold's held-out rows
  // Mean -log p(true class) on the held-out rows, p clipped below at 2^-52, from the logits
  // (relative accuracy also for a confident model's tiny losses).
  double log_loss = 0;
  FitReport report{};  // the fold's training fit at this C
  // With CvOptions::keep_coefficients, that fit's coefficients (K x n row-major, K), the bits
  // fit_path gives on the fold's training rows; else empty.
  std::vector<double> weights{}, intercept{};
};

struct CvResult {
  std::vector<double> Cs{};                    // as given
  std::vector<Fold> folds{};                   // the folds used
  std::vector<std::vector<CvScore>> scores{};  // [fold][C]
  // Per C over the folds (std with divisor folds, as numpy's default).
  std::vector<double> mean_accuracy{}, std_accuracy{}, mean_log_loss{}, std_log_loss{};
  std::vector<double> pass_equivalents{}, seconds{};  // per C, summed over the folds
  std::size_t best_index = 0;  // best mean score; ties go to the smaller C (more regularised)
  double best_C = 0;
  std::optional<SoftmaxRegression> model{};  // the refit at best_C (with refit)
  std::optional<FitReport> refit_report{};
};

// For each fold a path (fit_path: warm starts) over Cs on its training rows,
// scored on its test rows. Errors as fit_path and stratified_folds; with explicit folds also: no
// folds, an index out of range, an empty train or test list, or a class absent from a training list
// (every fold's model must know every class). Bitwise identical for any options.threads.
// sample_weight (empty: all 1): each fold's fits weight its training rows by them (lambda =
// 1 / (C * the training rows' weight sum)), and its scores are weighted means over its test rows
// (sum of w * score / sum of w), so integer weights act as repeated rows in training and scoring
// alike (scikit-learn's LogisticRegressionCV weights its scores since its pull request 29419;
// 1.2 scores unweighted). The folds do not depend on the weights. Errors, besides fit's checks of
// the weights (each finite and >= 0, not all zero; naming sample_weight[i]): a fold whose test rows
// all weigh 0; a weight sum a fit cannot divide by (fit's rule, in the fits' computing type: float
// data without use_double 2.9e-39 to 8.5e37) over a fold's training rows or, with refit, over all
// rows, checked before the first fit (fit_path likewise over all rows). A fold whose training rows
// of a class all weigh 0 trains that class as absent, as a single fit does (the model keeps it).
// Folds run one after the other; each copies its training and test rows (in the features'
// precision) for the duration of its path, so the memory is the features plus one fold's copies
// (about the features once more) plus what one fit needs; the refit runs after they are freed.
// CSR features stay CSR: a fold copies only its rows' entries (offsets, indices, values), never a
// dense m x n matrix.
CvResult cross_validate(MatrixView<const float> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options = {},
                        const CvOptions& cv = {}, std::span<const float> sample_weight = {});
CvResult cross_validate(MatrixView<const double> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options = {},
                        const CvOptions& cv = {}, std::span<const double> sample_weight = {});
CvResult cross_validate(MatrixView<const float> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options = {}, const CvOptions& cv = {},
                        std::span<const float> sample_weight = {});
CvResult cross_validate(MatrixView<const double> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options = {}, const CvOptions& cv = {},
                        std::span<const double> sample_weight = {});
CvResult cross_validate(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options = {},
                        const CvOptions& cv = {}, std::span<const float> sample_weight = {});
CvResult cross_validate(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options = {},
                        const CvOptions& cv = {}, std::span<const double> sample_weight = {});
CvResult cross_validate(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options = {}, const CvOptions& cv = {},
                        std::span<const float> sample_weight = {});
CvResult cross_validate(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options = {}, const CvOptions& cv = {},
                        std::span<const double> sample_weight = {});

// Log-spaced values from `low` to `high` inclusive (1 <= count <= max_grid_count; count 1 gives
// low), as numpy.logspace(log10(low), log10(high), count) but with every value inside the
// bounds (the ends exactly low and high; low == high gives count copies of it); low > high gives
// descending values.
// Error on non-positive or non-finite bounds, or a count outside that range (INT_MAX asked for
// 16 GiB; the command's --C-grid and SoftmaxRegressionCV's Cs have the same bound).
inline constexpr int max_grid_count = 10000;
std::vector<double> log_grid(double low, double high, int count);

}  // namespace softmaxkit
