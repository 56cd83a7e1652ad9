// csr_row_logits (kernels/simd/csr_rows.hpp) against its documented order, on every ISA this CPU
// runs: each logit is z's start with the row's entries' products added one by one in order,
// fused where the ISA has FMA, a rounded product then a sum on SSE2. The oracle is scalar code
// (std::fma, or a product and a sum) written from that description; it and the kernel must agree
// bit for bit, for every class count up to 34 and around each ISA's tile (32, 64 or 128
// columns), entry counts 0 to 9 and a long row, signed zeros and repeated slots; with finite
// data a second check bounds the kernel against long double; with infinities and NaNs in the
// table the kernel must give NaN exactly where the oracle does and the oracle's bits elsewhere.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "softmaxkit/isa.hpp"

namespace {

using softmaxkit::Isa;

template <class T>
T multiply_add(bool fused, T value, T row, T sum) {
  if (fused) return std::fma(value, row, sum);
  const T product = value * row;
  return product + sum;
}

template <class T>
void check_row_logits(Isa isa, std::size_t columns, std::size_t entries, std::uint32_t seed,
                      bool special) {
  const auto& kernels = softmaxkit::detail::kernel_table(isa).typed<T>();
  const bool fused = isa != Isa::sse2;
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  const std::size_t features = 23;
  std::vector<T> transposed(features * columns);
  constexpr T kSpecial[3] = {std::numeric_limits<T>::infinity(),
                             -std::numeric_limits<T>::infinity(),
                             std::numeric_limits<T>::quiet_NaN()};
  for (T& x : transposed) {
    const auto pick = random() % 11;
    x = pick == 0              ? T(-0.0)
        : special && pick <= 3 ? kSpecial[pick - 1]
                               : static_cast<T>(uniform(random));
  }
  std::vector<std::int32_t> slots(entries);
  std::vector<T> values(entries);
  for (std::size_t e = 0; e < entries; ++e) {
    slots[e] = static_cast<std::int32_t>(random() % features);  // repeats allowed
    values[e] = random() % 13 == 0 ? T(-0.0) : static_cast<T>(uniform(random));
  }
  std::vector<T> start(columns);
  for (T& x : start) x = random() % 5 == 0 ? T(-0.0) : static_cast<T>(uniform(random));

  std::vector<T> got = start;
  kernels.csr_row_logits(slots.data(), values.data(), entries, transposed.data(), columns,
                         got.data());
  INFO("isa " << softmaxkit::to_string(isa) << ", " << (sizeof(T) == 4 ? "float" : "double")
              << ", columns " << columns << ", entries " << entries
              << (special ? ", infinities and NaNs" : ""));
  for (std::size_t k = 0; k < columns; ++k) {
    T want = start[k];
    long double exact = start[k];
    for (std::size_t e = 0; e < entries; ++e) {
      const T row = transposed[static_cast<std::size_t>(slots[e]) * columns + k];
      want = multiply_add(fused, values[e], row, want);
      exact += static_cast<long double>(values[e]) * row;
    }
    INFO("column " << k);
    if (std::isnan(want)) {
      CHECK(std::isnan(got[k]));  // which NaN's payload survives is not promised
      continue;
    }
    CHECK(std::memcmp(&got[k], &want, sizeof(T)) == 0);
    if (special) continue;
    // Terms are below 4 in magnitude, so the partial sums stay below 4 (entries + 1); each of the
    // `entries` roundings is at most half an ulp of such a sum.
    const long double bound = (entries + 1.0L) * 4.0L * (entries + 1.0L) *
                              static_cast<long double>(std::numeric_limits<T>::epsilon());
    CHECK(std::fabs(static_cast<long double>(got[k]) - exact) <= bound);
  }
  // A row without entries keeps z's start bit for bit, -0 included.
  if (entries == 0) CHECK(std::memcmp(got.data(), start.data(), columns * sizeof(T)) == 0);
}

}  // namespace

TEST_CASE("csr_row_logits: z plus the row's entries in order, bit for bit, every ISA") {
  for (Isa isa : softmaxkit::supported_isas()) {
    std::vector<std::size_t> column_counts;
    for (std::size_t columns = 1; columns <= 34; ++columns) column_counts.push_back(columns);
    for (std::size_t columns : {53u, 63u, 64u, 65u, 127u, 128u, 129u, 200u})
      column_counts.push_back(columns);
    for (std::size_t columns : column_counts) {
      for (std::size_t entries : {0u, 1u, 2u, 3u, 4u, 5u, 8u, 9u, 82u}) {
        for (bool special : {false, true}) {
          const auto seed =
              static_cast<std::uint32_t>(columns * 100 + entries + (special ? 50 : 0));
          check_row_logits<float>(isa, columns, entries, seed, special);
          check_row_logits<double>(isa, columns, entries, seed + 7, special);
        }
      }
    }
  }
}
