// The buffers one LossGradient reuses across calls (sizes in regression.hpp's memory note).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "loss/block_plan.hpp"
#include "loss/l2_penalty.hpp"

namespace softmaxkit::detail {

// Buffers of one block's logits, lent to a task for a chunk's run (or a run of independent
// blocks) and returned after it, kept between calls: there are at most as many as ever ran at
// once, min(threads, chunks). One per chunk held about m x 2K elements when chunks have one
// block each (K = 8000 on 16,000 rows: 1 GB); one per thread grew with every thread that ever
// ran a pass (an audit: 24 threads calling one object in turn, 778 MB against 74 MB).
template <class T>
class LogitBuffers {
 public:
  // A buffer of at least `size` elements, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(LogitBuffers& pool, std::unique_ptr<std::vector<T>> buffer)
        : pool_(pool), buffer_(std::move(buffer)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(buffer_)); }
    T* data() { return buffer_->data(); }

   private:
    LogitBuffers& pool_;
    std::unique_ptr<std::vector<T>> buffer_;
  };

  Lease lend(std::size_t size) {
    std::unique_ptr<std::vector<T>> buffer;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        buffer = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!buffer) buffer = std::make_unique<std::vector<T>>();
    if (buffer->size() < size) buffer->resize(size);
    return Lease(*this, std::move(buffer));
  }

 private:
  void give_back(std::unique_ptr<std::vector<T>> buffer) {
    const std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(buffer));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<std::vector<T>>> free_;
};

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
  // blocks, blocked_pass.hpp's run_independent_blocks), and the blocks of logits (every pass:
  // block_rows x K elements each, or 2K with a Hessian-vector product) lent to running tasks.
  std::vector<double> block_loss;
  std::unique_ptr<LogitBuffers<T>> block_logits = std::make_unique<LogitBuffers<T>>();

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
