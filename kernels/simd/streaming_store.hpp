// Non-temporal ("streaming") stores for outputs too large to stay in any cache: they write whole
// cache lines without reading them first (no read-for-ownership), so a row kernel that reads one
// matrix and writes another moves 8 bytes per float instead of 12 (row_transform with
// streaming = true, simd/rows.hpp, writes a row this way). Streaming stores are weakly
// ordered: a kernel that used them calls streaming_fence() before it returns, so whatever
// synchronises with the writing thread afterwards (a TBB join) sees the data. Once per call, not
// per row: a fence waits for the write-combining buffers to drain.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// destination is aligned to the batch's size in bytes.
template <class T, class Arch>
void store_streaming(T* destination, const xsimd::batch<T, Arch>& value) {
  constexpr bool is_float = std::is_same_v<T, float>;
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    if constexpr (is_float) {
      _mm512_stream_ps(destination, value);
    } else {
      _mm512_stream_pd(destination, value);
    }
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (is_avx2<Arch>) {
    if constexpr (is_float) {
      _mm256_stream_ps(destination, value);
    } else {
      _mm256_stream_pd(destination, value);
    }
    return;
  }
#endif
  if constexpr (is_sse2<Arch>) {
    if constexpr (is_float) {
      _mm_stream_ps(destination, value);
    } else {
      _mm_stream_pd(destination, value);
    }
  }
}

inline void streaming_fence() {
  _mm_sfence();
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
