// Argument checks of SoftmaxRegression::fit, run once before any data is copied. Every failure
// throws Error("SoftmaxRegression::fit: ...") naming the option or argument.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/validate.hpp"
#include "io/number_text.hpp"
#include "model/validation_split.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/model.hpp"

namespace softmaxkit::detail {

[[noreturn]] inline void fit_fail(const std::string& message) {
  fail("SoftmaxRegression::fit", message);
}

// Every option except l2 and C, which regularization_strength checks (the one place lambda is).
// Named as the caller's function (`where`) and argument (`name`: "options." for the C search,
// whose errors named SoftmaxRegression::fit, which its caller never called).
void check_fit_options(const FitOptions& options, std::string_view where = "SoftmaxRegression::fit",
                       std::string_view name = "");

// Refuses (Error naming the shape, the bytes and the machine's memory) a fit whose solver would
// need more memory than the machine has, before anything is allocated. The estimate is the
// parameters' count times what the solver and the loss engine keep per parameter: measured on the
// rcv1 shape (20000 x 47236 x 53, peak RSS over the data) about 190 bytes for the structured
// solver, 590 for liblbfgs' L-BFGS (memory 10) and 400 for Newton-CG; the constants below are
// those rounded up. The data themselves are the caller's and not counted.
inline constexpr long double kStructuredBytesPerParameter = 224.0L,
                             kLbfgsBytesPerParameter = 640.0L, kNewtonBytesPerParameter = 448.0L;
void check_fit_memory(const FitOptions& options, std::size_t classes, std::size_t features);

// The L2 strength the fit uses: options.l2, or 1 / (C * weight_total) with C. The only check of
// l2, C and the resulting lambda (finite and >= 0) in the model layer.
// `where` names the caller in the Error (fit_path and cross_validate check their Cs with it).
double regularization_strength(const FitOptions& options, double weight_total,
                               std::string_view where = "SoftmaxRegression::fit");
// A fit computing in float applies lambda * W in float: a lambda beyond float's range (C tiny,
// such as 1e-300, or an l2 above 3.4e38) is refused naming C or l2 instead of failing deep in
// the loss engine.
void check_lambda_in_float(const FitOptions& options, double lambda,
                           std::string_view where = "SoftmaxRegression::fit");

// Whether a fit of features of value type T computes in double: use_double, or T is double. The
// one statement of that rule; fit, fit_path and cross_validate ask it.
template <class T>
bool fits_in_double(const FitOptions& options) {
  return options.use_double || std::is_same_v<T, double>;
}

// fit_path's and cross_validate's check, before any fit, of the lambda every C of Cs gives with
// the weight sum `total` (finite; in float's range when the fits compute in float), named as
// `where`: the smallest C gives the largest lambda. Without it the first fit refused its C naming
// SoftmaxRegression::fit, and a search's refit, whose sum can differ from every fold's (a row
// listed twice in a fold's train counts twice), only after every fold's fits.
template <class T>
void check_path_lambdas(std::string_view where, const FitOptions& options,
                        std::span<const double> Cs, double total) {
  FitOptions at = options;
  at.l2 = 0;
  at.C = *std::min_element(Cs.begin(), Cs.end());
  const double lambda = regularization_strength(at, total, where);
  if (!fits_in_double<T>(options)) check_lambda_in_float(at, lambda, where);
}

// Shapes and null pointers of fit's arguments, then the sample weights: each finite and >= 0,
// not all zero. Returns the sum of the weights of the rows that will be trained on (all rows, or
// those not held out for early stopping); that sum is > 0.
// Features: MatrixView<const T> or CsrMatrixView<T>.
template <class Features, class T>
double check_fit_arguments(const FitOptions& options, const Features& features,
                           std::span<const std::int32_t> labels, std::span<const T> sample_weight) {
  if (features.empty()) fit_fail("features are empty");
  if (labels.data() == nullptr && !labels.empty()) {
    fit_fail("labels is null but has " + std::to_string(labels.size()) + " entries");
  }
  if (sample_weight.data() == nullptr && !sample_weight.empty()) {
    fit_fail("sample_weight is null but has " + std::to_string(sample_weight.size()) + " entries");
  }
  if (labels.size() != features.rows()) {
    fit_fail("labels has " + std::to_string(labels.size()) + " entries but features has " +
             std::to_string(features.rows()) + " rows");
  }
  if (!sample_weight.empty() && sample_weight.size() != features.rows()) {
    fit_fail("sample_weight has " + std::to_string(sample_weight.size()) +
             " entries but features has " + std::to_string(features.rows()) + " rows");
  }
  const double fraction = options.validation_fraction;
  double training_total = 0, total = 0, held_out_total = 0;
  std::size_t training_rows = 0;
  for (std::size_t i = 0; i < features.rows(); ++i) {
    const double weight = sample_weight.empty() ? 1.0 : static_cast<double>(sample_weight[i]);
    if (!std::isfinite(weight) || weight < 0) {
      fit_fail("sample_weight[" + std::to_string(i) + "] is " +
               (std::isnan(weight) ? std::string("nan") : shortest_number(weight)) +
               " (must be finite and >= 0)");
    }
    total += weight;
    if (fraction > 0 && is_held_out(i, fraction)) {
      held_out_total += weight;
      continue;
    }
    training_total += weight;
    ++training_rows;
  }
  if (!(total > 0)) fit_fail("sample_weight: all weights are zero");
  // No row held out would silently be no early stopping (scikit-learn refuses an empty
  // validation set too).
  if (fraction > 0 && training_rows == features.rows()) {
    fit_fail("validation_fraction = " + shortest_number(fraction) + " holds out none of the " +
             std::to_string(features.rows()) +
             " rows (early stopping needs a validation row: a larger fraction, or no early "
             "stopping)");
  }
  if (training_rows == 0) {
    fit_fail("validation_fraction holds out every one of the " + std::to_string(features.rows()) +
             " rows");
  }
  if (!(training_total > 0)) {
    fit_fail(
        "sample_weight: the weights of the training rows (those not held out by "
        "validation_fraction) are all zero");
  }
  // Early stopping scores the held-out rows by their weights: all 0 leaves nothing to score
  // (it used to count them unweighted), a sum beyond double's range makes NaN accuracies.
  if (fraction > 0 && !sample_weight.empty()) {
    if (!(held_out_total > 0)) {
      fit_fail(
          "sample_weight: the weights of the rows held out by validation_fraction are all zero "
          "(early stopping has nothing to score)");
    }
    check_weight_sum("SoftmaxRegression::fit", "sample_weight: the held-out rows' weights",
                     held_out_total, 0.0);
  }
  return training_total;
}

// SoftmaxRegression::fit's rules for sample weights (each finite and >= 0, not all zero, one per
// row), named as the caller's (`where`: fit_path, cross_validate, score). Empty: all 1. Returns
// their sum (rows when empty).
template <class T>
double check_sample_weight(std::string_view where, std::span<const T> weights, std::size_t rows) {
  if (weights.empty()) return static_cast<double>(rows);
  if (weights.data() == nullptr) {
    fail(where, "sample_weight is null but has " + std::to_string(weights.size()) + " entries");
  }
  if (weights.size() != rows) {
    fail(where, "sample_weight has " + std::to_string(weights.size()) +
                    " entries but features has " + std::to_string(rows) + " rows");
  }
  double total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto weight = static_cast<double>(weights[i]);
    if (!std::isfinite(weight) || weight < 0) {
      fail(where, "sample_weight[" + std::to_string(i) + "] is " +
                      (std::isnan(weight) ? std::string("nan") : shortest_number(weight)) +
                      " (must be finite and >= 0)");
    }
    total += weight;
  }
  if (!(total > 0)) fail(where, "sample_weight: all weights are zero");
  // A sum beyond double's range made score's weighted fraction inf / inf = NaN.
  check_weight_sum(where, "sample_weight: the weights", total, 0.0);
  return total;
}

// A fit scales its gradient by 1 / (the training rows' weight sum) rounded to the type it computes
// in (fits_in_double: double, else the features' T): that reciprocal must be a normal number there
// (float: a sum from 2.9e-39 to 8.5e37). Checked before any work, named as the caller's argument;
// the loss engine refused such a sum only once a fit (or a search's refit) had begun, naming its
// own "sample weights".
template <class T>
void check_fit_weight_sum(std::string_view where, std::string_view argument, double total,
                          bool in_double) {
  if (in_double) {
    check_weight_sum(where, argument, total, 0.0, WeightSumRule::normal_reciprocal);
  } else {
    check_weight_sum(where, argument, total, T(0), WeightSumRule::normal_reciprocal);
  }
}

}  // namespace softmaxkit::detail
