// Vectorised exp, float and double: the SIMD body behind softmaxkit::exp.
//
// Contract (every ISA; measured by tests/test_exp_exhaustive.cpp and tests/test_exp.cpp):
// - float: at most 1 ULP over all 2^32 inputs (tests/test_exp_exhaustive.cpp). Measured worst:
//   0.9055 ULP at x = -5.16094685 (-0x1.4a4cf4p+2) on sse2 (no FMA); 0.8916 ULP at
//   x = 16.3029499 (0x1.04d8e2p+4) on avx2 and avx512.
// - double: at most 1 ULP against long double over 10^8 random inputs and the edge cases.
//   Measured worst: 0.8950 ULP at x = 193.05125382581105 (sse2); 0.8945 ULP at
//   x = -669.90430336244799 (avx2, avx512).
// - Edges are exact: finite up to the largest input whose exp is finite (88.72283f, 709.7827),
//   +inf above; gradual underflow through the subnormals, then +0; exp(-inf) = +0,
//   exp(+inf) = +inf, exp(NaN) = NaN, exp(+-0) = 1.
// - Element-wise, no state: deterministic, and the same input gives the same output wherever it
//   sits in the array (the tail runs through the same vector code).
//
// Method. x = k ln2 + r with k = round(x / ln2), |r| <= ln2/2, so exp(x) = 2^k exp(r).
// float: Cody-Waite split ln2 = C1 + C2 where C1 has 9 significant bits, so r = x - k*C1 is
// exact and the rounding of r + k*|C2| is carried as a correction term; exp(r) = 1 + r + r^2 q(r)
// with Cephes' degree-5 minimax q. double: fdlibm's e_exp.c rational form (< 1 ULP), vectorised.
// Inputs whose result would be subnormal or overflow, and NaN, take a cold path per batch that
// evaluates exp in double (float) or calls the C library's exp (double), so the hot path needs
// no special-value logic and stays branch-free.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "common/arch.hpp"
#include "exp/exp_kernel.hpp"

namespace softmaxkit::detail {

// exp for x in [-87, 88]: normal results, 2^k representable.
template <class Arch>
xsimd::batch<float, Arch> exp_float_in_normal_range(const xsimd::batch<float, Arch>& x) {
  using Batch = xsimd::batch<float, Arch>;
  using IntBatch = xsimd::batch<std::int32_t, Arch>;
  const Batch shifter(0x1.8p23f);  // adding it rounds to an integer held in the low bits
  const Batch k_shifted = fused_multiply_add(x, Batch(1.44269504088896341f), shifter);
  const Batch k = k_shifted - shifter;
  Batch y, y_error;  // y + y_error = x - k ln2 to about 2^-48 relative
  if constexpr (has_fused_multiply_add<Arch>) {
    // r = x - k C1 is exact (C1 has 9 bits, |k| <= 127); one fused rounding adds k |C2|, and
    // a second fused operation recovers what that rounding lost.
    const Batch r = fused_multiply_add(k, Batch(-0.693359375f), x);
    y = fused_multiply_add(k, Batch(2.12194440e-4f), r);
    y_error = fused_multiply_add(k, Batch(2.12194440e-4f), r - y);
  } else {
    const Batch r = x - k * Batch(0.693359375f);
    const Batch r_low = k * Batch(2.12194440e-4f);  // -C2
    y = r + r_low;
    y_error = (r - y) + r_low;
  }
  // q(y) by Estrin's scheme: the same operations as Horner's, half the dependency chain.
  const Batch y2 = y * y;
  const Batch q01 = fused_multiply_add(Batch(1.6666665459e-1f), y, Batch(5.0000001201e-1f));
  const Batch q23 = fused_multiply_add(Batch(8.3334519073e-3f), y, Batch(4.1665795894e-2f));
  const Batch q45 = fused_multiply_add(Batch(1.9875691500e-4f), y, Batch(1.3981999507e-3f));
  const Batch q = fused_multiply_add(y2, fused_multiply_add(y2, q45, q23), q01);
  const Batch tail = fused_multiply_add(y2, q, y_error);
  const Batch mantissa = Batch(1.0f) + (y + tail);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    return _mm512_scalef_ps(mantissa, k);  // mantissa * 2^k in one exact operation
  }
#endif
  const IntBatch exponent_bits = (xsimd::bitwise_cast<IntBatch>(k_shifted) + IntBatch(127)) << 23;
  return mantissa * xsimd::bitwise_cast<Batch>(exponent_bits);
}

// exp for x in [-708, 709]: normal results, 2^k representable. fdlibm's e_exp.c core.
template <class Arch>
xsimd::batch<double, Arch> exp_double_in_normal_range(const xsimd::batch<double, Arch>& x) {
  using Batch = xsimd::batch<double, Arch>;
  using IntBatch = xsimd::batch<std::int64_t, Arch>;
  const Batch shifter(0x1.8p52);
  const Batch k_shifted = fused_multiply_add(x, Batch(1.44269504088896338700e+00), shifter);
  const Batch k = k_shifted - shifter;
  const Batch high = x - k * Batch(6.93147180369123816490e-01);  // exact: ln2_hi has 32 bits
  const Batch low = k * Batch(1.90821492927058770002e-10);
  const Batch r = high - low;
  const Batch t = r * r;
  Batch p(4.13813679705723846039e-08);
  p = fused_multiply_add(p, t, Batch(-1.65339022054652515390e-06));
  p = fused_multiply_add(p, t, Batch(6.61375632143793436117e-05));
  p = fused_multiply_add(p, t, Batch(-2.77777777770155933842e-03));
  p = fused_multiply_add(p, t, Batch(1.66666666666666019037e-01));
  const Batch c = r - t * p;
  const Batch y = Batch(1.0) - ((low - (r * c) / (Batch(2.0) - c)) - high);
  const IntBatch exponent_bits = (xsimd::bitwise_cast<IntBatch>(k_shifted) + IntBatch(1023)) << 52;
  return y * xsimd::bitwise_cast<Batch>(exponent_bits);
}

template <class T>
struct ExpHotRange;
template <>
struct ExpHotRange<float> {
  static constexpr float low = -87.0f, high = 88.0f;
};
template <>
struct ExpHotRange<double> {
  static constexpr double low = -708.0, high = 709.0;
};

// The cold path's scalar exp. Templated on Arch (not a plain inline function) so each ISA's
// copy is a distinct symbol: the linker must never pick the AVX-512 copy for an SSE2 caller.
template <class T, class Arch>
T exp_cold(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(std::exp(static_cast<double>(x)));
  } else {
    return std::exp(x);
  }
}

template <class T, class Arch>
xsimd::batch<T, Arch> exp_in_normal_range(const xsimd::batch<T, Arch>& x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_float_in_normal_range(x);
  } else {
    return exp_double_in_normal_range(x);
  }
}

// exp of one batch over the whole range (the contract above): the hot path when every lane is in
// the normal range, otherwise a per-lane cold path.
template <class T, class Arch>
xsimd::batch<T, Arch> exp_batch(const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  using Range = ExpHotRange<T>;
  const auto in_range = (x >= Batch(Range::low)) && (x <= Batch(Range::high));  // NaN: false
  if (xsimd::all(in_range)) [[likely]] {
    return exp_in_normal_range(x);
  }
  alignas(64) T values[Batch::size];
  x.store_aligned(values);
  for (std::size_t lane = 0; lane < Batch::size; ++lane) {
    values[lane] = exp_cold<T, Arch>(values[lane]);
  }
  return Batch::load_aligned(values);
}

// (xsimd 8.1's x != x is an ordered compare on AVX: false for NaN, hence xsimd::isnan.)
// exp for x <= 0 (or NaN), branch-free, for the row kernels' exp(z - max): results below the
// smallest normal number are flushed to +0 (an absolute error below 1.2e-38 for float and
// 2.3e-308 for double, invisible next to a row sum >= 1); exp(-inf) = 0; NaN -> NaN.
template <class T, class Arch>
xsimd::batch<T, Arch> exp_nonpositive(const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  const auto in_range = x >= Batch(ExpHotRange<T>::low);
  const Batch result = exp_in_normal_range(xsimd::select(in_range, x, Batch(T(0))));
  return xsimd::select(in_range, result, xsimd::select(xsimd::isnan(x), x, Batch(T(0))));
}

template <class T, class Arch>
void exp_batches(const T* input, T* output, std::size_t count) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  using Range = ExpHotRange<T>;
  std::size_t index = 0;
  // Two batches per step with one range test: independent work for the out-of-order core.
  // Each element still goes through exactly the code exp_batch would run for it.
  for (; index + 2 * width <= count; index += 2 * width) {
    const Batch first = Batch::load_unaligned(input + index);
    const Batch second = Batch::load_unaligned(input + index + width);
    const auto in_range = (first >= Batch(Range::low)) && (first <= Batch(Range::high)) &&
                          (second >= Batch(Range::low)) && (second <= Batch(Range::high));
    if (xsimd::all(in_range)) [[likely]] {
      exp_in_normal_range(first).store_unaligned(output + index);
      exp_in_normal_range(second).store_unaligned(output + index + width);
    } else {
      exp_batch(first).store_unaligned(output + index);
      exp_batch(second).store_unaligned(output + index + width);
    }
  }
  for (; index + width <= count; index += width) {
    exp_batch(Batch::load_unaligned(input + index)).store_unaligned(output + index);
  }
  if (index < count) {  // the tail goes through the same code, padded with zeros
    alignas(64) T padded[width] = {};
    for (std::size_t lane = 0; index + lane < count; ++lane) padded[lane] = input[index + lane];
    exp_batch(Batch::load_aligned(padded)).store_aligned(padded);
    for (std::size_t lane = 0; index + lane < count; ++lane) output[index + lane] = padded[lane];
  }
}

template <Isa isa>
void ExpKernel<isa>::apply(const float* input, float* output, std::size_t count) {
  exp_batches<float, Arch<isa>>(input, output, count);
}

template <Isa isa>
void ExpKernel<isa>::apply(const double* input, double* output, std::size_t count) {
  exp_batches<double, Arch<isa>>(input, output, count);
}

}  // namespace softmaxkit::detail
