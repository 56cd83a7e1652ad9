// The two matrix products of one row block, for few classes: the register-blocked SIMD body
// behind TypedKernels::small_k_logits / small_k_accumulate (dispatch/kernel_table.hpp).
//
// Contract. logits: z = x p^T + bias; accumulate: acc = g^T x (overwrite) or acc += g^T x.
// Each output element is one sum over the shared dimension in a fixed order (vector lanes, then a
// fixed horizontal reduction, then a scalar tail), fused multiply-add where the ISA has it, so
// the result depends on the ISA but never on threads or on where the block sits in memory.
// Error: that of a length-n (logits) or length-rows (accumulate) dot product in T. Single-threaded,
// no allocation. Faster than OpenBLAS for few classes because it keeps a tile of outputs in
// registers across the whole shared dimension instead of packing panels sized for large matrices.
//
//
// logits: a tile of R rows x C classes of dot products stays in registers while the kernel
// walks the n features once, one vector of x per row and one of p per class per step.
// accumulate: a tile of C classes x V vectors of columns stays in registers while the kernel
// walks the block's rows, one broadcast of g per class and one vector of x per column group.
// Tile sizes fill the register file: 32 registers on AVX-512, 16 on AVX2 and SSE2.
#pragma once

#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "simd/arch.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

template <class Arch>
struct SmallKTiles {
  static constexpr bool wide_register_file = is_avx512<Arch>;
  static constexpr int logit_rows = wide_register_file ? 4 : 2;
  static constexpr int logit_classes = 5;
  static constexpr int gradient_classes = 5;
  static constexpr int gradient_vectors = wide_register_file ? 4 : 2;
};

// Sum of a batch's lanes in a fixed order. On AVX-512 the halves go through memory: xsimd 8.1's
// hadd and every 512-to-256-bit extract or cast take an _undefined operand that GCC 12 reports
// as uninitialized.
template <class T, class Arch>
T horizontal_sum(const xsimd::batch<T, Arch>& value) {
  if constexpr (is_avx512<Arch>) {
    using Half = xsimd::batch<T, xsimd::fma3<xsimd::avx2>>;
    alignas(64) T lanes[xsimd::batch<T, Arch>::size];
    value.store_aligned(lanes);
    return xsimd::hadd(Half::load_aligned(lanes) + Half::load_aligned(lanes + Half::size));
  } else {
    return xsimd::hadd(value);
  }
}

template <class T, class Arch, int R, int C>
void logits_tile(const T* x, std::size_t x_stride, std::size_t features, const T* p, const T* bias,
                 T* z, std::size_t z_stride) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch sum[R][C];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 32
    for (int c = 0; c < C; ++c) sum[r][c] = Batch(T(0));
  std::size_t j = 0;
  for (; j + width <= features; j += width) {
    Batch row[R];
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) row[r] = Batch::load_unaligned(x + r * x_stride + j);
#pragma GCC unroll 32
    for (int c = 0; c < C; ++c) {
      const Batch weights = Batch::load_unaligned(p + c * features + j);
#pragma GCC unroll 32
      for (int r = 0; r < R; ++r) sum[r][c] = fused_multiply_add(row[r], weights, sum[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      T total = horizontal_sum(sum[r][c]);
      for (std::size_t tail = j; tail < features; ++tail)
        total += x[r * x_stride + tail] * p[c * features + tail];
      z[r * z_stride + c] = bias == nullptr ? total : total + bias[c];
    }
  }
}

// The last classes % C classes: tiles narrower than C, picked at run time.
template <class T, class Arch, int R, int C>
void logits_narrow_tile(std::size_t classes, const T* x, std::size_t x_stride, std::size_t features,
                        const T* p, const T* bias, T* z, std::size_t z_stride) {
  if constexpr (C > 0) {
    if (classes == C) {
      logits_tile<T, Arch, R, C>(x, x_stride, features, p, bias, z, z_stride);
    } else {
      logits_narrow_tile<T, Arch, R, C - 1>(classes, x, x_stride, features, p, bias, z, z_stride);
    }
  }
}

template <class T, class Arch, int R>
void logits_rows(const T* x, std::size_t x_stride, std::size_t features, const T* p,
                 std::size_t classes, const T* bias, T* z, std::size_t z_stride) {
  constexpr int C = SmallKTiles<Arch>::logit_classes;
  std::size_t k = 0;
  for (; k + C <= classes; k += C) {
    logits_tile<T, Arch, R, C>(x, x_stride, features, p + k * features,
                               bias == nullptr ? nullptr : bias + k, z + k, z_stride);
  }
  logits_narrow_tile<T, Arch, R, C - 1>(classes - k, x, x_stride, features, p + k * features,
                                        bias == nullptr ? nullptr : bias + k, z + k, z_stride);
}

template <class T, class Arch>
void small_k_logits(const T* x, std::size_t x_stride, std::size_t rows, std::size_t features,
                    const T* p, std::size_t classes, const T* bias, T* z, std::size_t z_stride) {
  constexpr int R = SmallKTiles<Arch>::logit_rows;
  std::size_t i = 0;
  for (; i + R <= rows; i += R) {
    logits_rows<T, Arch, R>(x + i * x_stride, x_stride, features, p, classes, bias,
                            z + i * z_stride, z_stride);
  }
  for (; i < rows; ++i) {
    logits_rows<T, Arch, 1>(x + i * x_stride, x_stride, features, p, classes, bias,
                            z + i * z_stride, z_stride);
  }
}

// Walks a byte range one step per call, prefetching into L2: spreads the next block's loads
// over the current block's compute instead of issuing them in one burst.
struct PrefetchCursor {
  const char* next = nullptr;
  const char* end = nullptr;
  void step() {
    if (next < end) {
      _mm_prefetch(next, _MM_HINT_T1);
      _mm_prefetch(next + 64, _MM_HINT_T1);
      next += 128;
    }
  }
};

// acc[c][v] (+)= sum over rows of g[i][c] * x[i][v-th vector], for C classes and V vectors.
template <class T, class Arch, int C, int V>
void gradient_tile(const T* g, std::size_t g_stride, std::size_t rows, const T* x,
                   std::size_t x_stride, T* acc, std::size_t acc_stride, bool overwrite,
                   PrefetchCursor& prefetch) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch sum[C][V];
#pragma GCC unroll 32
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 32
    for (int v = 0; v < V; ++v) sum[c][v] = Batch(T(0));
  for (std::size_t i = 0; i < rows; ++i) {
    prefetch.step();
    Batch row[V];
#pragma GCC unroll 32
    for (int v = 0; v < V; ++v) row[v] = Batch::load_unaligned(x + i * x_stride + v * width);
#pragma GCC unroll 32
    for (int c = 0; c < C; ++c) {
      const Batch scale(g[i * g_stride + c]);
#pragma GCC unroll 32
      for (int v = 0; v < V; ++v) sum[c][v] = fused_multiply_add(scale, row[v], sum[c][v]);
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int v = 0; v < V; ++v) {
      T* out = acc + c * acc_stride + v * width;
      const Batch value = overwrite ? sum[c][v] : Batch::load_unaligned(out) + sum[c][v];
      value.store_unaligned(out);
    }
  }
}

template <class T, class Arch, int C, int V>
void gradient_narrow_tile(std::size_t vectors, const T* g, std::size_t g_stride, std::size_t rows,
                          const T* x, std::size_t x_stride, T* acc, std::size_t acc_stride,
                          bool overwrite, PrefetchCursor& prefetch) {
  if constexpr (V > 0) {
    if (vectors == V) {
      gradient_tile<T, Arch, C, V>(g, g_stride, rows, x, x_stride, acc, acc_stride, overwrite,
                                   prefetch);
    } else {
      gradient_narrow_tile<T, Arch, C, V - 1>(vectors, g, g_stride, rows, x, x_stride, acc,
                                              acc_stride, overwrite, prefetch);
    }
  }
}

// C classes over all n columns: full column tiles, then narrower ones, then a scalar tail.
template <class T, class Arch, int C>
void gradient_classes(const T* g, std::size_t g_stride, std::size_t rows, const T* x,
                      std::size_t x_stride, std::size_t features, T* acc, bool overwrite,
                      PrefetchCursor& prefetch) {
  constexpr std::size_t width = xsimd::batch<T, Arch>::size;
  constexpr int V = SmallKTiles<Arch>::gradient_vectors;
  std::size_t j = 0;
  for (; j + V * width <= features; j += V * width) {
    gradient_tile<T, Arch, C, V>(g, g_stride, rows, x + j, x_stride, acc + j, features, overwrite,
                                 prefetch);
  }
  const std::size_t vectors = (features - j) / width;
  gradient_narrow_tile<T, Arch, C, V - 1>(vectors, g, g_stride, rows, x + j, x_stride, acc + j,
                                          features, overwrite, prefetch);
  for (j += vectors * width; j < features; ++j) {
    for (int c = 0; c < C; ++c) {
      T total = T(0);
      for (std::size_t i = 0; i < rows; ++i) total += g[i * g_stride + c] * x[i * x_stride + j];
      acc[c * features + j] = overwrite ? total : acc[c * features + j] + total;
    }
  }
}

template <class T, class Arch, int C>
void gradient_narrow_classes(std::size_t classes, const T* g, std::size_t g_stride,
                             std::size_t rows, const T* x, std::size_t x_stride,
                             std::size_t features, T* acc, bool overwrite,
                             PrefetchCursor& prefetch) {
  if constexpr (C > 0) {
    if (classes == C) {
      gradient_classes<T, Arch, C>(g, g_stride, rows, x, x_stride, features, acc, overwrite,
                                   prefetch);
    } else {
      gradient_narrow_classes<T, Arch, C - 1>(classes, g, g_stride, rows, x, x_stride, features,
                                              acc, overwrite, prefetch);
    }
  }
}

template <class T, class Arch>
void small_k_accumulate(const T* g, std::size_t g_stride, std::size_t rows, std::size_t classes,
                        const T* x, std::size_t x_stride, std::size_t features, T* acc,
                        bool overwrite, const void* prefetch_begin, std::size_t prefetch_bytes) {
  constexpr int C = SmallKTiles<Arch>::gradient_classes;
  const char* prefetch_start = static_cast<const char*>(prefetch_begin);
  PrefetchCursor prefetch{prefetch_start,
                          prefetch_start == nullptr ? nullptr : prefetch_start + prefetch_bytes};
  std::size_t k = 0;
  for (; k + C <= classes; k += C) {
    gradient_classes<T, Arch, C>(g + k, g_stride, rows, x, x_stride, features, acc + k * features,
                                 overwrite, prefetch);
  }
  gradient_narrow_classes<T, Arch, C - 1>(classes - k, g + k, g_stride, rows, x, x_stride, features,
                                          acc + k * features, overwrite, prefetch);
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
