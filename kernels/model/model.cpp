// SoftmaxRegression: option checks, label mapping, the solver run, prediction, files.
#include "softmaxkit/model.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <limits>
#include <string>

#include "model/class_labels.hpp"
#include "model/prediction.hpp"
#include "model/softmax_metric.hpp"
#include "model/training_objective.hpp"
#include "model/validation_split.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/model_file.hpp"

namespace softmaxkit {
namespace {

void check_options(const FitOptions& options) {
  auto fail = [](const std::string& message) { throw Error("SoftmaxRegression::fit: " + message); };
  if (!(options.l2 >= 0) || !std::isfinite(options.l2)) fail("l2 must be finite and >= 0");
  if (options.C && (!(*options.C > 0) || !std::isfinite(*options.C)))
    fail("C must be finite and > 0");
  if (!(options.l1 >= 0) || !std::isfinite(options.l1)) fail("l1 must be finite and >= 0");
  if (options.l1 > 0 && options.solver && *options.solver != SolverKind::lbfgs)
    fail("l1 needs the lbfgs solver (OWL-QN)");
  if (!(options.tolerance > 0)) fail("tolerance must be > 0");
  if (options.max_iterations < 0) fail("max_iterations must be >= 0");
  if (options.threads < 0) fail("threads must be >= 0");
  if (!(options.validation_fraction >= 0 && options.validation_fraction < 1))
    fail("validation_fraction must be in [0, 1)");
  if (options.patience < 1) fail("patience must be >= 1");
}

template <class T>
struct Rows {  // some rows of a data set: copied into `features`, or borrowed through `borrowed`
  std::vector<T> features;
  MatrixView<const T> borrowed;
  std::size_t rows = 0, cols = 0;
  std::vector<std::int32_t> labels;  // class indices
  std::vector<T> weights;
  MatrixView<const T> view() const {
    return borrowed.rows() != 0 ? borrowed : MatrixView<const T>(features.data(), rows, cols);
  }
};

template <class Out, class In>
Rows<Out> copy_rows(MatrixView<const In> features, const std::vector<std::int32_t>& labels,
                    std::span<const In> weights, double fraction, bool held_out) {
  Rows<Out> rows;
  rows.cols = features.cols();
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (fraction > 0 && detail::is_held_out(i, fraction) != held_out) continue;
    const In* row = features.row(i);
    for (std::size_t j = 0; j < rows.cols; ++j) rows.features.push_back(static_cast<Out>(row[j]));
    rows.labels.push_back(labels[i]);
    if (!weights.empty()) rows.weights.push_back(static_cast<Out>(weights[i]));
    ++rows.rows;
  }
  return rows;
}

double accuracy(const std::vector<double>& probabilities, std::size_t classes,
                std::span<const std::int32_t> class_indices) {
  if (class_indices.empty()) return 0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < class_indices.size(); ++i) {
    const double* row = probabilities.data() + i * classes;
    correct += static_cast<std::size_t>(std::max_element(row, row + classes) - row) ==
               static_cast<std::size_t>(class_indices[i]);
  }
  return static_cast<double>(correct) / static_cast<double>(class_indices.size());
}

void split_parameters(std::span<const double> x, std::size_t classes, std::size_t features,
                      bool fit_intercept, std::vector<double>& weights,
                      std::vector<double>& intercept) {
  weights.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(classes * features));
  intercept.assign(classes, 0.0);
  if (fit_intercept)
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(classes * features), x.end(),
              intercept.begin());
}

}  // namespace

template <class T>
FitReport SoftmaxRegression::fit_impl(MatrixView<const T> features,
                                      std::span<const std::int32_t> labels,
                                      std::span<const T> sample_weight) {
  check_options(options_);
  if (features.empty()) throw Error("SoftmaxRegression::fit: features are empty");
  if (labels.size() != features.rows()) {
    throw Error("SoftmaxRegression::fit: labels has " + std::to_string(labels.size()) +
                " entries but features has " + std::to_string(features.rows()) + " rows");
  }
  if (!sample_weight.empty() && sample_weight.size() != features.rows()) {
    throw Error("SoftmaxRegression::fit: sample_weight has " +
                std::to_string(sample_weight.size()) + " entries but features has " +
                std::to_string(features.rows()) + " rows");
  }
  const std::vector<std::int32_t> classes = detail::distinct_sorted(labels);
  if (classes.size() < 2) throw Error("SoftmaxRegression::fit: labels hold fewer than 2 classes");
  const std::vector<std::int32_t> indices = detail::to_class_indices(labels, classes, "fit");
  const std::size_t num_classes = classes.size(), num_features = features.cols();
  const bool in_double = options_.use_double || std::is_same_v<T, double>;
  const double fraction = options_.validation_fraction;

  auto train = [&]<class C>(const Rows<C>& training, const Rows<C>& validation) -> FitReport {
    double weight_total = static_cast<double>(training.rows);
    if (!training.weights.empty()) {
      weight_total = 0;
      for (C w : training.weights) weight_total += static_cast<double>(w);
    }
    const double l2 = options_.C ? 1.0 / (*options_.C * weight_total) : options_.l2;
    RegressionProblem<C> problem;
    problem.features = training.view();
    problem.labels = training.labels;
    problem.sample_weights = training.weights;
    problem.num_classes = num_classes;
    problem.l2 = l2;
    problem.fit_intercept = options_.fit_intercept;
    detail::TrainingObjective<C> objective(problem);

    std::vector<double> x(objective.size(), 0.0);
    const bool warm = options_.warm_start && class_labels_ == classes &&
                      num_features_ == num_features;
    if (warm) {
      std::copy(weights_.begin(), weights_.end(), x.begin());
      if (options_.fit_intercept)
        std::copy(intercept_.begin(), intercept_.end(),
                  x.begin() + static_cast<std::ptrdiff_t>(weights_.size()));
    }

    Objective solver_objective = objective.as_objective();
    double initial_gradient_norm = -1;
    int value_evaluations = 0, hessian_products = 0;
    solver_objective.hessian_vector = [&](std::span<const double> point,
                                          std::span<const double> v, std::span<double> hv) {
      ++hessian_products;
      objective.hessian_vector(point, v, hv);
    };
    solver_objective.value_and_gradient = [&](std::span<const double> point,
                                              std::span<double> gradient) {
      ++value_evaluations;
      const double value = objective.value_and_gradient(point, gradient);
      if (initial_gradient_norm < 0) {
        double sum = 0;
        for (double g : gradient) sum += g * g;
        initial_gradient_norm = std::sqrt(sum);
      }
      return value;
    };

    SolverOptions solver;
    solver.kind = options_.solver.value_or(options_.l1 > 0 ? SolverKind::lbfgs
                                                           : SolverKind::structured);
    std::shared_ptr<detail::SoftmaxMetric<C>> metric;
    if (solver.kind == SolverKind::structured) {
      solver.lbfgs_memory = detail::structured_memory(x.size());
    }
    auto passes_so_far = [&] {
      return value_evaluations + hessian_products + (metric ? metric->pass_equivalents() : 0.0);
    };
    solver.tolerance = options_.tolerance;
    solver.max_iterations = options_.max_iterations;
    solver.l1 = options_.l1;
    solver.l1_begin = 0;
    solver.l1_end = num_classes * num_features;

    double best_accuracy = -1;
    std::vector<double> best_x;
    int since_best = 0;
    std::vector<double> scratch_weights, scratch_intercept;
    solver.callback = [&](const IterationReport& solver_report) {
      IterationReport report = solver_report;
      report.pass_equivalents = passes_so_far();
      bool keep_going = !options_.callback || options_.callback(report);
      if (validation.rows > 0) {
        split_parameters(report.point, num_classes, num_features, options_.fit_intercept,
                         scratch_weights, scratch_intercept);
        const double current = accuracy(
            detail::softmax_regression_probabilities<C>(validation.view(), scratch_weights,
                                                        scratch_intercept, num_classes),
            num_classes, validation.labels);
        if (current > best_accuracy) {
          best_accuracy = current;
          best_x.assign(report.point.begin(), report.point.end());
          since_best = 0;
        } else if (++since_best >= options_.patience) {
          keep_going = false;
        }
      }
      return keep_going;
    };

    tbb::task_arena arena(options_.threads > 0 ? options_.threads
                                               : tbb::task_arena::automatic);
    SolverResult result;
    const auto setup_start = std::chrono::steady_clock::now();
    arena.execute([&] {
      if (solver.kind == SolverKind::structured) {
        // The factorization of G is kept for the next fit on the same rows (a C search).
        metric = std::make_shared<detail::SoftmaxMetric<C>>(
            problem, detail::SoftmaxMetricSettings{}, &gram_cache_);
        solver_objective.metric = metric;
      }
      result = minimize(solver_objective, x, solver);
    });
    const double setup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count() -
        result.seconds;

    FitReport report;
    report.objective = result.objective;
    report.gradient_norm = result.gradient_norm;
    report.initial_gradient_norm = std::max(initial_gradient_norm, 0.0);
    report.iterations = result.iterations;
    report.evaluations = value_evaluations;
    report.hessian_products = hessian_products;
    if (metric) {
      report.setup_pass_equivalents = metric->setup_pass_equivalents();
      report.metric_pass_equivalents = metric->pass_equivalents() - report.setup_pass_equivalents;
      report.metric = metric->describe();
    }
    report.seconds = result.seconds + std::max(setup_seconds, 0.0);
    report.reason = result.reason;
    if (validation.rows > 0 && !best_x.empty()) {
      x = best_x;
      report.validation_accuracy = best_accuracy;
      std::vector<double> gradient(x.size());
      arena.execute([&] { report.objective = objective.value_and_gradient(x, gradient); });
      double sum = 0;
      for (double g : gradient) sum += g * g;
      report.gradient_norm = std::sqrt(sum);
      ++report.evaluations;
    }
    report.pass_equivalents = report.evaluations + report.hessian_products +
                              report.setup_pass_equivalents + report.metric_pass_equivalents;
    class_labels_ = classes;
    num_features_ = num_features;
    split_parameters(x, num_classes, num_features, options_.fit_intercept, weights_, intercept_);
    effective_l2_ = l2;
    trained_in_double_ = in_double;
    solver_used_ = solver.kind;
    return report;
  };

  if constexpr (std::is_same_v<T, float>) {
    if (in_double) {
      // Without a split there is no validation set (copy_rows with fraction 0 and held_out
      // would copy every row, turning on early stopping against the training rows).
      Rows<double> validation;
      if (fraction > 0) {
        validation = copy_rows<double>(features, indices, sample_weight, fraction, true);
      }
      return train(copy_rows<double>(features, indices, sample_weight, fraction, false),
                   validation);
    }
  }
  if (fraction > 0) {
    return train(copy_rows<T>(features, indices, sample_weight, fraction, false),
                 copy_rows<T>(features, indices, sample_weight, fraction, true));
  }
  // No split and no conversion: train on the caller's data without copying it.
  Rows<T> training;
  training.borrowed = features;
  training.rows = features.rows();
  training.cols = features.cols();
  training.labels = indices;
  training.weights.assign(sample_weight.begin(), sample_weight.end());
  return train(training, Rows<T>{});
}

FitReport SoftmaxRegression::fit(MatrixView<const float> features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const float> sample_weight) {
  return fit_impl<float>(features, labels, sample_weight);
}
FitReport SoftmaxRegression::fit(MatrixView<const double> features,
                                 std::span<const std::int32_t> labels,
                                 std::span<const double> sample_weight) {
  return fit_impl<double>(features, labels, sample_weight);
}


template <class T>
std::vector<double> SoftmaxRegression::predict_proba_impl(MatrixView<const T> features) const {
  if (!is_fitted()) throw Error("SoftmaxRegression::predict: the model is not fitted");
  if (features.cols() != num_features_) {
    throw Error("SoftmaxRegression::predict: features have " + std::to_string(features.cols()) +
                " columns but the model has " + std::to_string(num_features_));
  }
  std::vector<double> probabilities;
  tbb::task_arena arena(options_.threads > 0 ? options_.threads : tbb::task_arena::automatic);
  arena.execute([&] {
    probabilities = detail::softmax_regression_probabilities<T>(features, weights_, intercept_,
                                                                num_classes());
  });
  return probabilities;
}

namespace {
std::vector<std::int32_t> most_probable(const std::vector<double>& probabilities,
                                        const std::vector<std::int32_t>& classes) {
  const std::size_t k = classes.size(), rows = probabilities.size() / k;
  std::vector<std::int32_t> predicted(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* row = probabilities.data() + i * k;
    predicted[i] = classes[static_cast<std::size_t>(std::max_element(row, row + k) - row)];
  }
  return predicted;
}

template <class T>
double score_of(const SoftmaxRegression& model, MatrixView<const T> features,
                std::span<const std::int32_t> labels) {
  if (labels.size() != features.rows()) {
    throw Error("SoftmaxRegression::score: labels has " + std::to_string(labels.size()) +
                " entries but features has " + std::to_string(features.rows()) + " rows");
  }
  if (labels.empty()) throw Error("SoftmaxRegression::score: no rows");
  const std::vector<std::int32_t> predicted = model.predict(features);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}
}  // namespace

std::vector<double> SoftmaxRegression::predict_proba(MatrixView<const float> features) const {
  return predict_proba_impl(features);
}
std::vector<double> SoftmaxRegression::predict_proba(MatrixView<const double> features) const {
  return predict_proba_impl(features);
}
std::vector<std::int32_t> SoftmaxRegression::predict(MatrixView<const float> features) const {
  return most_probable(predict_proba_impl(features), class_labels_);
}
std::vector<std::int32_t> SoftmaxRegression::predict(MatrixView<const double> features) const {
  return most_probable(predict_proba_impl(features), class_labels_);
}
double SoftmaxRegression::score(MatrixView<const float> features,
                                std::span<const std::int32_t> labels) const {
  return score_of(*this, features, labels);
}
double SoftmaxRegression::score(MatrixView<const double> features,
                                std::span<const std::int32_t> labels) const {
  return score_of(*this, features, labels);
}

void SoftmaxRegression::save(const std::string& path) const {
  if (!is_fitted()) throw Error("SoftmaxRegression::save: the model is not fitted");
  ModelFileContents contents;
  contents.dtype = trained_in_double_ ? "float64" : "float32";
  contents.num_classes = num_classes();
  contents.num_features = num_features_;
  contents.l2 = effective_l2_;
  contents.l1 = options_.l1;
  contents.fit_intercept = options_.fit_intercept;
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
  model.trained_in_double_ = model.options_.use_double;
  return model;
}

}  // namespace softmaxkit
