// Validation of a RegressionProblem and of the parameter spans passed to each call.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "softmaxkit/regression.hpp"

namespace softmaxkit::detail {

// Throws Error naming what is wrong; returns the sum of the sample weights (> 0).
template <class T>
double check_problem(const RegressionProblem<T>& problem);

// `argument` must have `expected` elements, or be empty when `may_be_empty`.
void check_span_size(std::string_view function, std::string_view argument, std::size_t size,
                     std::size_t expected, bool may_be_empty);

}  // namespace softmaxkit::detail
