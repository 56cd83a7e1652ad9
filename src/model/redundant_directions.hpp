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

// v = [W (classes x features, row-major), b (classes, with an intercept)]: subtracts from each
// redundant group (the intercepts; with `weights_too`, each feature's column of W) its mean.
inline void remove_redundant_directions(std::span<double> v, std::size_t classes,
                                        std::size_t features, bool intercept, bool weights_too) {
  if (classes == 0) return;
  const double share = 1.0 / static_cast<double>(classes);
  if (intercept) {
    double* b = v.data() + classes * features;
    double sum = 0;
    for (std::size_t k = 0; k < classes; ++k) sum += b[k];
    const double mean = sum * share;
    for (std::size_t k = 0; k < classes; ++k) b[k] -= mean;
  }
  if (weights_too) {
    for (std::size_t j = 0; j < features; ++j) {
      double sum = 0;
      for (std::size_t k = 0; k < classes; ++k) sum += v[k * features + j];
      const double mean = sum * share;
      for (std::size_t k = 0; k < classes; ++k) v[k * features + j] -= mean;
    }
  }
}

// The same directions held at a start's values (L-BFGS's project_point): each group's mean is
// set back to the start's, so a warm start's sums are kept and rounding cannot accumulate.
class RedundantDirectionsAt {
 public:
  RedundantDirectionsAt(std::span<const double> start, std::size_t classes, std::size_t features,
                        bool intercept, bool weights_too)
      : classes_(classes), features_(features), intercept_(intercept), weights_too_(weights_too) {
    if (intercept_) intercept_mean_ = intercept_mean(start);
    if (weights_too_) {
      column_means_.resize(features_);
      for (std::size_t j = 0; j < features_; ++j) column_means_[j] = column_mean(start, j);
    }
  }

  void operator()(std::span<double> x) const {
    if (classes_ == 0) return;
    if (intercept_) {
      const double shift = intercept_mean_ - intercept_mean(x);
      double* b = x.data() + classes_ * features_;
      for (std::size_t k = 0; k < classes_; ++k) b[k] += shift;
    }
    if (weights_too_) {
      for (std::size_t j = 0; j < features_; ++j) {
        const double shift = column_means_[j] - column_mean(x, j);
        for (std::size_t k = 0; k < classes_; ++k) x[k * features_ + j] += shift;
      }
    }
  }

 private:
  double intercept_mean(std::span<const double> x) const {
    double sum = 0;
    for (std::size_t k = 0; k < classes_; ++k) sum += x[classes_ * features_ + k];
    return sum / static_cast<double>(classes_);
  }
  double column_mean(std::span<const double> x, std::size_t j) const {
    double sum = 0;
    for (std::size_t k = 0; k < classes_; ++k) sum += x[k * features_ + j];
    return sum / static_cast<double>(classes_);
  }

  std::size_t classes_, features_;
  bool intercept_, weights_too_;
  double intercept_mean_ = 0;
  std::vector<double> column_means_;
};

}  // namespace softmaxkit::detail
