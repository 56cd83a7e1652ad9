// Whether two parses gave the same Dataset: shape, labels, and every value bit for bit (the
// fuzzers compare the streamed and part-wise parses with the whole text's).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "softmaxkit/data.hpp"

namespace softmaxkit::fuzz {

inline bool same_dataset(const Dataset& a, const Dataset& b) {
  return a.rows == b.rows && a.cols == b.cols && a.labels == b.labels &&
         std::equal(a.features.begin(), a.features.end(), b.features.begin(), b.features.end(),
                    [](float x, float y) {
                      return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
                    });
}

}  // namespace softmaxkit::fuzz
