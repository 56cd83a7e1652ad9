// A fixed diagonal approximation of the softmax-regression Hessian, for preconditioned Newton-CG.
//
// The Hessian block for class k and features j is (1/sum w) sum_i w_i p_ik (1 - p_ik) x_ij^2 + l2.
// At the start (W = 0, b = 0) every p_ik = 1/K, so its diagonal is
//   c * (weighted mean of x_ij^2) + l2,  c = (1/K)(1 - 1/K),
// and c for the intercept. Feature scales, the main source of ill-conditioning on raw pixel data,
// are captured exactly; the p(1-p) factor is frozen at its starting value. Entries are floored at
// a tiny fraction of the largest so that an all-zero feature with l2 = 0 stays invertible.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

template <class T>
std::vector<double> softmax_hessian_diagonal(MatrixView<const T> features,
                                             std::span<const T> sample_weights,
                                             std::size_t num_classes, double l2,
                                             bool fit_intercept) {
  const std::size_t cols = features.cols();
  std::vector<double> second_moment(cols, 0.0);
  double weight_total = 0;
  for (std::size_t i = 0; i < features.rows(); ++i) {
    const double weight = sample_weights.empty() ? 1.0 : static_cast<double>(sample_weights[i]);
    weight_total += weight;
    const T* row = features.row(i);
    for (std::size_t j = 0; j < cols; ++j) {
      const double value = static_cast<double>(row[j]);
      second_moment[j] += weight * value * value;
    }
  }
  const double k = static_cast<double>(num_classes);
  const double curvature = (1.0 / k) * (1.0 - 1.0 / k);
  std::vector<double> diagonal;
  diagonal.reserve(num_classes * cols + (fit_intercept ? num_classes : 0));
  for (std::size_t c = 0; c < num_classes; ++c)
    for (std::size_t j = 0; j < cols; ++j)
      diagonal.push_back(curvature * second_moment[j] / weight_total + l2);
  if (fit_intercept) diagonal.insert(diagonal.end(), num_classes, curvature);
  const double largest = *std::max_element(diagonal.begin(), diagonal.end());
  for (double& entry : diagonal) entry = std::max(entry, 1e-8 * largest);
  return diagonal;
}

}  // namespace softmaxkit::detail
