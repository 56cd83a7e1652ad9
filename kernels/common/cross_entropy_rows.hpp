// The one description of a block of cross-entropy rows, shared by the public cross_entropy
// (kernels/cross_entropy.cpp), the loss engine (kernels/loss/) and the per-ISA body
// (kernels/simd/cross_entropy.hpp), which it reaches through the kernel table.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace softmaxkit::detail
