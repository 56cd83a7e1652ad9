// Scalar implementation of the fused cross-entropy block (a placeholder for the SIMD version).
#include "cross_entropy/cross_entropy_block.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace softmaxkit::detail {

template <class T>
double cross_entropy_block(const CrossEntropyBlock<T>& block) {
  double total = 0;
  for (std::size_t i = 0; i < block.rows; ++i) {
    T* z = block.logits + i * block.stride;
    T maximum = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < block.classes; ++k) maximum = std::max(maximum, z[k]);
    double sum = 0;
    for (std::size_t k = 0; k < block.classes; ++k) sum += std::exp(double(z[k]) - maximum);
    const double log_sum = double(maximum) + std::log(sum);
    const double weight = block.sample_weights ? double(block.sample_weights[i]) : 1.0;
    double loss = 0;
    const T* y = block.target_probabilities ? block.target_probabilities + i * block.target_stride
                                            : nullptr;
    if (y == nullptr) {
      loss = log_sum - double(z[block.labels[i]]);
    } else {
      for (std::size_t k = 0; k < block.classes; ++k)
        if (y[k] != T(0)) loss += double(y[k]) * (log_sum - double(z[k]));
    }
    total += weight * loss;
    if (block.want_gradient) {
      const double scale = weight * double(block.gradient_scale);
      for (std::size_t k = 0; k < block.classes; ++k) {
        const double target = y ? double(y[k]) : (std::int32_t(k) == block.labels[i] ? 1.0 : 0.0);
        z[k] = static_cast<T>(scale * (std::exp(double(z[k]) - log_sum) - target));
      }
    }
  }
  return total;
}

template double cross_entropy_block<float>(const CrossEntropyBlock<float>&);
template double cross_entropy_block<double>(const CrossEntropyBlock<double>&);

}  // namespace softmaxkit::detail
