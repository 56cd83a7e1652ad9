// Scalar reference implementations: plain loops, no SIMD, no threads. The benchmark measures
// each kernel against its reference; they assume valid arguments.
#pragma once

#include <span>

namespace softmaxkit::reference {

void exp(std::span<const float> input, std::span<float> output);
void exp(std::span<const double> input, std::span<double> output);

}  // namespace softmaxkit::reference
