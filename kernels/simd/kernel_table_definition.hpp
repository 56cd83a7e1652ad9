// This ISA's kernel table (kernels/dispatch/kernel_table.hpp): the one place that lists the
// per-ISA bodies. Included once, by kernels/simd/<isa>.cpp.
#pragma once

#include "dispatch/kernel_table.hpp"
#include "simd/arch.hpp"
#include "simd/cross_entropy.hpp"
#include "simd/csr_rows.hpp"
#include "simd/exp.hpp"
#include "simd/log.hpp"
#include "simd/logsumexp.hpp"
#include "simd/small_k_gemm.hpp"
#include "simd/softmax.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

template <class T>
constexpr detail::TypedKernels<T> typed_kernels() {
  return {
      .exp = &exp_batches<T, IsaArch>,
      .log = &log_batches<T, IsaArch>,
      .logsumexp_rows = &logsumexp_rows_simd<T, IsaArch>,
      .softmax_rows = &softmax_rows_simd<T, IsaArch>,
      .log_softmax_rows = &log_softmax_rows_simd<T, IsaArch>,
      .cross_entropy_rows = &cross_entropy_rows_simd<T, IsaArch>,
      .small_k_logits = &small_k_logits<T, IsaArch>,
      .small_k_accumulate = &small_k_accumulate<T, IsaArch>,
      .csr_row_logits = &csr_row_logits<T, IsaArch>,
      .csr_row_accumulate = &csr_row_accumulate<T, IsaArch>,
      .csr_segment_sums = &csr_segment_sums<T, IsaArch>,
  };
}

// Constant-initialised (addresses only), so it is usable before any dynamic initialisation.
constinit const detail::KernelTable kernel_table{Isa::SOFTMAXKIT_SIMD_ISA, typed_kernels<float>(),
                                                 typed_kernels<double>()};

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
