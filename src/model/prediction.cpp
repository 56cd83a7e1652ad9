#include "model/prediction.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace softmaxkit::detail {

template <class T>
std::vector<double> softmax_regression_probabilities(MatrixView<const T> features,
                                                     const std::vector<double>& weights,
                                                     const std::vector<double>& intercept,
                                                     std::size_t num_classes) {
  const std::size_t rows = features.rows(), cols = features.cols(), classes = num_classes;
  // W transposed (n x K) so the inner loop runs over classes and vectorises without reordering
  // any sum.
  std::vector<double> transposed(cols * classes);
  for (std::size_t k = 0; k < classes; ++k)
    for (std::size_t j = 0; j < cols; ++j) transposed[j * classes + k] = weights[k * cols + j];
  std::vector<double> probabilities(rows * classes);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 256),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        double* logits = probabilities.data() + i * classes;
                        std::copy(intercept.begin(), intercept.end(), logits);
                        const T* x = features.row(i);
                        for (std::size_t j = 0; j < cols; ++j) {
                          const double value = static_cast<double>(x[j]);
                          const double* w = transposed.data() + j * classes;
                          for (std::size_t k = 0; k < classes; ++k) logits[k] += value * w[k];
                        }
                        const double maximum = *std::max_element(logits, logits + classes);
                        double sum = 0;
                        for (std::size_t k = 0; k < classes; ++k) {
                          logits[k] = std::exp(logits[k] - maximum);
                          sum += logits[k];
                        }
                        for (std::size_t k = 0; k < classes; ++k) logits[k] /= sum;
                      }
                    });
  return probabilities;
}

template std::vector<double> softmax_regression_probabilities<float>(
    MatrixView<const float>, const std::vector<double>&, const std::vector<double>&, std::size_t);
template std::vector<double> softmax_regression_probabilities<double>(
    MatrixView<const double>, const std::vector<double>&, const std::vector<double>&, std::size_t);

}  // namespace softmaxkit::detail
