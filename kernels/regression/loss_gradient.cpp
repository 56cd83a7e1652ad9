// LossGradient: validation, the choice of product path, and the two blocked passes (loss and
// gradient; Hessian-vector product). The per-block work is in blocked_pass.hpp.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>

#include "common/validate.hpp"
#include "cross_entropy/cross_entropy_block.hpp"
#include "regression/blas.hpp"
#include "regression/block_plan.hpp"
#include "regression/block_products.hpp"
#include "regression/blocked_pass.hpp"
#include "regression/hessian_rows.hpp"
#include "regression/problem_checks.hpp"
#include "regression/workspace.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit {

template <class T>
struct LossGradient<T>::Impl {
  RegressionProblem<T> problem;
  double weight_sum = 0;
  ProductPath path = ProductPath::blas;
  detail::BlockPlan plan;
  detail::Workspace<T> workspace;

  std::size_t classes() const { return problem.num_classes; }
  std::size_t features() const { return problem.features.cols(); }
  detail::BlockProducts<T> products() const {
    return path == ProductPath::small_k ? detail::small_k_block_products<T>()
                                        : detail::blas_block_products<T>();
  }
  // Cross-entropy arguments for rows [begin, begin + rows) with logits z (row stride `stride`).
  detail::CrossEntropyBlock<T> cross_entropy_rows(std::size_t begin, std::size_t rows, T* z,
                                                  std::size_t stride) const {
    detail::CrossEntropyBlock<T> block;
    block.logits = z;
    block.rows = rows;
    block.classes = classes();
    block.stride = stride;
    if (!problem.labels.empty()) {
      block.labels = problem.labels.data() + begin;
    } else {
      block.target_probabilities = problem.target_probabilities.row(begin);
      block.target_stride = problem.target_probabilities.stride();
    }
    if (!problem.sample_weights.empty())
      block.sample_weights = problem.sample_weights.data() + begin;
    block.gradient_scale = static_cast<T>(1.0 / weight_sum);
    return block;
  }
  double penalty(std::span<const T> weights) const {
    double squares = 0;
    for (T value : weights) squares += double(value) * double(value);
    return 0.5 * problem.l2 * squares;
  }
};

template <class T>
LossGradient<T>::LossGradient(const RegressionProblem<T>& problem)
    : LossGradient(problem, LossGradientOptions{}) {}

template <class T>
LossGradient<T>::LossGradient(const RegressionProblem<T>& problem,
                              const LossGradientOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->weight_sum = detail::check_problem(problem);
  impl_->problem = problem;
  impl_->path = options.path;
  if (impl_->path == ProductPath::automatic) {
    impl_->path =
        problem.num_classes <= small_k_max_classes ? ProductPath::small_k : ProductPath::blas;
  }
  if (impl_->path == ProductPath::blas) detail::warn_once_if_blas_core_is_slow();
  impl_->plan = detail::make_block_plan(problem.features.rows(), problem.features.cols(),
                                        problem.num_classes, sizeof(T), options.block_rows);
  impl_->workspace =
      detail::Workspace<T>(impl_->plan, problem.num_classes, problem.features.cols());
}

template <class T>
LossGradient<T>::~LossGradient() = default;
template <class T>
LossGradient<T>::LossGradient(LossGradient&&) noexcept = default;
template <class T>
LossGradient<T>& LossGradient<T>::operator=(LossGradient&&) noexcept = default;

template <class T>
double LossGradient<T>::evaluate(std::span<const T> weights, std::span<const T> intercept,
                                 std::span<T> weights_gradient, std::span<T> intercept_gradient) {
  Impl& impl = *impl_;
  const std::size_t size = impl.classes() * impl.features();
  const bool fit_intercept = impl.problem.fit_intercept;
  constexpr std::string_view function = "LossGradient::evaluate";
  detail::check_span_size(function, "weights", weights.size(), size, false);
  detail::check_span_size(function, "intercept", intercept.size(), impl.classes(), !fit_intercept);
  detail::check_span_size(function, "weights_gradient", weights_gradient.size(), size, true);
  detail::check_span_size(function, "intercept_gradient", intercept_gradient.size(), impl.classes(),
                          true);
  detail::check_span_not_null(function, "weights", weights);
  detail::check_span_not_null(function, "intercept", intercept);
  detail::check_span_not_null(function, "weights_gradient", weights_gradient);
  detail::check_span_not_null(function, "intercept_gradient", intercept_gradient);
  {
    const auto inputs = detail::call_inputs(
        impl.problem,
        std::array{detail::region("weights", weights), detail::region("intercept", intercept)});
    const detail::Region outputs[] = {detail::region("weights_gradient", weights_gradient),
                                      detail::region("intercept_gradient", intercept_gradient)};
    detail::check_outputs_disjoint(function, outputs, inputs);
  }
  const bool want_gradient = !weights_gradient.empty() || !intercept_gradient.empty();

  detail::PassInput<T> input;
  input.features = impl.problem.features;
  input.parameters = weights.data();
  input.bias = fit_intercept ? intercept.data() : nullptr;
  input.logit_columns = impl.classes();
  input.classes = impl.classes();
  input.accumulate = want_gradient;
  auto row_step = [&](std::size_t begin, std::size_t rows, T* z) {
    detail::CrossEntropyBlock<T> block = impl.cross_entropy_rows(begin, rows, z, impl.classes());
    block.want_gradient = want_gradient;
    return detail::cross_entropy_block(block);
  };
  const double loss =
      detail::run_blocked_pass(impl.plan, impl.workspace, impl.products(), input, row_step);
  if (want_gradient) {
    detail::combine_chunks(
        impl.plan, impl.workspace, static_cast<T>(impl.problem.l2), weights.data(),
        weights_gradient.empty() ? nullptr : weights_gradient.data(),
        intercept_gradient.empty() ? nullptr : intercept_gradient.data(), fit_intercept);
  }
  return loss / impl.weight_sum + impl.penalty(weights);
}

template <class T>
void LossGradient<T>::hessian_vector(std::span<const T> weights, std::span<const T> intercept,
                                     std::span<const T> direction_weights,
                                     std::span<const T> direction_intercept,
                                     std::span<T> product_weights, std::span<T> product_intercept) {
  Impl& impl = *impl_;
  const std::size_t classes = impl.classes(), n = impl.features(), size = classes * n;
  const bool fit_intercept = impl.problem.fit_intercept;
  constexpr std::string_view function = "LossGradient::hessian_vector";
  detail::check_span_size(function, "weights", weights.size(), size, false);
  detail::check_span_size(function, "intercept", intercept.size(), classes, !fit_intercept);
  detail::check_span_size(function, "direction_weights", direction_weights.size(), size, false);
  detail::check_span_size(function, "direction_intercept", direction_intercept.size(), classes,
                          !fit_intercept);
  detail::check_span_size(function, "product_weights", product_weights.size(), size, false);
  detail::check_span_size(function, "product_intercept", product_intercept.size(), classes,
                          !fit_intercept);
  detail::check_span_not_null(function, "weights", weights);
  detail::check_span_not_null(function, "intercept", intercept);
  detail::check_span_not_null(function, "direction_weights", direction_weights);
  detail::check_span_not_null(function, "direction_intercept", direction_intercept);
  detail::check_span_not_null(function, "product_weights", product_weights);
  detail::check_span_not_null(function, "product_intercept", product_intercept);
  {
    const auto inputs = detail::call_inputs(
        impl.problem,
        std::array{detail::region("weights", weights), detail::region("intercept", intercept),
                   detail::region("direction_weights", direction_weights),
                   detail::region("direction_intercept", direction_intercept)});
    const detail::Region outputs[] = {detail::region("product_weights", product_weights),
                                      detail::region("product_intercept", product_intercept)};
    detail::check_outputs_disjoint(function, outputs, inputs);
  }

  // One product gives both the logits and the direction's logits: P = [W; V], bias = [b; v].
  detail::Workspace<T>& workspace = impl.workspace;
  workspace.stacked_parameters.resize(2 * size);
  workspace.stacked_intercepts.resize(2 * classes);
  std::copy(weights.begin(), weights.end(), workspace.stacked_parameters.begin());
  std::copy(direction_weights.begin(), direction_weights.end(),
            workspace.stacked_parameters.begin() + static_cast<std::ptrdiff_t>(size));
  if (fit_intercept) {
    std::copy(intercept.begin(), intercept.end(), workspace.stacked_intercepts.begin());
    std::copy(direction_intercept.begin(), direction_intercept.end(),
              workspace.stacked_intercepts.begin() + static_cast<std::ptrdiff_t>(classes));
  }

  detail::PassInput<T> input;
  input.features = impl.problem.features;
  input.parameters = workspace.stacked_parameters.data();
  input.bias = fit_intercept ? workspace.stacked_intercepts.data() : nullptr;
  input.logit_columns = 2 * classes;
  input.classes = classes;
  const double scale = 1.0 / impl.weight_sum;
  auto row_step = [&](std::size_t begin, std::size_t rows, T* z) {
    // The probabilities at (W, b), in place over the block's first K logit columns.
    softmax_rows(MatrixView<T>(z, rows, classes, 2 * classes));
    const T* weights_of_block =
        impl.problem.sample_weights.empty() ? nullptr : impl.problem.sample_weights.data() + begin;
    detail::hessian_rows(z, 2 * classes, rows, classes, weights_of_block, scale);
    return 0.0;
  };
  detail::run_blocked_pass(impl.plan, workspace, impl.products(), input, row_step);
  detail::combine_chunks(impl.plan, workspace, static_cast<T>(impl.problem.l2),
                         direction_weights.data(), product_weights.data(),
                         product_intercept.empty() ? nullptr : product_intercept.data(),
                         fit_intercept);
}

template <class T>
void LossGradient<T>::predict_logits(std::span<const T> weights, std::span<const T> intercept,
                                     MatrixView<T> logits) {
  const Impl& impl = *impl_;
  const bool fit_intercept = impl.problem.fit_intercept;
  constexpr std::string_view function = "LossGradient::predict_logits";
  detail::check_span_size(function, "weights", weights.size(), impl.classes() * impl.features(),
                          false);
  detail::check_span_size(function, "intercept", intercept.size(), impl.classes(), !fit_intercept);
  detail::check_span_not_null(function, "weights", weights);
  detail::check_span_not_null(function, "intercept", intercept);
  {
    const auto inputs = detail::call_inputs(
        impl.problem,
        std::array{detail::region("weights", weights), detail::region("intercept", intercept)});
    const detail::Region outputs[] = {
        detail::Region{"logits", logits.data(), detail::view_extent(logits) * sizeof(T)}};
    detail::check_outputs_disjoint(function, outputs, inputs);
  }
  if (logits.rows() != num_samples() || logits.cols() != impl.classes()) {
    detail::fail(function, "logits is " + std::to_string(logits.rows()) + " x " +
                               std::to_string(logits.cols()) + ", expected " +
                               std::to_string(num_samples()) + " x " +
                               std::to_string(impl.classes()));
  }
  const detail::BlockProducts<T> products = impl.products();
  std::optional<detail::SingleThreadedBlas> single_threaded_blas;
  if (products.uses_blas) single_threaded_blas.emplace();
  const detail::BlockPlan& plan = impl.plan;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, plan.blocks, 1),
                    [&](const tbb::blocked_range<std::size_t>& blocks) {
                      for (std::size_t block = blocks.begin(); block != blocks.end(); ++block) {
                        const std::size_t begin = plan.block_begin(block);
                        const auto x =
                            impl.problem.features.row_block(begin, plan.block_size(block));
                        products.logits(x.data(), x.stride(), x.rows(), x.cols(), weights.data(),
                                        impl.classes(), fit_intercept ? intercept.data() : nullptr,
                                        logits.row(begin), logits.stride());
                      }
                    });
}

template <class T>
std::size_t LossGradient<T>::num_samples() const {
  return impl_->problem.features.rows();
}
template <class T>
std::size_t LossGradient<T>::num_features() const {
  return impl_->features();
}
template <class T>
std::size_t LossGradient<T>::num_classes() const {
  return impl_->classes();
}
template <class T>
ProductPath LossGradient<T>::product_path() const {
  return impl_->path;
}
template <class T>
std::size_t LossGradient<T>::block_rows() const {
  return impl_->plan.block_rows;
}

template class LossGradient<float>;
template class LossGradient<double>;

}  // namespace softmaxkit
