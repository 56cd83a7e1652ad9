// Early stopping for SoftmaxRegression::fit: after every solver iteration, the accuracy on the
// held-out rows (weighted by their sample weights); stop after `patience` iterations without
// improvement and remember the best point. Inactive (never stops, no best point) when there are no
// held-out rows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/fit_data.hpp"
#include "model/prediction.hpp"

namespace softmaxkit::detail {

// x = [W row-major (classes * features), b (classes, only with an intercept)] -> W, b.
inline void split_parameters(std::span<const double> x, std::size_t classes, std::size_t features,
                             bool fit_intercept, std::vector<double>& weights,
                             std::vector<double>& intercept) {
  weights.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(classes * features));
  intercept.assign(classes, 0.0);
  if (fit_intercept)
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(classes * features), x.end(),
              intercept.begin());
}

// The same split, taking x's storage for the weights instead of copying them (K x n doubles:
// 20 MB on rcv1's shape, fresh pages for a first fit).
inline void take_parameters(std::vector<double>&& x, std::size_t classes, std::size_t features,
                            bool fit_intercept, std::vector<double>& weights,
                            std::vector<double>& intercept) {
  intercept.assign(classes, 0.0);
  if (fit_intercept)
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(classes * features), x.end(),
              intercept.begin());
  x.resize(classes * features);
  weights = std::move(x);
}

// Fraction of rows whose largest logit (first on ties; predicted_class) is the row's class index;
// with sample weights (non-empty), the correct rows' weight over all rows' weight, as score weighs
// them (early stopping counted rows the caller had weighted 0). check_fit_arguments makes that
// total finite and > 0. Empty when a row has no prediction (its probabilities are NaN).
template <class T>
std::optional<double> accuracy(const std::vector<double>& logits, std::size_t classes,
                               std::span<const std::int32_t> class_indices,
                               std::span<const T> weights) {
  if (class_indices.empty()) return 0.0;
  double correct = 0, total = 0;
  for (std::size_t i = 0; i < class_indices.size(); ++i) {
    const std::size_t predicted = predicted_class(logits.data() + i * classes, classes);
    if (predicted == kNoPrediction) return std::nullopt;
    const double weight = weights.empty() ? 1.0 : static_cast<double>(weights[i]);
    total += weight;
    if (predicted == static_cast<std::size_t>(class_indices[i])) correct += weight;
  }
  return correct / total;
}

template <class T>
class EarlyStopping {
 public:
  EarlyStopping(const Rows<T>& validation, std::size_t classes, std::size_t features,
                bool fit_intercept, int patience)
      : validation_(validation),
        classes_(classes),
        features_(features),
        fit_intercept_(fit_intercept),
        patience_(patience) {}

  bool active() const { return validation_.rows > 0; }

  // Called with each accepted point; false: stop training.
  bool observe(std::span<const double> point) {
    if (!active()) return true;
    split_parameters(point, classes_, features_, fit_intercept_, weights_, intercept_);
    const std::vector<double> logits =
        validation_.is_sparse
            ? softmax_regression_logits<T>(validation_.sparse_view(), weights_, intercept_,
                                           classes_)
            : softmax_regression_logits<T>(validation_.view(), weights_, intercept_, classes_);
    // A held-out row with NaN probabilities (a NaN or inf feature, or logits beyond double's
    // range) has no prediction to count: the fit ends as for such a training row (the accuracy
    // took max_element over NaN, and the fit ended early_stopped at an arbitrary point).
    const std::optional<double> measured =
        accuracy(logits, classes_, validation_.labels, std::span<const T>(validation_.weights));
    if (!measured) {
      saw_nan_ = true;
      return false;
    }
    const double current = *measured;
    if (current > best_accuracy_) {
      best_accuracy_ = current;
      best_point_.assign(point.begin(), point.end());
      since_best_ = 0;
      return true;
    }
    return ++since_best_ < patience_;
  }

  // Whether a point's held-out probabilities held NaN (observe then stopped the fit).
  bool saw_nan() const { return saw_nan_; }
  bool has_best() const { return !best_point_.empty(); }
  const std::vector<double>& best_point() const { return best_point_; }
  double best_accuracy() const { return best_accuracy_; }

 private:
  const Rows<T>& validation_;
  std::size_t classes_, features_;
  bool fit_intercept_;
  int patience_;
  double best_accuracy_ = -1;
  std::vector<double> best_point_;
  int since_best_ = 0;
  bool saw_nan_ = false;
  std::vector<double> weights_, intercept_;
};

}  // namespace softmaxkit::detail
