// The Hessian-vector product's row step: with p_i = softmax(z_i) in a row's first K columns
// and a_i = V x_i + v in the next K, writes r_i = w_i scale p_i (a_i - p_i . a_i) over p_i.
// In double, with m the most probable class: a_k - p . a as (a_k - a_m) + t, where
// t = sum over j != m of p_j (a_m - a_j), and p_m as 1 - (sum over j != m of p_j), so that the
// row's operator is diag(p) - p p^T for one probability vector (symmetric, its entries summing to
// 0 for any a, as CG needs). With p nearly one-hot, a_m - p . a cancelled to 0 (p_m rounding to
// 1): the largest class's entry was 0 while the others were right (an audit: logits +-20, K = 2,
// 4.2e-18 came out 0 in float and double on every ISA). Plain loops: K work per row against the
// products' K n.
#pragma once

#include <cstddef>

namespace softmaxkit::detail {

template <class T>
void hessian_rows(T* z, std::size_t stride, std::size_t rows, std::size_t classes,
                  const T* sample_weights, double scale) {
  for (std::size_t i = 0; i < rows; ++i) {
    T* p = z + i * stride;
    const T* a = p + classes;
    if (classes == 0) continue;
    std::size_t m = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (p[k] > p[m]) m = k;
    const double a_m = double(a[m]);
    double t = 0, others = 0;
    for (std::size_t k = 0; k < classes; ++k) {
      if (k == m) continue;
      t += double(p[k]) * (a_m - double(a[k]));
      others += double(p[k]);
    }
    const double row_scale = (sample_weights == nullptr ? 1.0 : double(sample_weights[i])) * scale;
    for (std::size_t k = 0; k < classes; ++k) {
      const double p_k = k == m ? 1.0 - others : double(p[k]);
      p[k] = static_cast<T>(row_scale * p_k * ((double(a[k]) - a_m) + t));
    }
  }
}

}  // namespace softmaxkit::detail
