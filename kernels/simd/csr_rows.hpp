// The inner steps of the CSR products (loss/csr_features.hpp), one sparse row at a time:
//   csr_row_logits:     z += sum over the row's entries e of value_e * P^T[slot_e, :]
//   csr_row_accumulate: S[slot_e, :] += value_e * g   for every entry e
//   csr_segment_sums:   features' entries in one chunk of rows, each joined to its row of S
// P^T and S have `columns` (`classes`) contiguous elements per row. Columns are walked in tiles
// of up to kCsrTileVectors vectors held in registers: z's tile (logits) or g's tile (accumulate)
// stays in registers across the row's entries, so only P^T rows are loaded and S rows updated.
// Each element is a sum over the row's entries in order, fused multiply-add where the ISA has
// it: deterministic per ISA, independent of threads and of where the row sits.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "common/segment_join.hpp"
#include "simd/arch.hpp"
#include "simd/partial.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

using softmaxkit::detail::SegmentJoin;

inline constexpr int kCsrTileVectors = 8;

// A tile of N vectors whose last one has `last_lanes` lanes (1..width).
template <class T, class Arch, int N>
void csr_logits_tile(const std::int32_t* slots, const T* values, std::size_t entries,
                     const T* transposed, std::size_t columns, T* z, std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch accumulator[N];
  for (int v = 0; v < N; ++v)
    accumulator[v] = load_lanes<T, Arch>(z + v * width, v + 1 < N ? width : last_lanes);
  for (std::size_t e = 0; e < entries; ++e) {
    const Batch value(values[e]);
    const T* p = transposed + static_cast<std::size_t>(slots[e]) * columns;
    for (int v = 0; v < N; ++v) {
      const Batch row = load_lanes<T, Arch>(p + v * width, v + 1 < N ? width : last_lanes);
      accumulator[v] = fused_multiply_add(value, row, accumulator[v]);
    }
  }
  for (int v = 0; v < N; ++v)
    store_lanes<T, Arch>(z + v * width, accumulator[v], v + 1 < N ? width : last_lanes);
}

template <class T, class Arch, int N>
void csr_accumulate_tile(const std::int32_t* slots, const T* values, std::size_t entries,
                         const T* g, std::size_t classes, T* sums, std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch gradient[N];
  for (int v = 0; v < N; ++v)
    gradient[v] = load_lanes<T, Arch>(g + v * width, v + 1 < N ? width : last_lanes);
  for (std::size_t e = 0; e < entries; ++e) {
    const Batch value(values[e]);
    T* s = sums + static_cast<std::size_t>(slots[e]) * classes;
    for (int v = 0; v < N; ++v) {
      const std::size_t lanes = v + 1 < N ? width : last_lanes;
      const Batch updated =
          fused_multiply_add(value, gradient[v], load_lanes<T, Arch>(s + v * width, lanes));
      store_lanes<T, Arch>(s + v * width, updated, lanes);
    }
  }
}

// Segments [0, count): segment s is one feature's entries within one chunk of rows, entries
// [segment_begin[s], segment_begin[s + 1]) of rows (ascending) and values. Each segment's sum,
// from +0, of value * g[row * classes + :] entry by entry (fused where the ISA has it) is joined
// to its feature's running total, totals[segment_feature[s] * classes + :], as segment_join[s] says
// (common/segment_join.hpp). These are the operations, in the same order, by which the
// row-wise csr_accumulate_tile into a chunk's zeroed sums and the chunks' ordered combination
// produce the feature's row of S: the same bits.
template <class T, class Arch, int N>
void csr_segments_tile(const std::int64_t* segment_begin, const std::int32_t* segment_feature,
                       const SegmentJoin* segment_join, std::size_t count, const std::int32_t* rows,
                       const T* values, const T* g, std::size_t classes, T* totals,
                       std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  constexpr T kJoinFill[4] = {T(-0.0), T(0), T(0), T(0)};
  constexpr T kJoinAddend[4] = {T(-0.0), T(-0.0), T(0), T(-0.0)};
  constexpr T kJoinReadsTotal[4] = {T(0), T(0), T(1), T(1)};
  static_assert(static_cast<int>(SegmentJoin::after_empty) == 2 &&
                static_cast<int>(SegmentJoin::next) == 3);
  for (std::size_t s = 0; s < count; ++s) {
    Batch sum[N];
    for (int v = 0; v < N; ++v) sum[v] = Batch(T(0));
    const auto end = static_cast<std::size_t>(segment_begin[s + 1]);
    for (auto e = static_cast<std::size_t>(segment_begin[s]); e < end; ++e) {
      const Batch value(values[e]);
      const T* gi = g + static_cast<std::size_t>(rows[e]) * classes;
      for (int v = 0; v < N; ++v)
        sum[v] = fused_multiply_add(
            value, load_lanes<T, Arch>(gi + v * width, v + 1 < N ? width : last_lanes), sum[v]);
    }
    T* total = totals + static_cast<std::size_t>(segment_feature[s]) * classes;
    // The join without a branch: base + sum, the base -0 for `first` (-0 + sum is sum, bit for
    // bit), +0 for `first_after_empty`, the total for `next` (total + -0 is the total) and
    // total + 0 for `after_empty`. The total is read in every case (it is allocated).
    const auto join = static_cast<unsigned>(segment_join[s]);
    const Batch fill(kJoinFill[join]), addend(kJoinAddend[join]);
    const auto reads_total = Batch(kJoinReadsTotal[join]) != Batch(T(0));
    for (int v = 0; v < N; ++v) {
      const std::size_t lanes = v + 1 < N ? width : last_lanes;
      const Batch base =
          xsimd::select(reads_total, load_lanes<T, Arch>(total + v * width, lanes), fill) + addend;
      store_lanes<T, Arch>(total + v * width, base + sum[v], lanes);
    }
  }
}

// Calls tile<N>(offset, last_lanes) over [0, count) in tiles of up to kCsrTileVectors vectors.
template <class T, class Arch, class Tile>
void for_each_column_tile(std::size_t count, const Tile& tile) {
  constexpr std::size_t width = xsimd::batch<T, Arch>::size;
  for (std::size_t first = 0; first < count; first += kCsrTileVectors * width) {
    const std::size_t lanes = std::min(count - first, kCsrTileVectors * width);
    const std::size_t vectors = (lanes + width - 1) / width;
    const std::size_t last_lanes = lanes - (vectors - 1) * width;
    switch (vectors) {
      case 1:
        tile(std::integral_constant<int, 1>{}, first, last_lanes);
        break;
      case 2:
        tile(std::integral_constant<int, 2>{}, first, last_lanes);
        break;
      case 3:
        tile(std::integral_constant<int, 3>{}, first, last_lanes);
        break;
      case 4:
        tile(std::integral_constant<int, 4>{}, first, last_lanes);
        break;
      case 5:
        tile(std::integral_constant<int, 5>{}, first, last_lanes);
        break;
      case 6:
        tile(std::integral_constant<int, 6>{}, first, last_lanes);
        break;
      case 7:
        tile(std::integral_constant<int, 7>{}, first, last_lanes);
        break;
      default:
        tile(std::integral_constant<int, 8>{}, first, last_lanes);
        break;
    }
  }
}

template <class T, class Arch>
void csr_row_logits(const std::int32_t* slots, const T* values, std::size_t entries,
                    const T* transposed, std::size_t columns, T* z) {
  for_each_column_tile<T, Arch>(columns, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_logits_tile<T, Arch, decltype(vectors)::value>(slots, values, entries, transposed + first,
                                                       columns, z + first, lanes);
  });
}

template <class T, class Arch>
void csr_row_accumulate(const std::int32_t* slots, const T* values, std::size_t entries, const T* g,
                        std::size_t classes, T* sums) {
  for_each_column_tile<T, Arch>(classes, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_accumulate_tile<T, Arch, decltype(vectors)::value>(slots, values, entries, g + first,
                                                           classes, sums + first, lanes);
  });
}

template <class T, class Arch>
void csr_segment_sums(const std::int64_t* segment_begin, const std::int32_t* segment_feature,
                      const SegmentJoin* segment_join, std::size_t count, const std::int32_t* rows,
                      const T* values, const T* g, std::size_t classes, T* totals) {
  for_each_column_tile<T, Arch>(classes, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_segments_tile<T, Arch, decltype(vectors)::value>(segment_begin, segment_feature,
                                                         segment_join, count, rows, values,
                                                         g + first, classes, totals + first, lanes);
  });
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
