#include "loss/problem_checks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "common/validate.hpp"

namespace softmaxkit::detail {
namespace {

constexpr std::string_view kFunction = "LossGradient";

std::string shape(std::size_t rows, std::size_t cols) {
  return std::to_string(rows) + " x " + std::to_string(cols);
}

}  // namespace

template <class T>
double check_problem(const RegressionProblem<T>& problem, bool share) {
  const bool dense = problem.features.rows() != 0 || problem.features.cols() != 0;
  const bool sparse = problem.sparse_features.rows() != 0 || problem.sparse_features.cols() != 0;
  if (dense && sparse) fail(kFunction, "give features or sparse_features, not both");
  const std::size_t m = sparse ? problem.sparse_features.rows() : problem.features.rows();
  const std::size_t classes = problem.num_classes;
  if (classes == 0) fail(kFunction, "num_classes is 0");
  if ((sparse ? problem.sparse_features.cols() : problem.features.cols()) == 0)
    fail(kFunction, "features has no columns");
  if (!(problem.l2 >= 0) || !std::isfinite(problem.l2)) {
    fail(kFunction, "l2 is " + std::to_string(problem.l2) + " (must be finite and >= 0)");
  }
  // The penalty's gradient l2 * W is computed in T: an l2 beyond T's range would make it
  // inf * 0 = NaN at W = 0.
  if (!std::isfinite(static_cast<T>(problem.l2))) {
    char text[32];  // "1.6666666666666667e+298", not std::to_string's 299 digits
    std::snprintf(text, sizeof text, "%.17g", problem.l2);
    fail(kFunction, "l2 is " + std::string(text) + ", not finite in " +
                        (sizeof(T) == 4 ? "float" : "double") + " (compute in double)");
  }
  const bool hard = !problem.labels.empty();
  const bool soft = problem.target_probabilities.rows() != 0;
  if (hard && soft) fail(kFunction, "give labels or target_probabilities, not both");
  if (!hard && !soft && m != 0) fail(kFunction, "give labels or target_probabilities");
  if (problem.labels.data() == nullptr && !problem.labels.empty()) {
    fail(kFunction, "labels is null but has " + std::to_string(problem.labels.size()) + " entries");
  }
  if (problem.sample_weights.data() == nullptr && !problem.sample_weights.empty()) {
    fail(kFunction, "sample_weights is null but has " +
                        std::to_string(problem.sample_weights.size()) + " entries");
  }
  if (hard) {
    if (problem.labels.size() != m) {
      fail(kFunction, "labels has " + std::to_string(problem.labels.size()) +
                          " entries but features has " + std::to_string(m) + " rows");
    }
    for (std::size_t i = 0; i < m; ++i) {
      const std::int32_t label = problem.labels[i];
      if (label < 0 || static_cast<std::size_t>(label) >= classes) {
        fail(kFunction, "label " + std::to_string(label) + " at row " + std::to_string(i) +
                            " is outside [0, " + std::to_string(classes) + ")");
      }
    }
  }
  if (soft && (problem.target_probabilities.rows() != m ||
               problem.target_probabilities.cols() != classes)) {
    fail(kFunction,
         "target_probabilities is " +
             shape(problem.target_probabilities.rows(), problem.target_probabilities.cols()) +
             " but expected " + shape(m, classes) + " (rows x num_classes)");
  }
  if (soft) {
    // Each target row must be a distribution: the gradient P - Y assumes it sums to 1. The
    // tolerance is the row kernels' own (max(1e-5, 4 K epsilon)).
    const double tolerance =
        std::max(1e-5, 4.0 * static_cast<double>(classes) * std::numeric_limits<T>::epsilon());
    for (std::size_t i = 0; i < m; ++i) {
      const T* row = problem.target_probabilities.row(i);
      double sum = 0;
      for (std::size_t k = 0; k < classes; ++k) {
        if (!(row[k] >= T(0)) || !std::isfinite(row[k])) {
          fail(kFunction, "target_probabilities row " + std::to_string(i) + " has entry " +
                              std::to_string(row[k]) + " at class " + std::to_string(k) +
                              " (must be finite and non-negative)");
        }
        sum += static_cast<double>(row[k]);
      }
      if (std::fabs(sum - 1.0) > tolerance) {
        fail(kFunction, "target_probabilities row " + std::to_string(i) + " sums to " +
                            std::to_string(sum) + ", not 1");
      }
    }
  }
  double weight_sum = static_cast<double>(m);
  if (!problem.sample_weights.empty()) {
    if (problem.sample_weights.size() != m) {
      fail(kFunction, "sample_weights has " + std::to_string(problem.sample_weights.size()) +
                          " entries but features has " + std::to_string(m) + " rows");
    }
    weight_sum = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const T weight = problem.sample_weights[i];
      if (!std::isfinite(weight) || weight < T(0)) {
        fail(kFunction, "sample weight at row " + std::to_string(i) + " is " +
                            std::to_string(weight) + " (must be finite and non-negative)");
      }
      weight_sum += static_cast<double>(weight);
    }
  }
  if (share) return weight_sum;
  if (m == 0) fail(kFunction, "features has no rows");
  if (!(weight_sum > 0)) fail(kFunction, "all sample weights are zero");
  // The gradient is scaled by 1/W rounded to T: a subnormal 1/W carried its rounding into every
  // gradient entry (float weights summing to 4.5e44: 1/W 26 % off, the objective 1.9e-5 above
  // the optimum; above 1.4e45 it is 0 and the data's gradient vanished).
  check_weight_sum(kFunction, "sample weights", weight_sum, T(0), WeightSumRule::normal_reciprocal);
  return weight_sum;
}

template <class T>
ProductPath choose_path(const RegressionProblem<T>& problem, ProductPath requested) {
  if (requested != ProductPath::automatic && requested != ProductPath::blas &&
      requested != ProductPath::small_k && requested != ProductPath::csr) {
    fail(kFunction, "options.path is " + std::to_string(static_cast<int>(requested)) +
                        ", not automatic, blas, small_k or csr");
  }
  const bool sparse = problem.sparse_features.rows() != 0 || problem.sparse_features.cols() != 0;
  if (sparse) {
    if (requested != ProductPath::automatic && requested != ProductPath::csr)
      fail(kFunction, "sparse_features take the csr product path (or automatic)");
    return ProductPath::csr;
  }
  if (requested == ProductPath::csr) fail(kFunction, "the csr product path needs sparse_features");
  if (requested != ProductPath::automatic) return requested;
  return problem.num_classes <= small_k_product_max_classes ? ProductPath::small_k
                                                            : ProductPath::blas;
}

WeightLayout check_weight_layout(WeightLayout layout) {
  if (layout != WeightLayout::classes_by_features && layout != WeightLayout::features_by_classes)
    fail(kFunction, "options.weight_layout is " + std::to_string(static_cast<int>(layout)) +
                        ", not classes_by_features or features_by_classes");
  return layout;
}

std::size_t csr_block_rows(std::size_t rows, std::size_t nnz, std::size_t element_size) {
  const std::size_t per_row = std::max<std::size_t>(1, nnz / std::max<std::size_t>(1, rows));
  const std::size_t fitting = kBlockBytes / (per_row * (element_size + sizeof(std::int32_t)));
  return std::clamp<std::size_t>(fitting / 8 * 8, 16, 2048);
}

BlockPlan make_csr_block_plan(std::size_t rows, std::size_t nnz, std::size_t features,
                              std::size_t classes, std::size_t element_size,
                              std::size_t requested_block_rows) {
  BlockPlan plan = make_block_plan(
      rows, features, classes, element_size,
      requested_block_rows != 0 ? requested_block_rows : csr_block_rows(rows, nnz, element_size));
  const std::size_t most = std::max(kMinChunks, nnz / kCsrChunkEntries);
  if (plan.chunks > most) plan.chunks = plan.grid_chunks = most;
  return plan;
}

long double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<long double>(pages) * static_cast<long double>(page)
                               : 0.0L;
}

void check_workspace_fits(const BlockPlan& plan, std::size_t classes, std::size_t features,
                          std::size_t element_size) {
  // In elements, with overflow in mind: classes and features can each be near 2^31.
  const long double accumulators = static_cast<long double>(plan.chunks) *
                                   static_cast<long double>(classes) *
                                   static_cast<long double>(features);
  const long double logits = static_cast<long double>(plan.chunks) *
                             static_cast<long double>(plan.block_rows) * 2.0L *
                             static_cast<long double>(classes);
  const long double bytes = (accumulators + logits) * static_cast<long double>(element_size);
  const long double physical = physical_memory_bytes();
  if (physical > 0 && bytes > physical) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "the workspace for %zu classes x %zu features would need %.3Lg GiB (%zu chunks "
                  "of classes x features accumulators, plus logits), more than this machine's "
                  "%.3Lg GiB of memory",
                  classes, features, bytes / 1073741824.0L, plan.chunks, physical / 1073741824.0L);
    fail(kFunction, text);
  }
}

void check_column_copy_fits(std::size_t rows, std::size_t features, std::size_t nnz,
                            std::size_t classes, std::size_t chunks, std::size_t element_size) {
  // loss/csr_columns.hpp's memory note: the copy while it is built (its entries twice and their
  // features), at most min(nnz, chunks n) segments of 13 bytes, per-feature offsets and last
  // chunks, a byte per row, and the n x K totals and m x K row gradients; and every entry's slot
  // (csr_features.hpp), 4 bytes each.
  const long double entries = static_cast<long double>(nnz);
  const long double element = static_cast<long double>(element_size);
  const long double segments =
      std::min(entries, static_cast<long double>(chunks) * static_cast<long double>(features));
  const long double bytes = entries * (16.0L + 2.0L * element) + 13.0L * segments +
                            (static_cast<long double>(features) + 1.0L) * 12.0L +
                            static_cast<long double>(rows) +
                            (static_cast<long double>(rows) + static_cast<long double>(features)) *
                                static_cast<long double>(classes) * element;
  const long double physical = physical_memory_bytes();
  if (physical > 0 && bytes > physical) {
    // Named by all its parts: with few entries the n x K totals dominate (4 entries over 2^31
    // columns "would need 40 GiB" read as the copy's, an audit).
    char text[320];
    std::snprintf(text, sizeof text,
                  "the column-major copy of %zu CSR entries, the %zu x %zu row gradients and "
                  "the %zu x %zu feature totals would need %.3Lg GiB, more than this machine's "
                  "%.3Lg GiB of memory",
                  nnz, rows, classes, features, classes, bytes / 1073741824.0L,
                  physical / 1073741824.0L);
    fail(kFunction, text);
  }
}

void check_span_size(std::string_view function, std::string_view argument, std::size_t size,
                     std::size_t expected, bool may_be_empty) {
  if (size == expected || (may_be_empty && size == 0)) return;
  fail(function, std::string(argument) + " has " + std::to_string(size) + " elements, expected " +
                     std::to_string(expected) + (may_be_empty ? " (or none)" : ""));
}

void fail_argument(std::string_view function, std::string_view argument,
                   const std::string& message) {
  fail(function, std::string(argument) + " " + message);
}

template <class T>
std::array<Region, kProblemRegions> problem_regions(const RegressionProblem<T>& problem) {
  return {Region{"features", problem.features.data(), view_extent(problem.features) * sizeof(T)},
          region("sparse_features row_offsets", problem.sparse_features.row_offsets()),
          region("sparse_features column_indices", problem.sparse_features.column_indices()),
          region("sparse_features values", problem.sparse_features.values()),
          region("labels", problem.labels),
          Region{"target_probabilities", problem.target_probabilities.data(),
                 view_extent(problem.target_probabilities) * sizeof(T)},
          region("sample_weights", problem.sample_weights)};
}

void check_outputs_disjoint(std::string_view function, std::span<const Region> outputs,
                            std::span<const Region> inputs) {
  auto overlap = [](const Region& a, const Region& b) {
    if (a.bytes == 0 || b.bytes == 0 || a.data == nullptr || b.data == nullptr) return false;
    const auto a_begin = reinterpret_cast<std::uintptr_t>(a.data);
    const auto b_begin = reinterpret_cast<std::uintptr_t>(b.data);
    return a_begin < b_begin + b.bytes && b_begin < a_begin + a.bytes;
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (const Region& input : inputs) {
      if (overlap(outputs[i], input)) {
        fail(function, std::string(outputs[i].name) + " overlaps " + std::string(input.name) +
                           " (outputs must not share memory with any input)");
      }
    }
    for (std::size_t j = i + 1; j < outputs.size(); ++j) {
      if (overlap(outputs[i], outputs[j])) {
        fail(function, std::string(outputs[i].name) + " overlaps " + std::string(outputs[j].name) +
                           " (outputs must be disjoint)");
      }
    }
  }
}

template std::array<Region, kProblemRegions> problem_regions<float>(
    const RegressionProblem<float>&);
template std::array<Region, kProblemRegions> problem_regions<double>(
    const RegressionProblem<double>&);
template double check_problem<float>(const RegressionProblem<float>&, bool);
template double check_problem<double>(const RegressionProblem<double>&, bool);
template ProductPath choose_path<float>(const RegressionProblem<float>&, ProductPath);
template ProductPath choose_path<double>(const RegressionProblem<double>&, ProductPath);

}  // namespace softmaxkit::detail
