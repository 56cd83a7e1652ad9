// One pass over the rows, shared by the loss-gradient and the Hessian-vector product.
//
// Per block, in one TBB task and while the block's features are in cache:
//   Z = X_blk P^T + bias   (P has `logit_columns` rows: W, or [W; V] for the Hessian)
//   loss += row_step(first_row, rows, Z)   (turns Z's first K columns into G)
//   chunk's sums += G^T X_blk, column sums of G
// Chunks run in parallel; each walks its blocks in order, and combine_chunks adds the chunks in
// order, so every result is the same for any number of threads.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "loss/blas.hpp"
#include "loss/block_plan.hpp"
#include "loss/block_products.hpp"
#include "loss/l2_penalty.hpp"
#include "loss/workspace.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

template <class T>
struct PassInput {
  const T* parameters = nullptr;  // logit_columns x features (dense); features x logit_columns
                                  // for a sparse source (FeatureSource::transposed_parameters)
  const T* bias = nullptr;        // logit_columns, or null
  std::size_t logit_columns = 0;
  std::size_t classes = 0;  // G's width: the first `classes` columns of Z
  bool accumulate = true;   // false: loss only
};

// Dense features through a BlockProducts path. The chunk's accumulator is classes x features.
template <class T>
struct DenseFeatures {
  MatrixView<const T> features;
  BlockProducts<T> products;

  static constexpr bool transposed_parameters = false;
  bool uses_blas() const { return products.uses_blas; }
  // Every block adds to its chunk's sums (loss-only passes too run chunk by chunk here).
  static constexpr bool may_run_blocks_independently = false;
  std::size_t cols() const { return features.cols(); }
  // z (rows x logit_columns, row stride z_stride) = X_blk P^T + bias.
  void logits(std::size_t begin, std::size_t rows, const PassInput<T>& input, T* z,
              std::size_t z_stride) const {
    const MatrixView<const T> x = features.row_block(begin, rows);
    products.logits(x.data(), x.stride(), rows, x.cols(), input.parameters, input.logit_columns,
                    input.bias, z, z_stride);
  }
  // sums (classes x features) = or += G^T X_blk; the next `next_rows` rows (the chunk's next
  // block, or none) are fetched into cache meanwhile.
  void accumulate(std::size_t begin, std::size_t rows, std::size_t next_rows, const T* g,
                  std::size_t g_stride, std::size_t classes, T* sums, bool overwrite) const {
    const MatrixView<const T> x = features.row_block(begin, rows);
    const T* next = next_rows == 0 ? nullptr : features.row(begin + rows);
    const std::size_t next_bytes =
        next == nullptr ? 0 : ((next_rows - 1) * x.stride() + x.cols()) * sizeof(T);
    products.accumulate(g, g_stride, rows, classes, x.data(), x.stride(), x.cols(), sums, overwrite,
                        next, next_bytes);
  }
};

// sums (classes) += each of `rows` rows of g (row stride `stride`), rows in order: a chunk's
// intercept sums, one block at a time.
template <class T>
void add_rows(const T* g, std::size_t rows, std::size_t stride, std::size_t classes, T* sums) {
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t k = 0; k < classes; ++k) sums[k] += g[i * stride + k];
}

// The chunks' losses added in chunk order: a pass's result.
template <class T>
double chunks_loss(const BlockPlan& plan, const Workspace<T>& workspace) {
  double total = 0;
  for (std::size_t chunk = 0; chunk < plan.chunks; ++chunk) total += workspace.chunk_loss[chunk];
  return total;
}

// A pass whose blocks depend on no other block (Source::blocks_independent: CSR features without
// per-chunk sums to add to, loss only or G gathered for the column-major product). Blocks then
// run in parallel, so a few chunks still use every thread, and each chunk's loss and intercept
// sums are formed afterwards in the order run_blocked_pass's chunk loop forms them: the same bits.
// The intercept sums read the gathered G rows, copies of the rows that loop would read.
template <class T, class Source, class RowStep>
double run_independent_blocks(const BlockPlan& plan, Workspace<T>& workspace, const Source& source,
                              const PassInput<T>& input, const RowStep& row_step) {
  const std::size_t classes = input.classes, columns = input.logit_columns;
  std::vector<double>& block_loss = workspace.block_loss;
  block_loss.resize(plan.blocks);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, plan.blocks, 1),
      [&](const tbb::blocked_range<std::size_t>& blocks) {
        auto z = workspace.block_logits->lend(plan.block_rows * columns);
        for (std::size_t block = blocks.begin(); block != blocks.end(); ++block) {
          const std::size_t begin = plan.block_begin(block), rows = plan.block_size(block);
          source.logits(begin, rows, input, z.data(), columns);
          block_loss[block] = row_step(begin, rows, z.data());
          if (input.accumulate)
            source.accumulate(begin, rows, 0, z.data(), columns, classes, nullptr, false);
        }
      },
      tbb::simple_partitioner());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, plan.chunks, 1),
      [&](const tbb::blocked_range<std::size_t>& chunks) {
        for (std::size_t chunk = chunks.begin(); chunk != chunks.end(); ++chunk) {
          const std::size_t first = plan.first_block(chunk), last = plan.first_block(chunk + 1);
          double loss = 0;
          for (std::size_t block = first; block < last; ++block) loss += block_loss[block];
          workspace.chunk_loss[chunk] = loss;
          if (!input.accumulate || first == last) continue;
          T* intercept_sums = workspace.intercept_sums(chunk);
          std::fill(intercept_sums, intercept_sums + classes, T(0));
          const std::size_t begin = plan.block_begin(first);
          const std::size_t end = plan.block_begin(last - 1) + plan.block_size(last - 1);
          add_rows(source.gathered_row(begin, classes), end - begin, classes, classes,
                   intercept_sums);
        }
      },
      tbb::simple_partitioner());
  return chunks_loss(plan, workspace);
}

// Returns the sum of the row steps' results, added chunk by chunk in order. `source` gives the
// block products: DenseFeatures above, or CsrFeatures (loss/csr_features.hpp).
template <class T, class Source, class RowStep>
double run_blocked_pass(const BlockPlan& plan, Workspace<T>& workspace, const Source& source,
                        const PassInput<T>& input, const RowStep& row_step) {
  if constexpr (Source::may_run_blocks_independently) {
    if (source.blocks_independent(input))
      return run_independent_blocks(plan, workspace, source, input, row_step);
  }
  std::optional<SingleThreadedBlas> single_threaded_blas;
  if (source.uses_blas()) single_threaded_blas.emplace();
  const std::size_t classes = input.classes;
  auto run_chunk = [&](std::size_t chunk) {
    // The block's logits in a buffer lent for the chunk's run (workspace.hpp's LogitBuffers).
    auto buffer = workspace.block_logits->lend(plan.block_rows * input.logit_columns);
    T* z = buffer.data();
    T* weight_sums = workspace.weight_sums(chunk);
    T* intercept_sums = workspace.intercept_sums(chunk);
    double loss = 0;
    const std::size_t first = plan.first_block(chunk), last = plan.first_block(chunk + 1);
    for (std::size_t block = first; block < last; ++block) {
      const std::size_t begin = plan.block_begin(block), rows = plan.block_size(block);
      source.logits(begin, rows, input, z, input.logit_columns);
      loss += row_step(begin, rows, z);
      if (!input.accumulate) continue;
      const bool overwrite = block == first;
      const std::size_t next_rows = block + 1 < last ? plan.block_size(block + 1) : 0;
      source.accumulate(begin, rows, next_rows, z, input.logit_columns, classes, weight_sums,
                        overwrite);
      if (overwrite) std::fill(intercept_sums, intercept_sums + classes, T(0));
      add_rows(z, rows, input.logit_columns, classes, intercept_sums);
    }
    workspace.chunk_loss[chunk] = loss;
  };
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, plan.chunks, 1),
      [&](const tbb::blocked_range<std::size_t>& chunks) {
        for (std::size_t chunk = chunks.begin(); chunk != chunks.end(); ++chunk) run_chunk(chunk);
      },
      tbb::simple_partitioner());
  return chunks_loss(plan, workspace);
}

// weights_out (classes x features) = sum over chunks (in order) of their weight sums (classes x
// features; or, with slot_of, features x classes with feature j at row slot_of[j]) + the
// penalty's gradient at `weights`;
// intercept_out likewise without the penalty (or zero without an intercept). Empty outputs are
// skipped. Parallel over elements: each element's sum has a fixed order whatever the split.
template <class T>
void combine_chunks(const BlockPlan& plan, Workspace<T>& workspace, const L2Penalty<T>& penalty,
                    const T* weights, T* weights_out, T* intercept_out, bool fit_intercept,
                    const std::int32_t* slot_of = nullptr) {
  const std::size_t classes = workspace.classes, features = workspace.features;
  const std::size_t size = classes * features;
  const std::size_t chunks = plan.chunks;
  if (weights_out != nullptr && slot_of == nullptr) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, 4096),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t e = range.begin(); e != range.end(); ++e) {
                          T total = workspace.chunk_weight_sums[e];
                          for (std::size_t c = 1; c < chunks; ++c)
                            total += workspace.chunk_weight_sums[c * size + e];
                          weights_out[e] = total + penalty.gradient(weights[e]);
                        }
                      });
  }
  if (weights_out != nullptr && slot_of != nullptr) {
    // Tiles of features: each output element adds its feature's row of each chunk in chunk
    // order; the tile's rows (tile x classes of each chunk) stay in cache while the output is
    // written transposed (classes x features), with no buffer to allocate.
    constexpr std::size_t tile = 64;
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, (features + tile - 1) / tile, 1),
        [&](const tbb::blocked_range<std::size_t>& tiles) {
          for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
            const std::size_t first = t * tile, count = std::min(tile, features - first);
            for (std::size_t k = 0; k < classes; ++k) {
              for (std::size_t j = 0; j < count; ++j) {
                const T* row = workspace.chunk_weight_sums.data() +
                               static_cast<std::size_t>(slot_of[first + j]) * classes + k;
                T total = row[0];
                for (std::size_t c = 1; c < chunks; ++c) total += row[c * size];
                const std::size_t e = k * features + first + j;
                weights_out[e] = total + penalty.gradient(weights[e]);
              }
            }
          }
        });
  }
  if (intercept_out != nullptr) {
    for (std::size_t k = 0; k < workspace.classes; ++k) {
      T total = T(0);
      for (std::size_t c = 0; c < chunks && fit_intercept; ++c)
        total += workspace.chunk_intercept_sums[c * workspace.classes + k];
      intercept_out[k] = total;
    }
  }
}

}  // namespace softmaxkit::detail
