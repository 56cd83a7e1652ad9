// softmaxkit::cross_entropy: argument checks (labels, weights and target rows, naming the row),
// the mean's denominator, then the active ISA's kernel over fixed row blocks whose partial sums
// are added in block order — the same blocks for the serial and the parallel form, so the two
// agree bitwise for any number of threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/row_blocks.hpp"
#include "common/validate.hpp"
#include "dispatch/kernel_table.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit {
namespace {

template <class T>
void check_weights(const char* function, const char* argument, std::span<const T> weights,
                   std::size_t expected, const char* per) {
  if (weights.empty()) return;
  detail::check_length(function, argument, weights, expected);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= T(0)) || std::isinf(weights[i])) {
      detail::fail(function, std::string(argument) + "[" + std::to_string(i) + "] (" + per + " " +
                                 std::to_string(i) + ") is " + std::to_string(weights[i]) +
                                 ": weights must be finite and non-negative");
    }
  }
}

template <class T>
void check_common(const char* function, MatrixView<const T> logits,
                  const CrossEntropyOptions<T>& options, MatrixView<T> gradient,
                  std::span<T> losses) {
  if (options.reduction != Reduction::none && options.reduction != Reduction::sum &&
      options.reduction != Reduction::mean) {
    detail::fail(function, "reduction is " + std::to_string(static_cast<int>(options.reduction)) +
                               ", not none, sum or mean");
  }
  check_weights(function, "class_weights", options.class_weights, logits.cols(), "class");
  check_weights(function, "sample_weights", options.sample_weights, logits.rows(), "row");
  if (!(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0)) {
    detail::fail(function, "label_smoothing is " + std::to_string(options.label_smoothing) +
                               " but must be in [0, 1]");
  }
  if (!gradient.empty() || gradient.data() != nullptr) {
    detail::check_shape(function, "gradient", gradient, logits.rows(), logits.cols());
    detail::check_same_or_disjoint(function, "logits", logits, "gradient", gradient);
  }
  if (options.reduction == Reduction::none || !losses.empty()) {
    detail::check_length(function, "losses", losses, logits.rows());
  }
}

struct Input {
  const char* name;
  const void* data;
  std::size_t bytes;
};

// gradient and losses share no memory with the inputs (the gradient may be the logits themselves,
// checked by check_common) or with each other: a gradient over class_weights was accepted and
// changed the loss from 2.2472 to 0.0506.
template <class T>
void check_outputs(const char* function, MatrixView<const T> logits,
                   const CrossEntropyOptions<T>& options, MatrixView<T> gradient,
                   std::span<T> losses, Input targets) {
  const Input inputs[] = {
      targets,
      {"class_weights", options.class_weights.data(), options.class_weights.size_bytes()},
      {"sample_weights", options.sample_weights.data(), options.sample_weights.size_bytes()}};
  const bool want_gradient = gradient.data() != nullptr && !gradient.empty();
  const std::size_t gradient_bytes = want_gradient ? detail::view_extent(gradient) * sizeof(T) : 0;
  for (const Input& input : inputs) {
    detail::check_disjoint(function, "gradient", gradient.data(), gradient_bytes, input.name,
                           input.data, input.bytes);
    detail::check_disjoint(function, "losses", losses.data(), losses.size_bytes(), input.name,
                           input.data, input.bytes);
  }
  detail::check_disjoint(function, "losses", losses.data(), losses.size_bytes(), "logits",
                         logits.data(), detail::view_extent(logits) * sizeof(T));
  detail::check_disjoint(function, "losses", losses.data(), losses.size_bytes(), "gradient",
                         gradient.data(), gradient_bytes);
}

template <class T>
CrossEntropyResult run(const char* function, MatrixView<const T> logits,
                       const CrossEntropyOptions<T>& options, MatrixView<T> gradient,
                       std::span<T> losses, long double total_weight,
                       detail::CrossEntropyRows<T> rows, bool parallel) {
  const bool mean = options.reduction == Reduction::mean;
  // W in long double (products s c that underflow double still count), 1/W a normal T.
  if (mean && total_weight > 0)
    detail::check_weight_sum(function, "the weights (sample times class weights)", total_weight,
                             T(0), detail::WeightSumRule::normal_reciprocal);
  const double scale =
      mean ? (total_weight > 0 ? static_cast<double>(1.0L / total_weight) : 0.0) : 1.0;
  rows.logits_stride = logits.stride();
  rows.gradient_stride = gradient.stride();
  rows.classes = logits.cols();
  rows.class_weights = options.class_weights.empty() ? nullptr : options.class_weights.data();
  rows.label_smoothing = static_cast<T>(options.label_smoothing);
  rows.label_keep = static_cast<T>(1.0 - options.label_smoothing);
  rows.label_spread = static_cast<T>(options.label_smoothing /
                                     static_cast<double>(std::max<std::size_t>(logits.cols(), 1)));
  rows.gradient_scale = static_cast<T>(scale);
  const bool want_gradient = gradient.data() != nullptr && !gradient.empty();
  std::vector<double> partial(detail::block_count(logits.rows(), logits.cols()), 0.0);
  detail::for_each_row_block(logits.rows(), logits.cols(), parallel,
                             [&](std::size_t block, std::size_t first, std::size_t count) {
                               detail::CrossEntropyRows<T> part = rows;
                               part.logits = logits.row(first);
                               part.gradient = want_gradient ? gradient.row(first) : nullptr;
                               part.rows = count;
                               if (part.labels != nullptr) part.labels += first;
                               if (part.targets != nullptr)
                                 part.targets += first * part.targets_stride;
                               if (part.sample_weights != nullptr) part.sample_weights += first;
                               part.losses = losses.empty() ? nullptr : losses.data() + first;
                               partial[block] =
                                   detail::active_kernels<T>().cross_entropy_rows(part);
                             });
  double sum = 0;
  for (double value : partial) sum += value;  // block order: independent of the thread count
  return {mean ? sum * scale : sum, static_cast<double>(total_weight)};
}

template <class T>
CrossEntropyResult hard_targets(const char* function, MatrixView<const T> logits,
                                std::span<const std::int32_t> labels,
                                const CrossEntropyOptions<T>& options, MatrixView<T> gradient,
                                std::span<T> losses, bool parallel) {
  detail::check_length(function, "labels", labels, logits.rows());
  check_common(function, logits, options, gradient, losses);
  check_outputs(function, logits, options, gradient, losses,
                {"labels", labels.data(), labels.size_bytes()});
  const auto classes = static_cast<long long>(logits.cols());
  long double total_weight = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int32_t label = labels[i];
    if (options.ignore_index && label == *options.ignore_index) continue;
    if (label < 0 || label >= classes) {
      detail::fail(function, "labels[" + std::to_string(i) + "] (row " + std::to_string(i) +
                                 ") is " + std::to_string(label) + ", outside [0, " +
                                 std::to_string(classes) + ")");
    }
    const long double sample = options.sample_weights.empty() ? 1.0L : options.sample_weights[i];
    const long double klass = options.class_weights.empty() ? 1.0L : options.class_weights[label];
    total_weight += sample * klass;
  }
  detail::CrossEntropyRows<T> rows;
  rows.labels = labels.data();
  rows.sample_weights = options.sample_weights.empty() ? nullptr : options.sample_weights.data();
  rows.has_ignore_index = options.ignore_index.has_value();
  rows.ignore_index = options.ignore_index.value_or(0);
  return run(function, logits, options, gradient, losses, total_weight, rows, parallel);
}

template <class T>
CrossEntropyResult soft_targets(const char* function, MatrixView<const T> logits,
                                MatrixView<const T> targets, const CrossEntropyOptions<T>& options,
                                MatrixView<T> gradient, std::span<T> losses, bool parallel) {
  detail::check_shape(function, "targets", targets, logits.rows(), logits.cols());
  check_common(function, logits, options, gradient, losses);
  check_outputs(function, logits, options, gradient, losses,
                {"targets", targets.data(), detail::view_extent(targets) * sizeof(T)});
  if (options.ignore_index) {
    detail::fail(function, "ignore_index applies to class-index targets, not to soft targets");
  }
  const double tolerance =
      std::fmax(1e-5, 4.0 * static_cast<double>(logits.cols()) * std::numeric_limits<T>::epsilon());
  for (std::size_t i = 0; i < targets.rows(); ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < targets.cols(); ++k) {
      const T value = targets(i, k);
      if (!(value >= T(0)) || std::isinf(value)) {
        detail::fail(function, "targets row " + std::to_string(i) + " has entry " +
                                   std::to_string(k) + " = " + std::to_string(value) +
                                   ": target probabilities must be finite and non-negative");
      }
      sum += value;
    }
    if (!(std::fabs(sum - 1.0) <= tolerance)) {
      detail::fail(function, "targets row " + std::to_string(i) + " sums to " +
                                 std::to_string(sum) + ", not 1");
    }
  }
  long double total_weight = static_cast<long double>(logits.rows());
  if (!options.sample_weights.empty()) {
    total_weight = 0;
    for (T weight : options.sample_weights) total_weight += weight;
  }
  detail::CrossEntropyRows<T> rows;
  rows.targets = targets.data();
  rows.targets_stride = targets.stride();
  rows.sample_weights = options.sample_weights.empty() ? nullptr : options.sample_weights.data();
  return run(function, logits, options, gradient, losses, total_weight, rows, parallel);
}

}  // namespace

CrossEntropyResult cross_entropy(MatrixView<const float> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses) {
  return hard_targets("cross_entropy", logits, labels, options, gradient, losses, false);
}
CrossEntropyResult cross_entropy(MatrixView<const double> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses) {
  return hard_targets("cross_entropy", logits, labels, options, gradient, losses, false);
}
CrossEntropyResult cross_entropy(MatrixView<const float> logits, MatrixView<const float> targets,
                                 const CrossEntropyOptions<float>& options,
                                 MatrixView<float> gradient, std::span<float> losses) {
  return soft_targets("cross_entropy", logits, targets, options, gradient, losses, false);
}
CrossEntropyResult cross_entropy(MatrixView<const double> logits, MatrixView<const double> targets,
                                 const CrossEntropyOptions<double>& options,
                                 MatrixView<double> gradient, std::span<double> losses) {
  return soft_targets("cross_entropy", logits, targets, options, gradient, losses, false);
}
CrossEntropyResult cross_entropy_parallel(MatrixView<const float> logits,
                                          std::span<const std::int32_t> labels,
                                          const CrossEntropyOptions<float>& options,
                                          MatrixView<float> gradient, std::span<float> losses) {
  return hard_targets("cross_entropy_parallel", logits, labels, options, gradient, losses, true);
}
CrossEntropyResult cross_entropy_parallel(MatrixView<const double> logits,
                                          std::span<const std::int32_t> labels,
                                          const CrossEntropyOptions<double>& options,
                                          MatrixView<double> gradient, std::span<double> losses) {
  return hard_targets("cross_entropy_parallel", logits, labels, options, gradient, losses, true);
}
CrossEntropyResult cross_entropy_parallel(MatrixView<const float> logits,
                                          MatrixView<const float> targets,
                                          const CrossEntropyOptions<float>& options,
                                          MatrixView<float> gradient, std::span<float> losses) {
  return soft_targets("cross_entropy_parallel", logits, targets, options, gradient, losses, true);
}
CrossEntropyResult cross_entropy_parallel(MatrixView<const double> logits,
                                          MatrixView<const double> targets,
                                          const CrossEntropyOptions<double>& options,
                                          MatrixView<double> gradient, std::span<double> losses) {
  return soft_targets("cross_entropy_parallel", logits, targets, options, gradient, losses, true);
}

}  // namespace softmaxkit
