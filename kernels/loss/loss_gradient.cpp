// LossGradient: validation, the choice of product path, and the two blocked passes (loss and
// gradient; Hessian-vector product). The per-block work is in blocked_pass.hpp.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "common/subnormals.hpp"
#include "common/validate.hpp"
#include "dispatch/kernel_table.hpp"
#include "loss/blas.hpp"
#include "loss/block_plan.hpp"
#include "loss/block_products.hpp"
#include "loss/blocked_pass.hpp"
#include "loss/csr_columns.hpp"
#include "loss/csr_features.hpp"
#include "loss/hessian_rows.hpp"
#include "loss/problem_checks.hpp"
#include "loss/weight_layout.hpp"
#include "loss/workspace.hpp"
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
  detail::FeatureSlots slots;             // CSR features only
  std::vector<std::int32_t> entry_slots;  // CSR features only: slots.entry_slots(features)
  // CSR features without a share: the column-major copy and every row's G for the gradient's
  // product (loss/csr_columns.hpp), built at the first gradient or Hessian-vector product (a
  // loss-only or prediction-only use never pays for them); a share keeps the chunks' partial
  // sums for its fold.
  detail::CsrColumns<T> columns;
  std::vector<T> gathered, column_totals;
  bool columns_built = false;
  std::optional<ChunkShare<T>> share;  // a data-parallel share: its chunks, then share->fold
  WeightLayout layout = WeightLayout::classes_by_features;
  // features_by_classes on a path that reads W as K x n: the caller's weights (and direction)
  // transposed into these, and the weights' result before it is transposed back.
  std::vector<T> layout_weights, layout_direction, layout_result;

  // After a pass over the share's chunks: the totals over the whole grid into the first chunk's
  // sums (share->fold), and a plan of that one chunk for combine_chunks.
  detail::BlockPlan fold_share(bool with_sums) {
    const std::size_t chunks = plan.chunks, size = classes() * features();
    const std::size_t slots_used = std::max<std::size_t>(chunks, 1);
    share->fold(chunks, std::span<double>(workspace.chunk_loss.data(), slots_used),
                with_sums ? std::span<T>(workspace.chunk_weight_sums.data(), slots_used * size)
                          : std::span<T>(),
                with_sums
                    ? std::span<T>(workspace.chunk_intercept_sums.data(), slots_used * classes())
                    : std::span<T>());
    detail::BlockPlan one = plan;
    one.chunks = 1;
    return one;
  }

  std::size_t classes() const { return problem.num_classes; }
  bool sparse() const { return path == ProductPath::csr; }
  bool column_major() const { return sparse() && !share; }
  // The passes take the caller's features x classes weights as they are (WeightLayout): CSR
  // features without a share, whose logits read W^T and whose gradient is summed feature by
  // feature. Elsewhere such weights are transposed first (features_by_classes_via_copies).
  bool reads_by_features() const {
    return layout == WeightLayout::features_by_classes && column_major();
  }
  bool features_by_classes_via_copies() const {
    return layout == WeightLayout::features_by_classes && !column_major();
  }
  void build_columns() {
    if (columns_built) return;
    columns = detail::CsrColumns<T>(problem.sparse_features, plan);
    gathered.resize(rows() * classes());
    // features_by_classes sums the totals in the caller's output instead.
    if (!reads_by_features()) column_totals.resize(features() * classes());
    columns_built = true;
  }
  std::size_t rows() const {
    return sparse() ? problem.sparse_features.rows() : problem.features.rows();
  }
  std::size_t features() const {
    return sparse() ? problem.sparse_features.cols() : problem.features.cols();
  }
  detail::BlockProducts<T> products() const {
    return path == ProductPath::small_k ? detail::small_k_block_products<T>()
                                        : detail::blas_block_products<T>();
  }
  // Calls f with the pass's feature source, and parameters (logit_columns x features) in the
  // layout that source takes: as they are, or transposed into the workspace for CSR.
  // gather: CSR sources gather G into `gathered` for the column-major product. squares: CSR
  // sources take the parameters' tile sums of squares (workspace.penalty_squares) as they
  // transpose them. by_features: CSR parameters already features x logit_columns (in feature
  // order, so each entry's row is its column index): read in place.
  template <class F>
  auto with_source(const T* parameters, std::size_t logit_columns, F&& f, bool gather = false,
                   bool squares = false, bool by_features = false) {
    if (sparse() && by_features) {
      return f(detail::CsrFeatures<T>{problem.sparse_features,
                                      problem.sparse_features.column_indices().data(),
                                      gather ? gathered.data() : nullptr},
               parameters);
    }
    if (sparse()) {
      workspace.transposed_parameters.resize(logit_columns * features());
      detail::transpose_into(parameters, logit_columns, features(), slots,
                             workspace.transposed_parameters.data(),
                             squares ? workspace.penalty_squares.data() : nullptr);
      return f(detail::CsrFeatures<T>{problem.sparse_features, entry_slots.data(),
                                      gather ? gathered.data() : nullptr},
               static_cast<const T*>(workspace.transposed_parameters.data()));
    }
    return f(detail::DenseFeatures<T>{problem.features, products()}, parameters);
  }
  // Cross-entropy arguments for rows [begin, begin + rows) with logits z (row stride `stride`),
  // the gradient written over the logits when asked for.
  detail::CrossEntropyRows<T> cross_entropy_rows(std::size_t begin, std::size_t rows, T* z,
                                                 std::size_t stride, bool want_gradient) const {
    detail::CrossEntropyRows<T> block;
    block.logits = z;
    block.logits_stride = stride;
    block.gradient = want_gradient ? z : nullptr;
    block.gradient_stride = stride;
    block.rows = rows;
    block.classes = classes();
    if (!problem.labels.empty()) {
      block.labels = problem.labels.data() + begin;
    } else {
      block.targets = problem.target_probabilities.row(begin);
      block.targets_stride = problem.target_probabilities.stride();
    }
    if (!problem.sample_weights.empty())
      block.sample_weights = problem.sample_weights.data() + begin;
    block.gradient_scale = static_cast<T>(1.0 / weight_sum);
    return block;
  }
  detail::L2Penalty<T> penalty() const { return {problem.l2}; }

  // The passes behind the public functions, after their checks: weights (and direction, and
  // the weights' results) features x classes when by_features (reads_by_features()), else
  // classes x features; intercept pointers null without an intercept, outputs null when not
  // wanted.
  double evaluate_pass(const T* weights, const T* intercept, T* weights_out, T* intercept_out,
                       bool by_features);
  void hessian_vector_pass(const T* weights, const T* intercept, const T* direction_weights,
                           const T* direction_intercept, T* product_weights, T* product_intercept,
                           bool by_features);
  void logits_pass(const T* weights, const T* intercept, MatrixView<T> logits, bool by_features);
};

namespace {
// The feature count the chunk grid is planned for (LossGradientOptions::grid_features).
std::size_t grid_width(const LossGradientOptions& options, std::size_t features,
                       std::string_view function) {
  if (options.grid_features > kCsrMaxColumns)
    detail::fail(function, "options.grid_features is " + std::to_string(options.grid_features) +
                               " (must be at most 2^31)");
  return std::max(features, options.grid_features);
}
}  // namespace

template <class T>
LossGradient<T>::LossGradient(const RegressionProblem<T>& problem)
    : LossGradient(problem, LossGradientOptions{}) {}

template <class T>
LossGradient<T>::LossGradient(const RegressionProblem<T>& problem,
                              const LossGradientOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->weight_sum = detail::check_problem(problem);
  impl_->problem = problem;
  impl_->path = detail::choose_path(problem, options.path);
  impl_->layout = detail::check_weight_layout(options.weight_layout);
  if (impl_->path == ProductPath::blas) detail::warn_once_if_blas_core_is_slow();
  const bool sparse = impl_->sparse();
  const std::size_t grid = grid_width(options, impl_->features(), "LossGradient");
  impl_->plan =
      sparse ? detail::make_csr_block_plan(impl_->rows(), problem.sparse_features.nnz(), grid,
                                           problem.num_classes, sizeof(T), options.block_rows)
             : detail::make_block_plan(impl_->rows(), grid, problem.num_classes, sizeof(T),
                                       options.block_rows);
  detail::check_workspace_fits(impl_->plan, problem.num_classes, impl_->features(), sizeof(T));
  if (sparse) {
    detail::check_column_copy_fits(impl_->rows(), impl_->features(), problem.sparse_features.nnz(),
                                   problem.num_classes, impl_->plan.chunks, sizeof(T));
  }
  impl_->workspace =
      detail::Workspace<T>(impl_->plan, problem.num_classes, impl_->features(), !sparse);
  if (sparse) {
    impl_->slots = detail::FeatureSlots(problem.sparse_features);
    impl_->entry_slots = impl_->slots.entry_slots(problem.sparse_features);
  }
}

namespace {
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}
}  // namespace

template <class T>
LossGradient<T>::LossGradient(const RegressionProblem<T>& problem,
                              const LossGradientOptions& options, ChunkShare<T> share)
    : impl_(std::make_unique<Impl>()) {
  constexpr std::string_view function = "LossGradient (data-parallel share)";
  const double local_weight_sum = detail::check_problem(problem, true);
  if (!share.fold) detail::fail(function, "share.fold is empty");
  if (!(share.global_weight_sum > 0) || !std::isfinite(share.global_weight_sum))
    detail::fail(function, "share.global_weight_sum is " + std::to_string(share.global_weight_sum) +
                               " (must be > 0)");
  detail::check_weight_sum(function, "share.global_weight_sum: the sample weights",
                           share.global_weight_sum, T(0), detail::WeightSumRule::normal_reciprocal);
  // The whole's weights include the share's: a smaller total made J no mean (5.5 where a mean
  // cross-entropy was log 2). The slack covers another order of summation.
  if (local_weight_sum > share.global_weight_sum * (1 + kShareWeightSumSlack))
    detail::fail(function, "share.global_weight_sum is " + number_text(share.global_weight_sum) +
                               " but this share's sample weights alone sum to " +
                               number_text(local_weight_sum));
  if (share.global_rows > kMaxShareGlobalRows)
    detail::fail(function, "share.global_rows is " + std::to_string(share.global_rows) +
                               " (at most kMaxShareGlobalRows = 2^56)");
  impl_->weight_sum = share.global_weight_sum;
  impl_->problem = problem;
  impl_->path = detail::choose_path(problem, options.path);
  impl_->layout = detail::check_weight_layout(options.weight_layout);
  if (impl_->path == ProductPath::blas) detail::warn_once_if_blas_core_is_slow();
  const bool sparse = impl_->sparse();
  const std::size_t rows = impl_->rows();
  // CSR: the grid from the global nnz, the accumulator's layout from the global column counts.
  std::size_t global_nnz = 0;
  if (sparse) {
    const std::vector<std::int64_t> local =
        detail::FeatureSlots::column_entries(problem.sparse_features);
    if (share.column_entries.size() != local.size())
      detail::fail(function,
                   "share.column_entries has " + std::to_string(share.column_entries.size()) +
                       " entries, expected one per column (" + std::to_string(local.size()) + ")");
    for (std::size_t j = 0; j < local.size(); ++j) {
      if (share.column_entries[j] < local[j])
        detail::fail(function, "share.column_entries[" + std::to_string(j) + "] is " +
                                   std::to_string(share.column_entries[j]) +
                                   " but this share has " + std::to_string(local[j]) +
                                   " entries in that column");
      // At most one entry per row in a column (their sum wrapped the global nnz before).
      if (static_cast<std::uint64_t>(share.column_entries[j]) > share.global_rows)
        detail::fail(function, "share.column_entries[" + std::to_string(j) + "] is " +
                                   std::to_string(share.column_entries[j]) +
                                   " but share.global_rows is " +
                                   std::to_string(share.global_rows));
      global_nnz += static_cast<std::size_t>(share.column_entries[j]);
    }
    impl_->slots = detail::FeatureSlots(share.column_entries);
    impl_->entry_slots = impl_->slots.entry_slots(problem.sparse_features);
  } else if (!share.column_entries.empty()) {
    detail::fail(function, "share.column_entries is for sparse_features only");
  }
  // Without wrapping: first_row + rows overflowed, naming a range that was not the caller's.
  if (share.global_rows == 0 || share.first_row > share.global_rows ||
      rows > share.global_rows - share.first_row)
    detail::fail(function, "this share's " + std::to_string(rows) +
                               " rows from share.first_row = " + std::to_string(share.first_row) +
                               " are not inside [0, " + std::to_string(share.global_rows) + ")");
  const std::size_t grid = grid_width(options, impl_->features(), function);
  const detail::BlockPlan whole =
      sparse ? detail::make_csr_block_plan(share.global_rows, global_nnz, grid, problem.num_classes,
                                           sizeof(T), options.block_rows)
             : detail::make_block_plan(share.global_rows, grid, problem.num_classes, sizeof(T),
                                       options.block_rows);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(whole);
  const auto first = std::find(starts.begin(), starts.end(), share.first_row);
  const auto last = std::find(starts.begin(), starts.end(), share.first_row + rows);
  if (first == starts.end() || last == starts.end())
    detail::fail(function, "rows [" + std::to_string(share.first_row) + ", " +
                               std::to_string(share.first_row + rows) +
                               ") are not whole chunks of the grid");
  impl_->plan = detail::share_of_plan(whole, static_cast<std::size_t>(first - starts.begin()),
                                      static_cast<std::size_t>(last - starts.begin()));
  detail::check_workspace_fits(impl_->plan, problem.num_classes, impl_->features(), sizeof(T));
  impl_->workspace = detail::Workspace<T>(impl_->plan, problem.num_classes, impl_->features());
  impl_->share = std::move(share);
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
  const T* bias = fit_intercept ? intercept.data() : nullptr;
  T* intercept_out = intercept_gradient.empty() ? nullptr : intercept_gradient.data();
  if (impl.features_by_classes_via_copies()) {
    impl.layout_weights.resize(size);
    detail::transpose(weights.data(), impl.features(), impl.classes(), impl.layout_weights.data());
    T* out = nullptr;
    if (!weights_gradient.empty()) {
      impl.layout_result.resize(size);
      out = impl.layout_result.data();
    }
    const double value =
        impl.evaluate_pass(impl.layout_weights.data(), bias, out, intercept_out, false);
    if (out != nullptr)
      detail::transpose(out, impl.classes(), impl.features(), weights_gradient.data());
    return value;
  }
  return impl.evaluate_pass(weights.data(), bias,
                            weights_gradient.empty() ? nullptr : weights_gradient.data(),
                            intercept_out, impl.reads_by_features());
}

template <class T>
double LossGradient<T>::Impl::evaluate_pass(const T* weights, const T* intercept, T* weights_out,
                                            T* intercept_out, bool by_features) {
  Impl& impl = *this;
  const bool fit_intercept = impl.problem.fit_intercept;
  const bool want_gradient = weights_out != nullptr || intercept_out != nullptr;

  detail::PassInput<T> input;
  input.bias = intercept;
  input.logit_columns = impl.classes();
  input.classes = impl.classes();
  input.accumulate = want_gradient;
  const auto cross_entropy_rows = detail::active_kernels<T>().cross_entropy_rows;
  auto row_step = [&](std::size_t begin, std::size_t rows, T* z) {
    const double block_loss =
        cross_entropy_rows(impl.cross_entropy_rows(begin, rows, z, impl.classes(), want_gradient));
    if (want_gradient) detail::flush_subnormals(z, rows, impl.classes(), impl.classes());
    return block_loss;
  };
  const bool column_major = impl.column_major() && want_gradient;
  if (column_major) impl.build_columns();
  const std::span<double> squares = impl.workspace.penalty_squares;
  // CSR sources transposing W (not by_features) take its squares as they do.
  bool squares_taken = impl.sparse() && !by_features;
  double loss = impl.with_source(
      weights, impl.classes(),
      [&](const auto& source, const T* parameters) {
        input.parameters = parameters;
        return detail::run_blocked_pass(impl.plan, impl.workspace, source, input, row_step);
      },
      column_major, true, by_features);
  detail::BlockPlan combine_plan = impl.plan;
  if (impl.share) {
    combine_plan = impl.fold_share(want_gradient);
    loss = impl.workspace.chunk_loss[0];
  }
  if (want_gradient) {
    detail::combine_chunks(combine_plan, impl.workspace, impl.penalty(), weights,
                           column_major ? nullptr : weights_out, intercept_out, fit_intercept,
                           impl.sparse() ? impl.slots.slot_of.data() : nullptr);
    if (column_major && weights_out != nullptr) {
      if (by_features) {
        detail::column_major_weight_gradient_by_features(impl.columns, impl.gathered.data(),
                                                         impl.classes(), impl.penalty(), weights,
                                                         weights_out, squares.data());
        squares_taken = true;
      } else {
        detail::column_major_weight_gradient(impl.columns, impl.gathered.data(), impl.classes(),
                                             impl.penalty(), weights, impl.column_totals.data(),
                                             weights_out);
      }
    }
  }
  // The weights' sums of squares: CSR's transposition or gradient write-out took them where
  // it read the weights; otherwise a pass of their own.
  double penalty = 0;
  if (squares_taken) {
    penalty = impl.penalty().value_of_tiles(squares);
  } else if (by_features) {
    penalty =
        impl.penalty().template value<true>(weights, impl.classes(), impl.features(), squares);
  } else {
    penalty = impl.penalty().value(weights, impl.classes(), impl.features(), squares);
  }
  return loss / impl.weight_sum + penalty;
}

template <class T>
void LossGradient<T>::hessian_vector(std::span<const T> weights, std::span<const T> intercept,
                                     std::span<const T> direction_weights,
                                     std::span<const T> direction_intercept,
                                     std::span<T> product_weights, std::span<T> product_intercept) {
  Impl& impl = *impl_;
  const std::size_t classes = impl.classes(), features = impl.features(), size = classes * features;
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
  const T* bias = fit_intercept ? intercept.data() : nullptr;
  const T* direction_bias = fit_intercept ? direction_intercept.data() : nullptr;
  T* intercept_out = product_intercept.empty() ? nullptr : product_intercept.data();
  if (impl.features_by_classes_via_copies()) {
    impl.layout_weights.resize(size);
    impl.layout_direction.resize(size);
    impl.layout_result.resize(size);
    detail::transpose(weights.data(), features, classes, impl.layout_weights.data());
    detail::transpose(direction_weights.data(), features, classes, impl.layout_direction.data());
    impl.hessian_vector_pass(impl.layout_weights.data(), bias, impl.layout_direction.data(),
                             direction_bias, impl.layout_result.data(), intercept_out, false);
    detail::transpose(impl.layout_result.data(), classes, features, product_weights.data());
    return;
  }
  impl.hessian_vector_pass(weights.data(), bias, direction_weights.data(), direction_bias,
                           product_weights.data(), intercept_out, impl.reads_by_features());
}

template <class T>
void LossGradient<T>::Impl::hessian_vector_pass(const T* weights, const T* intercept,
                                                const T* direction_weights,
                                                const T* direction_intercept, T* product_weights,
                                                T* product_intercept, bool by_features) {
  Impl& impl = *this;
  const std::size_t classes = impl.classes(), features = impl.features(), size = classes * features;
  const bool fit_intercept = impl.problem.fit_intercept;

  // One product gives both the logits and the direction's logits: P = [W; V], bias = [b; v]
  // (by features: each feature's row of W, then its row of V).
  impl.workspace.stacked_parameters.resize(2 * size);
  impl.workspace.stacked_intercepts.resize(2 * classes);
  if (by_features) {
    detail::stack_by_features(weights, direction_weights, features, classes,
                              impl.workspace.stacked_parameters.data());
  } else {
    std::copy(weights, weights + size, impl.workspace.stacked_parameters.begin());
    std::copy(direction_weights, direction_weights + size,
              impl.workspace.stacked_parameters.begin() + static_cast<std::ptrdiff_t>(size));
  }
  if (fit_intercept) {
    std::copy(intercept, intercept + classes, impl.workspace.stacked_intercepts.begin());
    std::copy(direction_intercept, direction_intercept + classes,
              impl.workspace.stacked_intercepts.begin() + static_cast<std::ptrdiff_t>(classes));
  }

  detail::PassInput<T> input;
  input.bias = fit_intercept ? impl.workspace.stacked_intercepts.data() : nullptr;
  input.logit_columns = 2 * classes;
  input.classes = classes;
  const double scale = 1.0 / impl.weight_sum;
  const auto softmax_rows = detail::active_kernels<T>().softmax_rows;
  auto row_step = [&](std::size_t begin, std::size_t rows, T* z) {
    // The probabilities at (W, b), in place over the block's first K logit columns (the kernel
    // itself: the block is valid by construction, so no per-block validation).
    softmax_rows(z, 2 * classes, z, 2 * classes, rows, classes);
    const T* weights_of_block =
        impl.problem.sample_weights.empty() ? nullptr : impl.problem.sample_weights.data() + begin;
    detail::hessian_rows(z, 2 * classes, rows, classes, weights_of_block, scale);
    detail::flush_subnormals(z, rows, classes, 2 * classes);
    return 0.0;
  };
  const bool column_major = impl.column_major();
  if (column_major) impl.build_columns();
  impl.with_source(
      impl.workspace.stacked_parameters.data(), 2 * classes,
      [&](const auto& source, const T* parameters) {
        input.parameters = parameters;
        return detail::run_blocked_pass(impl.plan, impl.workspace, source, input, row_step);
      },
      column_major, false, by_features);
  const detail::BlockPlan combine_plan = impl.share ? impl.fold_share(true) : impl.plan;
  detail::combine_chunks(combine_plan, impl.workspace, impl.penalty(), direction_weights,
                         column_major ? nullptr : product_weights, product_intercept, fit_intercept,
                         impl.sparse() ? impl.slots.slot_of.data() : nullptr);
  if (column_major && by_features) {
    detail::column_major_weight_gradient_by_features(impl.columns, impl.gathered.data(), classes,
                                                     impl.penalty(), direction_weights,
                                                     product_weights);
  } else if (column_major) {
    detail::column_major_weight_gradient(impl.columns, impl.gathered.data(), classes,
                                         impl.penalty(), direction_weights,
                                         impl.column_totals.data(), product_weights);
  }
}

template <class T>
void LossGradient<T>::predict_logits(std::span<const T> weights, std::span<const T> intercept,
                                     MatrixView<T> logits) {
  Impl& impl = *impl_;
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
  const T* bias = fit_intercept ? intercept.data() : nullptr;
  // Logits read W^T on CSR features: features x classes weights in place even with a share.
  const bool by_features = impl.layout == WeightLayout::features_by_classes && impl.sparse();
  if (impl.layout == WeightLayout::features_by_classes && !by_features) {
    impl.layout_weights.resize(weights.size());
    detail::transpose(weights.data(), impl.features(), impl.classes(), impl.layout_weights.data());
    impl.logits_pass(impl.layout_weights.data(), bias, logits, false);
    return;
  }
  impl.logits_pass(weights.data(), bias, logits, by_features);
}

template <class T>
void LossGradient<T>::Impl::logits_pass(const T* weights, const T* intercept, MatrixView<T> logits,
                                        bool by_features) {
  detail::PassInput<T> input;
  input.bias = intercept;
  input.logit_columns = classes();
  input.classes = classes();
  with_source(
      weights, classes(),
      [&](const auto& source, const T* parameters) {
        input.parameters = parameters;
        std::optional<detail::SingleThreadedBlas> single_threaded_blas;
        if (source.uses_blas()) single_threaded_blas.emplace();
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, plan.blocks, 1),
                          [&](const tbb::blocked_range<std::size_t>& blocks) {
                            for (std::size_t block = blocks.begin(); block != blocks.end();
                                 ++block) {
                              const std::size_t begin = plan.block_begin(block);
                              source.logits(begin, plan.block_size(block), input, logits.row(begin),
                                            logits.stride());
                            }
                          });
        return 0;
      },
      false, false, by_features);
}

template <class T>
std::size_t LossGradient<T>::num_samples() const {
  return impl_->rows();
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
