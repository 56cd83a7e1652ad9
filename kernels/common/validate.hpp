// Argument checks shared by the public entry points. They run once per call, at the boundary.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "softmaxkit/error.hpp"

namespace softmaxkit::detail {

template <class T>
void check_not_null(std::string_view function, std::string_view argument, const T* data,
                    std::size_t count) {
  if (data == nullptr && count != 0) {
    fail(function,
         std::string(argument) + " is null but has " + std::to_string(count) + " elements");
  }
}

// A mean's denominator W (a sum of weights, > 0).
// finite_reciprocal (means taken in double by dividing by W: scores): W finite and 1/W finite in
// T. A sum of 1e-320 (or 1e-40 in float) made 1/W infinite and the gradient NaN; a sum that
// overflowed made the loss NaN.
// normal_reciprocal (whatever scales by 1/W rounded to T: cross_entropy, whose W is summed in
// long double, and the fits' LossGradient): 1/W a normal T, 1/max(T) <= W <= 1/min(T); a double
// W of 0 from products of 1e-200, a float W of 1e40 and float fit weights summing to 4.5e44 (1/W
// subnormal, 26 % off) slipped through the first rule. The mean does not change when all weights
// are scaled by the same factor, so the message says to rescale them.
enum class WeightSumRule { finite_reciprocal, normal_reciprocal };

template <class T>
bool weight_sum_fits(long double sum, WeightSumRule rule) {
  if (rule == WeightSumRule::normal_reciprocal) {
    const long double reciprocal = 1.0L / sum;
    return reciprocal >= static_cast<long double>(std::numeric_limits<T>::min()) &&
           reciprocal <= static_cast<long double>(std::numeric_limits<T>::max());
  }
  return std::isfinite(static_cast<double>(sum)) &&
         std::isfinite(static_cast<T>(1.0 / static_cast<double>(sum)));
}

// The message states the range's bounds (max_digits10 of T) and prints the sum with 6 significant
// digits, or with as many more as it takes for the printed number to be outside the range too (a
// float sum of 2^-128 = 2.93873588e-39 is below 1 / max = 2.93873605e-39, but at 6 digits it
// reads 2.93874e-39, inside).
template <class T>
void check_weight_sum(std::string_view function, std::string_view argument, long double sum, T,
                      WeightSumRule rule = WeightSumRule::finite_reciprocal) {
  if (weight_sum_fits<T>(sum, rule)) return;
  char text[48];
  for (int digits = 6; digits <= std::numeric_limits<long double>::max_digits10; ++digits) {
    std::snprintf(text, sizeof text, "%.*Lg", digits, sum);
    if (!weight_sum_fits<T>(std::strtold(text, nullptr), rule)) break;
  }
  char low[32], high[32];
  constexpr int bound_digits = std::numeric_limits<T>::max_digits10;
  std::snprintf(low, sizeof low, "%.*Lg", bound_digits,
                1.0L / static_cast<long double>(std::numeric_limits<T>::max()));
  std::snprintf(high, sizeof high, "%.*Lg", bound_digits,
                1.0L / static_cast<long double>(std::numeric_limits<T>::min()));
  const std::string range =
      rule == WeightSumRule::normal_reciprocal
          ? std::string("a sum whose reciprocal is a normal number: from 1 / the largest value, ") +
                low + ", to 1 / the smallest normal one, " + high
          : std::string("a finite sum of at least 1 / the largest value, ") + low;
  fail(function, std::string(argument) + " sum to " + text +
                     ", outside what a mean can divide by in " +
                     (sizeof(T) == 4 ? "float" : "double") + " (" + range +
                     "); rescale them: the mean does not change");
}

// True when [a, a+a_count) and [b, b+b_count) share memory but do not start at the same address.
template <class T, class U>
bool overlaps_partially(const T* a, std::size_t a_count, const U* b, std::size_t b_count) {
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a);
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b);
  const auto a_end = a_begin + a_count * sizeof(T);
  const auto b_end = b_begin + b_count * sizeof(U);
  const bool disjoint = a_end <= b_begin || b_end <= a_begin;
  return !disjoint && a_begin != b_begin;
}

// An output that must share no memory with another argument: Error naming both. bytes_* are the
// extents (a view's view_extent times the element size); empty ones never overlap.
inline void check_disjoint(std::string_view function, std::string_view output_name,
                           const void* output, std::size_t output_bytes,
                           std::string_view other_name, const void* other,
                           std::size_t other_bytes) {
  if (output_bytes == 0 || other_bytes == 0 || output == nullptr || other == nullptr) return;
  const auto a = reinterpret_cast<std::uintptr_t>(output);
  const auto b = reinterpret_cast<std::uintptr_t>(other);
  if (a < b + other_bytes && b < a + output_bytes) {
    fail(function, std::string(output_name) + " overlaps " + std::string(other_name) +
                       " (an output must not share memory with another argument)");
  }
}

// An element-wise kernel's input and output: same length, not null, identical or disjoint.
template <class T>
void check_elementwise(std::string_view function, std::span<const T> input, std::span<T> output) {
  check_not_null(function, "input", input.data(), input.size());
  check_not_null(function, "output", output.data(), output.size());
  if (input.size() != output.size()) {
    fail(function, "input has " + std::to_string(input.size()) + " elements but output has " +
                       std::to_string(output.size()));
  }
  if (overlaps_partially(input.data(), input.size(), output.data(), output.size())) {
    fail(function, "input and output overlap partially (in place means the same array)");
  }
}

// Elements a row-major view spans from its first element: (rows - 1) * stride + cols.
template <class View>
std::size_t view_extent(const View& view) {
  return view.empty() ? 0 : (view.rows() - 1) * view.stride() + view.cols();
}

template <class View>
void check_shape(std::string_view function, std::string_view argument, const View& view,
                 std::size_t rows, std::size_t cols) {
  if (view.rows() != rows || view.cols() != cols) {
    fail(function, std::string(argument) + " is " + std::to_string(view.rows()) + " x " +
                       std::to_string(view.cols()) + " but must be " + std::to_string(rows) +
                       " x " + std::to_string(cols));
  }
}

template <class T>
void check_length(std::string_view function, std::string_view argument, std::span<T> values,
                  std::size_t expected) {
  if (values.size() != expected) {
    fail(function, std::string(argument) + " has " + std::to_string(values.size()) +
                       " elements but must have " + std::to_string(expected));
  }
  check_not_null(function, argument, values.data(), values.size());
}

// A row kernel's output: the input itself (same memory and stride: in place) or disjoint. The
// Error names both arguments.
template <class In, class Out>
void check_same_or_disjoint(std::string_view function, std::string_view input_name, const In& input,
                            std::string_view output_name, const Out& output) {
  const bool same =
      static_cast<const void*>(input.data()) == static_cast<const void*>(output.data()) &&
      input.stride() == output.stride();
  if (same) return;
  const auto in_begin = reinterpret_cast<std::uintptr_t>(input.data());
  const auto out_begin = reinterpret_cast<std::uintptr_t>(output.data());
  const auto in_end = in_begin + view_extent(input) * sizeof(*input.data());
  const auto out_end = out_begin + view_extent(output) * sizeof(*output.data());
  if (in_begin < out_end && out_begin < in_end) {
    fail(function, std::string(output_name) + " and " + std::string(input_name) +
                       " overlap but are not the same matrix (in place means the same data and "
                       "stride)");
  }
}

}  // namespace softmaxkit::detail
