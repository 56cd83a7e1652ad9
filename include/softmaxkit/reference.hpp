// Scalar reference implementations: plain loops, no SIMD, no threads. The benchmark measures
// each kernel against its reference; they assume valid arguments.
#pragma once

#include <span>

#include "softmaxkit/regression.hpp"

namespace softmaxkit::reference {

void exp(std::span<const float> input, std::span<float> output);
void exp(std::span<const double> input, std::span<double> output);

// LossGradient::evaluate's J and gradients (regression.hpp) one row at a time: dot products and
// gradient sums in T, the loss sum in double, one thread, no workspace reuse (allocates K).
double loss_gradient(const RegressionProblem<float>& problem, std::span<const float> weights,
                     std::span<const float> intercept, std::span<float> weights_gradient,
                     std::span<float> intercept_gradient);
double loss_gradient(const RegressionProblem<double>& problem, std::span<const double> weights,
                     std::span<const double> intercept, std::span<double> weights_gradient,
                     std::span<double> intercept_gradient);

}  // namespace softmaxkit::reference
