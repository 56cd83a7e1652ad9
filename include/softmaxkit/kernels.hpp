// Element-wise and row kernels. Each runs on the active ISA (see isa.hpp) and validates its
// arguments, throwing softmaxkit::Error that names the offending argument.
#pragma once

#include <span>

namespace softmaxkit {

// exp over an array: at most 1 ULP (float: every input checked; double: 10^8 random inputs),
// exact edges (overflow to +inf exactly where the true result exceeds the largest finite value,
// gradual underflow, exp(-inf) = 0, NaN -> NaN). Out of place (input and output the same length
// and disjoint) or in place. Thread-safe; deterministic.
void exp(std::span<const float> input, std::span<float> output);
void exp(std::span<const double> input, std::span<double> output);
void exp(std::span<float> values);
void exp(std::span<double> values);

}  // namespace softmaxkit
