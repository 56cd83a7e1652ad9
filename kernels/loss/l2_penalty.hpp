// The L2 term of the objective: value (l2 / 2) ||W||^2 and gradient (or Hessian-vector term)
// l2 W; the intercept is never penalised. The one place the loss engine computes either.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <span>

namespace softmaxkit::detail {

template <class T>
struct L2Penalty {
  // The sum of squares of W (K x n, row-major) runs over tiles of kSquaresTile columns: a tile's
  // elements row by row, into kSquaresLanes running sums (column first + 8 i + l into lane l),
  // the lanes added pairwise; then the tiles' sums in tile order. The same value for any thread
  // count. Tiles because CSR features transpose W tile by tile every call and take the tile's
  // squares while it is in cache (csr_features.hpp's transpose_into); one serial chain of
  // additions over all K n weights had been 6 % of a CSR loss and gradient on rcv1's shape.
  static constexpr std::size_t kSquaresTile = 64, kSquaresLanes = 8;

  double l2 = 0;

  static std::size_t tiles(std::size_t cols) { return (cols + kSquaresTile - 1) / kSquaresTile; }

  // Columns [first, last) (at most one tile) of weights (rows x cols): their sum of squares in
  // double, in the order above.
  static double tile_squares(const T* weights, std::size_t rows, std::size_t cols,
                             std::size_t first, std::size_t last) {
    double lanes[kSquaresLanes] = {};
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = weights + r * cols;
      for (std::size_t c = first; c < last; c += kSquaresLanes) {
        const std::size_t count = std::min(kSquaresLanes, last - c);
        for (std::size_t lane = 0; lane < count; ++lane)
          lanes[lane] += double(row[c + lane]) * double(row[c + lane]);
      }
    }
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
           ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  }
  // The value from every tile's sum of squares (tiles(cols) of them).
  double value_of_tiles(std::span<const double> tile_sums) const {
    double squares = 0;
    for (double sum : tile_sums) squares += sum;
    return 0.5 * l2 * squares;
  }
  // The value at weights (rows x cols); `scratch` holds at least tiles(cols) doubles.
  double value(const T* weights, std::size_t rows, std::size_t cols,
               std::span<double> scratch) const {
    const std::size_t count = tiles(cols);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t t = range.begin(); t != range.end(); ++t) {
                          const std::size_t first = t * kSquaresTile;
                          scratch[t] = tile_squares(weights, rows, cols, first,
                                                    std::min(cols, first + kSquaresTile));
                        }
                      });
    return value_of_tiles(scratch.first(count));
  }
  // d/dW of the value at `weight`, in T (added to the data term in combine_chunks).
  T gradient(T weight) const { return static_cast<T>(l2) * weight; }
};

}  // namespace softmaxkit::detail
