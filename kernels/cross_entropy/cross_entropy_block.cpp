// The fused cross-entropy block: the active ISA's SIMD kernel, in place over the logits.
// Allocation-free; a row's results do not depend on its position in the block.
#include "cross_entropy/cross_entropy_block.hpp"

#include "cross_entropy/cross_entropy_dispatch.hpp"

namespace softmaxkit::detail {

template <class T>
double cross_entropy_block(const CrossEntropyBlock<T>& block) {
  CrossEntropyRows<T> rows;
  rows.logits = block.logits;
  rows.logits_stride = block.stride;
  rows.gradient = block.want_gradient ? block.logits : nullptr;
  rows.gradient_stride = block.stride;
  rows.rows = block.rows;
  rows.classes = block.classes;
  rows.labels = block.labels;
  rows.targets = block.target_probabilities;
  rows.targets_stride = block.target_stride;
  rows.sample_weights = block.sample_weights;
  rows.gradient_scale = block.gradient_scale;
  return cross_entropy_rows(rows);
}

template double cross_entropy_block<float>(const CrossEntropyBlock<float>&);
template double cross_entropy_block<double>(const CrossEntropyBlock<double>&);

}  // namespace softmaxkit::detail
