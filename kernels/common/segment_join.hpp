// How one chunk's sum of a feature's entries joins that feature's running total in the
// column-major CSR product (loss/csr_columns.hpp). The row-wise scheme it reproduces adds every
// chunk's sum in chunk order, an empty chunk's sum being +0; adding +0 only turns a -0 total into
// +0, so several empty chunks in a row act as one, and a feature's first chunk with entries needs
// to know only whether chunks before it were empty.
#pragma once

#include <cstdint>

namespace softmaxkit::detail {

enum class SegmentJoin : std::uint8_t {
  first,              // the feature's first chunk with entries is chunk 0: total = sum
  first_after_empty,  // its first chunk with entries is a later one: total = +0 + sum
  after_empty,        // empty chunks since its last one with entries: total = (total + 0) + sum
  next,               // its last chunk with entries was the one before: total = total + sum
};

}  // namespace softmaxkit::detail
