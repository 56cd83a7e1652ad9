// The L2 term of the objective: value (l2 / 2) ||W||^2 and gradient (or Hessian-vector term)
// l2 W; the intercept is never penalised. The one place the loss engine computes either.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace softmaxkit::detail {

template <class T>
struct L2Penalty {
  // The sum of squares runs over fixed blocks of kSquaresBlock elements, each summed with
  // kSquaresLanes running sums (element e into lane e % kSquaresLanes, the lanes then added
  // pairwise): one dependent double addition per element made it a serial pass over K n elements,
  // 6 % of a CSR loss and gradient at rcv1's shape. The blocks' sums are added in block order, so
  // the value is the same for any thread count.
  static constexpr std::size_t kSquaresBlock = 16384, kSquaresLanes = 8;

  double l2 = 0;

  // The sum of squares is accumulated in double, in the fixed order above (deterministic).
  double value(std::span<const T> weights) const {
    const std::size_t blocks = (weights.size() + kSquaresBlock - 1) / kSquaresBlock;
    if (blocks <= 1) return 0.5 * l2 * block_squares(weights);
    std::vector<double> sums(blocks);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t b = range.begin(); b != range.end(); ++b) {
                          const std::size_t first = b * kSquaresBlock;
                          sums[b] = block_squares(weights.subspan(
                              first, std::min(kSquaresBlock, weights.size() - first)));
                        }
                      });
    double squares = 0;
    for (double sum : sums) squares += sum;
    return 0.5 * l2 * squares;
  }
  // d/dW of the value at `weight`, in T (added to the data term in combine_chunks).
  T gradient(T weight) const { return static_cast<T>(l2) * weight; }

 private:
  static double block_squares(std::span<const T> weights) {
    double lanes[kSquaresLanes] = {};
    std::size_t e = 0;
    for (; e + kSquaresLanes <= weights.size(); e += kSquaresLanes)
      for (std::size_t lane = 0; lane < kSquaresLanes; ++lane)
        lanes[lane] += double(weights[e + lane]) * double(weights[e + lane]);
    for (std::size_t lane = 0; e < weights.size(); ++e, ++lane)
      lanes[lane] += double(weights[e]) * double(weights[e]);
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
           ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  }
};

}  // namespace softmaxkit::detail
