// Vectorised exp, float and double: the SIMD body behind softmaxkit::exp.
//
// Contract (every ISA; measured by tests/test_exp_exhaustive.cpp and tests/test_exp.cpp):
// - float: at most 1 ULP over all 2^32 inputs (tests/test_exp_exhaustive.cpp). Measured worst:
//   0.5576 ULP at x = 46.4134598 (0x1.734ec4p+5) on avx512 (table of 16); 0.5812 ULP at
//   x = 3.34215760 (0x1.abcbd2p+1) on avx2 (table of 8); 0.9055 ULP at x = -5.16094685
//   (-0x1.4a4cf4p+2) on sse2 (polynomial only, no FMA).
// - double: at most 1 ULP against long double over 10^8 random inputs and the edge cases.
//   Measured worst: 0.8950 ULP at x = 193.05125382581105 on every ISA.
// - Edges are exact: finite up to the largest input whose exp is finite (88.72283f, 709.7827),
//   +inf above; gradual underflow through the subnormals, then +0; exp(-inf) = +0,
//   exp(+inf) = +inf, exp(NaN) = NaN, exp(+-0) = 1.
// - Element-wise, no state: deterministic, and the same input gives the same output wherever it
//   sits in the array, whatever its neighbours (tested: in-range inputs among cold-path ones).
//
// Method. float on AVX2 / AVX-512: x = (k/N) ln2 + r, exp(x) = 2^(k/N) exp(r) with 2^(j/N) from
// a one-register table (exp_table.hpp) and a degree 3-4 polynomial, one final rounding (see
// exp_float_by_table). float on SSE2: x = k ln2 + r, Cody-Waite split ln2 = C1 + C2 (C1 of 9
// bits, so r = x - k C1 is exact) with the rounding of r + k|C2| carried as a correction term;
// exp(r) = 1 + r + r^2 q(r) with Cephes' degree-5 minimax q. double: fdlibm's e_exp.c rational
// form (< 1 ULP), vectorised. Inputs whose result would be subnormal or overflow, and NaN, take
// a cold path per lane that evaluates exp in double (float) or calls the C library's exp
// (double), so the hot path needs no special-value logic and stays branch-free.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "simd/arch.hpp"
#include "simd/exp_table.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// exp for x in [-87, 88]: normal results, 2^k representable. Polynomial only: the SSE2 path,
// which has no in-register table lookup.
template <class Arch>
xsimd::batch<float, Arch> exp_float_by_polynomial(const xsimd::batch<float, Arch>& x) {
  using Batch = xsimd::batch<float, Arch>;
  using IntBatch = xsimd::batch<std::int32_t, Arch>;
  const Batch shifter(0x1.8p23f);  // adding it rounds to an integer held in the low bits
  const Batch k_shifted = fused_multiply_add(x, Batch(1.44269504088896341f), shifter);
  const Batch k = k_shifted - shifter;
  // y + y_error = x - k ln2 to about 2^-48 relative.
  const Batch r = x - k * Batch(0.693359375f);    // exact: C1 has 9 bits, |k| <= 127
  const Batch r_low = k * Batch(2.12194440e-4f);  // -C2
  const Batch y = r + r_low;
  const Batch y_error = (r - y) + r_low;  // what rounding y lost
  // q(y) by Estrin's scheme: the same operations as Horner's, half the dependency chain.
  const Batch y2 = y * y;
  const Batch q01 = fused_multiply_add(Batch(1.6666665459e-1f), y, Batch(5.0000001201e-1f));
  const Batch q23 = fused_multiply_add(Batch(8.3334519073e-3f), y, Batch(4.1665795894e-2f));
  const Batch q45 = fused_multiply_add(Batch(1.9875691500e-4f), y, Batch(1.3981999507e-3f));
  const Batch q = fused_multiply_add(y2, fused_multiply_add(y2, q45, q23), q01);
  const Batch tail = fused_multiply_add(y2, q, y_error);
  const Batch mantissa = Batch(1.0f) + (y + tail);
  const IntBatch exponent_bits = (xsimd::bitwise_cast<IntBatch>(k_shifted) + IntBatch(127)) << 23;
  return mantissa * xsimd::bitwise_cast<Batch>(exponent_bits);
}

// Table-driven exp where a table of 2^(j/N) fits in one register (AVX2: N = 8, AVX-512: N = 16):
// x = (k/N) ln2 + r, |r| <= ln2/(2N), exp(x) = 2^(k/N) exp(r). With r that small, a degree-4
// (N = 8) or degree-3 (N = 16) polynomial has relative error 2^-32.3 / 2^-29.2 (Remez, float
// coefficients), so the result is one rounding of scale * (1 + p): about half the operations
// of the polynomial-only path and closer to correctly rounded.
template <class Arch>
struct ExpTableLayout {
  static constexpr bool available = false;
};
#if defined(__AVX2__) && defined(__FMA__)
template <>
struct ExpTableLayout<xsimd::fma3<xsimd::avx2>> {
  static constexpr bool available = true;
  static constexpr int bits = 3;
  static xsimd::batch<float, xsimd::fma3<xsimd::avx2>> lookup(
      const float* table, const xsimd::batch<std::int32_t, xsimd::fma3<xsimd::avx2>>& index) {
    return _mm256_permutevar8x32_ps(_mm256_load_ps(table), index);  // low 3 bits of each index
  }
};
#endif
#if defined(__AVX512F__)
template <>
struct ExpTableLayout<xsimd::avx512bw> {
  static constexpr bool available = true;
  static constexpr int bits = 4;
  static xsimd::batch<float, xsimd::avx512bw> lookup(
      const float* table, const xsimd::batch<std::int32_t, xsimd::avx512bw>& index) {
    return _mm512_permutexvar_ps(index, _mm512_load_ps(table));  // low 4 bits of each index
  }
};
#endif

template <class Arch>
xsimd::batch<float, Arch> exp_float_by_table(const xsimd::batch<float, Arch>& x) {
  using Batch = xsimd::batch<float, Arch>;
  using IntBatch = xsimd::batch<std::int32_t, Arch>;
  using Layout = ExpTableLayout<Arch>;
  constexpr int bits = Layout::bits;
  constexpr float table_size = 1 << bits;
  const Batch shifter(0x1.8p23f);  // adding it rounds to an integer held in the low bits
  const Batch k_shifted = fused_multiply_add(x, Batch(1.44269504088896341f * table_size), shifter);
  const Batch k = k_shifted - shifter;
  // Cody-Waite: ln2/N = C1 + C2 with C1 of 9 significant bits, so k C1 (|k| < 2^12) and
  // x - k C1 are exact; the second step rounds once, at about 2^-31 of the result.
  Batch r = fused_multiply_add(k, Batch(-0.693359375f / table_size), x);
  r = fused_multiply_add(k, Batch(2.12194440e-4f / table_size), r);
  const IntBatch k_bits = xsimd::bitwise_cast<IntBatch>(k_shifted);  // k + 0x4b400000
  // 2^(k/N) = value[j] 2^q for k = qN + j: the integer add below (ExpTableScaleBits).
  const IntBatch scale_bits =
      xsimd::bitwise_cast<IntBatch>(Layout::lookup(
          reinterpret_cast<const float*>(ExpTableScaleBits<bits>::adjusted.data()), k_bits)) +
      (k_bits << (23 - bits));
  const Batch scale = xsimd::bitwise_cast<Batch>(scale_bits);
  const Batch remainder = Layout::lookup(ExpTable<bits>::relative_remainder, k_bits);
  const Batch r2 = r * r;
  Batch q;  // exp(r) - 1 = r + r^2 q(r)
  if constexpr (bits == 3) {
    q = fused_multiply_add(r2, Batch(0x1.55483ep-5f),
                           fused_multiply_add(r, Batch(0x1.555c78p-3f), Batch(0.5f)));
  } else {
    q = fused_multiply_add(r, Batch(0x1.55559ap-3f), Batch(0x1.00021ep-1f));
  }
  // scale (1 + remainder) (1 + p): the remainder * p cross term is below 2^-29 and dropped.
  const Batch p = fused_multiply_add(r2, q, r + remainder);
  return fused_multiply_add(scale, p, scale);
}

template <class Arch>
xsimd::batch<float, Arch> exp_float_in_normal_range(const xsimd::batch<float, Arch>& x) {
  if constexpr (ExpTableLayout<Arch>::available) {
    return exp_float_by_table(x);
  } else {
    return exp_float_by_polynomial(x);
  }
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

template <class T>
bool in_exp_hot_range(T x) {
  return x >= ExpHotRange<T>::low && x <= ExpHotRange<T>::high;  // NaN: false
}

// Lanes in the hot range get exactly the hot path's value, the others the cold path's, so an
// element's result never depends on its neighbours.
template <class T, class Arch>
[[gnu::noinline, gnu::cold]] xsimd::batch<T, Arch> exp_batch_with_cold_lanes(
    const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  alignas(64) T values[Batch::size];
  alignas(64) T hot[Batch::size];
  x.store_aligned(values);
  for (std::size_t lane = 0; lane < Batch::size; ++lane) {
    hot[lane] = in_exp_hot_range(values[lane]) ? values[lane] : T(0);
  }
  exp_in_normal_range(Batch::load_aligned(hot)).store_aligned(hot);
  for (std::size_t lane = 0; lane < Batch::size; ++lane) {
    values[lane] = in_exp_hot_range(values[lane]) ? hot[lane] : exp_cold<T, Arch>(values[lane]);
  }
  return Batch::load_aligned(values);
}

// exp of one batch over the whole range (the contract above): the hot path when every lane is in
// the normal range, otherwise the per-lane split above.
template <class T, class Arch>
xsimd::batch<T, Arch> exp_batch(const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  using Range = ExpHotRange<T>;
  const auto in_range = (x >= Batch(Range::low)) && (x <= Batch(Range::high));  // NaN: false
  if (xsimd::all(in_range)) [[likely]] {
    return exp_in_normal_range(x);
  }
  return exp_batch_with_cold_lanes(x);
}

// True only if every lane of both batches is in the hot range. It may say false for some
// in-range inputs (those lanes then go through exp_batch and get the same value), so AVX-512
// tests the symmetric range |x| <= min(-low, high) with one vrangeps (the larger magnitude of
// each lane pair; NaN propagates and compares unordered) and one compare, instead of four
// compares: the range test was a quarter of the loop's time.
template <class T, class Arch>
bool both_in_exp_hot_range(const xsimd::batch<T, Arch>& first,
                           const xsimd::batch<T, Arch>& second) {
  using Batch = xsimd::batch<T, Arch>;
  using Range = ExpHotRange<T>;
#if defined(__AVX512DQ__)
  if constexpr (is_avx512<Arch>) {
    constexpr int larger_magnitude_sign_cleared = 0x0b;
    constexpr T bound = -Range::low < Range::high ? -Range::low : Range::high;
    if constexpr (std::is_same_v<T, float>) {
      const __m512 larger = _mm512_range_ps(first, second, larger_magnitude_sign_cleared);
      return _mm512_cmp_ps_mask(larger, _mm512_set1_ps(bound), _CMP_NLE_UQ) == 0;
    } else {
      const __m512d larger = _mm512_range_pd(first, second, larger_magnitude_sign_cleared);
      return _mm512_cmp_pd_mask(larger, _mm512_set1_pd(bound), _CMP_NLE_UQ) == 0;
    }
  }
#endif
  return xsimd::all((first >= Batch(Range::low)) && (first <= Batch(Range::high)) &&
                    (second >= Batch(Range::low)) && (second <= Batch(Range::high)));
}

// exp for x <= 0 (or NaN), branch-free, for the row kernels' exp(z - max): results below the
// smallest normal number are flushed to +0 (an absolute error below 1.2e-38 for float and
// 2.3e-308 for double, invisible next to a row sum >= 1); exp(-inf) = 0; NaN -> NaN. Below the
// hot range the hot path's value is meaningless (the scale's exponent wraps) and is replaced by
// 0; NaN compares false there and the hot path carries it through (NaN times anything).
template <class T, class Arch>
xsimd::batch<T, Arch> exp_nonpositive(const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  return xsimd::select(x < Batch(ExpHotRange<T>::low), Batch(T(0)), exp_in_normal_range(x));
}

// Out of line and reloading from memory, so the hot loop keeps its inputs in registers instead of
// spilling them for a call it rarely makes. output may equal input.
template <class T, class Arch>
[[gnu::noinline, gnu::cold]] void exp_two_batches_with_cold_lanes(const T* input, T* output) {
  using Batch = xsimd::batch<T, Arch>;
  const Batch first = Batch::load_unaligned(input);
  const Batch second = Batch::load_unaligned(input + Batch::size);
  exp_batch(first).store_unaligned(output);
  exp_batch(second).store_unaligned(output + Batch::size);
}

template <class T, class Arch>
void exp_batches(const T* input, T* output, std::size_t count) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  std::size_t index = 0;
  // Two batches per step with one range test: independent work for the out-of-order core. A
  // pair with a lane outside the hot range leaves the inner loop, so no call sits inside it to
  // clobber the registers holding the constants. Each element still goes through exactly the
  // code exp_batch would run for it.
  while (index + 2 * width <= count) {
    for (; index + 2 * width <= count; index += 2 * width) {
      const Batch first = Batch::load_unaligned(input + index);
      const Batch second = Batch::load_unaligned(input + index + width);
      if (!both_in_exp_hot_range(first, second)) [[unlikely]]
        break;
      exp_in_normal_range(first).store_unaligned(output + index);
      exp_in_normal_range(second).store_unaligned(output + index + width);
    }
    if (index + 2 * width <= count) {
      exp_two_batches_with_cold_lanes<T, Arch>(input + index, output + index);
      index += 2 * width;
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

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
