// CsrMatrixView's validation: once, at the boundary, naming the row and the entry.
#include <string>

#include "common/validate.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit {
namespace {

constexpr std::string_view kFunction = "CsrMatrixView";

std::string entry(std::size_t row, std::size_t offset, std::size_t row_begin) {
  return "row " + std::to_string(row) + ", entry " + std::to_string(offset - row_begin) +
         " (offset " + std::to_string(offset) + ")";
}

}  // namespace

template <class T>
CsrMatrixView<T>::CsrMatrixView(std::size_t rows, std::size_t cols,
                                std::span<const std::int64_t> row_offsets,
                                std::span<const std::int32_t> column_indices,
                                std::span<const T> values)
    : rows_(rows),
      cols_(cols),
      row_offsets_(row_offsets),
      column_indices_(column_indices),
      values_(values) {
  detail::check_not_null(kFunction, "row_offsets", row_offsets.data(), row_offsets.size());
  detail::check_not_null(kFunction, "column_indices", column_indices.data(), column_indices.size());
  detail::check_not_null(kFunction, "values", values.data(), values.size());
  if (cols > kCsrMaxColumns) {
    detail::fail(kFunction, "cols is " + std::to_string(cols) +
                                " but column indices are int32 (at most " +
                                std::to_string(kCsrMaxColumns) + " columns)");
  }
  if (row_offsets.empty() || row_offsets.size() - 1 != rows) {
    detail::fail(kFunction, "row_offsets has " + std::to_string(row_offsets.size()) +
                                " entries, expected rows + 1 (rows is " + std::to_string(rows) +
                                ")");
  }
  if (values.size() != column_indices.size()) {
    detail::fail(kFunction, "values has " + std::to_string(values.size()) +
                                " entries but column_indices has " +
                                std::to_string(column_indices.size()));
  }
  if (row_offsets[0] != 0) {
    detail::fail(kFunction, "row_offsets[0] is " + std::to_string(row_offsets[0]) + ", expected 0");
  }
  const auto nnz = static_cast<std::int64_t>(column_indices.size());
  for (std::size_t i = 0; i < rows; ++i) {
    const std::int64_t begin = row_offsets[i], end = row_offsets[i + 1];
    if (end < begin || end > nnz) {
      detail::fail(kFunction, "row_offsets[" + std::to_string(i + 1) + "] is " +
                                  std::to_string(end) + " (row " + std::to_string(i) +
                                  " starts at " + std::to_string(begin) +
                                  "; offsets must not decrease and must stay within the " +
                                  std::to_string(nnz) + " entries)");
    }
    std::int64_t previous = -1;
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int32_t column = column_indices[static_cast<std::size_t>(k)];
      const auto offset = static_cast<std::size_t>(k);
      if (column < 0 || static_cast<std::size_t>(column) >= cols) {
        detail::fail(kFunction, entry(i, offset, static_cast<std::size_t>(begin)) +
                                    ": column index " + std::to_string(column) +
                                    " is outside [0, " + std::to_string(cols) + ")");
      }
      if (column <= previous) {
        detail::fail(kFunction, entry(i, offset, static_cast<std::size_t>(begin)) +
                                    ": column index " + std::to_string(column) +
                                    (column == previous ? " repeats"
                                                        : " follows a larger one (" +
                                                              std::to_string(previous) + ")") +
                                    "; indices must be strictly increasing within a row");
      }
      previous = column;
    }
  }
  if (row_offsets[rows] != nnz) {
    detail::fail(kFunction, "row_offsets[rows] is " + std::to_string(row_offsets[rows]) +
                                " but column_indices has " + std::to_string(nnz) + " entries");
  }
}

template class CsrMatrixView<float>;
template class CsrMatrixView<double>;

}  // namespace softmaxkit
