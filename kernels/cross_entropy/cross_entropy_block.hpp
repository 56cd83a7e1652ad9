// The fused step of the loss: for a block of logit rows, the cross-entropy of each row and,
// in the same pass, the row's gradient w_i * scale * (softmax(z_i) - y_i) written over the logits.
// Internal: arguments are assumed valid (the public entry points validate them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace softmaxkit::detail {

template <class T>
struct CrossEntropyBlock {
  T* logits = nullptr;  // rows x classes, row stride `stride`; overwritten by the gradient
  std::size_t rows = 0, classes = 0, stride = 0;
  const std::int32_t* labels = nullptr;     // hard targets in [0, classes), or null
  const T* target_probabilities = nullptr;  // soft targets rows x classes, or null
  std::size_t target_stride = 0;
  const T* sample_weights = nullptr;  // null: every weight is 1
  T gradient_scale = T(1);            // multiplies every gradient row
  bool want_gradient = true;
};

// Returns sum_i w_i * CE_i for the block, accumulated in double in row order. Runs on the
// active ISA. Exactly one of labels / target_probabilities is non-null.
template <class T>
double cross_entropy_block(const CrossEntropyBlock<T>& block);

}  // namespace softmaxkit::detail
