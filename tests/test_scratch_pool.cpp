// ScratchPool (src/solvers/scratch_pool.hpp), the buffers a C search keeps from one fit to the
// next: a taken buffer is all zeros whatever it held, reuses the smallest kept memory that fits,
// and the pool keeps neither small buffers nor more than kMaxKept.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "solvers/scratch_pool.hpp"

using softmaxkit::solvers_detail::give_scratch;
using softmaxkit::solvers_detail::ScratchPool;
using softmaxkit::solvers_detail::take_scratch;

namespace {
constexpr std::size_t kLarge = ScratchPool::kMinElements;

bool all_zero(const std::vector<double>& buffer) {
  return std::all_of(buffer.begin(), buffer.end(), [](double v) { return v == 0.0; });
}
}  // namespace

TEST_CASE("ScratchPool: a taken buffer is zeros of the size asked, in kept memory that fits") {
  ScratchPool pool;
  std::vector<double> first = pool.take(kLarge * 2);
  CHECK(first.size() == kLarge * 2);
  CHECK(all_zero(first));
  std::fill(first.begin(), first.end(), -1.5);  // what a fit leaves behind
  const double* memory = first.data();
  pool.give(std::move(first));
  CHECK(pool.kept() == 1);
  // Smaller and equal requests reuse it, zeroed; a larger one cannot.
  std::vector<double> again = pool.take(kLarge + 3);
  CHECK(again.data() == memory);
  CHECK(again.size() == kLarge + 3);
  CHECK(all_zero(again));
  CHECK(pool.kept() == 0);
  pool.give(std::move(again));
  std::vector<double> larger = pool.take(kLarge * 2 + 1);
  CHECK(larger.data() != memory);
  CHECK(all_zero(larger));
  CHECK(pool.kept() == 1);  // the kept one stays for a request it fits
}

TEST_CASE("ScratchPool: the smallest kept buffer that holds the request is taken") {
  ScratchPool pool;
  std::vector<double> small = pool.take(kLarge), medium = pool.take(kLarge * 2),
                      big = pool.take(kLarge * 4);
  const double* medium_memory = medium.data();
  const double* big_memory = big.data();
  pool.give(std::move(big));
  pool.give(std::move(small));
  pool.give(std::move(medium));
  CHECK(pool.take(kLarge + 1).data() == medium_memory);
  CHECK(pool.take(kLarge * 3).data() == big_memory);
  CHECK(pool.kept() == 1);
}

TEST_CASE("ScratchPool: small buffers are not kept nor served; at most kMaxKept, the largest") {
  ScratchPool pool;
  pool.give(std::vector<double>(kLarge - 1));
  CHECK(pool.kept() == 0);
  // A small request leaves a kept buffer for the large one that follows.
  std::vector<double> large = pool.take(kLarge * 3);
  const double* large_memory = large.data();
  pool.give(std::move(large));
  const std::vector<double> small = pool.take(kLarge - 1);
  CHECK(small.size() == kLarge - 1);
  CHECK(small.data() != large_memory);
  CHECK(pool.kept() == 1);
  CHECK(pool.take(kLarge * 3).data() == large_memory);
  std::vector<const double*> memory;
  for (std::size_t i = 0; i <= ScratchPool::kMaxKept; ++i) {
    std::vector<double> buffer(kLarge * (i + 1));
    memory.push_back(buffer.data());
    pool.give(std::move(buffer));
  }
  CHECK(pool.kept() == ScratchPool::kMaxKept);
  // The smallest (kLarge) was dropped: a request of kLarge gets the next size up.
  CHECK(pool.take(kLarge).data() == memory[1]);
}

TEST_CASE("take_scratch / give_scratch without a pool: new zeros, nothing kept") {
  std::vector<double> buffer = take_scratch(nullptr, kLarge);
  CHECK(buffer.size() == kLarge);
  CHECK(all_zero(buffer));
  give_scratch(nullptr, std::move(buffer));
  ScratchPool pool;
  std::vector<double> taken = take_scratch(&pool, 5);  // below kMinElements: new
  CHECK(taken.size() == 5);
  CHECK(all_zero(taken));
}
