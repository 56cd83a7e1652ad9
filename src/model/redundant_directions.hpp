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

}  // namespace softmaxkit::detail
