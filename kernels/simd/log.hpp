// Vectorised natural log, float and double: log_batch and log1p_nonnegative, for the row kernels
// (the small-K cross-entropy takes log(sum of exp) for a batch of rows at once).
//
// Contract (every ISA; measured by tests/test_log.cpp against long double):
// - log_batch: at most 1 ULP for positive finite inputs, subnormals included. Measured worst
//   (10^6 uniform inputs over [1, 64]; 10^6 uniform over the bit patterns of all positive finite
//   values): float 0.818 ULP at x = 1.40977 ([1, 64]), 0.750 ULP at 0.627222 (all); double
//   0.744 ULP at 1.58968, 0.732 ULP at 0.384886. Edges: log(+inf) = +inf, log(+-0) = -inf,
//   log(x < 0) = NaN, log(NaN) = NaN, log(1) = +0.
// - log1p_nonnegative(s), s >= 0: log(1 + s) to at most 1.5 ULP of the result, so for tiny s it
//   keeps full relative precision (the loss of a confident prediction ~ s). Measured worst over
//   s = 2^u, u uniform in [-60, 6]: float 1.050 ULP at s = 0.740339, double 1.055 ULP at
//   0.719409 (s >= sqrt(2) - 1, where log(u) and c / u each round); log1p(0) = 0,
//   log1p(+inf) = +inf, NaN -> NaN.
// - No FMA and no ISA-specific arithmetic: every ISA returns the same bits.
// - Element-wise, branch-free, no state: deterministic; a value's result does not depend on its
//   lane or on its neighbours.
//
// Method (fdlibm's e_logf.c / e_log.c, vectorised): x = 2^k m with m in [sqrt(2)/2, sqrt(2))
// (exponent and significand taken from the bits; subnormals scaled by 2^25 / 2^54 first);
// f = m - 1 (exact), s = f / (2 + f); log(1 + f) = f - hfsq + s (hfsq + R(s^2)) with
// hfsq = f^2 / 2 and fdlibm's minimax R (float: 4 terms, |error| < 2^-34.2; double: 7 terms,
// < 2^-58.45); log(x) = k ln2_hi + (that + k ln2_lo). log1p: u = 1 + s rounded, the rounding
// error c = (1 + s) - u recovered exactly (Fast2Sum), log1p(s) = log(u) + c / u.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "simd/arch.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// k ln2 + log(1 + f) for f in [sqrt(2)/2 - 1, sqrt(2) - 1] and integer k (fdlibm's core).
template <class T, class Arch>
xsimd::batch<T, Arch> log_reduced(const xsimd::batch<T, Arch>& f, const xsimd::batch<T, Arch>& k) {
  using Batch = xsimd::batch<T, Arch>;
  const Batch s = f / (Batch(T(2)) + f);
  const Batch z = s * s;
  const Batch w = z * z;
  Batch R;
  T ln2_hi, ln2_lo;
  if constexpr (std::is_same_v<T, float>) {
    const Batch t1 = w * (Batch(4.0000972152e-01f) + w * Batch(2.4279078841e-01f));  // Lg2, Lg4
    const Batch t2 = z * (Batch(6.6666662693e-01f) + w * Batch(2.8498786688e-01f));  // Lg1, Lg3
    R = t2 + t1;
    ln2_hi = 6.9313812256e-01f;  // 0x3f317180: k ln2_hi exact
    ln2_lo = 9.0580006145e-06f;
  } else {
    const Batch t1 =
        w * (Batch(3.999999999940941908e-01) +
             w * (Batch(2.222219843214978396e-01) + w * Batch(1.531383769920937332e-01)));
    const Batch t2 =
        z * (Batch(6.666666666666735130e-01) +
             w * (Batch(2.857142874366239149e-01) +
                  w * (Batch(1.818357216161805012e-01) + w * Batch(1.479819860511658591e-01))));
    R = t2 + t1;
    ln2_hi = 6.93147180369123816490e-01;  // 3fe62e42 fee00000: k ln2_hi exact
    ln2_lo = 1.90821492927058770002e-10;
  }
  const Batch hfsq = Batch(T(0.5)) * f * f;
  return k * Batch(ln2_hi) - ((hfsq - (s * (hfsq + R) + k * Batch(ln2_lo))) - f);
}

// log(x) for x > 0 finite (normal or subnormal); the edges of the contract above.
template <class T, class Arch>
xsimd::batch<T, Arch> log_batch(const xsimd::batch<T, Arch>& x) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr T infinity = std::numeric_limits<T>::infinity();
  Batch k_correction(T(0)), scaled = x;
  const auto subnormal = x < Batch(std::numeric_limits<T>::min());
  Batch f, k;
  if constexpr (std::is_same_v<T, float>) {
    using Bits = xsimd::batch<std::int32_t, Arch>;
    scaled = xsimd::select(subnormal, x * Batch(0x1p25f), x);
    k_correction = xsimd::select(subnormal, Batch(25.0f), Batch(0.0f));
    const Bits bits = xsimd::bitwise_cast<Bits>(scaled);
    const Bits significand = bits & Bits(0x007fffff);
    // 0x800000 when the significand is >= ~sqrt(2): then take m / 2 and k + 1.
    const Bits high = (significand + Bits(0x4afb0d)) & Bits(0x800000);
    const Batch m = xsimd::bitwise_cast<Batch>(significand | (high ^ Bits(0x3f800000)));
    // The biased exponent (bits >> 23, x > 0) as a float: OR it into 2^23's significand.
    const Bits exponent = (bits >> 23) | Bits(0x4b000000);
    k = (xsimd::bitwise_cast<Batch>(exponent) - Batch(0x1p23f + 127.0f)) +
        xsimd::select(m < Batch(1.0f), Batch(1.0f), Batch(0.0f));
    f = m - Batch(1.0f);
  } else {
    using Bits = xsimd::batch<std::uint64_t, Arch>;
    scaled = xsimd::select(subnormal, x * Batch(0x1p54), x);
    k_correction = xsimd::select(subnormal, Batch(54.0), Batch(0.0));
    const Bits bits = xsimd::bitwise_cast<Bits>(scaled);
    const Bits significand = bits & Bits(0x000fffffffffffffULL);
    const Bits high = (significand + Bits(0x00095f6400000000ULL)) & Bits(0x0010000000000000ULL);
    const Batch m = xsimd::bitwise_cast<Batch>(significand | (high ^ Bits(0x3ff0000000000000ULL)));
    const Bits exponent = (bits >> 52) | Bits(0x4330000000000000ULL);
    k = (xsimd::bitwise_cast<Batch>(exponent) - Batch(0x1p52 + 1023.0)) +
        xsimd::select(m < Batch(1.0), Batch(1.0), Batch(0.0));
    f = m - Batch(1.0);
  }
  k = k - k_correction;
  const Batch result = log_reduced<T, Arch>(f, k);
  // Edges: +inf -> +inf, 0 -> -inf, negative or NaN -> NaN.
  const auto regular = (x > Batch(T(0))) && (x < Batch(infinity));
  return xsimd::select(regular, result,
                       xsimd::select(x == Batch(T(0)), Batch(-infinity),
                                     xsimd::select(x == Batch(infinity), x,
                                                   Batch(std::numeric_limits<T>::quiet_NaN()))));
}

// log(1 + s) for s >= 0, full relative precision for small s (the contract above).
template <class T, class Arch>
xsimd::batch<T, Arch> log1p_nonnegative(const xsimd::batch<T, Arch>& s) {
  using Batch = xsimd::batch<T, Arch>;
  const Batch one(T(1));
  const Batch u = one + s;
  // Fast2Sum: the larger addend first.
  const Batch big = xsimd::max(one, s), small = xsimd::min(one, s);
  const Batch correction = small - (u - big);
  const Batch large_result = log_batch<T, Arch>(u) + correction / u;
  // Below sqrt(2) - 1 the reduced argument is s itself, exact: no correction to round.
  const Batch small_result = log_reduced<T, Arch>(s, Batch(T(0)));
  const Batch result = xsimd::select(s < Batch(T(0.41421356237309504)), small_result, large_result);
  return xsimd::select(s < Batch(std::numeric_limits<T>::infinity()), result, s + s);
}

template <class T, class Arch>
void log_batches(const T* input, T* output, std::size_t count, bool log1p) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  auto apply = [log1p](const Batch& x) {
    return log1p ? log1p_nonnegative<T, Arch>(x) : log_batch<T, Arch>(x);
  };
  std::size_t index = 0;
  for (; index + width <= count; index += width) {
    apply(Batch::load_unaligned(input + index)).store_unaligned(output + index);
  }
  if (index < count) {
    alignas(64) T padded[width] = {};
    for (std::size_t lane = 0; index + lane < count; ++lane) padded[lane] = input[index + lane];
    apply(Batch::load_aligned(padded)).store_aligned(padded);
    for (std::size_t lane = 0; index + lane < count; ++lane) output[index + lane] = padded[lane];
  }
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
