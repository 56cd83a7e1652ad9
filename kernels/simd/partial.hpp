// Loads and stores of the first `count` (< batch size) elements of a batch, for row tails.
// AVX2 and AVX-512 use masked moves, which never touch memory past the row (no fault, no race
// with a neighbouring row written by another thread); SSE2 goes through a stack buffer.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

#if defined(__AVX2__)
// AVX2 lane mask for the first `count` lanes of a batch of T: all ones in lanes [0, count).
// A template on Arch so each ISA's copy is its own symbol.
template <class T, class Arch>
__m256i avx2_lane_mask(std::size_t count) {
  if constexpr (std::is_same_v<T, float>) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  } else {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(count)),
                              _mm256_setr_epi64x(0, 1, 2, 3));
  }
}
#endif

// Lanes [0, count) from memory, the rest `fill`.
template <class T, class Arch>
xsimd::batch<T, Arch> load_partial(const T* source, std::size_t count, T fill) {
  using Batch = xsimd::batch<T, Arch>;
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    if constexpr (std::is_same_v<T, float>) {
      const auto mask = static_cast<__mmask16>((1u << count) - 1u);
      return Batch(_mm512_mask_loadu_ps(_mm512_set1_ps(fill), mask, source));
    } else {
      const auto mask = static_cast<__mmask8>((1u << count) - 1u);
      return Batch(_mm512_mask_loadu_pd(_mm512_set1_pd(fill), mask, source));
    }
  } else
#endif
#if defined(__AVX2__)
      if constexpr (is_avx2<Arch>) {
    const __m256i mask = avx2_lane_mask<T, Arch>(count);
    if constexpr (std::is_same_v<T, float>) {
      const __m256 loaded = _mm256_maskload_ps(source, mask);
      return Batch(_mm256_blendv_ps(_mm256_set1_ps(fill), loaded, _mm256_castsi256_ps(mask)));
    } else {
      const __m256d loaded = _mm256_maskload_pd(source, mask);
      return Batch(_mm256_blendv_pd(_mm256_set1_pd(fill), loaded, _mm256_castsi256_pd(mask)));
    }
  } else
#endif
  {
    alignas(64) T lanes[Batch::size];
    for (std::size_t lane = 0; lane < Batch::size; ++lane) {
      lanes[lane] = lane < count ? source[lane] : fill;
    }
    return Batch::load_aligned(lanes);
  }
}

// Writes lanes [0, count) and nothing else.
template <class T, class Arch>
void store_partial(T* destination, const xsimd::batch<T, Arch>& value, std::size_t count) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    if constexpr (std::is_same_v<T, float>) {
      _mm512_mask_storeu_ps(destination, static_cast<__mmask16>((1u << count) - 1u), value);
    } else {
      _mm512_mask_storeu_pd(destination, static_cast<__mmask8>((1u << count) - 1u), value);
    }
    return;
  } else
#endif
#if defined(__AVX2__)
      if constexpr (is_avx2<Arch>) {
    const __m256i mask = avx2_lane_mask<T, Arch>(count);
    if constexpr (std::is_same_v<T, float>) {
      _mm256_maskstore_ps(destination, mask, value);
    } else {
      _mm256_maskstore_pd(destination, mask, value);
    }
    return;
  } else
#endif
  {
    alignas(64) T lanes[xsimd::batch<T, Arch>::size];
    value.store_aligned(lanes);
    for (std::size_t lane = 0; lane < count; ++lane) destination[lane] = lanes[lane];
  }
}

// The first `lanes` (1..batch size) elements: a plain load or store for a full batch, the
// masked forms above for a tail.
template <class T, class Arch>
xsimd::batch<T, Arch> load_lanes(const T* source, std::size_t lanes) {
  using Batch = xsimd::batch<T, Arch>;
  return lanes == Batch::size ? Batch::load_unaligned(source)
                              : load_partial<T, Arch>(source, lanes, T(0));
}

template <class T, class Arch>
void store_lanes(T* destination, const xsimd::batch<T, Arch>& value, std::size_t lanes) {
  if (lanes == xsimd::batch<T, Arch>::size) {
    value.store_unaligned(destination);
  } else {
    store_partial<T, Arch>(destination, value, lanes);
  }
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
