// The kernel table: every per-ISA body is reached through one table of function pointers per
// ISA, defined by kernels/simd/<isa>.cpp inside that ISA's namespace. Built at baseline.
//
// Adding an ISA: a kernels/simd/<isa>.cpp (three lines: its name, its xsimd architecture, the
// table), its compiler flags in cmake/IsaTargets.cmake, its entry in SOFTMAXKIT_ISA_LIST
// below and in softmaxkit::Isa, and its CPU test in kernels/dispatch/isa.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "common/cross_entropy_rows.hpp"
#include "common/segment_join.hpp"
#include "softmaxkit/isa.hpp"

// Every ISA the library is compiled for, oldest first.
#define SOFTMAXKIT_ISA_LIST(X) X(sse2) X(avx2) X(avx512)

namespace softmaxkit::detail {

// One ISA's kernels for element type T. Arguments are valid (checked at the public boundary);
// the contracts are in the bodies' headers under kernels/simd/.
template <class T>
struct TypedKernels {
  // output[i] = exp(input[i]); output may equal input.
  void (*exp)(const T* input, T* output, std::size_t count);
  // output[i] = log(input[i]), or log(1 + input[i]) with log1p; output may equal input.
  void (*log)(const T* input, T* output, std::size_t count, bool log1p);
  // output[i] = log sum_k exp(logits[i * stride + k]), i < rows, k < classes.
  void (*logsumexp_rows)(const T* logits, std::size_t stride, std::size_t rows, std::size_t classes,
                         T* output);
  // output may be input with the same stride (in place); otherwise they do not overlap.
  void (*softmax_rows)(const T* input, std::size_t input_stride, T* output,
                       std::size_t output_stride, std::size_t rows, std::size_t classes);
  // stream: write output with streaming stores (for outputs too large for the cache); the values
  // are the same either way.
  void (*log_softmax_rows)(const T* input, std::size_t input_stride, T* output,
                           std::size_t output_stride, std::size_t rows, std::size_t classes,
                           bool stream);
  // Returns sum_i w_i * loss_i, accumulated in double in row order (CrossEntropyRows).
  double (*cross_entropy_rows)(const CrossEntropyRows<T>& rows);
  // z (rows x classes, row stride z_stride) = x (rows x features, x_stride) p^T + bias; p is
  // classes x features contiguous, bias has `classes` entries or is null.
  void (*small_k_logits)(const T* x, std::size_t x_stride, std::size_t rows, std::size_t features,
                         const T* p, std::size_t classes, const T* bias, T* z,
                         std::size_t z_stride);
  // acc (classes x features contiguous) = g^T x (overwrite) or acc + g^T x; g is rows x classes
  // (row stride g_stride), x rows x features (x_stride). Prefetches [prefetch, prefetch +
  // prefetch_bytes) into L2 while it computes; prefetch may be null.
  void (*small_k_accumulate)(const T* g, std::size_t g_stride, std::size_t rows,
                             std::size_t classes, const T* x, std::size_t x_stride,
                             std::size_t features, T* acc, bool overwrite, const void* prefetch,
                             std::size_t prefetch_bytes);
  // One CSR row (entries `entries`, each entry's table row in slots):
  // z (columns) += sum_e values[e] * transposed[slots[e] * columns + :].
  void (*csr_row_logits)(const std::int32_t* slots, const T* values, std::size_t entries,
                         const T* transposed, std::size_t columns, T* z);
  // sums[slots[e] * classes + :] += values[e] * g (classes), for every entry e.
  void (*csr_row_accumulate)(const std::int32_t* slots, const T* values, std::size_t entries,
                             const T* g, std::size_t classes, T* sums);
  // Segments [0, count), each one feature's entries within one chunk of rows (rows ascending):
  // segment s's sum from +0 of values[e] * g[rows[e] * classes + :] over its entries
  // [segment_begin[s], segment_begin[s + 1]), joined to totals[segment_feature[s] * classes + :] as
  // segment_join[s] says; the bits csr_row_accumulate into each chunk's zeroed sums and the
  // chunks' ordered sum give.
  void (*csr_segment_sums)(const std::int64_t* segment_begin, const std::int32_t* segment_feature,
                           const SegmentJoin* segment_join, std::size_t count,
                           const std::int32_t* rows, const T* values, const T* g,
                           std::size_t classes, T* totals);
};

struct KernelTable {
  Isa isa;
  TypedKernels<float> f32;
  TypedKernels<double> f64;

  template <class T>
  const TypedKernels<T>& typed() const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      return f64;
    }
  }
};

// The table of `isa` (compiled for every ISA; whether the CPU can run it is isa.hpp's question).
const KernelTable& kernel_table(Isa isa);

// The active ISA's kernels for T (active_isa(): one relaxed atomic load, then a table lookup).
template <class T>
const TypedKernels<T>& active_kernels() {
  return kernel_table(active_isa()).typed<T>();
}

}  // namespace softmaxkit::detail

// Defined by kernels/simd/<isa>.cpp, each inside its own ISA namespace.
namespace softmaxkit::simd {
#define SOFTMAXKIT_DECLARE_KERNEL_TABLE(isa)     \
  namespace isa {                                \
  extern const detail::KernelTable kernel_table; \
  }
SOFTMAXKIT_ISA_LIST(SOFTMAXKIT_DECLARE_KERNEL_TABLE)
#undef SOFTMAXKIT_DECLARE_KERNEL_TABLE
}  // namespace softmaxkit::simd
