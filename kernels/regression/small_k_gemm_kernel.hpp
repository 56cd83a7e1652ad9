// The two matrix products of one row block, for few classes: declaration of the per-ISA kernel.
// Body: small_k_gemm_simd.hpp, instantiated in small_k_gemm_<isa>.cpp.
//
// Contract. logits: z = x p^T + bias; accumulate: acc = g^T x (overwrite) or acc += g^T x.
// Each output element is one sum over the shared dimension in a fixed order (vector lanes, then a
// fixed horizontal reduction, then a scalar tail), fused multiply-add where the ISA has it, so
// the result depends on the ISA but never on threads or on where the block sits in memory.
// Error: that of a length-n (logits) or length-rows (accumulate) dot product in T. Single-threaded,
// no allocation. Faster than OpenBLAS for few classes because it keeps a tile of outputs in
// registers across the whole shared dimension instead of packing panels sized for large matrices.
#pragma once

#include <cstddef>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct SmallKGemmKernel {
  // z (rows x classes, row stride z_stride) = x (rows x n, x_stride) * p^T + bias, where p is
  // classes x n contiguous and bias has `classes` entries or is null (no bias).
  static void logits(const float* x, std::size_t x_stride, std::size_t rows, std::size_t n,
                     const float* p, std::size_t classes, const float* bias, float* z,
                     std::size_t z_stride);
  static void logits(const double* x, std::size_t x_stride, std::size_t rows, std::size_t n,
                     const double* p, std::size_t classes, const double* bias, double* z,
                     std::size_t z_stride);
  // acc (classes x n contiguous) = g^T x (overwrite) or acc + g^T x, where g is rows x classes
  // with row stride g_stride and x is rows x n with row stride x_stride. While it computes, it
  // prefetches [prefetch, prefetch + prefetch_bytes) into L2 (the next block's features), so
  // memory transfers overlap this compute-bound product; prefetch may be null.
  static void accumulate(const float* g, std::size_t g_stride, std::size_t rows,
                         std::size_t classes, const float* x, std::size_t x_stride, std::size_t n,
                         float* acc, bool overwrite, const void* prefetch,
                         std::size_t prefetch_bytes);
  static void accumulate(const double* g, std::size_t g_stride, std::size_t rows,
                         std::size_t classes, const double* x, std::size_t x_stride, std::size_t n,
                         double* acc, bool overwrite, const void* prefetch,
                         std::size_t prefetch_bytes);
};

}  // namespace softmaxkit::detail
