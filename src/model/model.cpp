// SoftmaxRegression: option checks, label mapping, the solver run, prediction, files.
#include "softmaxkit/model.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "loss/problem_checks.hpp"
#include "model/class_labels.hpp"
#include "model/early_stopping.hpp"
#include "model/fit_checks.hpp"
#include "model/fit_data.hpp"
#include "model/fit_run.hpp"
#include "model/prediction.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/model_file.hpp"

namespace softmaxkit {

// fit = checks (fit_checks.hpp), data preparation (fit_data.hpp), problem setup, solver run,
// early stopping and report (fit_run.hpp, early_stopping.hpp); the model changes only when the
// run produced finite parameters.
template <class T, class Features>
FitReport SoftmaxRegression::fit_impl(const Features& features,
                                      std::span<const std::int32_t> labels,
                                      std::span<const T> sample_weight) {
  detail::check_fit_options(options_);
  const double weight_total =
      detail::check_fit_arguments(options_, features, labels, sample_weight);
  const bool in_double = detail::fits_in_double<T>(options_);
  const double fraction = options_.validation_fraction;
  // Before lambda (model.hpp: sample weights before lambda): weights summing to 1.2e-309 made
  // C * sum underflow and the Error blamed C = 1.
  detail::check_fit_weight_sum<T>(
      "SoftmaxRegression::fit",
      fraction > 0 ? "sample_weight: the training rows' weights" : "sample_weight: the weights",
      weight_total, in_double);
  const double lambda = detail::regularization_strength(options_, weight_total);
  const std::vector<std::int32_t> classes = detail::distinct_sorted(labels);
  if (classes.size() < 2) detail::fit_fail("labels hold fewer than 2 classes");
  detail::check_fit_memory(options_, classes.size(), features.cols());
  const std::vector<std::int32_t> indices = detail::to_class_indices(labels, classes, "fit");

  std::vector<double> start;
  if (options_.warm_start && class_labels_ == classes && num_features_ == features.cols()) {
    start = weights_;
    if (options_.fit_intercept) start.insert(start.end(), intercept_.begin(), intercept_.end());
  }
  if (!in_double) detail::check_lambda_in_float(options_, lambda);
  auto train_in = [&]<class C>(C) {  // C: the precision the fit computes in
    return detail::run_fit<C>(
        options_, detail::prepare_fit_data<C>(features, indices, sample_weight, fraction),
        classes.size(), lambda, std::move(start), &gram_cache_, nullptr, {}, scratch_);
  };
  detail::FitOutcome outcome = in_double ? train_in(double{}) : train_in(T{});
  if (outcome.report.reason == StopReason::nan) return outcome.report;  // model unchanged
  class_labels_ = classes;
  num_features_ = features.cols();
  detail::take_parameters(std::move(outcome.parameters), classes.size(), num_features_,
                          options_.fit_intercept, weights_, intercept_);
  effective_l2_ = lambda;
  trained_l1_ = options_.l1;
  trained_with_intercept_ = options_.fit_intercept;
  trained_in_double_ = in_double;
  solver_used_ = outcome.solver;
  return outcome.report;
}

FitReport SoftmaxRegression::fit(MatrixView<const float> features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const float> sample_weight) {
  return fit_impl<float>(features, labels, sample_weight);
}
FitReport SoftmaxRegression::fit(const CsrMatrixView<float>& features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const float> sample_weight) {
  return fit_impl<float>(features, labels, sample_weight);
}
FitReport SoftmaxRegression::fit(const CsrMatrixView<double>& features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const double> sample_weight) {
  return fit_impl<double>(features, labels, sample_weight);
}
FitReport SoftmaxRegression::fit(MatrixView<const double> features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const double> sample_weight) {
  return fit_impl<double>(features, labels, sample_weight);
}

namespace {

// The checks every prediction makes first, named as the public function called: fitted, the
// feature count, the thread count, and an output of rows x values_per_row elements of `bytes`
// each that memory can hold (a view claiming more rows than memory holds made
// std::length_error, and one whose rows x K wraps around size_t a short vector the prediction
// then overran).
template <class Features>
void check_prediction(const SoftmaxRegression& model, const Features& features, const char* where,
                      std::size_t values_per_row, std::size_t bytes, const char* what) {
  if (!model.is_fitted()) detail::fail(where, "the model is not fitted");
  if (features.cols() != model.num_features()) {
    detail::fail(where, "features have " + std::to_string(features.cols()) +
                            " columns but the model has " + std::to_string(model.num_features()));
  }
  const int threads = model.options().threads;
  if (threads < 0 || threads > max_threads) {
    detail::fail(where, "options().threads is " + std::to_string(threads) + " (must be in [0, " +
                            std::to_string(max_threads) + "])");
  }
  const long double total = static_cast<long double>(features.rows()) *
                            static_cast<long double>(values_per_row) *
                            static_cast<long double>(bytes);
  const long double physical = detail::physical_memory_bytes();
  const bool addressable =
      total <= static_cast<long double>(std::numeric_limits<std::ptrdiff_t>::max());
  if (!addressable || (physical > 0 && total > physical)) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "features have %zu rows: %zu %s per row would need %.3Lg GiB, more than %s",
                  features.rows(), values_per_row, what, total / 1073741824.0L,
                  physical > 0 ? "this machine's memory" : "a vector can hold");
    detail::fail(where, text);
  }
}

}  // namespace

template <class Features>
std::vector<double> SoftmaxRegression::predict_rows_impl(const Features& features,
                                                         const char* where, bool logits) const {
  check_prediction(*this, features, where, num_classes(), sizeof(double),
                   logits ? "logits" : "probabilities");
  std::vector<double> values;
  tbb::task_arena arena = detail::fit_arena(options_.threads);
  arena.execute([&] {
    values = logits
                 ? detail::softmax_regression_logits(features, weights_, intercept_, num_classes())
                 : detail::softmax_regression_probabilities(features, weights_, intercept_,
                                                            num_classes());
  });
  return values;
}

template <class Features>
std::vector<std::int32_t> SoftmaxRegression::predict_impl(const Features& features,
                                                          const char* where) const {
  // A class index per row: the logits are made a block at a time (predict held all rows x K
  // of them, 800 MB for the labels of 100,000 rows of 1000 classes).
  check_prediction(*this, features, where, 1, sizeof(std::int32_t), "labels");
  std::vector<std::int32_t> predicted;
  tbb::task_arena arena = detail::fit_arena(options_.threads);
  arena.execute([&] {
    predicted = detail::softmax_regression_classes(features, weights_, intercept_, num_classes());
  });
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    // The largest logit, not the largest rounded probability (detail::predicted_class). A row
    // whose probabilities are NaN has no class: max_element over NaN returned the first class, a
    // silently wrong label for a NaN feature or logits beyond double's range.
    if (predicted[i] == detail::kNoPredictedClass) {
      detail::fail(where, "row " + std::to_string(i) +
                              " has NaN class probabilities (a NaN feature, or logits beyond "
                              "double's range); no class can be predicted for it");
    }
    predicted[i] = class_labels_[static_cast<std::size_t>(predicted[i])];
  }
  return predicted;
}

template <class Features, class T>
double SoftmaxRegression::score_impl(const Features& features, std::span<const std::int32_t> labels,
                                     std::span<const T> sample_weight) const {
  constexpr const char* where = "SoftmaxRegression::score";
  if (labels.size() != features.rows()) {
    detail::fail(where, "labels has " + std::to_string(labels.size()) +
                            " entries but features has " + std::to_string(features.rows()) +
                            " rows");
  }
  if (labels.data() == nullptr && !labels.empty()) {
    detail::fail(where, "labels is null but has " + std::to_string(labels.size()) + " entries");
  }
  if (labels.empty()) detail::fail(where, "no rows");
  detail::check_sample_weight(where, sample_weight, labels.size());
  if (!is_fitted()) detail::fail(where, "the model is not fitted");
  // A label the model never saw cannot be predicted: an accuracy over it would be meaningless.
  detail::to_class_indices(labels, class_labels_, where);
  const std::vector<std::int32_t> predicted = predict_impl(features, where);
  if (sample_weight.empty()) {
    std::size_t correct = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
    return static_cast<double>(correct) / static_cast<double>(labels.size());
  }
  double correct = 0, total = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto weight = static_cast<double>(sample_weight[i]);
    total += weight;
    if (predicted[i] == labels[i]) correct += weight;
  }
  return correct / total;
}

std::vector<double> SoftmaxRegression::predict_proba(MatrixView<const float> features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_proba", false);
}
std::vector<double> SoftmaxRegression::predict_proba(MatrixView<const double> features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_proba", false);
}
std::vector<double> SoftmaxRegression::predict_logits(MatrixView<const float> features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_logits", true);
}
std::vector<double> SoftmaxRegression::predict_logits(MatrixView<const double> features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_logits", true);
}
std::vector<std::int32_t> SoftmaxRegression::predict(MatrixView<const float> features) const {
  return predict_impl(features, "SoftmaxRegression::predict");
}
std::vector<std::int32_t> SoftmaxRegression::predict(MatrixView<const double> features) const {
  return predict_impl(features, "SoftmaxRegression::predict");
}
double SoftmaxRegression::score(MatrixView<const float> features,
                                std::span<const std::int32_t> labels,
                                std::span<const float> sample_weight) const {
  return score_impl(features, labels, sample_weight);
}
double SoftmaxRegression::score(MatrixView<const double> features,
                                std::span<const std::int32_t> labels,
                                std::span<const double> sample_weight) const {
  return score_impl(features, labels, sample_weight);
}

std::vector<double> SoftmaxRegression::predict_proba(const CsrMatrixView<float>& features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_proba", false);
}
std::vector<double> SoftmaxRegression::predict_proba(const CsrMatrixView<double>& features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_proba", false);
}
std::vector<double> SoftmaxRegression::predict_logits(const CsrMatrixView<float>& features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_logits", true);
}
std::vector<double> SoftmaxRegression::predict_logits(const CsrMatrixView<double>& features) const {
  return predict_rows_impl(features, "SoftmaxRegression::predict_logits", true);
}
std::vector<std::int32_t> SoftmaxRegression::predict(const CsrMatrixView<float>& features) const {
  return predict_impl(features, "SoftmaxRegression::predict");
}
std::vector<std::int32_t> SoftmaxRegression::predict(const CsrMatrixView<double>& features) const {
  return predict_impl(features, "SoftmaxRegression::predict");
}
double SoftmaxRegression::score(const CsrMatrixView<float>& features,
                                std::span<const std::int32_t> labels,
                                std::span<const float> sample_weight) const {
  return score_impl(features, labels, sample_weight);
}
double SoftmaxRegression::score(const CsrMatrixView<double>& features,
                                std::span<const std::int32_t> labels,
                                std::span<const double> sample_weight) const {
  return score_impl(features, labels, sample_weight);
}

void SoftmaxRegression::save(const std::string& path) const {
  if (!is_fitted()) throw Error("SoftmaxRegression::save: the model is not fitted");
  ModelFileContents contents;
  contents.dtype = trained_in_double_ ? "float64" : "float32";
  contents.num_classes = num_classes();
  contents.num_features = num_features_;
  contents.l2 = effective_l2_;
  contents.l1 = trained_l1_;
  contents.fit_intercept = trained_with_intercept_;
  contents.class_labels = class_labels_;
  contents.weights = weights_;
  contents.intercept = intercept_;
  save_model_file(path, contents);
}

SoftmaxRegression SoftmaxRegression::load(const std::string& path) {
  ModelFileContents contents = load_model_file(path);
  SoftmaxRegression model;
  model.options_.l2 = contents.l2;
  model.options_.l1 = contents.l1;
  model.options_.fit_intercept = contents.fit_intercept;
  model.options_.use_double = contents.dtype == "float64";
  model.class_labels_ = std::move(contents.class_labels);
  model.num_features_ = contents.num_features;
  model.weights_ = std::move(contents.weights);
  model.intercept_ = std::move(contents.intercept);
  model.effective_l2_ = contents.l2;
  model.trained_l1_ = contents.l1;
  model.trained_with_intercept_ = contents.fit_intercept;
  model.trained_in_double_ = model.options_.use_double;
  return model;
}

}  // namespace softmaxkit
