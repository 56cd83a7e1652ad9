// A sum over floats bound by memory, not by add latency: the read floor the stream_read and
// memory_read_mt entries measure.
#pragma once

#include <cstddef>

namespace softmaxkit::bench {

// Sixteen independent partial sums, added in a fixed order.
inline double memory_bound_sum(const float* values, std::size_t count) {
  float partial[16] = {};
  std::size_t j = 0;
  for (; j + 16 <= count; j += 16)
    for (int lane = 0; lane < 16; ++lane) partial[lane] += values[j + lane];
  double total = 0;
  for (; j < count; ++j) total += values[j];
  for (float value : partial) total += value;
  return total;
}

}  // namespace softmaxkit::bench
