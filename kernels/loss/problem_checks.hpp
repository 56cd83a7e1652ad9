// Validation of a RegressionProblem and of the parameter spans passed to each call.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "loss/block_plan.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::detail {

// Throws Error naming what is wrong; returns the sum of the sample weights (> 0).
template <class T>
double check_problem(const RegressionProblem<T>& problem);

// The product path: `requested`, with automatic resolved (csr for CSR features, small_k up to
// small_k_product_max_classes, blas above). CSR features take only automatic or csr; dense
// features never csr.
template <class T>
ProductPath choose_path(const RegressionProblem<T>& problem, ProductPath requested);

// Rows per block for CSR features: a block's entries (values and indices) take about
// kBlockBytes, from the mean entries per row; multiples of 8 in [16, 2048]. Shape only.
std::size_t csr_block_rows(std::size_t rows, std::size_t nnz, std::size_t element_size);

// Refuses (Error naming the sizes) a workspace that could not be allocated on this machine: the
// per-chunk accumulators (chunks x classes x features) and logits, against the physical memory.
void check_workspace_fits(const BlockPlan& plan, std::size_t classes, std::size_t features,
                          std::size_t element_size);

// `argument` must have `expected` elements, or be empty when `may_be_empty`.
void check_span_size(std::string_view function, std::string_view argument, std::size_t size,
                     std::size_t expected, bool may_be_empty);

}  // namespace softmaxkit::detail
