// What the parser fuzzers share: whether two parses gave the same Dataset (or SparseDataset):
// shape, labels, and every value (and column index) bit for bit, as the streamed and part-wise
// parses must give the whole text's; and where to cut an input into parts.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "softmaxkit/data.hpp"

namespace softmaxkit::fuzz {

inline bool same_dataset(const Dataset& a, const Dataset& b) {
  return a.rows == b.rows && a.cols == b.cols && a.labels == b.labels &&
         std::equal(a.features.begin(), a.features.end(), b.features.begin(), b.features.end(),
                    [](float x, float y) {
                      return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
                    });
}

inline bool same_sparse_dataset(const SparseDataset& a, const SparseDataset& b) {
  const auto& x = a.features.view();
  const auto& y = b.features.view();
  return x.rows() == y.rows() && x.cols() == y.cols() && a.labels == b.labels &&
         std::equal(x.row_offsets().begin(), x.row_offsets().end(), y.row_offsets().begin(),
                    y.row_offsets().end()) &&
         std::equal(x.column_indices().begin(), x.column_indices().end(),
                    y.column_indices().begin(), y.column_indices().end()) &&
         std::equal(x.values().begin(), x.values().end(), y.values().begin(), y.values().end(),
                    [](float p, float q) {
                      return std::bit_cast<std::uint32_t>(p) == std::bit_cast<std::uint32_t>(q);
                    });
}

// `count` cuts at line starts of `text`, picked from `seed` (the input's size), ascending; equal
// ones make empty parts, as softmaxkit-mpi's ranks may have.
inline std::vector<std::size_t> line_start_cuts(std::string_view text, std::size_t count,
                                                std::size_t seed) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  std::vector<std::size_t> cuts;
  for (std::size_t c = 0; c < count; ++c)
    cuts.push_back(starts[(seed * 7919 + c * 104729) % starts.size()]);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

}  // namespace softmaxkit::fuzz
