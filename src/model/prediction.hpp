// Class probabilities for a trained model: logits W x + b (OpenBLAS dgemm over blocks of rows
// fixed by the shape), then softmax_rows, in double: each probability within softmax_rows' double
// bound of the softmax of the double logits. Float rows are widened a block at a time: at most
// 64 MB per task (fewer rows per block when rows have more than 32768 features).
// Rows are independent and processed in parallel; the result does not depend on thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

// Rows per block: fixed by the shape, so which rows share a dgemm call never depends on the
// thread count.
constexpr std::size_t kPredictionBlockRows = 256;
// CSR prediction reads W's columns in place (strided) when the matrix has fewer than
// cols / kCsrStridedReadsPerCopy entries, and through a transposed copy of W otherwise: a strided
// read of an entry's K weights cost about as much as copying this many features' K weights
// (news20's shape, one thread: the two ways break even near 30,000 entries for 62,061 features).
constexpr std::size_t kCsrStridedReadsPerCopy = 2;
// Float rows are widened to double a block at a time; very wide rows get fewer rows per block so
// that each task's copy stays within this (256 rows of 784 features take 1.6 MB; a block of
// 3 million features took 6 GB per task before this bound).
constexpr std::size_t kWidenedBlockBytes = std::size_t{64} << 20;
// min(kPredictionBlockRows, kWidenedBlockBytes / (8 cols)), at least 1: 256 up to 32768 features.
std::size_t prediction_block_rows(std::size_t cols);

template <class T>
std::vector<double> softmax_regression_probabilities(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);

// CSR rows: logits b + sum over a row's entries of x_ij W[:, j], in double, in the order of the
// row's entries (a multiply then an add), then softmax_rows. W is read through a transposed
// n x K copy (each entry's K values contiguous; n K doubles, tiled) when the call has at least
// n / kCsrStridedReadsPerCopy entries, in place below that: the same bits either way.
template <class T>
std::vector<double> softmax_regression_probabilities(const CsrMatrixView<T>& features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);

// The logits alone (the same products, the same bits as those softmax_rows then reads).
template <class T>
std::vector<double> softmax_regression_logits(MatrixView<const T> features,
                                              const std::vector<double>& weights,
                                              const std::vector<double>& intercept,
                                              std::size_t num_classes);
template <class T>
std::vector<double> softmax_regression_logits(const CsrMatrixView<T>& features,
                                              const std::vector<double>& weights,
                                              const std::vector<double>& intercept,
                                              std::size_t num_classes);

// Hands each block of rows' logits (count x num_classes, row-major, the bits
// softmax_regression_logits gives those rows) to visit(begin, count, logits), in a buffer of one
// block per task: blocks run in parallel, each once, in no set order. For reductions over rows
// (labels, a held-out log-loss) that need no rows x K array.
using LogitBlockVisitor =
    std::function<void(std::size_t begin, std::size_t count, const double* logits)>;
template <class T>
void for_each_logit_block(MatrixView<const T> features, const std::vector<double>& weights,
                          const std::vector<double>& intercept, std::size_t num_classes,
                          const LogitBlockVisitor& visit);
template <class T>
void for_each_logit_block(const CsrMatrixView<T>& features, const std::vector<double>& weights,
                          const std::vector<double>& intercept, std::size_t num_classes,
                          const LogitBlockVisitor& visit);

// Each row's predicted class index (predicted_class of its logits), kNoPredictedClass for a row
// without one; the logits are made a block at a time and never held for all rows (m x 4 bytes,
// where predict_proba needs m x K x 8).
inline constexpr std::int32_t kNoPredictedClass = -1;
template <class T>
std::vector<std::int32_t> softmax_regression_classes(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);
template <class T>
std::vector<std::int32_t> softmax_regression_classes(const CsrMatrixView<T>& features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes);

// The class a row of logits predicts: the largest logit, the first on an exact tie, or
// kNoPrediction for a row whose probabilities are NaN (a NaN logit, one overflowed to +inf, or
// every one -inf). Taken on the logits, not the rounded probabilities: logits 0.5 and 0.5 + 2^-53
// have the same double probabilities, whose first maximum was the smaller logit's class.
inline constexpr std::size_t kNoPrediction = static_cast<std::size_t>(-1);
std::size_t predicted_class(const double* logits, std::size_t classes);

}  // namespace softmaxkit::detail
