// A block's two matrix products, by OpenBLAS or by the small-K SIMD kernel, behind one pair of
// function pointers so the blocked pass does not care which (signatures as SmallKGemmKernel).
#pragma once

#include <cstddef>

namespace softmaxkit::detail {

template <class T>
struct BlockProducts {
  using Logits = void (*)(const T* x, std::size_t x_stride, std::size_t rows, std::size_t features,
                          const T* p, std::size_t classes, const T* bias, T* z,
                          std::size_t z_stride);
  using Accumulate = void (*)(const T* g, std::size_t g_stride, std::size_t rows,
                              std::size_t classes, const T* x, std::size_t x_stride,
                              std::size_t features, T* acc, bool overwrite, const void* prefetch,
                              std::size_t prefetch_bytes);
  Logits logits = nullptr;
  Accumulate accumulate = nullptr;
  bool uses_blas = false;
};

// OpenBLAS gemm; the caller keeps OpenBLAS single-threaded while blocks run (SingleThreadedBlas).
template <class T>
BlockProducts<T> blas_block_products();
// SmallKGemmKernel for the active ISA.
template <class T>
BlockProducts<T> small_k_block_products();

}  // namespace softmaxkit::detail
