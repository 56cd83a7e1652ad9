// Random softmax-regression problems and a naive scalar reference (plain loops in double, no
// BLAS, no SIMD, no threads) for the loss, gradient and Hessian-vector tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "softmaxkit/regression.hpp"

namespace softmaxkit::testing {

struct ProblemShape {
  std::size_t rows = 40, features = 6, classes = 4;
  std::size_t stride_padding = 3;  // features row stride = features + padding
  bool soft_targets = false, weighted = false, fit_intercept = true;
  double l2 = 0;
  unsigned seed = 1;
};

template <class T>
struct RandomProblem {
  ProblemShape shape;
  std::vector<T> features, targets, weights, parameters, intercept;
  std::vector<std::int32_t> labels;

  explicit RandomProblem(const ProblemShape& s) : shape(s) {
    std::mt19937 generator(s.seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const std::size_t stride = s.features + s.stride_padding;
    features.resize(s.rows * stride);
    for (T& value : features) value = static_cast<T>(normal(generator));
    if (s.soft_targets) {
      targets.resize(s.rows * s.classes);
      for (std::size_t i = 0; i < s.rows; ++i) {
        double total = 0;
        for (std::size_t k = 0; k < s.classes; ++k)
          total += targets[i * s.classes + k] = static_cast<T>(uniform(generator));
        for (std::size_t k = 0; k < s.classes; ++k)
          targets[i * s.classes + k] = static_cast<T>(targets[i * s.classes + k] / total);
      }
    } else {
      labels.resize(s.rows);
      for (auto& label : labels)
        label = static_cast<std::int32_t>(generator() % static_cast<unsigned>(s.classes));
    }
    if (s.weighted) {
      weights.resize(s.rows);
      for (std::size_t i = 0; i < s.rows; ++i)
        weights[i] = i % 7 == 3 ? T(0) : static_cast<T>(0.2 + 2 * uniform(generator));
    }
    parameters.resize(s.classes * s.features);
    for (T& value : parameters) value = static_cast<T>(0.3 * normal(generator));
    intercept.resize(s.fit_intercept ? s.classes : 0);
    for (T& value : intercept) value = static_cast<T>(0.5 * normal(generator));
  }

  RegressionProblem<T> problem() const {
    RegressionProblem<T> p;
    p.features = MatrixView<const T>(features.data(), shape.rows, shape.features,
                                     shape.features + shape.stride_padding);
    if (shape.soft_targets) {
      p.target_probabilities = MatrixView<const T>(targets.data(), shape.rows, shape.classes);
    } else {
      p.labels = labels;
    }
    p.sample_weights = weights;
    p.num_classes = shape.classes;
    p.l2 = shape.l2;
    p.fit_intercept = shape.fit_intercept;
    return p;
  }
};

struct ReferenceResult {
  double loss = 0;
  std::vector<double> weights_gradient, intercept_gradient;
};

// J and its gradient by the formulas in regression.hpp, one row at a time, in double.
template <class T>
ReferenceResult reference_loss_gradient(const RandomProblem<T>& data,
                                        const std::vector<T>& parameters,
                                        const std::vector<T>& intercept) {
  const ProblemShape& s = data.shape;
  const std::size_t stride = s.features + s.stride_padding;
  ReferenceResult result;
  result.weights_gradient.assign(s.classes * s.features, 0.0);
  result.intercept_gradient.assign(s.classes, 0.0);
  double weight_sum = 0;
  std::vector<double> z(s.classes);
  for (std::size_t i = 0; i < s.rows; ++i) {
    const double weight = data.weights.empty() ? 1.0 : double(data.weights[i]);
    weight_sum += weight;
    const T* x = data.features.data() + i * stride;
    double maximum = -INFINITY;
    for (std::size_t k = 0; k < s.classes; ++k) {
      z[k] = s.fit_intercept ? double(intercept[k]) : 0.0;
      for (std::size_t j = 0; j < s.features; ++j)
        z[k] += double(parameters[k * s.features + j]) * double(x[j]);
      maximum = std::max(maximum, z[k]);
    }
    double sum = 0;
    for (std::size_t k = 0; k < s.classes; ++k) sum += std::exp(z[k] - maximum);
    const double log_sum = maximum + std::log(sum);
    for (std::size_t k = 0; k < s.classes; ++k) {
      const double target = s.soft_targets ? double(data.targets[i * s.classes + k])
                                           : (data.labels[i] == std::int32_t(k) ? 1.0 : 0.0);
      result.loss += weight * target * (log_sum - z[k]);
      const double g = weight * (std::exp(z[k] - log_sum) - target);
      result.intercept_gradient[k] += g;
      for (std::size_t j = 0; j < s.features; ++j)
        result.weights_gradient[k * s.features + j] += g * double(x[j]);
    }
  }
  double squares = 0;
  for (T value : parameters) squares += double(value) * double(value);
  result.loss = result.loss / weight_sum + 0.5 * s.l2 * squares;
  for (std::size_t e = 0; e < parameters.size(); ++e)
    result.weights_gradient[e] = result.weights_gradient[e] / weight_sum + s.l2 * parameters[e];
  for (double& value : result.intercept_gradient)
    value = s.fit_intercept ? value / weight_sum : 0.0;
  return result;
}

// H (V, v) by its formula (regression.hpp), one row at a time, in long double: for each row
// p = softmax(z), u = V x + v, r = p * (u - p'u); H_W = sum w r x' / sum w + l2 V, H_b =
// sum w r / sum w (0 without an intercept). Soft targets do not enter the Hessian.
template <class T>
std::vector<long double> reference_hessian_vector(const RandomProblem<T>& data,
                                                  const std::vector<T>& parameters,
                                                  const std::vector<T>& intercept,
                                                  const std::vector<T>& direction,
                                                  const std::vector<T>& direction_intercept) {
  const ProblemShape& s = data.shape;
  const std::size_t stride = s.features + s.stride_padding, K = s.classes, n = s.features;
  std::vector<long double> out(K * n + K, 0.0L), z(K), u(K);
  long double weight_sum = 0;
  for (std::size_t i = 0; i < s.rows; ++i) {
    const long double weight =
        data.weights.empty() ? 1.0L : static_cast<long double>(data.weights[i]);
    weight_sum += weight;
    const T* x = data.features.data() + i * stride;
    long double maximum = -INFINITY;
    for (std::size_t k = 0; k < K; ++k) {
      z[k] = s.fit_intercept ? static_cast<long double>(intercept[k]) : 0.0L;
      u[k] = s.fit_intercept ? static_cast<long double>(direction_intercept[k]) : 0.0L;
      for (std::size_t j = 0; j < n; ++j) {
        z[k] += static_cast<long double>(parameters[k * n + j]) * x[j];
        u[k] += static_cast<long double>(direction[k * n + j]) * x[j];
      }
      maximum = std::max(maximum, z[k]);
    }
    long double sum = 0, pu = 0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(z[k] - maximum);
    for (std::size_t k = 0; k < K; ++k) pu += std::exp(z[k] - maximum) / sum * u[k];
    for (std::size_t k = 0; k < K; ++k) {
      const long double r = weight * std::exp(z[k] - maximum) / sum * (u[k] - pu);
      for (std::size_t j = 0; j < n; ++j) out[k * n + j] += r * x[j];
      out[K * n + k] += r;
    }
  }
  for (std::size_t e = 0; e < K * n; ++e)
    out[e] = out[e] / weight_sum + static_cast<long double>(s.l2) * direction[e];
  for (std::size_t k = 0; k < K; ++k)
    out[K * n + k] = s.fit_intercept ? out[K * n + k] / weight_sum : 0.0L;
  return out;
}

// max |a - b| / max |b|: a norm-wise relative error that small entries cannot inflate.
template <class A, class B>
double relative_error(const std::vector<A>& a, const std::vector<B>& b) {
  double difference = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = std::max(difference, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return scale == 0 ? difference : difference / scale;
}

}  // namespace softmaxkit::testing
