// libFuzzer target for CsrMatrixView's validation. Byte 0: rows (0..15); byte 1: cols (0..255,
// 255 meaning kCsrMaxColumns + 1); then rows + 1 signed offsets (one byte each), then pairs of
// (column index: one signed byte, value: one byte). Whatever the validator accepts must be
// canonical CSR, checked here independently: offsets from 0 to nnz without decreasing, every
// index in [0, cols) and strictly increasing within its row.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t rows = data[0] % 16;
  const std::size_t cols = data[1] == 255 ? softmaxkit::kCsrMaxColumns + 1 : data[1];
  std::size_t at = 2;
  std::vector<std::int64_t> offsets;
  for (std::size_t i = 0; i <= rows && at < size; ++i)
    offsets.push_back(static_cast<std::int8_t>(data[at++]));
  std::vector<std::int32_t> indices;
  std::vector<float> values;
  for (; at + 1 < size; at += 2) {
    indices.push_back(static_cast<std::int8_t>(data[at]));
    values.push_back(static_cast<float>(data[at + 1]));
  }
  if (size % 3 == 0 && !values.empty()) values.pop_back();  // sometimes mismatched lengths
  try {
    const softmaxkit::CsrMatrixView<float> view(rows, cols, offsets, indices, values);
    if (view.row_offsets().size() != rows + 1 || view.row_offsets()[0] != 0) __builtin_trap();
    if (static_cast<std::size_t>(view.row_offsets()[rows]) != view.nnz()) __builtin_trap();
    if (view.values().size() != view.nnz()) __builtin_trap();
    for (std::size_t i = 0; i < rows; ++i) {
      if (view.row_offsets()[i + 1] < view.row_offsets()[i]) __builtin_trap();
      for (std::size_t k = view.row_begin(i); k < view.row_end(i); ++k) {
        const std::int32_t column = view.column_indices()[k];
        if (column < 0 || static_cast<std::size_t>(column) >= cols) __builtin_trap();
        if (k > view.row_begin(i) && column <= view.column_indices()[k - 1]) __builtin_trap();
      }
    }
  } catch (const softmaxkit::Error&) {
  }
  return 0;
}
