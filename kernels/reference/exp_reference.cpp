// The scalar reference for exp: a plain loop over std::exp. It is what the benchmark compares
// the SIMD kernel against; accuracy tests use a higher-precision oracle instead.
#include <cmath>

#include "softmaxkit/reference.hpp"

namespace softmaxkit::reference {

void exp(std::span<const float> input, std::span<float> output) {
  for (std::size_t i = 0; i < input.size(); ++i) output[i] = std::exp(input[i]);
}

void exp(std::span<const double> input, std::span<double> output) {
  for (std::size_t i = 0; i < input.size(); ++i) output[i] = std::exp(input[i]);
}

}  // namespace softmaxkit::reference
