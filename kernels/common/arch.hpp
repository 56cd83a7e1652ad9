// Included only by per-ISA translation units: maps softmaxkit::Isa to the xsimd architecture
// and supplies the few operations xsimd 8.1 gets wrong or lacks.
#pragma once

#include <immintrin.h>

#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <Isa isa>
struct ArchFor;
template <>
struct ArchFor<Isa::sse2> {
  using type = xsimd::sse2;
};
#if defined(__AVX2__) && defined(__FMA__)
template <>
struct ArchFor<Isa::avx2> {
  // Plain xsimd::avx2 never emits FMA in xsimd 8.1; fma3<avx2> does.
  using type = xsimd::fma3<xsimd::avx2>;
};
#endif
#if defined(__AVX512BW__) && defined(__AVX512DQ__)
template <>
struct ArchFor<Isa::avx512> {
  using type = xsimd::avx512bw;
};
#endif

template <Isa isa>
using Arch = typename ArchFor<isa>::type;

template <class Arch>
inline constexpr bool has_fused_multiply_add = !std::is_same_v<Arch, xsimd::sse2>;

// a * b + c, fused (one rounding) where the ISA has FMA. xsimd 8.1's avx512 fma is a*b+c that
// is fused only if the compiler contracts it, and we build kernels with -ffp-contract=off.
template <class T, class Arch>
inline xsimd::batch<T, Arch> fused_multiply_add(const xsimd::batch<T, Arch>& a,
                                                const xsimd::batch<T, Arch>& b,
                                                const xsimd::batch<T, Arch>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    if constexpr (std::is_same_v<T, float>) {
      return _mm512_fmadd_ps(a, b, c);
    } else {
      return _mm512_fmadd_pd(a, b, c);
    }
  } else
#endif
  {
    return xsimd::fma(a, b, c);
  }
}

// accumulator + (mask ? value : 0): one masked add on AVX-512, a select and an add elsewhere.
template <class T, class Arch>
xsimd::batch<T, Arch> add_where(const xsimd::batch<T, Arch>& accumulator,
                                const xsimd::batch_bool<T, Arch>& mask,
                                const xsimd::batch<T, Arch>& value) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    if constexpr (std::is_same_v<T, float>) {
      return _mm512_mask_add_ps(accumulator, mask, accumulator, value);
    } else {
      return _mm512_mask_add_pd(accumulator, mask, accumulator, value);
    }
  }
#endif
  return accumulator + xsimd::select(mask, value, xsimd::batch<T, Arch>(T(0)));
}

}  // namespace softmaxkit::detail
