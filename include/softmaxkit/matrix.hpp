// MatrixView: a non-owning row-major view with a row stride (in elements), so a caller can pass
// a block of a larger buffer. Construction checks the shape; element access does not.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "softmaxkit/error.hpp"

namespace softmaxkit {

template <class T>
class MatrixView {
 public:
  MatrixView() = default;
  MatrixView(T* data, std::size_t rows, std::size_t cols) : MatrixView(data, rows, cols, cols) {}
  MatrixView(T* data, std::size_t rows, std::size_t cols, std::size_t stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {
    if (stride < cols) {
      throw Error("MatrixView: stride " + std::to_string(stride) + " is smaller than cols " +
                  std::to_string(cols));
    }
    if (data == nullptr && rows != 0 && cols != 0) {
      throw Error("MatrixView: data is null but the shape is " + std::to_string(rows) + " x " +
                  std::to_string(cols));
    }
  }
  // A view of mutable data converts to a view of const data.
  template <class U>
  requires std::is_same_v<const U, T> MatrixView(
      const MatrixView<U>& other)  // NOLINT(google-explicit-constructor)
      : data_(other.data()), rows_(other.rows()), cols_(other.cols()), stride_(other.stride()) {}

  T* data() const { return data_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t stride() const { return stride_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  T* row(std::size_t index) const { return data_ + index * stride_; }
  T& operator()(std::size_t row_index, std::size_t col) const {
    return data_[row_index * stride_ + col];
  }
  // Rows [first, first + count) as a view.
  MatrixView row_block(std::size_t first, std::size_t count) const {
    MatrixView block;
    block.data_ = data_ == nullptr ? nullptr : data_ + first * stride_;
    block.rows_ = count;
    block.cols_ = cols_;
    block.stride_ = stride_;
    return block;
  }

 private:
  T* data_ = nullptr;
  std::size_t rows_ = 0, cols_ = 0, stride_ = 0;
};

}  // namespace softmaxkit
