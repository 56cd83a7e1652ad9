// Validation of a RegressionProblem and of the parameter spans passed to each call.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "loss/block_plan.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::detail {

// Throws Error naming what is wrong; returns the sum of the sample weights (> 0). A share of a
// data-parallel problem (`share`) may have no rows or only zero weights: the whole problem is
// checked for those by its owner.
template <class T>
double check_problem(const RegressionProblem<T>& problem, bool share = false);

// The product path: `requested`, with automatic resolved (csr for CSR features, small_k up to
// small_k_product_max_classes, blas above). CSR features take only automatic or csr; dense
// features never csr.
template <class T>
ProductPath choose_path(const RegressionProblem<T>& problem, ProductPath requested);
// options.weight_layout, refused (Error) unless one of WeightLayout's values.
WeightLayout check_weight_layout(WeightLayout layout);

// Rows per block for CSR features: a block's entries (values and indices) take about
// kBlockBytes, from the mean entries per row; multiples of 8 in [16, 2048]. Shape only.
std::size_t csr_block_rows(std::size_t rows, std::size_t nnz, std::size_t element_size);

// The grid for CSR features: make_block_plan with blocks of csr_block_rows (unless
// requested_block_rows is given) and at most max(kMinChunks, nnz / kCsrChunkEntries) chunks.
// With the column-major gradient product each chunk joins every feature it touches to that
// feature's total, so on small data fewer chunks are faster (README, "Sparse features (CSR)");
// blocks, not chunks, carry the pass's parallelism there (run_independent_blocks), and larger
// data still get more chunks for data-parallel shares.
inline constexpr std::size_t kCsrChunkEntries = std::size_t{1} << 20;
BlockPlan make_csr_block_plan(std::size_t rows, std::size_t nnz, std::size_t features,
                              std::size_t classes, std::size_t element_size,
                              std::size_t requested_block_rows);

// This machine's physical memory in bytes (0 when the system does not say).
long double physical_memory_bytes();

// Refuses (Error naming the sizes) a workspace that could not be allocated on this machine: the
// per-chunk accumulators (chunks x classes x features) and logits, against the physical memory.
void check_workspace_fits(const BlockPlan& plan, std::size_t classes, std::size_t features,
                          std::size_t element_size);

// Refuses (Error naming the sizes) a column-major copy of CSR features (nnz entries, cut by
// `chunks` chunks) plus every row's G (rows x classes) and the features' totals (features x
// classes) that could not be allocated on this machine (loss/csr_columns.hpp).
void check_column_copy_fits(std::size_t rows, std::size_t features, std::size_t nnz,
                            std::size_t classes, std::size_t chunks, std::size_t element_size);

// `argument` must have `expected` elements, or be empty when `may_be_empty`.
void check_span_size(std::string_view function, std::string_view argument, std::size_t size,
                     std::size_t expected, bool may_be_empty);

[[noreturn]] void fail_argument(std::string_view function, std::string_view argument,
                                const std::string& message);

// Null data with a nonzero size in a call's span argument.
template <class T>
void check_span_not_null(std::string_view function, std::string_view argument,
                         std::span<T> values) {
  if (values.data() == nullptr && !values.empty()) {
    fail_argument(function, argument,
                  "is null but has " + std::to_string(values.size()) + " elements");
  }
}

// A named byte range of an argument (empty: no memory).
struct Region {
  std::string_view name;
  const void* data = nullptr;
  std::size_t bytes = 0;
};
template <class T>
Region region(std::string_view name, std::span<T> values) {
  return {name, values.data(), values.size_bytes()};
}
// The memory a problem's views span: features (dense, or the CSR arrays), labels,
// target_probabilities, sample_weights.
inline constexpr std::size_t kProblemRegions = 7;
template <class T>
std::array<Region, kProblemRegions> problem_regions(const RegressionProblem<T>& problem);

// The problem's regions followed by a call's own inputs, in a fixed array: the checks run on
// every call, which must not allocate.
template <class T, std::size_t N>
std::array<Region, kProblemRegions + N> call_inputs(const RegressionProblem<T>& problem,
                                                    const std::array<Region, N>& own) {
  std::array<Region, kProblemRegions + N> all{};
  const std::array<Region, kProblemRegions> shared = problem_regions(problem);
  std::copy(shared.begin(), shared.end(), all.begin());
  std::copy(own.begin(), own.end(), all.begin() + kProblemRegions);
  return all;
}

// Each output must share no byte with any input nor with another output (a gradient written
// over the parameters or the data it is computed from gives wrong numbers). Throws Error naming
// both arguments.
void check_outputs_disjoint(std::string_view function, std::span<const Region> outputs,
                            std::span<const Region> inputs);

}  // namespace softmaxkit::detail
