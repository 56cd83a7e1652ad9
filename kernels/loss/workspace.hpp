// The buffers one LossGradient reuses across calls (sizes in regression.hpp's memory note).
#pragma once

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "loss/block_plan.hpp"
#include "loss/l2_penalty.hpp"

namespace softmaxkit::detail {

template <class T>
struct Workspace {
  std::size_t classes = 0, features = 0;
  std::vector<T> chunk_weight_sums;     // chunks x (K n): each chunk's sum of G^T X_blk
  std::vector<T> chunk_intercept_sums;  // chunks x K: each chunk's column sums of G
  std::vector<double> chunk_loss;       // chunks: each chunk's sum of w_i CE_i
  // Hessian-vector only, sized at its first call: [W; V], [b; v], zero targets for softmax.
  std::vector<T> stacked_parameters, stacked_intercepts;
  // CSR features only, sized at first use: the parameters transposed (features x logit columns).
  std::vector<T> transposed_parameters;
  // The L2 penalty's sums of squares, one per tile of columns (l2_penalty.hpp).
  std::vector<double> penalty_squares;
  // Kept between calls so that steady state allocates nothing (they were made per call: an
  // audit counted 2-3 allocations per CSR evaluate): each block's loss (passes of independent
  // blocks, blocked_pass.hpp's run_independent_blocks), and each thread's block of logits (every
  // pass: block_rows x K, or 2K with a Hessian-vector product).
  std::vector<double> block_loss;
  tbb::enumerable_thread_specific<std::vector<T>> block_logits;

  Workspace() = default;
  // At least one chunk's sums: a data-parallel share without rows receives the totals there.
  // Without weight_sums (the column-major CSR product) there are no per-chunk K n sums.
  Workspace(const BlockPlan& plan, std::size_t num_classes, std::size_t num_features,
            bool with_weight_sums = true)
      : classes(num_classes),
        features(num_features),
        chunk_weight_sums(with_weight_sums
                              ? std::max<std::size_t>(plan.chunks, 1) * num_classes * num_features
                              : 0),
        chunk_intercept_sums(std::max<std::size_t>(plan.chunks, 1) * num_classes),
        chunk_loss(std::max<std::size_t>(plan.chunks, 1)),
        penalty_squares(L2Penalty<T>::tiles(num_features)) {}

  T* weight_sums(std::size_t chunk) {
    if (chunk_weight_sums.empty()) return nullptr;
    return chunk_weight_sums.data() + chunk * classes * features;
  }
  T* intercept_sums(std::size_t chunk) { return chunk_intercept_sums.data() + chunk * classes; }
};

}  // namespace softmaxkit::detail
