// The directions along which the softmax objective does not change, removed from Newton-CG's
// vectors. Adding one value to every class's intercept leaves every probability as it was, and so
// does adding one value to every class's weight of a feature when W is not penalised (l2 = 0, no
// L1): at any point the gradient and every Hessian-vector product have exactly zero sum over the
// classes in those coordinates. Passes in float leave them a rounding-level sum, and a
// trust-region subproblem follows such a zero-curvature direction to the boundary: newton on
// float32 data moved every intercept by the same 0.577 (the radius 1 over three classes) with
// the probabilities unchanged, and without a penalty W's columns drifted likewise (sums of 0.21).
// L-BFGS keeps such components in its pairs and steps along them without curvature to stop it:
// with a feature of scale 1e-4 its column sums reached 3.4 and, under OWL-QN, its intercepts a
// sum of 366. Both are removed from the gradients of both solvers (model/fit_run.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace softmaxkit::detail {

// The mean over the classes of each redundant group of x = [W (classes x features, row-major),
// b (classes, with an intercept)], one rounding everywhere: the sum in class order, times 1/K.
// column_means walks W row by row (a column's stride is `features` doubles, 500 KB apart on
// news20's shape) with each column's sum still in class order.
inline double intercept_mean(std::span<const double> x, std::size_t classes, std::size_t features) {
  double sum = 0;
  for (std::size_t k = 0; k < classes; ++k) sum += x[classes * features + k];
  return sum * (1.0 / static_cast<double>(classes));
}
inline void column_means(std::span<const double> x, std::size_t classes, std::size_t features,
                         std::vector<double>& means) {
  means.assign(features, 0.0);
  for (std::size_t k = 0; k < classes; ++k) {
    const double* row = x.data() + k * features;
    for (std::size_t j = 0; j < features; ++j) means[j] += row[j];
  }
  const double share = 1.0 / static_cast<double>(classes);
  for (double& mean : means) mean *= share;
}
// Adds shifts[j] to every class's weight of feature j.
inline void shift_columns(std::span<double> x, std::size_t classes, std::size_t features,
                          std::span<const double> shifts) {
  for (std::size_t k = 0; k < classes; ++k) {
    double* row = x.data() + k * features;
    for (std::size_t j = 0; j < features; ++j) row[j] += shifts[j];
  }
}

// Removes the redundant directions from vectors (gradients, Hessian-vector products): each
// group's mean is subtracted. `scratch` holds the column means between calls.
inline void remove_redundant_directions(std::span<double> v, std::size_t classes,
                                        std::size_t features, bool intercept, bool weights_too,
                                        std::vector<double>& scratch) {
  if (classes == 0) return;
  if (intercept) {
    const double mean = intercept_mean(v, classes, features);
    for (std::size_t k = 0; k < classes; ++k) v[classes * features + k] -= mean;
  }
  if (weights_too) {
    column_means(v, classes, features, scratch);
    for (double& mean : scratch) mean = -mean;
    shift_columns(v, classes, features, scratch);
  }
}

// The same directions held at a start's values (L-BFGS's project_point): each group's mean is
// set back to the start's, so a warm start's sums are kept and rounding cannot accumulate.
class RedundantDirectionsAt {
 public:
  RedundantDirectionsAt(std::span<const double> start, std::size_t classes, std::size_t features,
                        bool intercept, bool weights_too)
      : classes_(classes), features_(features), intercept_(intercept), weights_too_(weights_too) {
    if (classes_ == 0) return;
    if (intercept_) intercept_mean_ = intercept_mean(start, classes_, features_);
    if (weights_too_) column_means(start, classes_, features_, column_means_);
  }

  // Mutable scratch: a copy per std::function, called by one solver thread.
  void operator()(std::span<double> x) {
    if (classes_ == 0) return;
    if (intercept_) {
      const double shift = intercept_mean_ - intercept_mean(x, classes_, features_);
      for (std::size_t k = 0; k < classes_; ++k) x[classes_ * features_ + k] += shift;
    }
    if (weights_too_) {
      column_means(x, classes_, features_, shifts_);
      for (std::size_t j = 0; j < features_; ++j) shifts_[j] = column_means_[j] - shifts_[j];
      shift_columns(x, classes_, features_, shifts_);
    }
  }

 private:
  std::size_t classes_, features_;
  bool intercept_, weights_too_;
  double intercept_mean_ = 0;
  std::vector<double> column_means_, shifts_;
};

}  // namespace softmaxkit::detail
