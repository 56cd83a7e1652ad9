// ULP distance of a computed float/double from a higher-precision reference value.
//
// Rules: NaN expected -> 0 if the result is NaN, else infinite. Where the correctly rounded
// value or the result is infinite, the two must be equal (overflow is exact), else infinite.
// Otherwise |result - reference| in units of the spacing of the output type at the reference's
// magnitude; below the smallest normal the spacing is that of the subnormals.
#pragma once

#include <cmath>
#include <limits>

namespace softmaxkit::testing {

template <class T>
double ulp_error(T result, long double reference) {
  using limits = std::numeric_limits<T>;
  constexpr double infinite = std::numeric_limits<double>::infinity();
  if (std::isnan(reference)) return std::isnan(result) ? 0.0 : infinite;
  if (std::isnan(result)) return infinite;
  const T rounded = static_cast<T>(reference);
  if (std::isinf(rounded) || std::isinf(result)) return rounded == result ? 0.0 : infinite;
  const long double magnitude = std::fabs(reference);
  long double spacing;
  if (magnitude < static_cast<long double>(limits::min())) {
    spacing = std::ldexp(1.0L, limits::min_exponent - limits::digits);
  } else {
    spacing = std::ldexp(1.0L, std::ilogb(magnitude) - (limits::digits - 1));
  }
  return static_cast<double>(std::fabs(static_cast<long double>(result) - reference) / spacing);
}

}  // namespace softmaxkit::testing
