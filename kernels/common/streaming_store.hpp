// Non-temporal ("streaming") stores for outputs too large to stay in any cache: they write whole
// cache lines without reading them first (no read-for-ownership), so a row kernel that reads one
// matrix and writes another moves 8 bytes per float instead of 12. Streaming stores are weakly
// ordered: a kernel that used them calls streaming_fence() before it returns, so whatever
// synchronises with the writing thread afterwards (a TBB join) sees the data. Once per call, not
// per row: a fence waits for the write-combining buffers to drain.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "common/partial.hpp"

namespace softmaxkit::detail {

// destination is aligned to the batch's size in bytes.
template <class T, class Arch>
void store_streaming(T* destination, const xsimd::batch<T, Arch>& value) {
  constexpr bool is_float = std::is_same_v<T, float>;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    if constexpr (is_float) {
      _mm512_stream_ps(destination, value);
    } else {
      _mm512_stream_pd(destination, value);
    }
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    if constexpr (is_float) {
      _mm256_stream_ps(destination, value);
    } else {
      _mm256_stream_pd(destination, value);
    }
    return;
  }
#endif
  if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
    if constexpr (is_float) {
      _mm_stream_ps(destination, value);
    } else {
      _mm_stream_pd(destination, value);
    }
  }
}

// Like row_transform (common/row_simd.hpp): destination[k] = f(k, batch of source at k, lanes),
// lanes mapping one to one to elements, so the values do not depend on where the row is cut.
// The unaligned head and the tail use ordinary partial stores, the aligned middle streams.
template <class T, class Arch, class Function>
void row_transform_streaming(const T* source, T* destination, std::size_t count, T fill,
                             Function&& f) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  constexpr std::size_t alignment = width * sizeof(T);
  const std::size_t misalignment = reinterpret_cast<std::uintptr_t>(destination) % alignment;
  std::size_t head = misalignment == 0 ? 0 : (alignment - misalignment) / sizeof(T);
  head = head < count ? head : count;
  if (head > 0) {
    store_partial<T, Arch>(destination, f(0, load_partial<T, Arch>(source, head, fill), head),
                           head);
  }
  std::size_t k = head;
  for (; k + width <= count; k += width) {
    store_streaming<T, Arch>(destination + k, f(k, Batch::load_unaligned(source + k), width));
  }
  if (k < count) {
    store_partial<T, Arch>(destination + k,
                           f(k, load_partial<T, Arch>(source + k, count - k, fill), count - k),
                           count - k);
  }
}

inline void streaming_fence() {
  _mm_sfence();
}

}  // namespace softmaxkit::detail
