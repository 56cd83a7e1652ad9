// Vectorised log-sum-exp of each row: r_i = log sum_k exp(z_ik). The body behind
// softmaxkit::logsumexp_rows.
//
// Contract (every ISA; checked against long double by tests/test_randomized_rows.cpp and
// tests/test_logsumexp.cpp; measured worst: README):
// - Within kLogSumExpUlpBound (4) ULP of the output type, or 4 ULP of 1 where |r| < 1.
// - Safe for any finite logits (+-3.4e38 float): exp only ever sees z - max <= 0.
// - Special values: -inf entries are fine (masked classes) while one entry is finite; a row of
//   only -inf (or with no columns) gives -inf, the true log(0); +inf or NaN anywhere gives NaN
//   (also in a row of otherwise only -inf, whose maximum hides the NaN: row_has_nan).
// - Deterministic: a row's result depends only on that row (see simd/rows.hpp).
//
// Method: two passes over the row — the max, then sum exp(z - max) — rather than the one-pass
// online max-and-rescale (Milakov & Gimelshein 2018): the online form needs a second exp (the
// rescale) per batch, while the second read of a row comes from L1 (a 1000-float row is 4 KiB).
// log of the sum is taken in double as log1p(ties - 1 + rest) (see RowExpSum), and
// r = max + log(sum) is rounded once. The sum takes each exp at the exact z - max (row_exp_sum's
// exact_shift): the rounding of z - max alone put 3.8 ULP into a row of many equal runners-up.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "simd/arch.hpp"
#include "simd/rows.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

template <class T, class Arch>
T logsumexp_row(const T* row, std::size_t cols, const T* prefetch_row) {
  const T max = row_max<T, Arch>(row, cols);
  // Every entry -inf: log(0). (A NaN entry can hide behind a -inf maximum: the sum finds it.)
  if (max == -std::numeric_limits<T>::infinity() && !row_has_nan(row, cols)) return max;
  const auto sums = row_exp_sum<T, Arch, true>(
      row, cols, max, [](auto&&...) {}, prefetch_row);
  const double log_sum = row_log_sum(sums);
  const double result = static_cast<double>(max) + log_sum;
  if constexpr (std::is_same_v<T, double>) {
    // max + log_sum cancels where max is near -log_sum (max = -9.59 over 49015 equal entries:
    // r = 1.21, while log_sum's own rounding, half an ULP of 10.8, is 4 ULP of r; the sweep saw
    // 3.2 ULP). For those rows only, the log and the sum again in long double.
    if (std::fabs(result) < 0.5 * log_sum) {
      const long double excess =
          (static_cast<long double>(sums.ties) - 1) + static_cast<long double>(sums.rest);
      return static_cast<double>(static_cast<long double>(max) + std::log1p(excess));
    }
  }
  return static_cast<T>(result);
}

template <class T, class Arch>
void logsumexp_rows_simd(const T* logits, std::size_t stride, std::size_t rows, std::size_t cols,
                         T* output) {
  for (std::size_t i = 0; i < rows; ++i) {
    output[i] =
        logsumexp_row<T, Arch>(logits + i * stride, cols, next_row(logits, stride, rows, i));
  }
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
