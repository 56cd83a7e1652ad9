// Declaration of the per-ISA exp kernel; the body is exp_simd.hpp, instantiated in exp_<isa>.cpp.
#pragma once

#include <cstddef>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct ExpKernel {
  // output may equal input (in place); otherwise they do not overlap.
  static void apply(const float* input, float* output, std::size_t count);
  static void apply(const double* input, double* output, std::size_t count);
};

}  // namespace softmaxkit::detail
