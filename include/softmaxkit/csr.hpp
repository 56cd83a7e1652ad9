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

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

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

// An owning CSR matrix, validated like the view.
template <class T>
class CsrMatrix {
 public:
  CsrMatrix() = default;
  CsrMatrix(std::size_t rows, std::size_t cols, std::vector<std::int64_t> row_offsets,
            std::vector<std::int32_t> column_indices, std::vector<T> values)
      : row_offsets_(std::move(row_offsets)),
        column_indices_(std::move(column_indices)),
        values_(std::move(values)),
        view_(rows, cols, row_offsets_, column_indices_, values_) {}
  CsrMatrix(const CsrMatrix& other)
      : CsrMatrix(other.rows(), other.cols(), other.row_offsets_, other.column_indices_,
                  other.values_) {}
  CsrMatrix(CsrMatrix&&) noexcept = default;  // vectors keep their buffers: the view stays valid
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
