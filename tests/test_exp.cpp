// exp on every ISA: special values, the exact overflow and underflow edges, random inputs
// against long double, in place, position independence and bad arguments.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "isa_each.hpp"
#include "softmaxkit/softmaxkit.hpp"
#include "ulp.hpp"

using softmaxkit::testing::ulp_error;

namespace {

template <class T>
T exp_one(T x) {
  // A length that forces the padded tail path as well as full vectors.
  std::vector<T> input(37, x), output(37);
  softmaxkit::exp(input, output);
  for (T value : output) {
    if (std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(value) !=
        std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(
            output[0])) {
      FAIL("the same input gave different outputs at different positions");
    }
  }
  return output[0];
}

// The largest T whose exp rounds to a finite T, found with long double arithmetic.
template <class T>
T largest_finite_exp_input() {
  T x = static_cast<T>(std::log(static_cast<long double>(std::numeric_limits<T>::max())));
  while (std::isinf(static_cast<T>(std::exp(static_cast<long double>(x)))))
    x = std::nextafter(x, T(0));
  while (!std::isinf(static_cast<T>(
      std::exp(static_cast<long double>(std::nextafter(x, std::numeric_limits<T>::infinity()))))))
    x = std::nextafter(x, std::numeric_limits<T>::infinity());
  return x;
}

template <class T>
void check_special_values() {
  constexpr T infinity = std::numeric_limits<T>::infinity();
  CHECK(exp_one<T>(T(0)) == T(1));
  CHECK(exp_one<T>(-T(0)) == T(1));
  CHECK(exp_one<T>(infinity) == infinity);
  const T at_minus_infinity = exp_one<T>(-infinity);
  CHECK(at_minus_infinity == T(0));
  CHECK(!std::signbit(at_minus_infinity));
  CHECK(std::isnan(exp_one<T>(std::numeric_limits<T>::quiet_NaN())));
  // Every underflow is +0, never -0 (an audit's mutant returning -0 for finite underflowing
  // inputs passed the == T(0) checks alone).
  const T at_lowest = exp_one<T>(std::numeric_limits<T>::lowest());
  CHECK(at_lowest == T(0));
  CHECK(!std::signbit(at_lowest));
  CHECK(exp_one<T>(std::numeric_limits<T>::max()) == infinity);

  const T edge = largest_finite_exp_input<T>();
  INFO("largest finite input = " << edge);
  CHECK(std::isfinite(exp_one<T>(edge)));
  CHECK(ulp_error(exp_one<T>(edge), std::exp(static_cast<long double>(edge))) <= 1.0);
  CHECK(exp_one<T>(std::nextafter(edge, infinity)) == infinity);

  // Gradual underflow: every result below the smallest normal, down to the last subnormal.
  const T smallest_normal_input =
      static_cast<T>(std::log(static_cast<long double>(std::numeric_limits<T>::min())));
  const T last_subnormal_input = static_cast<T>(
      std::log(static_cast<long double>(std::numeric_limits<T>::denorm_min())) - 0.1L);
  const int steps = 2000;
  for (int step = 0; step <= steps; ++step) {
    const T x = smallest_normal_input +
                (last_subnormal_input - smallest_normal_input) * static_cast<T>(step) / steps;
    const T result = exp_one<T>(x);
    INFO("x = " << x);
    CHECK(ulp_error(result, std::exp(static_cast<long double>(x))) <= 1.0);
  }
  const T below_subnormals = exp_one<T>(std::log(std::numeric_limits<T>::denorm_min()) - T(1));
  CHECK(below_subnormals == T(0));
  CHECK(!std::signbit(below_subnormals));
  CHECK(exp_one<T>(static_cast<T>(std::log(static_cast<long double>(
            std::numeric_limits<T>::denorm_min())))) == std::numeric_limits<T>::denorm_min());
}

template <class T>
void check_random_inputs(std::size_t count) {
  std::mt19937_64 generator(12345);
  const T low = sizeof(T) == 4 ? T(-110) : T(-750);
  const T high = sizeof(T) == 4 ? T(90) : T(712);
  std::uniform_real_distribution<T> wide(low, high);
  std::uniform_real_distribution<T> narrow(T(-2), T(2));
  std::vector<T> input(count), output(count);
  for (std::size_t i = 0; i < count; ++i)
    input[i] = (i % 2 == 0) ? wide(generator) : narrow(generator);
  softmaxkit::exp(input, output);
  double worst = 0;
  T worst_input = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double error = ulp_error(output[i], std::exp(static_cast<long double>(input[i])));
    if (error > worst) {
      worst = error;
      worst_input = input[i];
    }
  }
  INFO("worst input " << worst_input << " error " << worst << " ULP");
  CHECK(worst <= 1.0);
}

// An element's result must not depend on its neighbours: in-range inputs computed among
// themselves and again scattered among inputs that take the cold path (NaN, infinities,
// overflowing and subnormal-result inputs) give the same bits.
template <class T>
void check_position_independence() {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  std::mt19937_64 generator(777);
  const T hot_low = sizeof(T) == 4 ? T(-87) : T(-708);
  const T hot_high = sizeof(T) == 4 ? T(88) : T(709);
  std::uniform_real_distribution<T> in_range(hot_low, hot_high);
  const T cold_values[] = {std::numeric_limits<T>::quiet_NaN(),
                           std::numeric_limits<T>::infinity(),
                           -std::numeric_limits<T>::infinity(),
                           hot_high + T(0.5),
                           hot_low - T(10),
                           hot_low - T(0.5)};
  std::vector<T> alone(200);
  for (T& value : alone) value = in_range(generator);
  std::vector<T> alone_result(alone.size());
  softmaxkit::exp(alone, alone_result);
  std::vector<T> mixed;
  std::vector<std::size_t> position;
  for (std::size_t i = 0; i < alone.size(); ++i) {
    for (std::size_t extra = generator() % 3; extra > 0; --extra)
      mixed.push_back(cold_values[generator() % std::size(cold_values)]);
    position.push_back(mixed.size());
    mixed.push_back(alone[i]);
  }
  std::vector<T> mixed_result(mixed.size());
  softmaxkit::exp(mixed, mixed_result);
  for (std::size_t i = 0; i < alone.size(); ++i) {
    INFO("x = " << alone[i]);
    CHECK(std::bit_cast<Bits>(mixed_result[position[i]]) == std::bit_cast<Bits>(alone_result[i]));
  }
  for (std::size_t i = 0; i < mixed.size(); ++i) {
    INFO("x = " << mixed[i]);
    const long double exact = std::exp(static_cast<long double>(mixed[i]));
    if (std::isnan(mixed[i])) {
      CHECK(std::isnan(mixed_result[i]));
    } else if (std::isinf(exact) || exact == 0) {
      CHECK(mixed_result[i] == static_cast<T>(exact));
    } else {
      CHECK(ulp_error(mixed_result[i], exact) <= 1.0);
    }
  }
}

}  // namespace

TEST_CASE("exp: special values and exact edges, float and double, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_special_values<float>();
    check_special_values<double>();
  }
}

TEST_CASE("exp: random inputs within 1 ULP of long double, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_random_inputs<float>(1 << 20);
    check_random_inputs<double>(1 << 20);
  }
}

TEST_CASE("exp: a result does not depend on its neighbours, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_position_independence<float>();
    check_position_independence<double>();
  }
}

TEST_CASE("exp: in place equals out of place, every length") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t length = 0; length < 70; ++length) {
      std::vector<float> input(length), output(length);
      for (std::size_t i = 0; i < length; ++i) input[i] = static_cast<float>(i) * 0.37f - 9.0f;
      softmaxkit::exp(input, output);
      std::vector<float> values = input;
      softmaxkit::exp(std::span<float>(values));
      CHECK(values == output);
      for (std::size_t i = 0; i < length; ++i) {
        CHECK(ulp_error(output[i], std::exp(static_cast<long double>(input[i]))) <= 1.0);
      }
    }
  }
}

TEST_CASE("exp: bad arguments name what is wrong") {
  std::vector<float> input(8, 1.0f), output(7);
  CHECK_THROWS_WITH_AS(softmaxkit::exp(input, output), doctest::Contains("output has 7"),
                       softmaxkit::Error);
  CHECK_THROWS_WITH_AS(
      softmaxkit::exp(std::span<const float>(static_cast<const float*>(nullptr), 4),
                      std::span<float>(output.data(), 4)),
      doctest::Contains("input is null"), softmaxkit::Error);
  std::vector<double> buffer(16, 0.5);
  CHECK_THROWS_WITH_AS(softmaxkit::exp(std::span<const double>(buffer.data(), 8),
                                       std::span<double>(buffer.data() + 4, 8)),
                       doctest::Contains("overlap"), softmaxkit::Error);
  // Adjacent, non-overlapping halves of one buffer are fine.
  CHECK_NOTHROW(softmaxkit::exp(std::span<const double>(buffer.data(), 8),
                                std::span<double>(buffer.data() + 8, 8)));
  std::vector<float> empty_input, empty_output;
  CHECK_NOTHROW(softmaxkit::exp(empty_input, empty_output));
}
