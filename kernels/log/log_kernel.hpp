// Declaration of the per-ISA natural log over an array (log_batch, log_simd.hpp), instantiated in
// log_<isa>.cpp. Internal: the row kernels call log_batch directly; this entry point exists so the
// tests can measure every ISA's log against long double.
#pragma once

#include <cstddef>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct LogKernel {
  // output[i] = log(input[i]); with log1p, log(1 + input[i]). output may equal input.
  static void apply(const float* input, float* output, std::size_t count, bool log1p);
  static void apply(const double* input, double* output, std::size_t count, bool log1p);
};

}  // namespace softmaxkit::detail
