// Declaration of the per-ISA logsumexp kernel; the body is logsumexp_simd.hpp, instantiated in
// logsumexp_<isa>.cpp.
#pragma once

#include <cstddef>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct LogSumExpKernel {
  // output[i] = log sum_k exp(logits[i * stride + k]) for i < rows, k < cols.
  static void apply(const float* logits, std::size_t stride, std::size_t rows, std::size_t cols,
                    float* output);
  static void apply(const double* logits, std::size_t stride, std::size_t rows, std::size_t cols,
                    double* output);
};

}  // namespace softmaxkit::detail
