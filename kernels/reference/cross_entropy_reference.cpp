// The scalar reference for cross_entropy: the formulas of kernels.hpp as plain loops with
// std::exp / std::log in the input type. What the benchmark compares against; tests use a long
// double oracle.
#include <cmath>
#include <limits>

#include "softmaxkit/reference.hpp"

namespace softmaxkit::reference {
namespace {

// q_k for row i: the (smoothed) target distribution.
template <class T>
struct Targets {
  std::span<const std::int32_t> labels;
  MatrixView<const T> soft;
  T target(std::size_t i, std::size_t k, T eps, std::size_t classes) const {
    const T q = soft.data() != nullptr ? soft(i, k)
                                       : (static_cast<std::int32_t>(k) == labels[i] ? T(1) : T(0));
    return (T(1) - eps) * q + eps / static_cast<T>(classes);
  }
};

template <class T>
CrossEntropyResult cross_entropy_scalar(MatrixView<const T> z, const Targets<T>& targets,
                                        const CrossEntropyOptions<T>& options,
                                        MatrixView<T> gradient, std::span<T> losses) {
  const std::size_t classes = z.cols();
  const T eps = static_cast<T>(options.label_smoothing);
  const bool hard = targets.soft.data() == nullptr;
  double total_weight = 0;
  for (std::size_t i = 0; i < z.rows(); ++i) {
    if (hard && options.ignore_index && targets.labels[i] == *options.ignore_index) continue;
    const T sample = options.sample_weights.empty() ? T(1) : options.sample_weights[i];
    const T klass =
        hard && !options.class_weights.empty() ? options.class_weights[targets.labels[i]] : T(1);
    total_weight += sample * klass;
  }
  const bool mean = options.reduction == Reduction::mean;
  const T scale = mean ? (total_weight > 0 ? static_cast<T>(1 / total_weight) : T(0)) : T(1);
  double sum = 0;
  for (std::size_t i = 0; i < z.rows(); ++i) {
    const bool ignored = hard && options.ignore_index && targets.labels[i] == *options.ignore_index;
    T max = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < classes; ++k) max = z(i, k) > max ? z(i, k) : max;
    T exp_sum = 0;
    for (std::size_t k = 0; k < classes; ++k) exp_sum += std::exp(z(i, k) - max);
    const T log_sum_exp = max + std::log(exp_sum);
    const T sample = options.sample_weights.empty() ? T(1) : options.sample_weights[i];
    T loss = 0, mass = 0;
    for (std::size_t k = 0; k < classes; ++k) {
      const T weight = options.class_weights.empty() ? T(1) : options.class_weights[k];
      const T a = ignored ? T(0) : weight * targets.target(i, k, eps, classes);
      if (a != T(0)) loss += a * (log_sum_exp - z(i, k));
      mass += a;
    }
    loss *= sample;
    if (!losses.empty()) losses[i] = loss;
    sum += loss;
    if (gradient.data() != nullptr && !gradient.empty()) {
      for (std::size_t k = 0; k < classes; ++k) {
        const T weight = options.class_weights.empty() ? T(1) : options.class_weights[k];
        const T a = ignored ? T(0) : weight * targets.target(i, k, eps, classes);
        const T p = std::exp(z(i, k) - log_sum_exp);
        gradient(i, k) = ignored ? T(0) : sample * scale * (mass * p - a);
      }
    }
  }
  return {mean ? sum * static_cast<double>(scale) : sum, total_weight};
}

}  // namespace

CrossEntropyResult cross_entropy(MatrixView<const float> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses) {
  return cross_entropy_scalar<float>(logits, {labels, {}}, options, gradient, losses);
}
CrossEntropyResult cross_entropy(MatrixView<const double> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses) {
  return cross_entropy_scalar<double>(logits, {labels, {}}, options, gradient, losses);
}
CrossEntropyResult cross_entropy(MatrixView<const float> logits, MatrixView<const float> targets,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses) {
  return cross_entropy_scalar<float>(logits, {{}, targets}, options, gradient, losses);
}
CrossEntropyResult cross_entropy(MatrixView<const double> logits, MatrixView<const double> targets,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses) {
  return cross_entropy_scalar<double>(logits, {{}, targets}, options, gradient, losses);
}

}  // namespace softmaxkit::reference
