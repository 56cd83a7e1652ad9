// The gradient's product S = G^T X on CSR features from a column-major copy of X (without a
// data-parallel share): each feature's K sums run over its column's entries, chunk by chunk of
// the fixed grid, and the chunks' sums are added in order in registers, so S has the bits of the
// chunked scheme (csr_features.hpp's accumulate into each chunk's n x K partial sums, then
// combine_chunks) without its chunks x K x n partial sums being zeroed, written and read back
// every pass. Features run in parallel; each result is a sum in a fixed order, so the thread
// count does not matter. bench/bench_csr_transposed_product.cpp measures the two schemes.
//
// Memory: the copy, nnz * (4 + sizeof(T)) + (n + 1) * 8 bytes, built once per LossGradient, and
// G for every row (m x K elements), which the pass gathers block by block.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "loss/block_plan.hpp"
#include "loss/l2_penalty.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit::detail {

template <class T>
struct CsrColumns {
  std::vector<std::int64_t> offsets;  // n + 1: column j's entries are [offsets[j], offsets[j + 1])
  std::vector<std::int32_t> rows;     // ascending within a column
  std::vector<T> values;
  std::vector<std::size_t> chunk_ends;  // the grid's chunks: chunk c holds rows below entry c

  CsrColumns() = default;
  CsrColumns(const CsrMatrixView<T>& features, const BlockPlan& plan)
      : offsets(features.cols() + 1, 0), rows(features.nnz()), values(features.nnz()) {
    const auto columns = features.column_indices();
    const auto source = features.values();
    for (std::int32_t column : columns) ++offsets[static_cast<std::size_t>(column) + 1];
    for (std::size_t j = 0; j < features.cols(); ++j) offsets[j + 1] += offsets[j];
    std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::size_t i = 0; i < features.rows(); ++i) {
      for (std::size_t e = features.row_begin(i); e < features.row_end(i); ++e) {
        const auto slot = static_cast<std::size_t>(next[static_cast<std::size_t>(columns[e])]++);
        rows[slot] = static_cast<std::int32_t>(i);
        values[slot] = source[e];
      }
    }
    const std::vector<std::size_t> starts = chunk_row_starts(plan);
    chunk_ends.assign(starts.begin() + 1, starts.end());
  }
};

// weights_out (classes x features) = S^T + the penalty's gradient at `weights`, S's row j from
// column j's entries and g (rows x classes).
template <class T>
void column_major_weight_gradient(const CsrColumns<T>& columns, const T* g, std::size_t classes,
                                  const L2Penalty<T>& penalty, const T* weights, T* weights_out) {
  const std::size_t features = columns.offsets.size() - 1;
  const auto column_sums = active_kernels<T>().csr_column_sums;
  constexpr std::size_t tile = 64;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (features + tile - 1) / tile, 1),
                    [&](const tbb::blocked_range<std::size_t>& tiles) {
                      std::vector<T> sums(tile * classes);
                      for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
                        const std::size_t first = t * tile;
                        const std::size_t count = std::min(tile, features - first);
                        for (std::size_t j = 0; j < count; ++j) {
                          const auto begin = static_cast<std::size_t>(columns.offsets[first + j]);
                          const auto end = static_cast<std::size_t>(columns.offsets[first + j + 1]);
                          column_sums(columns.rows.data() + begin, columns.values.data() + begin,
                                      end - begin, columns.chunk_ends.data(),
                                      columns.chunk_ends.size(), g, classes,
                                      sums.data() + j * classes);
                        }
                        for (std::size_t k = 0; k < classes; ++k) {
                          for (std::size_t j = 0; j < count; ++j) {
                            const std::size_t e = k * features + first + j;
                            weights_out[e] = sums[j * classes + k] + penalty.gradient(weights[e]);
                          }
                        }
                      }
                    });
}

}  // namespace softmaxkit::detail
