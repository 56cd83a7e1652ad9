// fit_path, stratified_folds, cross_validate and log_grid (model_selection.hpp).
#include "softmaxkit/model_selection.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/validate.hpp"
#include "io/number_text.hpp"
#include "model/class_labels.hpp"
#include "model/fit_checks.hpp"
#include "model/fit_run.hpp"
#include "model/path_predictor.hpp"
#include "model/prediction.hpp"
#include "softmaxkit/error.hpp"
#include "solvers/scratch_pool.hpp"

namespace softmaxkit {

namespace detail {
// Places a path's start in the model (a friend of SoftmaxRegression).
struct PathStart {
  static void assign(SoftmaxRegression& model, std::vector<double> weights,
                     std::vector<double> intercept) {
    model.weights_ = std::move(weights);
    model.intercept_ = std::move(intercept);
  }
  static void use_scratch(SoftmaxRegression& model, solvers_detail::ScratchPool* pool) {
    model.scratch_ = pool;
  }
};
}  // namespace detail

namespace {

// -log p(true class) from a row's logits, at most 52 log 2 (p clipped at 2^-52). When the true
// class has the largest logit it is log1p of the other classes' exp(z_j - z_t), accurate to a
// few ulps however small (it was -log of the rounded probability, whose error near p = 1 is
// about 1e-16 absolute: 2.28439e-14 for 2.28462e-14, an audit's 3.6e-9 relative at 4.7e-9; a
// log-softmax kernel is as absolute near 0); otherwise the loss is at least log 2 and
// (max - z_t) + log(sum of exp(z_j - max)) is accurate as it stands.
double true_class_log_loss(const double* logits, std::size_t classes, std::size_t truth) {
  const double top = *std::max_element(logits, logits + classes);
  double loss = 0;
  if (logits[truth] == top) {
    double others = 0;
    for (std::size_t k = 0; k < classes; ++k)
      if (k != truth) others += std::exp(logits[k] - top);
    loss = std::log1p(others);
  } else {
    double sum = 0;
    for (std::size_t k = 0; k < classes; ++k) sum += std::exp(logits[k] - top);
    loss = (top - logits[truth]) + std::log(sum);
  }
  return std::min(loss, 52 * std::numbers::ln2);
}

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

void check_Cs(std::string_view where, std::span<const double> Cs) {
  if (Cs.empty()) detail::fail(where, "Cs is empty");
  for (std::size_t i = 0; i < Cs.size(); ++i) {
    if (!std::isfinite(Cs[i]) || !(Cs[i] > 0)) {
      detail::fail(
          where, "Cs[" + std::to_string(i) + "] is " + number(Cs[i]) + " (must be finite and > 0)");
    }
  }
}

template <class Features>
void check_label_count(std::string_view where, const Features& features,
                       std::span<const std::int32_t> labels) {
  if (labels.size() != features.rows()) {
    detail::fail(where, "labels has " + std::to_string(labels.size()) +
                            " entries but features has " + std::to_string(features.rows()) +
                            " rows");
  }
}

// The value type of dense (MatrixView<const T>) or CSR (CsrMatrixView<T>) features: the type of
// their sample weights, as SoftmaxRegression::fit takes them.
template <class Features>
struct ValueOf;
template <class T>
struct ValueOf<MatrixView<const T>> {
  using type = T;
};
template <class T>
struct ValueOf<CsrMatrixView<T>> {
  using type = T;
};
template <class Features>
using WeightSpan = std::span<const typename ValueOf<Features>::type>;

void check_options(std::string_view where, const FitOptions& options) {
  detail::check_fit_options(options, where, "options.");
  if (options.validation_fraction != 0) {
    detail::fail(where, "options.validation_fraction is " + number(options.validation_fraction) +
                            " (must be 0: the path and the folds decide which rows train)");
  }
}

// Called after each fit of a path with the index into Cs, the model (fitted at that C) and the
// point; the model is what cross_validate scores the held-out rows with.
using AfterFit = std::function<void(std::size_t, const SoftmaxRegression&, const PathPoint&)>;

// Features: MatrixView<const T> or CsrMatrixView<T>; SoftmaxRegression::fit takes either.
// scratch: the buffers the fits reuse (cross_validate's, shared by its folds), or null for the
// path's own.
template <class Features>
PathResult path_impl(std::string_view where, const Features& features,
                     std::span<const std::int32_t> labels, std::span<const double> Cs,
                     const FitOptions& options, WeightSpan<Features> sample_weight,
                     bool keep_coefficients, const AfterFit& after_fit,
                     solvers_detail::ScratchPool* scratch = nullptr) {
  check_Cs(where, Cs);
  check_options(where, options);
  // Named as the path's (the first fit's checks named SoftmaxRegression::fit, which the caller
  // never called).
  if (features.empty()) detail::fail(where, "features are empty");
  check_label_count(where, features, labels);
  if (detail::distinct_sorted(labels).size() < 2)
    detail::fail(where, "labels hold fewer than 2 classes");
  using T = typename ValueOf<Features>::type;
  const double weight_total = detail::check_sample_weight(where, sample_weight, features.rows());
  detail::check_fit_weight_sum<T>(where, "sample_weight: the weights", weight_total,
                                  detail::fits_in_double<T>(options));
  detail::check_path_lambdas<T>(where, options, Cs, weight_total);
  // Most regularised first: each solution is a good start for the next, larger C.
  std::vector<std::size_t> order(Cs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return Cs[a] < Cs[b]; });
  FitOptions path_options = options;
  path_options.l2 = 0;
  path_options.warm_start = true;  // the path's own starts: zero first, then predicted ones
  // The fits share one SoftmaxRegression, so the structured solver's factorization of G is
  // computed once for the whole path, and each fit starts from the solutions before it. A cold
  // fit stops at tolerance * max(1, ||gradient at 0||), and the gradient at 0 does not depend on C
  // (the penalty's gradient vanishes there). A warm start begins with a small gradient, which would
  // make the solver's relative tests (the stopping rule, the structured metric's phase switch)
  // far stricter than a cold fit's: warm fits take the first fit's (cold) initial gradient norm
  // as their reference, so every point is solved to the accuracy an independent fit reaches.
  SoftmaxRegression model(path_options);
  solvers_detail::ScratchPool own_scratch;
  detail::PathStart::use_scratch(model, scratch != nullptr ? scratch : &own_scratch);
  PathResult result;
  result.points.resize(Cs.size());
  std::vector<double> previous_weights, previous_intercept;
  double previous_log_c = 0, current_log_c = 0;
  for (std::size_t step = 0; step < order.size(); ++step) {
    const std::size_t index = order[step];
    model.options().C = Cs[index];
    PathPoint& point = result.points[index];
    const double log_c = std::log(Cs[index]);
    bool extrapolated = false;
    if (step >= 2 && current_log_c > previous_log_c) {
      // The line through the last two solutions, extended to this C in log C (the solution moves
      // smoothly with log C); a start that overflows is skipped: the fit starts from the last
      // solution.
      // At most one previous step's length: on an uneven grid (C = 1, 1 + 1e-7, 1000) the
      // difference of two nearby solutions is mostly their stopping error, and a long
      // extrapolation of it would start the fit far from the solution.
      const double t = std::min(1.0, (log_c - current_log_c) / (current_log_c - previous_log_c));
      std::vector<double> weights, intercept;
      extrapolated =
          detail::predict_path_start(model.weights(), previous_weights, model.intercept(),
                                     previous_intercept, t, weights, intercept);
      previous_weights = model.weights();
      previous_intercept = model.intercept();
      if (extrapolated) detail::PathStart::assign(model, std::move(weights), std::move(intercept));
    } else if (step >= 1) {
      previous_weights = model.weights();
      previous_intercept = model.intercept();
    }
    previous_log_c = current_log_c;
    current_log_c = log_c;
    point.report = model.fit(features, labels, sample_weight);
    if (point.report.reason == StopReason::nan && extrapolated) {
      // The predicted start overflowed elsewhere (e.g. in the logits; the model is left at it):
      // start from the last solution.
      detail::PathStart::assign(model, previous_weights, previous_intercept);
      point.report = model.fit(features, labels, sample_weight);
    }
    if (model.options().reference_gradient_norm == 0 &&
        std::isfinite(point.report.initial_gradient_norm)) {
      model.options().reference_gradient_norm = point.report.initial_gradient_norm;
    }
    if (point.report.reason == StopReason::nan) {
      detail::fail(where, "the fit at C = " + number(Cs[index]) +
                              " produced non-finite values (NaN or inf in the features?)");
    }
    point.C = Cs[index];
    point.lambda = model.effective_l2();
    if (keep_coefficients) {
      point.weights = model.weights();
      point.intercept = model.intercept();
    }
    if (after_fit) after_fit(index, model, point);
  }
  result.classes = model.class_labels();
  return result;
}

// The chosen rows of dense features, owned (view() points into `values`).
template <class T>
struct DenseRows {
  std::vector<T> values;
  std::size_t rows = 0, cols = 0;
  MatrixView<const T> view() const { return {values.data(), rows, cols}; }
};

// Into `out`'s memory: the folds' row counts differ by one at most, so after the first fold no
// memory is allocated (and faulted in) again.
template <class T>
void gather_rows(MatrixView<const T> features, const std::vector<std::size_t>& rows,
                 DenseRows<T>& out) {
  const std::size_t cols = features.cols();
  out.rows = rows.size();
  out.cols = cols;
  out.values.resize(rows.size() * cols);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const T* source = features.row(rows[i]);
    std::copy(source, source + cols, out.values.begin() + static_cast<std::ptrdiff_t>(i * cols));
  }
}

// The chosen rows of CSR features as CSR (never densified): their entries only, in row order.
template <class T>
void gather_rows(const CsrMatrixView<T>& features, const std::vector<std::size_t>& rows,
                 CsrMatrix<T>& out) {
  std::size_t entries = 0;
  for (std::size_t row : rows) entries += features.row_end(row) - features.row_begin(row);
  std::vector<std::int64_t> offsets(rows.size() + 1);
  std::vector<std::int32_t> columns(entries);
  std::vector<T> values(entries);
  const auto source_columns = features.column_indices();
  const auto source_values = features.values();
  std::size_t next = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t begin = features.row_begin(rows[i]), end = features.row_end(rows[i]);
    std::copy(source_columns.begin() + static_cast<std::ptrdiff_t>(begin),
              source_columns.begin() + static_cast<std::ptrdiff_t>(end),
              columns.begin() + static_cast<std::ptrdiff_t>(next));
    std::copy(source_values.begin() + static_cast<std::ptrdiff_t>(begin),
              source_values.begin() + static_cast<std::ptrdiff_t>(end),
              values.begin() + static_cast<std::ptrdiff_t>(next));
    next += end - begin;
    offsets[i + 1] = static_cast<std::int64_t>(next);
  }
  out = CsrMatrix<T>(rows.size(), features.cols(), std::move(offsets), std::move(columns),
                     std::move(values));
}

// The owning type gather_rows fills for each kind of features.
template <class Features>
struct Gathered;
template <class T>
struct Gathered<MatrixView<const T>> {
  using type = DenseRows<T>;
};
template <class T>
struct Gathered<CsrMatrixView<T>> {
  using type = CsrMatrix<T>;
};

std::vector<std::int32_t> gather_labels(std::span<const std::int32_t> labels,
                                        const std::vector<std::size_t>& rows) {
  std::vector<std::int32_t> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = labels[rows[i]];
  return out;
}

void mean_and_std(const std::vector<double>& values, double& mean, double& deviation) {
  double sum = 0;
  for (double v : values) sum += v;
  mean = sum / static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  deviation = std::sqrt(squares / static_cast<double>(values.size()));
}

// The index of each label in `classes` (sorted, holding every label).
std::size_t class_index(const std::vector<std::int32_t>& classes, std::int32_t label) {
  return static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), label) -
                                  classes.begin());
}

// sample_weight: checked (check_sample_weight) or empty.
// in_double: the fits compute in double (fits_in_double).
template <class T>
void check_folds(std::string_view where, std::span<const Fold> folds, std::size_t rows,
                 std::span<const std::int32_t> labels, const std::vector<std::int32_t>& classes,
                 std::span<const T> sample_weight, bool in_double, const FitOptions& options,
                 std::span<const double> Cs) {
  if (folds.empty()) detail::fail(where, "folds is empty");
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const std::string name = "folds[" + std::to_string(f) + "]";
    if (folds[f].train.empty()) detail::fail(where, name + ".train is empty");
    if (folds[f].test.empty()) detail::fail(where, name + ".test is empty");
    for (const auto* list : {&folds[f].train, &folds[f].test}) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        if ((*list)[i] >= rows) {
          detail::fail(where, name + (list == &folds[f].train ? ".train[" : ".test[") +
                                  std::to_string(i) + "] is " + std::to_string((*list)[i]) +
                                  " but features has " + std::to_string(rows) + " rows");
        }
      }
    }
    std::vector<std::int32_t> seen = gather_labels(labels, folds[f].train);
    if (detail::distinct_sorted(seen) != classes) {
      for (std::int32_t c : classes) {
        if (std::find(seen.begin(), seen.end(), c) == seen.end()) {
          detail::fail(where, name + ".train has no row of class " + std::to_string(c) +
                                  " (every fold must train on every class)");
        }
      }
    }
    // Each fold's path checks its lambdas when it starts; checked here for every fold first, so
    // a C no fold can fit is named before the refit's check, and before any fold's fits.
    if (sample_weight.empty()) {
      detail::check_path_lambdas<T>(where, options, Cs, static_cast<double>(folds[f].train.size()));
      continue;
    }
    // Row by row in the fold's order, as the fold's fit sums them (check_fit_arguments): summed
    // class by class, a sum within an ulp of the bound could pass here and be refused by that fit
    // after earlier folds had run. A class whose rows here all weigh 0 trains as absent, as in a
    // single fit and scikit-learn's LogisticRegressionCV (it was refused: "every fold must train
    // on every class").
    double train_weight = 0;
    for (std::size_t row : folds[f].train) train_weight += static_cast<double>(sample_weight[row]);
    // The fold's fits divide by their weight sum in their computing type, its scores by the test
    // rows' in double: a sum beyond either's range made NaN scores, a subnormal one wrong means.
    detail::check_fit_weight_sum<T>(where, name + ".train: sample_weight: the weights",
                                    train_weight, in_double);
    detail::check_path_lambdas<T>(where, options, Cs, train_weight);
    double test_weight = 0;
    for (std::size_t row : folds[f].test) test_weight += static_cast<double>(sample_weight[row]);
    if (!(test_weight > 0)) {
      detail::fail(where, name + ".test: sample_weight: every row weighs 0 (nothing to score)");
    }
    detail::check_weight_sum(where, name + ".test: sample_weight: the weights", test_weight, 0.0);
  }
}

// The chosen rows' weights (empty stays empty: all 1).
template <class T>
void gather_weights(std::span<const T> sample_weight, const std::vector<std::size_t>& rows,
                    std::vector<T>& out) {
  out.clear();
  if (sample_weight.empty()) return;
  out.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = sample_weight[rows[i]];
}

template <class Features>
CvResult cv_impl(std::string_view where, const Features& features,
                 std::span<const std::int32_t> labels, std::span<const double> Cs,
                 std::span<const Fold> folds, const FitOptions& options, const CvOptions& cv,
                 WeightSpan<Features> sample_weight) {
  check_Cs(where, Cs);
  check_options(where, options);
  if (cv.scoring != CvScoring::accuracy && cv.scoring != CvScoring::log_loss) {
    detail::fail(where, "cv.scoring is not a CvScoring");  // it would pick by log-loss
  }
  if (features.empty()) detail::fail(where, "features are empty");
  check_label_count(where, features, labels);
  const std::vector<std::int32_t> classes = detail::distinct_sorted(labels);
  if (classes.size() < 2) detail::fail(where, "labels hold fewer than 2 classes");
  using T = typename ValueOf<Features>::type;
  const bool in_double = detail::fits_in_double<T>(options);
  const double weight_total = detail::check_sample_weight(where, sample_weight, features.rows());
  check_folds(where, folds, features.rows(), labels, classes, sample_weight, in_double, options,
              Cs);
  // The refit trains on every row: its sum can leave the range the folds' smaller ones are in,
  // which surfaced only after every fold's fits had run.
  if (cv.refit) {
    detail::check_fit_weight_sum<T>(where, "sample_weight: the weights (the refit trains on all)",
                                    weight_total, in_double);
    detail::check_path_lambdas<T>(std::string(where) + ": the refit on all rows", options, Cs,
                                  weight_total);
  }

  const auto start = std::chrono::steady_clock::now();
  CvResult result;
  result.Cs.assign(Cs.begin(), Cs.end());
  result.folds.assign(folds.begin(), folds.end());
  result.scores.assign(folds.size(), std::vector<CvScore>(Cs.size()));
  std::size_t done = 0;
  {  // The folds' copies and the solver's buffers are freed before the refit.
    solvers_detail::ScratchPool scratch;
    typename Gathered<Features>::type train, test;
    std::vector<typename ValueOf<Features>::type> train_weights, test_weights;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      // One fold's copies at a time: the memory is the features plus one training and test set.
      gather_rows(features, folds[f].train, train);
      gather_rows(features, folds[f].test, test);
      const std::vector<std::int32_t> train_labels = gather_labels(labels, folds[f].train);
      const std::vector<std::int32_t> test_labels = gather_labels(labels, folds[f].test);
      gather_weights(sample_weight, folds[f].train, train_weights);
      gather_weights(sample_weight, folds[f].test, test_weights);
      const auto& test_view = test.view();
      // Test labels as indices into the classes (every class trains, so every label is one).
      std::vector<std::size_t> truth(test_labels.size());
      for (std::size_t i = 0; i < truth.size(); ++i)
        truth[i] = class_index(classes, test_labels[i]);
      // Means over the test rows: the rows' weight sum W (their count without weights), and the
      // largest weight, by which the log-loss's terms are scaled (1 without weights).
      double test_weight = 0, largest_weight = test_weights.empty() ? 1.0 : 0.0;
      for (std::size_t i = 0; i < truth.size(); ++i) {
        const double w = test_weights.empty() ? 1.0 : static_cast<double>(test_weights[i]);
        test_weight += w;
        largest_weight = std::max(largest_weight, w);
      }
      // Each test row's predicted class and log-loss term, from its logits a block at a time
      // (the fold's rows x K logits were held whole: 480 MB for 60,000 rows of 1000 classes,
      // four times the test rows' 512 features), then summed in row order as before.
      std::vector<std::size_t> predicted_classes(truth.size());
      std::vector<double> row_losses(truth.size());
      auto score = [&](std::size_t c, const SoftmaxRegression& model, const PathPoint& point) {
        const std::size_t k = classes.size();
        tbb::task_arena arena = detail::fit_arena(options.threads);
        arena.execute([&] {
          detail::for_each_logit_block(
              test_view, model.weights(), model.intercept(), k,
              [&](std::size_t begin, std::size_t count, const double* logits) {
                for (std::size_t r = 0; r < count; ++r) {
                  const std::size_t i = begin + r;
                  predicted_classes[i] = detail::predicted_class(logits + r * k, k);
                  row_losses[i] = predicted_classes[i] == detail::kNoPrediction
                                      ? 0.0
                                      : true_class_log_loss(logits + r * k, k, truth[i]);
                }
              });
        });
        double correct_weight = 0, loss = 0;
        for (std::size_t i = 0; i < truth.size(); ++i) {
          // As predict and score: max_element over NaN took the first class, and the log-loss
          // was NaN (the best C then undefined).
          const std::size_t predicted = predicted_classes[i];
          if (predicted == detail::kNoPrediction) {
            detail::fail(where, "folds[" + std::to_string(f) + "].test[" + std::to_string(i) +
                                    "] (row " + std::to_string(folds[f].test[i]) +
                                    ") has NaN class probabilities at C = " + number(Cs[c]) +
                                    " (a NaN feature, or logits beyond double's range); it cannot "
                                    "be scored");
          }
          const double w = test_weights.empty() ? 1.0 : static_cast<double>(test_weights[i]);
          if (predicted == truth[i]) correct_weight += w;
          // Each term weighs w / largest (at most 1), so no product overflows (weights of
          // 1.5e307 times a log-loss of 7 made inf).
          loss += (w / largest_weight) * row_losses[i];
        }
        CvScore& out = result.scores[f][c];
        // Sums over the rows divided by their weight (the log-loss's both scaled by the largest
        // weight): weights of 1 give the plain means' bits, as no weights do (the rows' shares
        // w / W summed gave 0.9400000000000005 for 47 of 50 right, not 47/50).
        out.accuracy = correct_weight / test_weight;
        out.log_loss = loss / (test_weight / largest_weight);
        out.report = point.report;
        if (cv.keep_coefficients) {
          out.weights = model.weights();
          out.intercept = model.intercept();
        }
        ++done;
        if (cv.progress) {
          CvProgress progress;
          progress.fold = f;
          progress.folds = folds.size();
          progress.c_index = c;
          progress.C = Cs[c];
          progress.done = done;
          progress.total = folds.size() * Cs.size();
          progress.seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          cv.progress(progress);
        }
      };
      path_impl(where, train.view(), train_labels, Cs, options, WeightSpan<Features>(train_weights),
                false, score, &scratch);
    }
  }

  const std::size_t count = Cs.size();
  result.mean_accuracy.resize(count);
  result.std_accuracy.resize(count);
  result.mean_log_loss.resize(count);
  result.std_log_loss.resize(count);
  result.pass_equivalents.assign(count, 0.0);
  result.seconds.assign(count, 0.0);
  std::vector<double> accuracy(folds.size()), log_loss(folds.size());
  for (std::size_t c = 0; c < count; ++c) {
    for (std::size_t f = 0; f < folds.size(); ++f) {
      accuracy[f] = result.scores[f][c].accuracy;
      log_loss[f] = result.scores[f][c].log_loss;
      result.pass_equivalents[c] += result.scores[f][c].report.pass_equivalents;
      result.seconds[c] += result.scores[f][c].report.seconds;
    }
    mean_and_std(accuracy, result.mean_accuracy[c], result.std_accuracy[c]);
    mean_and_std(log_loss, result.mean_log_loss[c], result.std_log_loss[c]);
  }
  // Best mean score; an exact tie goes to the smaller C, then to the earlier index.
  const bool maximise = cv.scoring == CvScoring::accuracy;
  const std::vector<double>& key = maximise ? result.mean_accuracy : result.mean_log_loss;
  std::size_t best = 0;
  for (std::size_t c = 1; c < count; ++c) {
    const bool better = maximise ? key[c] > key[best] : key[c] < key[best];
    if (better || (key[c] == key[best] && Cs[c] < Cs[best])) best = c;
  }
  result.best_index = best;
  result.best_C = Cs[best];
  if (cv.refit) {
    FitOptions refit_options = options;
    refit_options.l2 = 0;
    refit_options.C = result.best_C;
    refit_options.warm_start = false;
    SoftmaxRegression model(refit_options);
    result.refit_report = model.fit(features, labels, sample_weight);
    if (result.refit_report->reason == StopReason::nan) {
      detail::fail(where, "the refit at C = " + number(result.best_C) +
                              " produced non-finite values (NaN or inf in the features?)");
    }
    result.model = std::move(model);
  }
  return result;
}

std::vector<Fold> stratified_folds_named(std::string_view where, const std::string& k_name,
                                         std::span<const std::int32_t> labels, int k,
                                         std::uint64_t seed);

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

template <class Features>
CvResult cv_stratified(const Features& features, std::span<const std::int32_t> labels,
                       std::span<const double> Cs, const FitOptions& options, const CvOptions& cv,
                       WeightSpan<Features> sample_weight) {
  check_Cs("cross_validate", Cs);
  check_label_count("cross_validate", features, labels);
  detail::check_sample_weight("cross_validate", sample_weight, features.rows());
  const std::vector<Fold> folds =
      stratified_folds_named("cross_validate", "cv.folds", labels, cv.folds, cv.seed);
  return cv_impl("cross_validate", features, labels, Cs, folds, options, cv, sample_weight);
}

}  // namespace

PathResult fit_path(MatrixView<const float> features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options,
                    std::span<const float> sample_weight) {
  return path_impl("fit_path", features, labels, Cs, options, sample_weight, true, {});
}
PathResult fit_path(MatrixView<const double> features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options,
                    std::span<const double> sample_weight) {
  return path_impl("fit_path", features, labels, Cs, options, sample_weight, true, {});
}
PathResult fit_path(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options,
                    std::span<const float> sample_weight) {
  return path_impl("fit_path", features, labels, Cs, options, sample_weight, true, {});
}
PathResult fit_path(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                    std::span<const double> Cs, const FitOptions& options,
                    std::span<const double> sample_weight) {
  return path_impl("fit_path", features, labels, Cs, options, sample_weight, true, {});
}

namespace {

// stratified_folds, its Errors named as `where`'s with k called `k_name` (cross_validate's
// cv.folds: "stratified_folds: k is 1" named a function and argument its caller never used).
std::vector<Fold> stratified_folds_named(std::string_view where, const std::string& k_name,
                                         std::span<const std::int32_t> labels, int k,
                                         std::uint64_t seed) {
  if (k < 2) detail::fail(where, k_name + " is " + std::to_string(k) + " (must be >= 2)");
  if (labels.empty()) detail::fail(where, "labels is empty");
  if (labels.data() == nullptr) detail::fail(where, "labels is null");
  const std::vector<std::int32_t> classes = detail::distinct_sorted(labels);
  std::vector<std::vector<std::size_t>> members(classes.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto c = static_cast<std::size_t>(
        std::lower_bound(classes.begin(), classes.end(), labels[i]) - classes.begin());
    members[c].push_back(i);
  }
  for (std::size_t c = 0; c < classes.size(); ++c) {
    if (members[c].size() < static_cast<std::size_t>(k)) {
      detail::fail(where, k_name + " is " + std::to_string(k) + " but class " +
                              std::to_string(classes[c]) + " has only " +
                              std::to_string(members[c].size()) + " rows (" + k_name +
                              " must not exceed the smallest class count)");
    }
  }
  const auto folds = static_cast<std::size_t>(k);
  std::vector<Fold> result(folds);
  std::uint64_t state = seed;
  std::size_t position = 0;
  for (std::vector<std::size_t>& rows : members) {
    for (std::size_t i = rows.size() - 1; i > 0; --i) {
      // Modulo bias is below 2^-40 for any realistic row count and does not affect determinism.
      std::swap(rows[i], rows[splitmix64(state) % (i + 1)]);
    }
    for (std::size_t row : rows) result[position++ % folds].test.push_back(row);
  }
  for (Fold& fold : result) {
    std::sort(fold.test.begin(), fold.test.end());
    std::size_t next = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (next < fold.test.size() && fold.test[next] == i) {
        ++next;
      } else {
        fold.train.push_back(i);
      }
    }
  }
  return result;
}

}  // namespace

std::vector<Fold> stratified_folds(std::span<const std::int32_t> labels, int k,
                                   std::uint64_t seed) {
  return stratified_folds_named("stratified_folds", "k", labels, k, seed);
}

CvResult cross_validate(MatrixView<const float> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options, const CvOptions& cv,
                        std::span<const float> sample_weight) {
  return cv_stratified(features, labels, Cs, options, cv, sample_weight);
}
CvResult cross_validate(MatrixView<const double> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options, const CvOptions& cv,
                        std::span<const double> sample_weight) {
  return cv_stratified(features, labels, Cs, options, cv, sample_weight);
}
CvResult cross_validate(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options, const CvOptions& cv,
                        std::span<const float> sample_weight) {
  return cv_stratified(features, labels, Cs, options, cv, sample_weight);
}
CvResult cross_validate(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, const FitOptions& options, const CvOptions& cv,
                        std::span<const double> sample_weight) {
  return cv_stratified(features, labels, Cs, options, cv, sample_weight);
}
CvResult cross_validate(MatrixView<const float> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options, const CvOptions& cv,
                        std::span<const float> sample_weight) {
  return cv_impl("cross_validate", features, labels, Cs, folds, options, cv, sample_weight);
}
CvResult cross_validate(MatrixView<const double> features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options, const CvOptions& cv,
                        std::span<const double> sample_weight) {
  return cv_impl("cross_validate", features, labels, Cs, folds, options, cv, sample_weight);
}
CvResult cross_validate(const CsrMatrixView<float>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options, const CvOptions& cv,
                        std::span<const float> sample_weight) {
  return cv_impl("cross_validate", features, labels, Cs, folds, options, cv, sample_weight);
}
CvResult cross_validate(const CsrMatrixView<double>& features, std::span<const std::int32_t> labels,
                        std::span<const double> Cs, std::span<const Fold> folds,
                        const FitOptions& options, const CvOptions& cv,
                        std::span<const double> sample_weight) {
  return cv_impl("cross_validate", features, labels, Cs, folds, options, cv, sample_weight);
}

std::vector<double> log_grid(double low, double high, int count) {
  constexpr std::string_view where = "log_grid";
  if (!std::isfinite(low) || !(low > 0)) {
    detail::fail(where, "low is " + number(low) + " (must be finite and > 0)");
  }
  if (!std::isfinite(high) || !(high > 0)) {
    detail::fail(where, "high is " + number(high) + " (must be finite and > 0)");
  }
  if (count < 1 || count > max_grid_count) {
    detail::fail(where, "count is " + std::to_string(count) + " (must be in [1, " +
                            std::to_string(max_grid_count) + "])");
  }
  std::vector<double> values(static_cast<std::size_t>(count));
  const double a = std::log10(low), b = std::log10(high);
  // Inside [min, max] of the bounds: 10^log10(5) is 5.000000000000001, so log_grid(5, 5, 3)
  // gave a middle value above both ends.
  const double smallest = std::min(low, high), largest = std::max(low, high);
  for (int i = 0; i < count; ++i) {
    values[static_cast<std::size_t>(i)] =
        count == 1 ? low
                   : std::clamp(std::pow(10.0, a + ((b - a) * i / (count - 1))), smallest, largest);
  }
  values.front() = low;
  if (count > 1) values.back() = high;
  return values;
}

}  // namespace softmaxkit
