// CSR features as a source for the blocked pass (loss/blocked_pass.hpp): the sparse form of
// DenseFeatures, never densifying X.
//
//   logits:     z_i = b + sum over row i's entries (j, x_ij) of x_ij * P^T[j, :]
//   accumulate: S[j, :] += x_ij * g_i   for every entry, rows in order
// P^T (features x logit_columns) is the parameters transposed once per call, so both loops run
// over contiguous class vectors. Its rows, and those of S, are in `slot` order: features sorted
// by how many entries they have, most first (FeatureSlots). Text-like data are Zipf-distributed,
// so the rows most entries touch sit together and stay in cache instead of being spread over
// the whole K n table; the order is fixed by the data, so results are too. The chunk's accumulator
// S is features x classes (the transpose of the dense path's), which combine_chunks reads with
// transposed_sums. Each element of z and of S is a sum in a fixed order (entries within a row, rows
// within a chunk), so results never depend on the thread count. Cost per pass: 2 nnz K
// multiply-adds (3 nnz K for the Hessian's doubled logits), plus filling each chunk's S once.
// Without a data-parallel share the pass only gathers G here (`gathered`), and the product runs
// column-major afterwards with the same bits (loss/csr_columns.hpp); shares keep S per chunk.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "loss/blocked_pass.hpp"
#include "loss/l2_penalty.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit::detail {

// Features ordered by their number of entries (descending; ties by index): slot_of[j] is
// feature j's row in P^T and S. O(features) memory; computed once per LossGradient.
struct FeatureSlots {
  std::vector<std::int32_t> slot_of;

  FeatureSlots() = default;
  template <class T>
  explicit FeatureSlots(const CsrMatrixView<T>& features)
      : FeatureSlots(column_entries(features)) {}
  // From given entry counts per column (a data-parallel share: the counts over all shares).
  explicit FeatureSlots(std::span<const std::int64_t> counts) : slot_of(counts.size()) {
    std::vector<std::int32_t> order(counts.size());
    for (std::size_t j = 0; j < order.size(); ++j) order[j] = static_cast<std::int32_t>(j);
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return counts[static_cast<std::size_t>(a)] > counts[static_cast<std::size_t>(b)];
    });
    for (std::size_t s = 0; s < order.size(); ++s)
      slot_of[static_cast<std::size_t>(order[s])] = static_cast<std::int32_t>(s);
  }
  // Every entry's slot, in the entries' order: the kernels read it instead of looking each
  // column up in slot_of (a dependent load per entry; 5-12 % of a CSR loss and gradient).
  template <class T>
  std::vector<std::int32_t> entry_slots(const CsrMatrixView<T>& features) const {
    const auto columns = features.column_indices();
    std::vector<std::int32_t> slots(columns.size());
    for (std::size_t e = 0; e < columns.size(); ++e)
      slots[e] = slot_of[static_cast<std::size_t>(columns[e])];
    return slots;
  }
  template <class T>
  static std::vector<std::int64_t> column_entries(const CsrMatrixView<T>& features) {
    std::vector<std::int64_t> counts(features.cols(), 0);
    for (std::int32_t column : features.column_indices())
      ++counts[static_cast<std::size_t>(column)];
    return counts;
  }
  std::size_t operator()(std::int32_t column) const {
    return static_cast<std::size_t>(slot_of[static_cast<std::size_t>(column)]);
  }
};

template <class T>
struct CsrFeatures {
  CsrMatrixView<T> features;
  const std::int32_t* entry_slots = nullptr;  // FeatureSlots::entry_slots of `features`
  // Non-null: accumulate gathers each block's G rows here (rows x classes, at their row) for the
  // column-major product (loss/csr_columns.hpp) instead of adding them into the chunk's sums.
  T* gathered = nullptr;

  static constexpr bool transposed_parameters = true;
  bool uses_blas() const { return false; }
  // No per-chunk sums to add to: a loss-only pass, or G gathered (run_independent_blocks).
  static constexpr bool may_run_blocks_independently = true;
  bool blocks_independent(const PassInput<T>& input) const {
    return !input.accumulate || gathered != nullptr;
  }
  // Row `row` of the gathered G (rows x classes).
  const T* gathered_row(std::size_t row, std::size_t classes) const {
    return gathered + row * classes;
  }
  std::size_t cols() const { return features.cols(); }

  void logits(std::size_t begin, std::size_t rows, const PassInput<T>& input, T* z,
              std::size_t z_stride) const {
    const std::size_t columns = input.logit_columns;
    const auto row_logits = active_kernels<T>().csr_row_logits;
    for (std::size_t i = 0; i < rows; ++i) {
      T* zi = z + i * z_stride;
      if (input.bias != nullptr) {
        std::copy(input.bias, input.bias + columns, zi);
      } else {
        std::fill(zi, zi + columns, T(0));
      }
      const std::size_t first = features.row_begin(begin + i);
      row_logits(entry_slots + first, features.values().data() + first,
                 features.row_end(begin + i) - first, input.parameters, columns, zi);
    }
  }

  void accumulate(std::size_t begin, std::size_t rows, std::size_t /*next_rows*/, const T* g,
                  std::size_t g_stride, std::size_t classes, T* sums, bool overwrite) const {
    if (gathered != nullptr) {
      for (std::size_t i = 0; i < rows; ++i)
        std::copy(g + i * g_stride, g + i * g_stride + classes, gathered + (begin + i) * classes);
      return;
    }
    if (overwrite) std::fill(sums, sums + features.cols() * classes, T(0));
    const auto row_accumulate = active_kernels<T>().csr_row_accumulate;
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t first = features.row_begin(begin + i);
      row_accumulate(entry_slots + first, features.values().data() + first,
                     features.row_end(begin + i) - first, g + i * g_stride, classes, sums);
    }
  }
};

// parameters (rows x cols, row-major) transposed into `out` (cols x rows, column c at row
// slots(c)), in tiles of columns so the writes of a tile stay in cache; a copy, so the threads
// cannot change it. With tile_squares (L2Penalty<T>::tiles(cols) doubles), each tile's sum of
// squares (L2Penalty<T>'s order) is taken too, from the rows just written.
template <class T>
void transpose_into(const T* parameters, std::size_t rows, std::size_t cols,
                    const FeatureSlots& slots, T* out, double* tile_squares = nullptr) {
  constexpr std::size_t tile = L2Penalty<T>::kSquaresTile;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (cols + tile - 1) / tile, 1),
                    [&](const tbb::blocked_range<std::size_t>& tiles) {
                      for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
                        const std::size_t first = t * tile, last = std::min(cols, first + tile);
                        // Column by column: each output row is written whole, its slot read once;
                        // the tile's columns of `parameters` stay in L1 while they are read down.
                        for (std::size_t c = first; c < last; ++c) {
                          T* destination = out + slots(static_cast<std::int32_t>(c)) * rows;
                          const T* source = parameters + c;
                          for (std::size_t r = 0; r < rows; ++r) destination[r] = source[r * cols];
                        }
                        if (tile_squares != nullptr) {
                          // From the rows just written (in cache), in feature order.
                          tile_squares[t] = L2Penalty<T>::tile_total_by_features(
                              rows, first, last, [&](std::size_t c) {
                                return out + slots(static_cast<std::int32_t>(c)) * rows;
                              });
                        }
                      }
                    });
}

}  // namespace softmaxkit::detail
