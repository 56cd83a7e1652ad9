// The scalar reference for LossGradient::evaluate: what the benchmark measures the blocked,
// threaded, SIMD version against. Plain loops; assumes a valid problem.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "softmaxkit/reference.hpp"

namespace softmaxkit::reference {
namespace {

template <class T>
double loss_gradient_rows(const RegressionProblem<T>& problem, std::span<const T> weights,
                          std::span<const T> intercept, std::span<T> weights_gradient,
                          std::span<T> intercept_gradient) {
  const std::size_t m = problem.features.rows(), n = problem.features.cols();
  const std::size_t classes = problem.num_classes;
  std::fill(weights_gradient.begin(), weights_gradient.end(), T(0));
  std::fill(intercept_gradient.begin(), intercept_gradient.end(), T(0));
  double weight_sum = 0;
  for (std::size_t i = 0; i < m; ++i)
    weight_sum += problem.sample_weights.empty() ? 1.0 : double(problem.sample_weights[i]);
  std::vector<T> z(classes);
  double loss = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const T* x = problem.features.row(i);
    T maximum = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < classes; ++k) {
      T sum = problem.fit_intercept ? intercept[k] : T(0);
      for (std::size_t j = 0; j < n; ++j) sum += weights[k * n + j] * x[j];
      z[k] = sum;
      maximum = std::max(maximum, sum);
    }
    T exp_sum = 0;
    for (std::size_t k = 0; k < classes; ++k) exp_sum += std::exp(z[k] - maximum);
    const T log_sum = maximum + std::log(exp_sum);
    const T weight = problem.sample_weights.empty() ? T(1) : problem.sample_weights[i];
    for (std::size_t k = 0; k < classes; ++k) {
      const T target = problem.labels.empty() ? problem.target_probabilities(i, k)
                                              : T(problem.labels[i] == std::int32_t(k));
      loss += double(weight) * double(target) * double(log_sum - z[k]);
      const T g = weight * (std::exp(z[k] - log_sum) - target) / T(weight_sum);
      if (!intercept_gradient.empty() && problem.fit_intercept) intercept_gradient[k] += g;
      if (!weights_gradient.empty()) {
        for (std::size_t j = 0; j < n; ++j) weights_gradient[k * n + j] += g * x[j];
      }
    }
  }
  double squares = 0;
  for (std::size_t e = 0; e < weights.size(); ++e) {
    squares += double(weights[e]) * double(weights[e]);
    if (!weights_gradient.empty()) weights_gradient[e] += T(problem.l2) * weights[e];
  }
  return loss / weight_sum + 0.5 * problem.l2 * squares;
}

}  // namespace

double loss_gradient(const RegressionProblem<float>& problem, std::span<const float> weights,
                     std::span<const float> intercept, std::span<float> weights_gradient,
                     std::span<float> intercept_gradient) {
  return loss_gradient_rows(problem, weights, intercept, weights_gradient, intercept_gradient);
}

double loss_gradient(const RegressionProblem<double>& problem, std::span<const double> weights,
                     std::span<const double> intercept, std::span<double> weights_gradient,
                     std::span<double> intercept_gradient) {
  return loss_gradient_rows(problem, weights, intercept, weights_gradient, intercept_gradient);
}

}  // namespace softmaxkit::reference
