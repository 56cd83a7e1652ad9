// The L2 term of the objective: value (l2 / 2) ||W||^2 and gradient (or Hessian-vector term)
// l2 W; the intercept is never penalised. The one place the loss engine computes either.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

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

  // Running sums for one tile: `classes` doubles, on the stack for up to 64 classes.
  class TileSums {
   public:
    explicit TileSums(std::size_t classes) : classes_(classes) {
      if (classes > local_.size()) heap_.resize(classes);
      reset();
    }
    void reset() { std::fill(data(), data() + classes_, 0.0); }
    // Adds one feature's weights (its `classes` weights, contiguous: a row of W^T).
    void add_feature(const T* row) {
      double* sums = data();
      for (std::size_t k = 0; k < classes_; ++k) sums[k] += double(row[k]) * double(row[k]);
    }
    // Adds features [first, last) from W (classes x cols, row-major), in that order: class by
    // class along W's rows, each running sum still taking its features in ascending order.
    void add_columns(const T* weights, std::size_t cols, std::size_t first, std::size_t last) {
      double* sums = data();
      for (std::size_t k = 0; k < classes_; ++k) {
        const T* row = weights + k * cols;
        double sum = sums[k];
        for (std::size_t c = first; c < last; ++c) sum += double(row[c]) * double(row[c]);
        sums[k] = sum;
      }
    }
    // The tile's sum (the groups of kSquaresLanes, pairwise, in class order).
    double total() const {
      const double* sums = data();
      double tile = 0;
      for (std::size_t first = 0; first < classes_; first += kSquaresLanes) {
        double lanes[kSquaresLanes] = {};
        std::copy(sums + first, sums + std::min(classes_, first + kSquaresLanes), lanes);
        tile += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
      }
      return tile;
    }

   private:
    double* data() { return heap_.empty() ? local_.data() : heap_.data(); }
    const double* data() const { return heap_.empty() ? local_.data() : heap_.data(); }
    std::size_t classes_;
    std::array<double, 64> local_;
    std::vector<double> heap_;
  };

  // Features [first, last) (at most one tile) of weights: their sum of squares in the order
  // above. W is classes x cols (row-major), or cols x classes with by_features
  // (WeightLayout::features_by_classes): the same bits.
  template <bool by_features = false>
  static double tile_squares(const T* weights, std::size_t classes, std::size_t cols,
                             std::size_t first, std::size_t last) {
    TileSums sums(classes);
    if constexpr (by_features) {
      for (std::size_t c = first; c < last; ++c) sums.add_feature(weights + c * classes);
    } else {
      sums.add_columns(weights, cols, first, last);
    }
    return sums.total();
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
