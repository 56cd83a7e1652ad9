// The inner steps of the CSR products (loss/csr_features.hpp), one sparse row at a time:
//   csr_row_logits:     z += sum over the row's entries e of value_e * P^T[slot(index_e), :]
//   csr_row_accumulate: S[slot(index_e), :] += value_e * g   for every entry e
//   csr_column_sums:    one feature's row of S from a column-major copy, chunk by chunk
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

#include "simd/arch.hpp"
#include "simd/partial.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

inline constexpr int kCsrTileVectors = 8;

// A tile of N vectors whose last one has `last_lanes` lanes (1..width).
template <class T, class Arch, int N>
void csr_logits_tile(const std::int32_t* indices, const T* values, std::size_t entries,
                     const std::int32_t* slot_of, const T* transposed, std::size_t columns, T* z,
                     std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch accumulator[N];
  for (int v = 0; v < N; ++v)
    accumulator[v] = load_lanes<T, Arch>(z + v * width, v + 1 < N ? width : last_lanes);
  for (std::size_t e = 0; e < entries; ++e) {
    const Batch value(values[e]);
    const T* p = transposed + static_cast<std::size_t>(slot_of[indices[e]]) * columns;
    for (int v = 0; v < N; ++v) {
      const Batch row = load_lanes<T, Arch>(p + v * width, v + 1 < N ? width : last_lanes);
      accumulator[v] = fused_multiply_add(value, row, accumulator[v]);
    }
  }
  for (int v = 0; v < N; ++v)
    store_lanes<T, Arch>(z + v * width, accumulator[v], v + 1 < N ? width : last_lanes);
}

template <class T, class Arch, int N>
void csr_accumulate_tile(const std::int32_t* indices, const T* values, std::size_t entries,
                         const std::int32_t* slot_of, const T* g, std::size_t classes, T* sums,
                         std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch gradient[N];
  for (int v = 0; v < N; ++v)
    gradient[v] = load_lanes<T, Arch>(g + v * width, v + 1 < N ? width : last_lanes);
  for (std::size_t e = 0; e < entries; ++e) {
    const Batch value(values[e]);
    T* s = sums + static_cast<std::size_t>(slot_of[indices[e]]) * classes;
    for (int v = 0; v < N; ++v) {
      const std::size_t lanes = v + 1 < N ? width : last_lanes;
      const Batch updated =
          fused_multiply_add(value, gradient[v], load_lanes<T, Arch>(s + v * width, lanes));
      store_lanes<T, Arch>(s + v * width, updated, lanes);
    }
  }
}

// One feature's column of G^T X, chunk by chunk: the entries (rows ascending, values) of one
// CSC column; chunk c holds the rows below chunk_ends[c]. Each chunk's sum starts at +0 and adds
// value * g[row * classes + :] entry by entry (fused where the ISA has it); out (classes) is
// chunk 0's sum plus chunk 1's, 2's, ... in order. These are the operations, in the same order,
// by which the row-wise csr_accumulate_tile into a chunk's zeroed sums and the chunks' ordered
// combination produce this column: the same bits.
template <class T, class Arch, int N>
void csr_column_tile(const std::int32_t* rows, const T* values, std::size_t entries,
                     const std::size_t* chunk_ends, std::size_t chunks, const T* g,
                     std::size_t classes, T* out, std::size_t last_lanes) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  Batch total[N];
  for (int v = 0; v < N; ++v) total[v] = Batch(T(0));
  std::size_t e = 0;
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    Batch sum[N];
    for (int v = 0; v < N; ++v) sum[v] = Batch(T(0));
    const auto end = chunk_ends[chunk];
    for (; e < entries && static_cast<std::size_t>(rows[e]) < end; ++e) {
      const Batch value(values[e]);
      const T* gi = g + static_cast<std::size_t>(rows[e]) * classes;
      for (int v = 0; v < N; ++v)
        sum[v] = fused_multiply_add(
            value, load_lanes<T, Arch>(gi + v * width, v + 1 < N ? width : last_lanes), sum[v]);
    }
    for (int v = 0; v < N; ++v) total[v] = chunk == 0 ? sum[v] : total[v] + sum[v];
  }
  for (int v = 0; v < N; ++v)
    store_lanes<T, Arch>(out + v * width, total[v], v + 1 < N ? width : last_lanes);
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
void csr_row_logits(const std::int32_t* indices, const T* values, std::size_t entries,
                    const std::int32_t* slot_of, const T* transposed, std::size_t columns, T* z) {
  for_each_column_tile<T, Arch>(columns, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_logits_tile<T, Arch, decltype(vectors)::value>(
        indices, values, entries, slot_of, transposed + first, columns, z + first, lanes);
  });
}

template <class T, class Arch>
void csr_row_accumulate(const std::int32_t* indices, const T* values, std::size_t entries,
                        const std::int32_t* slot_of, const T* g, std::size_t classes, T* sums) {
  for_each_column_tile<T, Arch>(classes, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_accumulate_tile<T, Arch, decltype(vectors)::value>(indices, values, entries, slot_of,
                                                           g + first, classes, sums + first, lanes);
  });
}

template <class T, class Arch>
void csr_column_sums(const std::int32_t* rows, const T* values, std::size_t entries,
                     const std::size_t* chunk_ends, std::size_t chunks, const T* g,
                     std::size_t classes, T* out) {
  for_each_column_tile<T, Arch>(classes, [&](auto vectors, std::size_t first, std::size_t lanes) {
    csr_column_tile<T, Arch, decltype(vectors)::value>(rows, values, entries, chunk_ends, chunks,
                                                       g + first, classes, out + first, lanes);
  });
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
