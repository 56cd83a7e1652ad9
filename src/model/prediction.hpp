// Class probabilities for a trained model: logits W x + b (OpenBLAS dgemm over blocks of rows
// fixed by the shape), then softmax_rows, in double: each probability within softmax_rows' double
// bound of the softmax of the double logits. Float rows are widened a block at a time: at most
// 64 MB per task (fewer rows per block when rows have more than 32768 features).
// Rows are independent and processed in parallel; the result does not depend on thread count.
#pragma once

#include <cstddef>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

template <class T>
std::vector<double> softmax_regression_probabilities(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);

// CSR rows: logits b + sum over a row's entries of x_ij W^T[j, :] (W transposed once into an
// n x K double copy, so each entry reads K contiguous values), in double, in the order of the
// row's entries; then softmax_rows. Memory: the transposed copy, n K doubles.
template <class T>
std::vector<double> softmax_regression_probabilities(const CsrMatrixView<T>& features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);

}  // namespace softmaxkit::detail
