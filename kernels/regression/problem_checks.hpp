// Validation of a RegressionProblem and of the parameter spans passed to each call.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "softmaxkit/regression.hpp"

namespace softmaxkit::detail {

// Throws Error naming what is wrong; returns the sum of the sample weights (> 0).
template <class T>
double check_problem(const RegressionProblem<T>& problem);

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
// The memory a problem's views span: features, labels, target_probabilities, sample_weights.
template <class T>
std::array<Region, 4> problem_regions(const RegressionProblem<T>& problem);

// The problem's regions followed by a call's own inputs, in a fixed array: the checks run on
// every call, which must not allocate.
template <class T, std::size_t N>
std::array<Region, 4 + N> call_inputs(const RegressionProblem<T>& problem,
                                      const std::array<Region, N>& own) {
  std::array<Region, 4 + N> all{};
  const std::array<Region, 4> shared = problem_regions(problem);
  std::copy(shared.begin(), shared.end(), all.begin());
  std::copy(own.begin(), own.end(), all.begin() + 4);
  return all;
}

// Each output must share no byte with any input nor with another output (a gradient written
// over the parameters or the data it is computed from gives wrong numbers). Throws Error naming
// both arguments.
void check_outputs_disjoint(std::string_view function, std::span<const Region> outputs,
                            std::span<const Region> inputs);

}  // namespace softmaxkit::detail
