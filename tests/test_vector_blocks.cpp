// The solvers' blocked vector loops (src/solvers/vector_blocks.hpp): dot products and norms over
// parameter-sized vectors split into fixed blocks. Checked against the stated order (each block
// serially, block sums in block order), a serial loop up to one block, a long-double reference
// with the classical error bound, thread counts 1-3 bit for bit, and NaN / inf / extreme scales.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "solvers/solver_common.hpp"
#include "solvers/vector_blocks.hpp"

namespace {

using softmaxkit::solvers_detail::block_sums;
using softmaxkit::solvers_detail::dot;
using softmaxkit::solvers_detail::for_blocks;
using softmaxkit::solvers_detail::norm2;
using softmaxkit::solvers_detail::vector_block;

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::vector<double> random_vector(std::size_t size, unsigned seed, double spread = 1.0) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, spread);
  std::vector<double> v(size);
  for (double& e : v) e = normal(generator);
  return v;
}

// The order vector_blocks.hpp states, written out serially.
double dot_in_stated_order(const std::vector<double>& a, const std::vector<double>& b) {
  double total = 0;
  for (std::size_t begin = 0; begin < a.size(); begin += vector_block) {
    double block = 0;
    for (std::size_t i = begin; i < std::min(a.size(), begin + vector_block); ++i)
      block += a[i] * b[i];
    total += block;
  }
  return total;
}

template <class F>
auto in_arena(int threads, const F& f) {
  tbb::task_arena arena(threads);
  return arena.execute(f);
}

// Sizes at and around the block boundaries, up to several blocks.
const std::vector<std::size_t> sizes = {0,
                                        1,
                                        7,
                                        vector_block - 1,
                                        vector_block,
                                        vector_block + 1,
                                        2 * vector_block,
                                        3 * vector_block + 12345};

}  // namespace

TEST_CASE("vector blocks: a vector of one block is summed exactly as one serial loop") {
  for (std::size_t size : sizes) {
    if (size > vector_block) continue;
    const auto a = random_vector(size, 1), b = random_vector(size, 2);
    double serial = 0;
    for (std::size_t i = 0; i < size; ++i) serial += a[i] * b[i];
    CHECK(same_bits(dot(a, b), serial));
  }
}

TEST_CASE(
    "vector blocks: dot follows the stated block order, within the error bound, for any "
    "thread count") {
  for (std::size_t size : sizes) {
    CAPTURE(size);
    const auto a = random_vector(size, 3), b = random_vector(size, 4);
    const double expected = dot_in_stated_order(a, b);
    long double reference = 0, magnitude = 0;
    for (std::size_t i = 0; i < size; ++i) {
      reference += static_cast<long double>(a[i]) * b[i];
      magnitude += std::abs(static_cast<long double>(a[i]) * b[i]);
    }
    // Each product rounds once and each term passes through at most (block + blocks) additions.
    const double steps = static_cast<double>(std::min(size, vector_block) +
                                             (size + vector_block - 1) / vector_block + 1);
    const double bound =
        steps * std::numeric_limits<double>::epsilon() * static_cast<double>(magnitude);
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      const double result = in_arena(threads, [&] { return dot(a, b); });
      CHECK(same_bits(result, expected));
      CHECK(std::abs(result - static_cast<double>(reference)) <= bound);
    }
  }
}

TEST_CASE("vector blocks: block_sums of several sums and for_blocks cover every entry once") {
  const std::size_t size = 2 * vector_block + 99;
  std::vector<int> visits(size, 0);
  in_arena(2, [&] {
    for_blocks(size, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) ++visits[i];
    });
  });
  CHECK(std::count(visits.begin(), visits.end(), 1) == static_cast<std::ptrdiff_t>(size));

  const auto a = random_vector(size, 5);
  const auto sums = in_arena(3, [&] {
    return block_sums<2>(size, [&](std::size_t begin, std::size_t end, auto& block) {
      double count = 0, square = 0;
      for (std::size_t i = begin; i < end; ++i) {
        count += 1;
        square += a[i] * a[i];
      }
      block = {count, square};
    });
  });
  CHECK(sums[0] == static_cast<double>(size));
  CHECK(same_bits(sums[1], dot_in_stated_order(a, a)));
}

TEST_CASE("vector blocks: norm2 over several blocks: NaN, inf, zeros and extreme scales") {
  const std::size_t size = 3 * vector_block + 5;
  for (double spread : {1.0, 1e200, 1e-200, 1e-310}) {
    CAPTURE(spread);
    const auto v = random_vector(size, 6, spread);
    long double sum = 0;
    for (double e : v) sum += (static_cast<long double>(e) / spread) * (e / spread);
    const double reference = static_cast<double>(std::sqrt(sum) * spread);
    for (int threads : {1, 2, 3}) {
      const double result = in_arena(threads, [&] { return norm2(v); });
      // Subnormal entries carry few significant bits: compare the norm to what they represent.
      const double tolerance = spread < 1e-300 ? 1e-3 : 1e-12;
      CHECK(std::abs(result - reference) <= tolerance * reference);
      CHECK(same_bits(result, in_arena(1, [&] { return norm2(v); })));
    }
  }
  std::vector<double> v(size, 0.0);
  CHECK(norm2(v) == 0.0);
  v[size - 1] = std::numeric_limits<double>::infinity();
  CHECK(std::isinf(norm2(v)));
  // A NaN in the last block wins over an inf in an earlier one and over finite entries: a NaN
  // gradient never looks converged.
  v[3] = std::numeric_limits<double>::infinity();
  v[size - 1] = std::numeric_limits<double>::quiet_NaN();
  for (int threads : {1, 2, 3}) CHECK(std::isnan(in_arena(threads, [&] { return norm2(v); })));
  v[3] = 1.0;
  CHECK(std::isnan(norm2(v)));
  v[size - 1] = 2.0;
  v[vector_block + 1] = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(norm2(v)));
}
