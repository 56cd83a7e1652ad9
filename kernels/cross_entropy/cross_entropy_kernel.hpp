// Declaration of the per-ISA cross-entropy kernel (loss and fused gradient over a block of rows);
// the body is cross_entropy_simd.hpp, instantiated in cross_entropy_<isa>.cpp. Both the public
// cross_entropy and detail::cross_entropy_block run through it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

// Arguments are valid (checked at the public boundary). Per row i, with target q_i (one-hot of
// labels[i], or the soft-target row), smoothed to (1 - eps) q_i + eps / K, class weights c:
//   a_i = c * q_i,  A_i = sum_k a_ik,  row weight w_i = sample weight (times c_{y_i} on the
//   sparse path, where a_i = e_{y_i})
//   loss_i = sum_k a_ik (log-sum-exp(z_i) - z_ik)     (terms with a_ik = 0 skipped)
//   gradient_i = w_i * gradient_scale * (A_i softmax(z_i) - a_i)
template <class T>
struct CrossEntropyRows {
  const T* logits = nullptr;  // rows x classes
  std::size_t logits_stride = 0;
  T* gradient = nullptr;  // null: no gradient; may equal logits (same stride): in place
  std::size_t gradient_stride = 0;
  std::size_t rows = 0, classes = 0;
  const std::int32_t* labels = nullptr;  // hard targets, or null
  const T* targets = nullptr;            // soft targets rows x classes, or null
  std::size_t targets_stride = 0;
  const T* class_weights = nullptr;   // classes, or null (all 1)
  const T* sample_weights = nullptr;  // rows, or null (all 1)
  bool has_ignore_index = false;      // rows with labels[i] == ignore_index: loss 0, gradient 0
  std::int32_t ignore_index = 0;
  T label_smoothing = 0;  // eps; the dense path uses keep and spread below
  T label_keep = 1;       // 1 - eps, rounded once from double (1 - eps in T would carry eps's
  T label_spread = 0;     // rounding: 5e-6 relative at eps = 0.99 in float); eps / classes
  T gradient_scale = 1;
  T* losses = nullptr;  // rows: w_i * loss_i, or null
};

// The sparse paths' weighted row loss s (c L), L = (max - target logit) + log_sum: the loss
// before the sample weight, c L, is what overflows (+inf) when beyond the range, whatever s.
// float: all in double, which float logits cannot overflow. double: from the halves max/2 -
// target/2 (exact), so a difference beyond the range (logits near +-DBL_MAX) does not overflow
// when c L does not. A zero class weight removes the target's term (terms with c_k q_k = 0 are
// skipped), even a masked target's (0 * inf); log_sum keeps a +inf / NaN row NaN.
template <class T>
double sparse_row_loss(T max, T target_logit, double log_sum, T sample_weight, T class_weight) {
  const double s = static_cast<double>(sample_weight), c = static_cast<double>(class_weight);
  if (class_weight == T(0)) return s * (0.0 * log_sum);
  if constexpr (sizeof(T) < sizeof(double)) {
    return s * (c * ((static_cast<double>(max) - static_cast<double>(target_logit)) + log_sum));
  } else {
    return s * ((c * ((0.5 * max - 0.5 * target_logit) + 0.5 * log_sum)) * 2.0);
  }
}

template <Isa isa>
struct CrossEntropyKernel {
  // Returns sum_i w_i * loss_i, accumulated in double in row order.
  static double apply(const CrossEntropyRows<float>& rows);
  static double apply(const CrossEntropyRows<double>& rows);
};

}  // namespace softmaxkit::detail
