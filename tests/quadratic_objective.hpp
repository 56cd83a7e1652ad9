// f(x) = x'Hx / 2 - b'x and its gradient Hx - b for a test quadratic whose H is given as a
// product: multiply(x, out) writes Hx into out; the distance to a closed-form optimum, and the
// structured solver's options for reaching it. Shared by the solver tests' quadratics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "softmaxkit/solvers.hpp"

namespace softmaxkit_test {

template <class Multiply>
double quadratic_value_and_gradient(const Multiply& multiply, const std::vector<double>& b,
                                    std::span<const double> x, std::span<double> gradient) {
  multiply(x, gradient);
  double value = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    value += 0.5 * x[i] * gradient[i] - b[i] * x[i];
    gradient[i] -= b[i];
  }
  return value;
}

inline double max_error(std::span<const double> x, std::span<const double> reference) {
  double error = 0;
  for (std::size_t i = 0; i < x.size(); ++i) error = std::max(error, std::abs(x[i] - reference[i]));
  return error;
}

// The structured solver at tolerance 1e-10, far below what the tests' quadratics need.
inline softmaxkit::SolverOptions structured_options() {
  softmaxkit::SolverOptions options;
  options.kind = softmaxkit::SolverKind::structured;
  options.tolerance = 1e-10;
  options.max_iterations = 5000;
  return options;
}

}  // namespace softmaxkit_test
