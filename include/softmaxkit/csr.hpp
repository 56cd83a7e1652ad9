// Compressed sparse row (CSR) matrices: the sparse form of a data set's features.
//
// Row i's entries are values[k] at column column_indices[k] for k in
// [row_offsets[i], row_offsets[i + 1]). The layout is scipy.sparse.csr_matrix's with int64
// offsets (indptr) and int32 column indices.
//
// Validated once, at construction (O(rows + nnz)); a bad matrix throws softmaxkit::Error naming
// the row and the entry:
//   - row_offsets has rows + 1 entries, starts at 0, never decreases, and ends at nnz;
//   - column_indices and values both have nnz entries (null only when nnz is 0);
//   - every column index is in [0, cols) and strictly increasing within its row (sorted, no
//     duplicates: what scipy calls canonical form);
//   - cols <= kCsrMaxColumns (column indices are int32).
// Values are not checked: NaN or inf propagates to the results, as with dense features.
// Empty rows and empty columns are fine.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "softmaxkit/error.hpp"

namespace softmaxkit {

inline constexpr std::size_t kCsrMaxColumns = std::size_t{1} << 31;

template <class T>
class CsrMatrixView {
 public:
  CsrMatrixView() = default;
  CsrMatrixView(std::size_t rows, std::size_t cols, std::span<const std::int64_t> row_offsets,
                std::span<const std::int32_t> column_indices, std::span<const T> values);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t nnz() const { return column_indices_.size(); }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  std::span<const std::int64_t> row_offsets() const { return row_offsets_; }
  std::span<const std::int32_t> column_indices() const { return column_indices_; }
  std::span<const T> values() const { return values_; }
  // Row i's entries: [row_begin(i), row_end(i)) index column_indices() and values().
  std::size_t row_begin(std::size_t i) const { return static_cast<std::size_t>(row_offsets_[i]); }
  std::size_t row_end(std::size_t i) const { return static_cast<std::size_t>(row_offsets_[i + 1]); }

 private:
  std::size_t rows_ = 0, cols_ = 0;
  std::span<const std::int64_t> row_offsets_;
  std::span<const std::int32_t> column_indices_;
  std::span<const T> values_;
};

namespace csr_detail {
[[noreturn]] inline void fail(const std::string& message) {
  detail::fail("CsrMatrixView", message);
}
inline void check_not_null(const char* argument, const void* data, std::size_t count) {
  if (data == nullptr && count != 0)
    fail(std::string(argument) + " is null but has " + std::to_string(count) + " elements");
}
inline std::string entry(std::size_t row, std::size_t offset, std::size_t row_begin) {
  return "row " + std::to_string(row) + ", entry " + std::to_string(offset - row_begin) +
         " (offset " + std::to_string(offset) + ")";
}

// Names the first entry of row i (entries [begin, end)) whose column index is out of range or not
// above the previous one; called only for a row that has one.
[[noreturn]] inline void fail_on_row(std::size_t i, std::int64_t begin, std::int64_t end,
                                     std::size_t cols,
                                     std::span<const std::int32_t> column_indices) {
  std::int64_t previous = -1;
  for (std::int64_t k = begin; k < end; ++k) {
    const std::int32_t column = column_indices[static_cast<std::size_t>(k)];
    const auto offset = static_cast<std::size_t>(k);
    if (column < 0 || static_cast<std::size_t>(column) >= cols) {
      fail(entry(i, offset, static_cast<std::size_t>(begin)) + ": column index " +
           std::to_string(column) + " is outside [0, " + std::to_string(cols) + ")");
    }
    if (column <= previous) {
      fail(entry(i, offset, static_cast<std::size_t>(begin)) + ": column index " +
           std::to_string(column) +
           (column == previous ? " repeats"
                               : " follows a larger one (" + std::to_string(previous) + ")") +
           "; indices must be strictly increasing within a row");
    }
    previous = column;
  }
  fail("row " + std::to_string(i) + ": a bad column index was reported but not found");
}
}  // namespace csr_detail

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
  csr_detail::check_not_null("row_offsets", row_offsets.data(), row_offsets.size());
  csr_detail::check_not_null("column_indices", column_indices.data(), column_indices.size());
  csr_detail::check_not_null("values", values.data(), values.size());
  if (cols > kCsrMaxColumns) {
    csr_detail::fail("cols is " + std::to_string(cols) + " but column indices are int32 (at most " +
                     std::to_string(kCsrMaxColumns) + " columns)");
  }
  if (row_offsets.empty() || row_offsets.size() - 1 != rows) {
    csr_detail::fail("row_offsets has " + std::to_string(row_offsets.size()) +
                     " entries, expected rows + 1 (rows is " + std::to_string(rows) + ")");
  }
  if (values.size() != column_indices.size()) {
    csr_detail::fail("values has " + std::to_string(values.size()) +
                     " entries but column_indices has " + std::to_string(column_indices.size()));
  }
  if (row_offsets[0] != 0) {
    csr_detail::fail("row_offsets[0] is " + std::to_string(row_offsets[0]) + ", expected 0");
  }
  const auto nnz = static_cast<std::int64_t>(column_indices.size());
  for (std::size_t i = 0; i < rows; ++i) {
    const std::int64_t begin = row_offsets[i], end = row_offsets[i + 1];
    if (end < begin || end > nnz) {
      csr_detail::fail("row_offsets[" + std::to_string(i + 1) + "] is " + std::to_string(end) +
                       " (row " + std::to_string(i) + " starts at " + std::to_string(begin) +
                       "; offsets must not decrease and must stay within the " +
                       std::to_string(nnz) + " entries)");
    }
    // Two reductions over the row that vectorise (a branch per entry took 40 % of a CSR
    // prediction's time): the largest index as unsigned (a negative one is above 2^31 - 1 and
    // so above any cols) and the count of indices not above their predecessor. The row is walked
    // again to name its first bad entry only when it has one.
    const std::int32_t* row_columns = column_indices.data() + begin;
    const auto count = static_cast<std::size_t>(end - begin);
    std::uint32_t largest = count ? static_cast<std::uint32_t>(row_columns[0]) : 0;
    std::size_t descents = 0;
    for (std::size_t k = 1; k < count; ++k) {
      largest = std::max(largest, static_cast<std::uint32_t>(row_columns[k]));
      descents += row_columns[k] <= row_columns[k - 1];
    }
    const bool row_ok = count == 0 || (largest < cols && descents == 0);
    if (!row_ok) csr_detail::fail_on_row(i, begin, end, cols, column_indices);
  }
  if (row_offsets[rows] != nnz) {
    csr_detail::fail("row_offsets[rows] is " + std::to_string(row_offsets[rows]) +
                     " but column_indices has " + std::to_string(nnz) + " entries");
  }
}

// An owning CSR matrix, validated like the view.
template <class T>
class CsrMatrix {
 public:
  // The empty matrix: 0 x 0, no arrays (what a moved-from matrix is too).
  CsrMatrix() = default;
  CsrMatrix(std::size_t rows, std::size_t cols, std::vector<std::int64_t> row_offsets,
            std::vector<std::int32_t> column_indices, std::vector<T> values)
      : row_offsets_(std::move(row_offsets)),
        column_indices_(std::move(column_indices)),
        values_(std::move(values)),
        view_(rows, cols, row_offsets_, column_indices_, values_) {}
  // A copy of the empty matrix is empty (it was refused: no row_offsets[0]).
  CsrMatrix(const CsrMatrix& other)
      : CsrMatrix(other.row_offsets_.empty()
                      ? CsrMatrix()
                      : CsrMatrix(other.rows(), other.cols(), other.row_offsets_,
                                  other.column_indices_, other.values_)) {}
  // The vectors keep their buffers, so the new owner's view stays valid; `other` becomes the
  // empty matrix (it kept its shape and a view of the buffers it no longer owned).
  CsrMatrix(CsrMatrix&& other) noexcept
      : row_offsets_(std::exchange(other.row_offsets_, {})),
        column_indices_(std::exchange(other.column_indices_, {})),
        values_(std::exchange(other.values_, {})),
        view_(std::exchange(other.view_, CsrMatrixView<T>())) {}
  CsrMatrix& operator=(CsrMatrix other) noexcept {
    row_offsets_.swap(other.row_offsets_);
    column_indices_.swap(other.column_indices_);
    values_.swap(other.values_);
    std::swap(view_, other.view_);
    return *this;
  }

  const CsrMatrixView<T>& view() const { return view_; }
  std::size_t rows() const { return view_.rows(); }
  std::size_t cols() const { return view_.cols(); }
  std::size_t nnz() const { return view_.nnz(); }

 private:
  std::vector<std::int64_t> row_offsets_;
  std::vector<std::int32_t> column_indices_;
  std::vector<T> values_;
  CsrMatrixView<T> view_;
};

}  // namespace softmaxkit
