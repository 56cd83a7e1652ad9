// The L2 term of the objective: value (l2 / 2) ||W||^2 and gradient (or Hessian-vector term)
// l2 W; the intercept is never penalised. The one place the loss engine computes either.
#pragma once

#include <span>

namespace softmaxkit::detail {

template <class T>
struct L2Penalty {
  double l2 = 0;

  // The sum of squares is accumulated in double, in element order (deterministic).
  double value(std::span<const T> weights) const {
    double squares = 0;
    for (T weight : weights) squares += double(weight) * double(weight);
    return 0.5 * l2 * squares;
  }
  // d/dW of the value at `weight`, in T (added to the data term in combine_chunks).
  T gradient(T weight) const { return static_cast<T>(l2) * weight; }
};

}  // namespace softmaxkit::detail
