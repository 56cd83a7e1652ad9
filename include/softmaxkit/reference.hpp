// Scalar reference implementations: plain loops with std::exp / std::log in the input type, no
// SIMD, no threads. The benchmark measures each kernel against its reference; they assume valid
// arguments (no checks) and follow the semantics documented in kernels.hpp.
#pragma once

#include <cstdint>
#include <span>

#include "softmaxkit/kernels.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::reference {

void exp(std::span<const float> input, std::span<float> output);
void exp(std::span<const double> input, std::span<double> output);

void logsumexp_rows(MatrixView<const float> logits, std::span<float> output);
void logsumexp_rows(MatrixView<const double> logits, std::span<double> output);

void softmax_rows(MatrixView<const float> logits, MatrixView<float> output);
void softmax_rows(MatrixView<const double> logits, MatrixView<double> output);
void log_softmax_rows(MatrixView<const float> logits, MatrixView<float> output);
void log_softmax_rows(MatrixView<const double> logits, MatrixView<double> output);

CrossEntropyResult cross_entropy(MatrixView<const float> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses);
CrossEntropyResult cross_entropy(MatrixView<const double> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses);
CrossEntropyResult cross_entropy(MatrixView<const float> logits, MatrixView<const float> targets,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses);
CrossEntropyResult cross_entropy(MatrixView<const double> logits, MatrixView<const double> targets,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses);
// LossGradient::evaluate's J and gradients (regression.hpp) one row at a time: dot products and
// gradient sums in T, the loss sum in double, one thread, no workspace reuse (allocates K).
double loss_gradient(const RegressionProblem<float>& problem, std::span<const float> weights,
                     std::span<const float> intercept, std::span<float> weights_gradient,
                     std::span<float> intercept_gradient);
double loss_gradient(const RegressionProblem<double>& problem, std::span<const double> weights,
                     std::span<const double> intercept, std::span<double> weights_gradient,
                     std::span<double> intercept_gradient);

}  // namespace softmaxkit::reference
