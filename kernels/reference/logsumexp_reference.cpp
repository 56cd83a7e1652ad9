// The scalar reference for logsumexp_rows: the textbook two-pass loop with std::exp / std::log
// in the input type. What the benchmark compares against; tests use a long double oracle.
#include <cmath>
#include <limits>

#include "softmaxkit/reference.hpp"

namespace softmaxkit::reference {
namespace {

template <class T>
void logsumexp_rows_scalar(MatrixView<const T> logits, std::span<T> output) {
  for (std::size_t i = 0; i < logits.rows(); ++i) {
    const T* z = logits.row(i);
    T max = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < logits.cols(); ++k) max = z[k] > max ? z[k] : max;
    T sum = 0;
    for (std::size_t k = 0; k < logits.cols(); ++k) sum += std::exp(z[k] - max);
    output[i] = max + std::log(sum);
  }
}

}  // namespace

void logsumexp_rows(MatrixView<const float> logits, std::span<float> output) {
  logsumexp_rows_scalar(logits, output);
}
void logsumexp_rows(MatrixView<const double> logits, std::span<double> output) {
  logsumexp_rows_scalar(logits, output);
}

}  // namespace softmaxkit::reference
