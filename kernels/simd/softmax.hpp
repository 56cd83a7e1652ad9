// Vectorised softmax and log-softmax of each row: the bodies behind softmaxkit::softmax_rows and
// softmaxkit::log_softmax_rows.
//
// Contract (every ISA; bounds in include/softmaxkit/kernels.hpp, checked against long double by
// tests/test_randomized_rows.cpp and tests/test_softmax.cpp; measured worst: README):
// - softmax: within kSoftmaxAbsoluteBound of the true probability, 2^-23 (float) and 2^-51
//   (double: a probability in [0.5, 1) carries exp's up to 1 ULP and the division's 0.5 ULP, so
//   2^-52 is not a bound); rows sum to 1 within kSoftmaxRowSumBound.
// - log-softmax: within kLogSoftmaxUlpBound (4) ULP, or 4 ULP of 1 where |result| < 1.
// - Safe for any finite logits; -inf entries (masked classes) give probability 0 and log -inf
//   while one entry is finite; a row holding +inf or NaN, or only -inf, becomes all NaN.
// - In place or out of place; deterministic per row (see simd/rows.hpp).
//
// Method: softmax reads the row twice (max; exp(z - max) stored to the output while summing)
// and then divides the stored values by the sum in place — a correctly rounded quotient (a
// division on SSE2, a reciprocal multiply plus one exact-residual FMA correction elsewhere), not
// a bare reciprocal multiply, so each probability has at most 1.5 ULP of error on top of exp's.
// log-softmax is (z - max) - log(sum): never z - logsumexp, which would cancel catastrophically
// for huge logits (z - (max + log s) rounds to 0 once |max| >> log s). Its sum takes each exp at
// the exact z - max (row_exp_sum's exact_shift; 4.05 ULP without, on 39999 equal runners-up).
#pragma once

#include <cstddef>

#include "simd/arch.hpp"
#include "simd/rows.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

template <class T, class Arch>
void softmax_row(const T* input, T* output, std::size_t cols, const T* next_input) {
  using Batch = xsimd::batch<T, Arch>;
  const T max = row_max<T, Arch>(input, cols);
  // exact_shift: every exp at the exact z - max, stored and summed (simd/rows.hpp says why).
  const auto sums = row_exp_sum<T, Arch, true>(
      input, cols, max,
      [output](std::size_t k, const Batch&, const Batch& e, std::size_t lanes) {
        if (lanes == Batch::size) {
          e.store_unaligned(output + k);
        } else {
          store_partial<T, Arch>(output + k, e, lanes);
        }
      },
      next_input);
  const Batch sum(row_sum(sums));
  if constexpr (has_fused_multiply_add<Arch>) {
    // e / sum without a divide (a 512-bit divide costs about five FMAs' throughput): q = e / sum
    // rounded, then one correction with the residual e - q sum, which FMA computes exactly, so
    // the result is the correctly rounded quotient but for rare ties (Markstein).
    const Batch inverse(T(1) / row_sum(sums));
    row_transform<T, Arch>(output, output, cols, T(0),
                           [&](std::size_t, const Batch& e, std::size_t) {
                             const Batch quotient = e * inverse;
                             const Batch residual = fused_multiply_add(-quotient, sum, e);
                             return fused_multiply_add(residual, inverse, quotient);
                           });
  } else {
    row_transform<T, Arch>(output, output, cols, T(0),
                           [&](std::size_t, const Batch& e, std::size_t) { return e / sum; });
  }
}

// streaming: write the row with streaming stores, which skip each output line's
// read-for-ownership (faster for outputs beyond the cache; softmax and cross_entropy, whose last
// pass reads exp from a scratch row, gained nothing and do not stream: README, "Measured").
template <class T, class Arch, bool streaming>
void log_softmax_row(const T* input, T* output, std::size_t cols, const T* next_input) {
  using Batch = xsimd::batch<T, Arch>;
  const T max = row_max<T, Arch>(input, cols);
  // The exp pass stores nothing, so without help the output pass's ordinary stores would all
  // miss at once and stall on their lines' read-for-ownership; asking for the output lines
  // (for writing) along the exp pass overlaps that with the compute (README, "Measured").
  // Streaming stores need no lines.
  const auto sums = row_exp_sum<T, Arch, true>(
      input, cols, max,
      [=](std::size_t k, const Batch&, const Batch&, std::size_t) {
        if constexpr (!streaming) __builtin_prefetch(output + k, 1, 3);
      },
      next_input);
  const Batch shift(max), log_sum(static_cast<T>(row_log_sum(sums)));
  row_transform<T, Arch, streaming>(
      input, output, cols, T(0),
      [&](std::size_t, const Batch& z, std::size_t) { return (z - shift) - log_sum; });
}

template <class T, class Arch>
void softmax_rows_simd(const T* input, std::size_t input_stride, T* output,
                       std::size_t output_stride, std::size_t rows, std::size_t cols) {
  for (std::size_t i = 0; i < rows; ++i) {
    softmax_row<T, Arch>(input + i * input_stride, output + i * output_stride, cols,
                         next_row(input, input_stride, rows, i));
  }
}

template <class T, class Arch, bool streaming>
void log_softmax_rows_of_kind(const T* input, std::size_t input_stride, T* output,
                              std::size_t output_stride, std::size_t rows, std::size_t cols) {
  for (std::size_t i = 0; i < rows; ++i) {
    log_softmax_row<T, Arch, streaming>(input + i * input_stride, output + i * output_stride, cols,
                                        next_row(input, input_stride, rows, i));
  }
  if constexpr (streaming) streaming_fence();
}

template <class T, class Arch>
void log_softmax_rows_simd(const T* input, std::size_t input_stride, T* output,
                           std::size_t output_stride, std::size_t rows, std::size_t cols,
                           bool stream) {
  if (stream) {
    log_softmax_rows_of_kind<T, Arch, true>(input, input_stride, output, output_stride, rows, cols);
  } else {
    log_softmax_rows_of_kind<T, Arch, false>(input, input_stride, output, output_stride, rows,
                                             cols);
  }
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
