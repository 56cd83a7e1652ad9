// Test helpers for the row kernels: a long double oracle (independent of the kernels' method
// only in precision, which is the point: it is the textbook formula evaluated with 64-bit
// significands), random logit matrices, and an ULP measure with a floor of 1 for results near 0.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "softmaxkit/matrix.hpp"
#include "ulp.hpp"

namespace softmaxkit::testing {

// A rows x cols matrix stored with a stride > cols; the padding holds NaN so a kernel reading
// past a row end would poison its result.
template <class T>
struct Matrix {
  std::size_t rows = 0, cols = 0, stride = 0;
  std::vector<T> data;
  Matrix(std::size_t r, std::size_t c, std::size_t padding = 3)
      : rows(r),
        cols(c),
        stride(c + padding),
        data(r * (c + padding) + 1, std::numeric_limits<T>::quiet_NaN()) {}
  T& operator()(std::size_t i, std::size_t k) { return data[i * stride + k]; }
  T operator()(std::size_t i, std::size_t k) const { return data[i * stride + k]; }
  MatrixView<T> view() { return {data.data(), rows, cols, stride}; }
  MatrixView<const T> const_view() const { return {data.data(), rows, cols, stride}; }
};

template <class T>
Matrix<T> random_logits(std::size_t rows, std::size_t cols, T low, T high, unsigned seed) {
  Matrix<T> m(rows, cols);
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<T> distribution(low, high);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t k = 0; k < cols; ++k) m(i, k) = distribution(generator);
  return m;
}

template <class T>
long double oracle_max(const T* z, std::size_t cols) {
  long double max = -std::numeric_limits<long double>::infinity();
  for (std::size_t k = 0; k < cols; ++k) max = std::fmax(max, static_cast<long double>(z[k]));
  return max;
}

// max and log sum_k exp(z_k - max) in long double, for finite rows (masked -inf allowed).
// log-softmax is (z_k - max) - log_sum: the form that keeps precision for huge logits.
struct OracleRow {
  long double max, log_sum;
  long double logsumexp() const { return max + log_sum; }
  long double log_softmax(long double z) const { return (z - max) - log_sum; }
  long double softmax(long double z) const { return std::exp((z - max) - log_sum); }
};

template <class T>
OracleRow oracle_row(const T* z, std::size_t cols) {
  const long double max = oracle_max(z, cols);
  long double sum = 0;
  for (std::size_t k = 0; k < cols; ++k) sum += std::exp(static_cast<long double>(z[k]) - max);
  return {max, std::log(sum)};
}

// |result - reference| in ULP of T at max(|reference|, 1): the kernels promise 4 ULP, or 4 ULP
// of 1 where the result is near zero (a relative bound is meaningless there).
template <class T>
double ulp_error_floor_one(T result, long double reference) {
  if (!std::isfinite(reference) || !std::isfinite(result)) return ulp_error(result, reference);
  const long double magnitude = std::fmax(std::fabs(reference), 1.0L);
  const long double spacing =
      std::ldexp(1.0L, std::ilogb(magnitude) - (std::numeric_limits<T>::digits - 1));
  return static_cast<double>(std::fabs(static_cast<long double>(result) - reference) / spacing);
}

}  // namespace softmaxkit::testing
