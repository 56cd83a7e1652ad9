// The gradient's product S = G^T X on CSR features from a column-major copy of X (without a
// data-parallel share), chunk by chunk of the fixed grid: for each chunk in order, and in
// parallel over features within it, each feature's entries in the chunk (a segment) are summed
// from +0 and joined to the feature's running total (common/segment_join.hpp). Every element of
// S is then each chunk's sum added in chunk order: the bits of the chunked scheme
// (csr_features.hpp's accumulate into each chunk's n x K partial sums, then combine_chunks)
// without those partial sums being zeroed, written and read back every pass. Walking chunk by
// chunk keeps one chunk's G rows (its rows x K elements) in cache while every feature reads them;
// a feature-by-feature walk over all the chunks read G rows scattered over all m x K. The totals
// are in feature order, so each chunk's walk writes them in order and the final transposition
// into K x n reads them in order. Each result is a sum in a fixed order, so the thread count
// does not matter.
// bench/bench_csr_transposed_product.cpp measures the schemes.
//
// Memory, built once per LossGradient: the copy, nnz * (4 + sizeof(T)) bytes; its segments, at
// most min(nnz, chunks * n) of 13 bytes; n * 4 bytes of last chunks; the totals, n x K elements;
// and G for every row (m x K elements), which the pass gathers block by block. Building it takes
// nnz * (8 + sizeof(T)) + (n + 1) * 16 + m bytes more for a moment (problem_checks.hpp's
// check_column_copy_fits counts all of it).
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/segment_join.hpp"
#include "dispatch/kernel_table.hpp"
#include "loss/block_plan.hpp"
#include "loss/l2_penalty.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit::detail {

template <class T>
struct CsrColumns {
  std::size_t chunks = 0;
  std::vector<std::size_t> chunk_segments;  // chunks + 1: chunk c's segments
  std::vector<std::int32_t> segment_feature;
  std::vector<SegmentJoin> segment_join;
  std::vector<std::int64_t> segment_begin;  // segments + 1: segment s's entries
  std::vector<std::int32_t> rows;           // by chunk, then feature, then row
  std::vector<T> values;
  std::vector<std::int32_t> last_chunk;  // by feature: the last chunk with entries, or -1

  CsrColumns() = default;
  CsrColumns(const CsrMatrixView<T>& features, const BlockPlan& plan) {
    static_assert(kMaxChunks <= 255, "a row's chunk is kept in one byte");
    const std::size_t n = features.cols(), m = features.rows(), nnz = features.nnz();
    const auto columns = features.column_indices();
    const auto source = features.values();
    const std::vector<std::size_t> starts = chunk_row_starts(plan);
    chunks = starts.size() - 1;
    std::vector<std::uint8_t> row_chunk(m);
    std::vector<std::int64_t> chunk_entries(chunks + 1, 0);
    for (std::size_t c = 0; c < chunks; ++c) {
      for (std::size_t i = starts[c]; i < starts[c + 1]; ++i)
        row_chunk[i] = static_cast<std::uint8_t>(c);
      chunk_entries[c + 1] =
          chunk_entries[c] + static_cast<std::int64_t>(features.row_begin(starts[c + 1]) -
                                                       features.row_begin(starts[c]));
    }
    // By feature, rows ascending (a counting sort), then stably by chunk: chunk, feature, row.
    rows.resize(nnz);
    values.resize(nnz);
    std::vector<std::int32_t> entry_feature(nnz);
    {
      std::vector<std::int64_t> column_begin(n + 1, 0);
      for (std::int32_t column : columns) ++column_begin[static_cast<std::size_t>(column) + 1];
      for (std::size_t j = 0; j < n; ++j) column_begin[j + 1] += column_begin[j];
      std::vector<std::int32_t> by_column_rows(nnz);
      std::vector<T> by_column_values(nnz);
      std::vector<std::int64_t> next(column_begin.begin(), column_begin.end() - 1);
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t e = features.row_begin(i); e < features.row_end(i); ++e) {
          const auto at = static_cast<std::size_t>(next[static_cast<std::size_t>(columns[e])]++);
          by_column_rows[at] = static_cast<std::int32_t>(i);
          by_column_values[at] = source[e];
        }
      }
      next.assign(chunk_entries.begin(), chunk_entries.end() - 1);
      for (std::size_t j = 0; j < n; ++j) {
        for (auto e = static_cast<std::size_t>(column_begin[j]);
             e < static_cast<std::size_t>(column_begin[j + 1]); ++e) {
          const auto row = static_cast<std::size_t>(by_column_rows[e]);
          const auto at = static_cast<std::size_t>(next[row_chunk[row]]++);
          rows[at] = by_column_rows[e];
          values[at] = by_column_values[e];
          entry_feature[at] = static_cast<std::int32_t>(j);
        }
      }
    }
    // Segments: runs of one feature within a chunk (counted first, to allocate them exactly),
    // joined by their feature's previous chunk with entries.
    auto starts_segment = [&](std::size_t c, std::size_t e) {
      return e == static_cast<std::size_t>(chunk_entries[c]) ||
             entry_feature[e] != entry_feature[e - 1];
    };
    std::size_t segments = 0;
    for (std::size_t c = 0; c < chunks; ++c)
      for (auto e = static_cast<std::size_t>(chunk_entries[c]);
           e < static_cast<std::size_t>(chunk_entries[c + 1]); ++e)
        segments += starts_segment(c, e) ? 1 : 0;
    segment_feature.reserve(segments);
    segment_join.reserve(segments);
    segment_begin.reserve(segments + 1);
    last_chunk.assign(n, -1);
    chunk_segments.assign(chunks + 1, 0);
    for (std::size_t c = 0; c < chunks; ++c) {
      for (auto e = static_cast<std::size_t>(chunk_entries[c]);
           e < static_cast<std::size_t>(chunk_entries[c + 1]); ++e) {
        if (!starts_segment(c, e)) continue;
        const auto feature = static_cast<std::size_t>(entry_feature[e]);
        const std::int32_t last = last_chunk[feature];
        const auto chunk = static_cast<std::int32_t>(c);
        segment_join.push_back(
            last < 0 ? (c == 0 ? SegmentJoin::first : SegmentJoin::first_after_empty)
                     : (last + 1 == chunk ? SegmentJoin::next : SegmentJoin::after_empty));
        last_chunk[feature] = chunk;
        segment_feature.push_back(entry_feature[e]);
        segment_begin.push_back(static_cast<std::int64_t>(e));
      }
      chunk_segments[c + 1] = segment_feature.size();
    }
    segment_begin.push_back(static_cast<std::int64_t>(nnz));
  }
};

// totals (features x classes) = each chunk's segment sums joined in chunk order, through
// `segment_sums` (an ISA's csr_segment_sums); a feature's total is its row of S after
// finish_total.
template <class T>
void sum_segments(const CsrColumns<T>& columns,
                  decltype(TypedKernels<T>::csr_segment_sums) segment_sums, const T* g,
                  std::size_t classes, T* totals) {
  for (std::size_t c = 0; c < columns.chunks; ++c) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(columns.chunk_segments[c],
                                                      columns.chunk_segments[c + 1], 64),
                      [&](const tbb::blocked_range<std::size_t>& segments) {
                        const std::size_t s = segments.begin();
                        segment_sums(
                            columns.segment_begin.data() + s, columns.segment_feature.data() + s,
                            columns.segment_join.data() + s, segments.size(), columns.rows.data(),
                            columns.values.data(), g, classes, totals);
                      });
  }
}

// Makes `feature`'s total (classes, in place) its row of S: chunks after its last one with
// entries add +0 (once is enough: common/segment_join.hpp); without entries it is +0.
template <class T>
void finish_total(const CsrColumns<T>& columns, std::size_t feature, T* total,
                  std::size_t classes) {
  const std::int32_t last = columns.last_chunk[feature];
  if (last < 0) {
    std::fill(total, total + classes, T(0));
  } else if (static_cast<std::size_t>(last) + 1 < columns.chunks) {
    for (std::size_t k = 0; k < classes; ++k) total[k] = total[k] + T(0);
  }
}

// weights_out (classes x features) = S^T + the penalty's gradient at `weights`, S from the
// copy's segments and g (rows x classes); totals (features x classes) is scratch.
template <class T>
void column_major_weight_gradient(const CsrColumns<T>& columns, const T* g, std::size_t classes,
                                  const L2Penalty<T>& penalty, const T* weights, T* totals,
                                  T* weights_out) {
  const std::size_t features = columns.last_chunk.size();
  sum_segments(columns, active_kernels<T>().csr_segment_sums, g, classes, totals);
  constexpr std::size_t tile = 64;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (features + tile - 1) / tile, 1),
                    [&](const tbb::blocked_range<std::size_t>& tiles) {
                      for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
                        const std::size_t first = t * tile;
                        const std::size_t count = std::min(tile, features - first);
                        T* sums = totals + first * classes;
                        for (std::size_t j = 0; j < count; ++j)
                          finish_total(columns, first + j, sums + j * classes, classes);
                        for (std::size_t k = 0; k < classes; ++k) {
                          for (std::size_t j = 0; j < count; ++j) {
                            const std::size_t e = k * features + first + j;
                            weights_out[e] = sums[j * classes + k] + penalty.gradient(weights[e]);
                          }
                        }
                      }
                    });
}

// The same with weights and weights_out features x classes (WeightLayout::features_by_classes):
// the totals are summed in weights_out itself, which is then S + the penalty's gradient, the
// bits above transposed, with neither scratch totals nor a transposition. With tile_squares
// (L2Penalty<T>::tiles(features) doubles) each tile's sum of squares of the weights is taken
// too, while its rows are in cache for the penalty's gradient.
template <class T>
void column_major_weight_gradient_by_features(const CsrColumns<T>& columns, const T* g,
                                              std::size_t classes, const L2Penalty<T>& penalty,
                                              const T* weights, T* weights_out,
                                              double* tile_squares = nullptr) {
  const std::size_t features = columns.last_chunk.size();
  sum_segments(columns, active_kernels<T>().csr_segment_sums, g, classes, weights_out);
  constexpr std::size_t tile = L2Penalty<T>::kSquaresTile;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, L2Penalty<T>::tiles(features), 1),
                    [&](const tbb::blocked_range<std::size_t>& tiles) {
                      for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
                        const std::size_t first = t * tile;
                        const std::size_t last = std::min(features, first + tile);
                        for (std::size_t j = first; j < last; ++j) {
                          T* total = weights_out + j * classes;
                          finish_total(columns, j, total, classes);
                          const T* w = weights + j * classes;
                          for (std::size_t k = 0; k < classes; ++k)
                            total[k] = total[k] + penalty.gradient(w[k]);
                        }
                        // The tile's weights, just read, are still in cache.
                        if (tile_squares != nullptr) {
                          tile_squares[t] = L2Penalty<T>::tile_total_by_features(
                              classes, first, last,
                              [&](std::size_t j) { return weights + j * classes; });
                        }
                      }
                    });
}

}  // namespace softmaxkit::detail
