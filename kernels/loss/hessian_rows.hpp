// The Hessian-vector product's row step: with p_i = softmax(z_i) in a row's first K columns
// and a_i = V x_i + v in the next K, writes r_i = w_i scale p_i (a_i - p_i . a_i) over p_i.
// p_i . a_i is accumulated in double. Plain loops: K work per row against the products' K n.
#pragma once

#include <cstddef>

namespace softmaxkit::detail {

template <class T>
void hessian_rows(T* z, std::size_t stride, std::size_t rows, std::size_t classes,
                  const T* sample_weights, double scale) {
  for (std::size_t i = 0; i < rows; ++i) {
    T* p = z + i * stride;
    const T* a = p + classes;
    double dot = 0;
    for (std::size_t k = 0; k < classes; ++k) dot += double(p[k]) * double(a[k]);
    const double row_scale = (sample_weights == nullptr ? 1.0 : double(sample_weights[i])) * scale;
    for (std::size_t k = 0; k < classes; ++k)
      p[k] = static_cast<T>(row_scale * double(p[k]) * (double(a[k]) - dot));
  }
}

}  // namespace softmaxkit::detail
