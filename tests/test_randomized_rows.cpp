// Randomized differential tests of logsumexp_rows, softmax_rows, log_softmax_rows and
// cross_entropy (serial and _parallel, float and double, every ISA) against long double, over the
// whole option space (tests/randomized_rows.hpp): a fixed list of base seeds plus one rotating
// seed (the clock, or SOFTMAXKIT_TEST_SEED) printed with every failure. The longer sweep is
// tests/test_randomized_rows_sweep.cpp (ctest label "slow").
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "randomized_rows.hpp"

using namespace softmaxkit::testing::randomized;

namespace {

// Per base seed and type: cases with up to 60000 logits, rows up to 40000 classes.
constexpr Budget kBudget{200, 60000, 40000};

void run_base_seed(std::uint64_t base_seed, const std::string& title) {
  Worst worst;
  Failures failures;
  INFO("base seed " << base_seed << " (rerun: SOFTMAXKIT_TEST_SEED=" << base_seed << ")");
  run_cases<float>(base_seed, kBudget, worst, failures);
  run_cases<double>(base_seed, kBudget, worst, failures);
  report(worst, title + ", base seed " + std::to_string(base_seed));
  CHECK(failures.count == 0);
}

}  // namespace

TEST_CASE("randomized rows: fixed seeds, every kernel, option, type and ISA against long double") {
  for (std::uint64_t base_seed : {1u, 2u, 3u}) run_base_seed(base_seed, "fixed");
}

TEST_CASE("randomized rows: a rotating seed (clock or SOFTMAXKIT_TEST_SEED)") {
  const std::uint64_t base_seed = rotating_seed();
  MESSAGE("rotating base seed " << base_seed);
  run_base_seed(base_seed, "rotating");
}
