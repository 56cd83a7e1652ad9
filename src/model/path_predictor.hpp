// fit_path's predictor step (model_selection.cpp), apart so tests can force its overflow case.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace softmaxkit::detail {

// The start predicted for the next C: current + t (current - previous), element by element, for
// the weights and the intercept. False when it is unusable: an element is not finite, or the
// weights' sum of squares (the L2 penalty's, accumulated in double in the same order) overflows,
// which would make the fit's first objective inf. The caller then starts from `current`.
inline bool predict_path_start(const std::vector<double>& current_weights,
                               const std::vector<double>& previous_weights,
                               const std::vector<double>& current_intercept,
                               const std::vector<double>& previous_intercept, double t,
                               std::vector<double>& weights, std::vector<double>& intercept) {
  weights.resize(current_weights.size());
  intercept.resize(current_intercept.size());
  double squares = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    weights[i] = current_weights[i] + t * (current_weights[i] - previous_weights[i]);
    squares += weights[i] * weights[i];
  }
  bool finite = std::isfinite(squares);  // also false for an inf or NaN weight
  for (std::size_t i = 0; i < intercept.size(); ++i) {
    intercept[i] = current_intercept[i] + t * (current_intercept[i] - previous_intercept[i]);
    finite = finite && std::isfinite(intercept[i]);
  }
  return finite;
}

}  // namespace softmaxkit::detail
