// The L2 term of the objective: value (l2 / 2) ||W||^2 and gradient (or Hessian-vector term)
// l2 W; the intercept is never penalised. The one place the loss engine computes either.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

namespace softmaxkit::detail {

template <class T>
struct L2Penalty {
  // The sum of squares of W runs over tiles of kSquaresTile features (columns of W): within a
  // tile, class k's squares are added feature by feature (ascending) into running sum k, in
  // double (each square of a T is exact there); the tile's sum is the running sums taken
  // kSquaresLanes classes at a time, each group added pairwise, the groups in class order; then
  // the tiles' sums in tile order. The order is a function of (class, feature) only, not of where
  // W lies, so both WeightLayouts give the same bits, and the running sums are K independent
  // chains that vectorise over the classes when W lies features x classes (the layout CSR
  // features read, into which they transpose W tile by tile, taking the tile's squares while it
  // is in cache: csr_features.hpp's transpose_into). The same value for any thread count.
  static constexpr std::size_t kSquaresTile = 64, kSquaresLanes = 8;

  double l2 = 0;

  static std::size_t tiles(std::size_t cols) { return (cols + kSquaresTile - 1) / kSquaresTile; }

  // Classes whose running sums are kept at a time, on the stack (a multiple of kSquaresLanes, so
  // batch after batch adds the same groups in the same order as one pass over all classes). A
  // heap vector of K sums per tile above 64 classes allocated on every call (an audit counted
  // one allocation per evaluate at K = 200; regression.hpp promises none in steady state).
  static constexpr std::size_t kSquaresBatch = 64;

  // Adds a batch's running sums, kSquaresLanes at a time (each group pairwise), to `tile`.
  static double add_groups(const double* sums, std::size_t count, double tile) {
    for (std::size_t first = 0; first < count; first += kSquaresLanes) {
      double lanes[kSquaresLanes] = {};
      std::copy(sums + first, sums + std::min(count, first + kSquaresLanes), lanes);
      tile += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
              ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    }
    return tile;
  }

  // The sum of squares of features [first, last) (at most one tile), in the order above, with
  // feature c's `classes` weights contiguous at feature_row(c) (a row of W^T).
  template <class FeatureRow>
  static double tile_total_by_features(std::size_t classes, std::size_t first, std::size_t last,
                                       const FeatureRow& feature_row) {
    double tile = 0;
    for (std::size_t k0 = 0; k0 < classes; k0 += kSquaresBatch) {
      const std::size_t count = std::min(kSquaresBatch, classes - k0);
      std::array<double, kSquaresBatch> sums{};
      for (std::size_t c = first; c < last; ++c) {
        const T* row = feature_row(c) + k0;
        for (std::size_t k = 0; k < count; ++k) sums[k] += double(row[k]) * double(row[k]);
      }
      tile = add_groups(sums.data(), count, tile);
    }
    return tile;
  }
  // The same from W (classes x cols, row-major): class by class along W's rows, each running sum
  // still taking its features in ascending order.
  static double tile_total_by_classes(const T* weights, std::size_t classes, std::size_t cols,
                                      std::size_t first, std::size_t last) {
    double tile = 0;
    for (std::size_t k0 = 0; k0 < classes; k0 += kSquaresBatch) {
      const std::size_t count = std::min(kSquaresBatch, classes - k0);
      std::array<double, kSquaresBatch> sums{};
      for (std::size_t k = 0; k < count; ++k) {
        const T* row = weights + (k0 + k) * cols;
        double sum = 0;
        for (std::size_t c = first; c < last; ++c) sum += double(row[c]) * double(row[c]);
        sums[k] = sum;
      }
      tile = add_groups(sums.data(), count, tile);
    }
    return tile;
  }

  // Features [first, last) (at most one tile) of weights: their sum of squares in the order
  // above. W is classes x cols (row-major), or cols x classes with by_features
  // (WeightLayout::features_by_classes): the same bits.
  template <bool by_features = false>
  static double tile_squares(const T* weights, std::size_t classes, std::size_t cols,
                             std::size_t first, std::size_t last) {
    if constexpr (by_features) {
      return tile_total_by_features(classes, first, last,
                                    [&](std::size_t c) { return weights + c * classes; });
    } else {
      return tile_total_by_classes(weights, classes, cols, first, last);
    }
  }
  // The value from every tile's sum of squares (tiles(cols) of them).
  double value_of_tiles(std::span<const double> tile_sums) const {
    double squares = 0;
    for (double sum : tile_sums) squares += sum;
    return 0.5 * l2 * squares;
  }
  // The value at weights (rows x cols, or cols x rows by_features); `scratch` holds at least
  // tiles(cols) doubles.
  template <bool by_features = false>
  double value(const T* weights, std::size_t rows, std::size_t cols,
               std::span<double> scratch) const {
    const std::size_t count = tiles(cols);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t t = range.begin(); t != range.end(); ++t) {
                          const std::size_t first = t * kSquaresTile;
                          scratch[t] = tile_squares<by_features>(
                              weights, rows, cols, first, std::min(cols, first + kSquaresTile));
                        }
                      });
    return value_of_tiles(scratch.first(count));
  }
  // d/dW of the value at `weight`, in T (added to the data term in combine_chunks).
  T gradient(T weight) const { return static_cast<T>(l2) * weight; }
};

}  // namespace softmaxkit::detail
