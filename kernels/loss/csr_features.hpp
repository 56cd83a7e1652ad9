// CSR features as a source for the blocked pass (loss/blocked_pass.hpp): the sparse form of
// DenseFeatures, never densifying X.
//
//   logits:     z_i = b + sum over row i's entries (j, x_ij) of x_ij * P^T[j, :]
//   accumulate: S[j, :] += x_ij * g_i   for every entry, rows in order
// P^T (features x logit_columns) is the parameters transposed once per call, so both loops run
// over contiguous class vectors. The chunk's accumulator S is features x classes (the transpose
// of the dense path's), which combine_chunks reads with transposed_sums. Each element of z and of
// S is a sum in a fixed order (entries within a row, rows within a chunk), so results never
// depend on the thread count. Cost per pass: 2 nnz K multiply-adds (3 nnz K for the Hessian's
// doubled logits), plus filling each chunk's S once.
#pragma once

#include <algorithm>
#include <cstddef>

#include "loss/blocked_pass.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit::detail {

template <class T>
struct CsrFeatures {
  CsrMatrixView<T> features;

  static constexpr bool transposed_parameters = true;
  bool uses_blas() const { return false; }
  std::size_t cols() const { return features.cols(); }

  void logits(std::size_t begin, std::size_t rows, const PassInput<T>& input, T* z,
              std::size_t z_stride) const {
    const std::size_t columns = input.logit_columns;
    const auto indices = features.column_indices();
    const auto values = features.values();
    for (std::size_t i = 0; i < rows; ++i) {
      T* zi = z + i * z_stride;
      if (input.bias != nullptr) {
        std::copy(input.bias, input.bias + columns, zi);
      } else {
        std::fill(zi, zi + columns, T(0));
      }
      for (std::size_t k = features.row_begin(begin + i); k < features.row_end(begin + i); ++k) {
        const T value = values[k];
        const T* p = input.parameters + static_cast<std::size_t>(indices[k]) * columns;
        for (std::size_t c = 0; c < columns; ++c) zi[c] += value * p[c];
      }
    }
  }

  void accumulate(std::size_t begin, std::size_t rows, std::size_t /*next_rows*/, const T* g,
                  std::size_t g_stride, std::size_t classes, T* sums, bool overwrite) const {
    if (overwrite) std::fill(sums, sums + features.cols() * classes, T(0));
    const auto indices = features.column_indices();
    const auto values = features.values();
    for (std::size_t i = 0; i < rows; ++i) {
      const T* gi = g + i * g_stride;
      for (std::size_t k = features.row_begin(begin + i); k < features.row_end(begin + i); ++k) {
        const T value = values[k];
        T* s = sums + static_cast<std::size_t>(indices[k]) * classes;
        for (std::size_t c = 0; c < classes; ++c) s[c] += value * gi[c];
      }
    }
  }
};

// parameters (rows x cols, row-major) transposed into `out` (cols x rows).
template <class T>
void transpose_into(const T* parameters, std::size_t rows, std::size_t cols, T* out) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) out[c * rows + r] = parameters[r * cols + c];
}

}  // namespace softmaxkit::detail
