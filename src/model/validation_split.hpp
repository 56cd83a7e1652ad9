// A deterministic hold-out split for early stopping: row i is held out when a fixed hash of i
// falls below the fraction, so the split depends on nothing but the row index.
#pragma once

#include <cstdint>
#include <vector>

namespace softmaxkit::detail {

inline bool is_held_out(std::size_t row, double fraction) {
  std::uint64_t h = static_cast<std::uint64_t>(row) + 0x9E3779B97F4A7C15ULL;  // splitmix64
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53 < fraction;
}

}  // namespace softmaxkit::detail
