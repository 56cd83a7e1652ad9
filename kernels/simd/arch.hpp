// Per-ISA code only (kernels/simd/): the xsimd architecture of this translation unit and the
// few operations xsimd 8.1 gets wrong or lacks.
//
// Every header in kernels/simd/ opens namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA, a macro
// that only kernels/simd/<isa>.cpp defines. So every function, template instantiation and inline
// variable compiled with one ISA's flags has a name of its own: the linker can never keep an
// AVX-512 copy of a helper for a caller on an SSE2 machine (scripts/check-isa-symbols checks the
// object files for any symbol outside the namespace).
#pragma once

#if !defined(SOFTMAXKIT_SIMD_ISA) || !defined(SOFTMAXKIT_SIMD_ARCH)
#error "kernels/simd/ headers are included only by kernels/simd/<isa>.cpp"
#endif

#include <immintrin.h>

#include <type_traits>
#include <xsimd/xsimd.hpp>

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// The architecture this translation unit is compiled for, named by the kernels/simd/<isa>.cpp
// that includes these headers. Bodies stay templates on Arch (so a body reads the same for every
// ISA), but every instantiation lives in this ISA's namespace.
using IsaArch = SOFTMAXKIT_SIMD_ARCH;

// Compile-time questions the bodies ask of an architecture, answered in this one place.
template <class Arch>
inline constexpr bool is_avx512 = std::is_same_v<Arch, xsimd::avx512bw>;
template <class Arch>
inline constexpr bool is_avx2 = std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>;
template <class Arch>
inline constexpr bool is_sse2 = std::is_same_v<Arch, xsimd::sse2>;

template <class Arch>
inline constexpr bool has_fused_multiply_add = !is_sse2<Arch>;

// a * b + c, fused (one rounding) where the ISA has FMA. xsimd 8.1's avx512 fma is a*b+c that
// is fused only if the compiler contracts it, and we build kernels with -ffp-contract=off.
template <class T, class Arch>
inline xsimd::batch<T, Arch> fused_multiply_add(const xsimd::batch<T, Arch>& a,
                                                const xsimd::batch<T, Arch>& b,
                                                const xsimd::batch<T, Arch>& c) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
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
  if constexpr (is_avx512<Arch>) {
    if constexpr (std::is_same_v<T, float>) {
      return _mm512_mask_add_ps(accumulator, mask, accumulator, value);
    } else {
      return _mm512_mask_add_pd(accumulator, mask, accumulator, value);
    }
  }
#endif
  return accumulator + xsimd::select(mask, value, xsimd::batch<T, Arch>(T(0)));
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
