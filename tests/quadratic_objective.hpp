// f(x) = x'Hx / 2 - b'x and its gradient Hx - b for a test quadratic whose H is given as a
// product: multiply(x, out) writes Hx into out. Shared by the solver tests' quadratics.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

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

}  // namespace softmaxkit_test
