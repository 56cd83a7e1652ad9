// The long sweep of tests/test_randomized_rows.cpp (ctest label "slow"): 6 more base seeds (3000
// cases, about 140 s in Release on 2 cores) and wider rows. SOFTMAXKIT_TEST_SEED sets the first
// base seed (default 1000), SOFTMAXKIT_SWEEP_SEEDS how many (6; 20 took 471 s, too much of CI's
// 45 minutes once the sparse, MPI and cross-validation suites joined it).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "randomized_rows.hpp"

using namespace softmaxkit::testing::randomized;

TEST_CASE("randomized rows sweep: 6 base seeds, rows up to 100000 classes") {
  constexpr Budget budget{250, 200000, 100000};
  std::uint64_t first = 1000;
  if (const char* text = std::getenv("SOFTMAXKIT_TEST_SEED"); text != nullptr && *text != 0)
    first = std::strtoull(text, nullptr, 0);
  std::uint64_t seeds = 6;
  if (const char* text = std::getenv("SOFTMAXKIT_SWEEP_SEEDS"); text != nullptr && *text != 0)
    seeds = std::strtoull(text, nullptr, 0);
  Worst worst;
  Failures failures;
  for (std::uint64_t base_seed = first; base_seed < first + seeds; ++base_seed) {
    INFO("base seed " << base_seed << " (rerun: SOFTMAXKIT_TEST_SEED=" << base_seed << ")");
    run_cases<float>(base_seed, budget, worst, failures);
    run_cases<double>(base_seed, budget, worst, failures);
    report(worst, "sweep from base seed " + std::to_string(first) + " through " +
                      std::to_string(base_seed));  // cumulative, so a cut-short run still tells
  }
  CHECK(failures.count == 0);
}
