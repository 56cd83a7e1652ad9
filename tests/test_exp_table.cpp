// The table behind the AVX2 / AVX-512 float exp, checked against long double exp2l: each value
// is 2^(j/N) correctly rounded to float, value * (1 + remainder) is 2^(j/N) to 2^-45, and the
// adjusted bit patterns turn an integer add into a multiplication by 2^q.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>

// The table lives in each ISA's namespace (kernels/simd/); this test gets a copy of its own.
#define SOFTMAXKIT_SIMD_ISA exp_table_test
#include "simd/exp_table.hpp"

namespace {

template <int bits>
void check_table() {
  using softmaxkit::simd::exp_table_test::ExpTable;
  using softmaxkit::simd::exp_table_test::ExpTableScaleBits;
  constexpr int size = 1 << bits;
  for (int j = 0; j < size; ++j) {
    CAPTURE(j);
    const long double exact = std::exp2l(static_cast<long double>(j) / size);
    const float value = ExpTable<bits>::value[j];
    const float below = std::nextafter(value, 0.0f);
    const float above = std::nextafter(value, 2.0f);
    // Correctly rounded: no neighbouring float is closer.
    CHECK(std::fabs(exact - value) <= std::fabs(exact - below));
    CHECK(std::fabs(exact - value) <= std::fabs(exact - above));
    const long double carried =
        static_cast<long double>(value) * (1.0L + ExpTable<bits>::relative_remainder[j]);
    CHECK(std::fabs(carried - exact) / exact <= std::ldexp(1.0L, -45));
    for (const int q : {-126, -1, 0, 1, 127}) {
      CAPTURE(q);
      const std::int32_t k = q * size + j;
      const std::uint32_t shifted = static_cast<std::uint32_t>(k) << (23 - bits);
      const std::uint32_t sum =
          static_cast<std::uint32_t>(ExpTableScaleBits<bits>::adjusted[j]) + shifted;
      CHECK(std::bit_cast<float>(sum) == std::ldexp(value, q));
    }
  }
}

}  // namespace

TEST_CASE("exp table of 2^(j/8) (AVX2)") {
  check_table<3>();
}
TEST_CASE("exp table of 2^(j/16) (AVX-512)") {
  check_table<4>();
}
