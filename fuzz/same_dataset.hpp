// Whether two parses gave the same Dataset (or SparseDataset): shape, labels, and every value
// (and column index) bit for bit. The fuzzers compare the streamed and part-wise parses with the
// whole text's.
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

}  // namespace softmaxkit::fuzz
