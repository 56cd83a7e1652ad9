// The two implementations of BlockProducts.
#include "loss/block_products.hpp"

#include <algorithm>

#include "dispatch/kernel_table.hpp"
#include "loss/blas.hpp"

namespace softmaxkit::detail {
namespace {

template <class T>
void blas_logits(const T* x, std::size_t x_stride, std::size_t rows, std::size_t features,
                 const T* p, std::size_t classes, const T* bias, T* z, std::size_t z_stride) {
  T beta = T(0);
  if (bias != nullptr) {  // z = bias + x p^T: start z at the bias and let gemm add
    for (std::size_t i = 0; i < rows; ++i) std::copy(bias, bias + classes, z + i * z_stride);
    beta = T(1);
  }
  gemm(false, true, rows, classes, features, T(1), x, x_stride, p, features, beta, z, z_stride);
}

template <class T>
void blas_accumulate(const T* g, std::size_t g_stride, std::size_t rows, std::size_t classes,
                     const T* x, std::size_t x_stride, std::size_t features, T* acc, bool overwrite,
                     const void* /*prefetch: OpenBLAS packs its own panels*/, std::size_t) {
  gemm(true, false, classes, features, rows, T(1), g, g_stride, x, x_stride,
       overwrite ? T(0) : T(1), acc, features);
}

}  // namespace

template <class T>
BlockProducts<T> blas_block_products() {
  return {&blas_logits<T>, &blas_accumulate<T>, true};
}

template <class T>
BlockProducts<T> small_k_block_products() {
  const TypedKernels<T>& kernels = active_kernels<T>();
  return {kernels.small_k_logits, kernels.small_k_accumulate, false};
}

template BlockProducts<float> blas_block_products<float>();
template BlockProducts<double> blas_block_products<double>();
template BlockProducts<float> small_k_block_products<float>();
template BlockProducts<double> small_k_block_products<double>();

}  // namespace softmaxkit::detail
