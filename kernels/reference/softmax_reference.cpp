// The scalar references for softmax_rows and log_softmax_rows: textbook loops with std::exp /
// std::log in the input type. What the benchmark compares against; tests use a long double
// oracle.
#include <cmath>
#include <limits>

#include "softmaxkit/reference.hpp"

namespace softmaxkit::reference {
namespace {

template <class T>
T row_max(const T* z, std::size_t cols) {
  T max = -std::numeric_limits<T>::infinity();
  for (std::size_t k = 0; k < cols; ++k) max = z[k] > max ? z[k] : max;
  return max;
}

template <class T>
void softmax_scalar(MatrixView<const T> logits, MatrixView<T> output) {
  for (std::size_t i = 0; i < logits.rows(); ++i) {
    const T* z = logits.row(i);
    T* p = output.row(i);
    const T max = row_max(z, logits.cols());
    T sum = 0;
    for (std::size_t k = 0; k < logits.cols(); ++k) sum += (p[k] = std::exp(z[k] - max));
    for (std::size_t k = 0; k < logits.cols(); ++k) p[k] /= sum;
  }
}

template <class T>
void log_softmax_scalar(MatrixView<const T> logits, MatrixView<T> output) {
  for (std::size_t i = 0; i < logits.rows(); ++i) {
    const T* z = logits.row(i);
    T* out = output.row(i);
    const T max = row_max(z, logits.cols());
    T sum = 0;
    for (std::size_t k = 0; k < logits.cols(); ++k) sum += std::exp(z[k] - max);
    const T log_sum = std::log(sum);
    for (std::size_t k = 0; k < logits.cols(); ++k) out[k] = (z[k] - max) - log_sum;
  }
}

}  // namespace

void softmax_rows(MatrixView<const float> logits, MatrixView<float> output) {
  softmax_scalar(logits, output);
}
void softmax_rows(MatrixView<const double> logits, MatrixView<double> output) {
  softmax_scalar(logits, output);
}
void log_softmax_rows(MatrixView<const float> logits, MatrixView<float> output) {
  log_softmax_scalar(logits, output);
}
void log_softmax_rows(MatrixView<const double> logits, MatrixView<double> output) {
  log_softmax_scalar(logits, output);
}

}  // namespace softmaxkit::reference
