// Declaration of the per-ISA softmax and log-softmax kernels; the body is softmax_simd.hpp,
// instantiated in softmax_<isa>.cpp.
#pragma once

#include <cstddef>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct SoftmaxKernel {
  // output may be input with the same stride (in place); otherwise they do not overlap.
  static void softmax(const float* input, std::size_t input_stride, float* output,
                      std::size_t output_stride, std::size_t rows, std::size_t cols);
  static void softmax(const double* input, std::size_t input_stride, double* output,
                      std::size_t output_stride, std::size_t rows, std::size_t cols);
  // stream: write output with streaming stores (common/streaming_store.hpp), for outputs too
  // large for the cache; the values are the same either way.
  static void log_softmax(const float* input, std::size_t input_stride, float* output,
                          std::size_t output_stride, std::size_t rows, std::size_t cols,
                          bool stream);
  static void log_softmax(const double* input, std::size_t input_stride, double* output,
                          std::size_t output_stride, std::size_t rows, std::size_t cols,
                          bool stream);
};

}  // namespace softmaxkit::detail
