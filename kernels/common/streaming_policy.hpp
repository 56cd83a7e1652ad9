// When a row kernel writes its output matrix with streaming stores (common/streaming_store.hpp).
// Built at baseline.
#pragma once

#include <cstddef>

namespace softmaxkit::detail {

// 32 MiB: about the last-level cache one core sees on common x86 parts, so an output this large
// would be evicted before a consumer read it back anyway; smaller outputs stay in cache for their
// consumer. Only where the bytes go depends on this, never the values.
inline constexpr std::size_t streaming_threshold_bytes = std::size_t{32} << 20;

inline bool streams_output(std::size_t rows, std::size_t cols, std::size_t element_size) {
  return rows * cols * element_size >= streaming_threshold_bytes;
}

}  // namespace softmaxkit::detail
