// Class probabilities through the library's kernels: logits X W^T + b by OpenBLAS dgemm, then
// softmax_rows, both in double (features in float are widened first, exactly).
#include "model/prediction.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "loss/blas.hpp"
#include "loss/weight_layout.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit::detail {

std::size_t prediction_block_rows(std::size_t cols) {
  const std::size_t bytes_per_row = std::max<std::size_t>(cols, 1) * sizeof(double);
  return std::clamp<std::size_t>(kWidenedBlockBytes / bytes_per_row, 1, kPredictionBlockRows);
}

namespace {

// Each block's logits (count x K), then finish(begin, count, z) while they are in cache: in `out`
// (rows x K) when it is given, else in a buffer of one block per task (predict's classes need
// no rows x K array: 100,000 rows of 1000 classes held 800 MB for their labels).
template <class T, class Finish>
void dense_blocks(MatrixView<const T> features, const std::vector<double>& weights,
                  const std::vector<double>& intercept, std::size_t num_classes, double* out,
                  const Finish& finish) {
  const std::size_t rows = features.rows(), cols = features.cols(), classes = num_classes;
  if (rows == 0 || classes == 0) return;
  const std::size_t block_rows = prediction_block_rows(cols);
  const std::size_t blocks = (rows + block_rows - 1) / block_rows;
  SingleThreadedBlas single_threaded_blas;  // our TBB tasks already use every core
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, blocks, 1),
      [&](const tbb::blocked_range<std::size_t>& range) {
        std::vector<double> widened;  // float rows as double, once per task
        if constexpr (std::is_same_v<T, float>) widened.resize(std::min(block_rows, rows) * cols);
        std::vector<double> own_logits(out ? 0 : std::min(block_rows, rows) * classes);
        for (std::size_t block = range.begin(); block != range.end(); ++block) {
          const std::size_t begin = block * block_rows;
          const std::size_t count = std::min(block_rows, rows - begin);
          const double* x = nullptr;
          std::size_t x_stride = cols;
          if constexpr (std::is_same_v<T, float>) {
            for (std::size_t i = 0; i < count; ++i) {
              const float* row = features.row(begin + i);
              std::copy(row, row + cols, widened.begin() + static_cast<std::ptrdiff_t>(i * cols));
            }
            x = widened.data();
          } else {
            x = features.row(begin);
            x_stride = features.stride();
          }
          double* z = out ? out + begin * classes : own_logits.data();
          for (std::size_t i = 0; i < count; ++i)
            std::copy(intercept.begin(), intercept.end(), z + i * classes);
          gemm(false, true, count, classes, cols, 1.0, x, x_stride, weights.data(), cols, 1.0, z,
               classes);
          finish(begin, count, z);
        }
      });
}

// Classes [first, first + N) of one row's logits: the intercept, then value x W's entry for each
// of the row's entries in order (a multiply then an add: the same bits whichever way W is read,
// and for any N). The sums stay in registers across the entries; summed in place in the output
// row, each entry's add waited for the previous entry's store (4.4 against 1.1 ms for scipy's
// product at K = 2 on news20's shape). `w` is the transposed n x K copy of W, or with kInPlace
// W itself (K x n, a feature's classes cols apart).
template <int N, bool kInPlace, class T>
void csr_row_logits_tile(const std::int32_t* columns, const T* values, std::size_t begin,
                         std::size_t end, const double* w, std::size_t classes, std::size_t cols,
                         std::size_t first, const double* intercept, double* zi) {
  const std::size_t feature_step = kInPlace ? 1 : classes, class_step = kInPlace ? cols : 1;
  double sums[N];
  for (int k = 0; k < N; ++k) sums[k] = intercept[first + k];
  for (std::size_t e = begin; e < end; ++e) {
    const double v = static_cast<double>(values[e]);
    const double* wj = w + static_cast<std::size_t>(columns[e]) * feature_step + first * class_step;
    for (int k = 0; k < N; ++k) sums[k] += v * wj[static_cast<std::size_t>(k) * class_step];
  }
  for (int k = 0; k < N; ++k) zi[first + k] = sums[k];
}

constexpr std::size_t kLogitsTileClasses = 8;

// f(std::integral_constant<int, n>) for a run-time n in [1, N].
template <std::size_t N, class F>
void with_tile_size(std::size_t n, const F& f) {
  if constexpr (N > 1) {
    if (n < N) return with_tile_size<N - 1>(n, f);
  }
  f(std::integral_constant<int, static_cast<int>(N)>{});
}

template <bool kInPlace, class T>
void csr_block_logits(const CsrMatrixView<T>& features, std::size_t begin, std::size_t count,
                      const double* w, const std::vector<double>& intercept, double* z) {
  const std::size_t classes = intercept.size(), cols = features.cols();
  const std::int32_t* columns = features.column_indices().data();
  const T* values = features.values().data();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t row_begin = features.row_begin(begin + i),
                      row_end = features.row_end(begin + i);
    for (std::size_t first = 0; first < classes; first += kLogitsTileClasses) {
      const auto tile = [&]<int N>(std::integral_constant<int, N>) {
        csr_row_logits_tile<N, kInPlace>(columns, values, row_begin, row_end, w, classes, cols,
                                         first, intercept.data(), z + i * classes);
      };
      with_tile_size<kLogitsTileClasses>(std::min(kLogitsTileClasses, classes - first), tile);
    }
  }
}

// As dense_blocks, for CSR rows.
template <class T, class Finish>
void csr_blocks(const CsrMatrixView<T>& features, const std::vector<double>& weights,
                const std::vector<double>& intercept, std::size_t num_classes, double* out,
                const Finish& finish) {
  const std::size_t rows = features.rows(), cols = features.cols(), classes = num_classes;
  if (rows == 0 || classes == 0) return;
  // The transposed copy makes each entry's K weights contiguous, at the price of touching all of
  // W (and allocating its size) per call: for few entries (one row of a news20-sized model,
  // ~100 entries against 62061 x 20 weights) reading W's columns in place took 0.2 ms against
  // 5.9 ms for the untiled copy this replaced (1.3 ms tiled), with the same bits.
  const bool in_place = features.nnz() < cols / kCsrStridedReadsPerCopy;
  std::unique_ptr<double[]> transposed;  // every element written by transpose: not zeroed first
  if (!in_place) {
    transposed = std::make_unique_for_overwrite<double[]>(cols * classes);
    transpose(weights.data(), classes, cols, transposed.get());  // loss/weight_layout.hpp's tiles
  }
  const std::size_t blocks = (rows + kPredictionBlockRows - 1) / kPredictionBlockRows;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, blocks, 1),
      [&](const tbb::blocked_range<std::size_t>& range) {
        std::vector<double> own_logits(out ? 0 : std::min(kPredictionBlockRows, rows) * classes);
        for (std::size_t block = range.begin(); block != range.end(); ++block) {
          const std::size_t begin = block * kPredictionBlockRows;
          const std::size_t count = std::min(kPredictionBlockRows, rows - begin);
          double* z = out ? out + begin * classes : own_logits.data();
          if (in_place) {
            csr_block_logits<true>(features, begin, count, weights.data(), intercept, z);
          } else {
            csr_block_logits<false>(features, begin, count, transposed.get(), intercept, z);
          }
          finish(begin, count, z);
        }
      });
}

// Every row's logits, or with with_softmax their probabilities, from either representation's
// blocks (Blocks: dense_blocks or csr_blocks).
template <class Features, class Blocks>
std::vector<double> rows_of(const Features& features, const std::vector<double>& weights,
                            const std::vector<double>& intercept, std::size_t classes,
                            const Blocks& blocks, bool with_softmax) {
  std::vector<double> out(features.rows() * classes);
  blocks(features, weights, intercept, classes, out.data(),
         [&](std::size_t, std::size_t count, double* z) {
           if (with_softmax) softmax_rows(MatrixView<double>(z, count, classes));
         });
  return out;
}
constexpr auto kDense = [](const auto& features, const auto&... rest) {
  dense_blocks(features, rest...);
};
constexpr auto kCsr = [](const auto& features, const auto&... rest) {
  csr_blocks(features, rest...);
};

}  // namespace

template <class T>
std::vector<double> softmax_regression_probabilities(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes) {
  return rows_of(features, weights, intercept, num_classes, kDense, true);
}
template <class T>
std::vector<double> softmax_regression_probabilities(const CsrMatrixView<T>& features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes) {
  return rows_of(features, weights, intercept, num_classes, kCsr, true);
}
template <class T>
std::vector<double> softmax_regression_logits(MatrixView<const T> features,
                                              const std::vector<double>& weights,
                                              const std::vector<double>& intercept,
                                              std::size_t num_classes) {
  return rows_of(features, weights, intercept, num_classes, kDense, false);
}
template <class T>
std::vector<double> softmax_regression_logits(const CsrMatrixView<T>& features,
                                              const std::vector<double>& weights,
                                              const std::vector<double>& intercept,
                                              std::size_t num_classes) {
  return rows_of(features, weights, intercept, num_classes, kCsr, false);
}
template <class T>
void for_each_logit_block(MatrixView<const T> features, const std::vector<double>& weights,
                          const std::vector<double>& intercept, std::size_t num_classes,
                          const LogitBlockVisitor& visit) {
  dense_blocks(features, weights, intercept, num_classes, nullptr, visit);
}
template <class T>
void for_each_logit_block(const CsrMatrixView<T>& features, const std::vector<double>& weights,
                          const std::vector<double>& intercept, std::size_t num_classes,
                          const LogitBlockVisitor& visit) {
  csr_blocks(features, weights, intercept, num_classes, nullptr, visit);
}

namespace {
template <class Features>
std::vector<std::int32_t> classes_of(const Features& features, const std::vector<double>& weights,
                                     const std::vector<double>& intercept, std::size_t classes) {
  std::vector<std::int32_t> out(features.rows());
  for_each_logit_block(features, weights, intercept, classes,
                       [&](std::size_t begin, std::size_t count, const double* z) {
                         for (std::size_t i = 0; i < count; ++i) {
                           const std::size_t c = predicted_class(z + i * classes, classes);
                           out[begin + i] = c == kNoPrediction ? kNoPredictedClass
                                                               : static_cast<std::int32_t>(c);
                         }
                       });
  return out;
}
}  // namespace

template <class T>
std::vector<std::int32_t> softmax_regression_classes(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes) {
  return classes_of(features, weights, intercept, num_classes);
}
template <class T>
std::vector<std::int32_t> softmax_regression_classes(const CsrMatrixView<T>& features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes) {
  return classes_of(features, weights, intercept, num_classes);
}

std::size_t predicted_class(const double* logits, std::size_t classes) {
  bool any_above_minus_inf = false;
  for (std::size_t k = 0; k < classes; ++k) {
    if (std::isnan(logits[k]) || logits[k] == std::numeric_limits<double>::infinity())
      return kNoPrediction;
    any_above_minus_inf |= logits[k] > -std::numeric_limits<double>::infinity();
  }
  if (!any_above_minus_inf) return kNoPrediction;
  return static_cast<std::size_t>(std::max_element(logits, logits + classes) - logits);
}

// Each entry point for the four feature types (dense and CSR, float and double values).
#define SOFTMAXKIT_PREDICTION_FOR(Features)                                                        \
  template std::vector<double> softmax_regression_probabilities(                                   \
      Features, const std::vector<double>&, const std::vector<double>&, std::size_t);              \
  template std::vector<double> softmax_regression_logits(Features, const std::vector<double>&,     \
                                                         const std::vector<double>&, std::size_t); \
  template std::vector<std::int32_t> softmax_regression_classes(                                   \
      Features, const std::vector<double>&, const std::vector<double>&, std::size_t);              \
  template void for_each_logit_block(Features, const std::vector<double>&,                         \
                                     const std::vector<double>&, std::size_t,                      \
                                     const LogitBlockVisitor&);
SOFTMAXKIT_PREDICTION_FOR(MatrixView<const float>)
SOFTMAXKIT_PREDICTION_FOR(MatrixView<const double>)
SOFTMAXKIT_PREDICTION_FOR(const CsrMatrixView<float>&)
SOFTMAXKIT_PREDICTION_FOR(const CsrMatrixView<double>&)
#undef SOFTMAXKIT_PREDICTION_FOR

}  // namespace softmaxkit::detail
