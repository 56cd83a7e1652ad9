// Randomized differential tests of logsumexp_rows, softmax_rows, log_softmax_rows and
// cross_entropy (serial and _parallel, float and double, every ISA) against long double, over the
// whole option space (tests/randomized_rows.hpp): a fixed list of base seeds plus one rotating
// seed (the clock, or SOFTMAXKIT_TEST_SEED) printed with every failure. The longer sweep is
// tests/test_randomized_rows_sweep.cpp (ctest label "slow").
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "randomized_rows.hpp"
#include "sanitizer_build.hpp"

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
  // Under the sanitizers (tests/sanitizer_build.hpp) the first fixed seed only, with the rotating
  // one below: each seed costs about two minutes there.
  const std::vector<std::uint64_t> seeds = softmaxkit::tests::sanitizer_build
                                               ? std::vector<std::uint64_t>{1}
                                               : std::vector<std::uint64_t>{1, 2, 3};
  for (std::uint64_t base_seed : seeds) run_base_seed(base_seed, "fixed");
}

TEST_CASE("randomized rows: a rotating seed (clock or SOFTMAXKIT_TEST_SEED)") {
  const std::uint64_t base_seed = rotating_seed();
  MESSAGE("rotating base seed " << base_seed);
  run_base_seed(base_seed, "rotating");
}

// Found by the sweep: in double, max + log(sum) cancels where max is near -log(sum), and the
// rounding of log(sum) alone was up to 4 ULP of the result (3.2 ULP seen at K = 49015).
TEST_CASE("logsumexp double: max near -log K (cancellation) stays within the ULP bound") {
  for (std::size_t cols : {std::size_t{100}, std::size_t{1000}, std::size_t{49015}}) {
    for (double offset : {-1.3, -0.4, 0.2, 0.9, 1.7}) {
      const double value = -std::log(static_cast<double>(cols)) + offset;
      softmaxkit::testing::Matrix<double> z(2, cols);
      for (std::size_t k = 0; k < cols; ++k)
        z(0, k) = value, z(1, k) = value - 1e-3 * double(k % 7);
      for (softmaxkit::Isa isa : softmaxkit::supported_isas()) {
        softmaxkit::ScopedIsa scoped(isa);
        std::vector<double> lse(2);
        softmaxkit::logsumexp_rows(z.const_view(), lse);
        for (std::size_t i = 0; i < 2; ++i) {
          const auto truth = row_truth(&z.data[i * z.stride], cols);
          const double error = softmaxkit::testing::ulp_error_floor_one(lse[i], truth.logsumexp());
          INFO("K " << cols << " offset " << offset << " row " << i << " isa "
                    << softmaxkit::to_string(isa));
          CHECK(error <= 2.0);  // well inside kLogSumExpUlpBound (4) with the long double redo
        }
      }
    }
  }
}

// Found by a rotating seed (633010799): one maximum over 39999 equal runners-up 9.66 below it.
// z - max rounds (opposite signs: not exact), and the same relative error in 39999 equal terms
// moved log(sum) by 3.6 ULP in double: log_softmax 4.05 ULP, logsumexp 3.8. The sums now take
// exp at the exact z - max (kernels/simd/rows.hpp, exact_shift); the row, and its kin at other
// gaps, sizes and signs, in float and double on every ISA.
template <class T>
void check_runners_up_row(std::size_t cols, T top, T runner_up) {
  softmaxkit::testing::Matrix<T> z(1, cols);
  for (std::size_t k = 0; k < cols; ++k) z(0, k) = runner_up;
  z(0, cols / 3) = top;
  const auto truth = row_truth(z.data.data(), cols);
  for (softmaxkit::Isa isa : softmaxkit::supported_isas()) {
    softmaxkit::ScopedIsa scoped(isa);
    std::vector<T> lse(1);
    softmaxkit::testing::Matrix<T> log_p(1, cols);
    softmaxkit::logsumexp_rows(z.const_view(), lse);
    softmaxkit::log_softmax_rows(z.const_view(), log_p.view());
    INFO("K " << cols << " top " << top << " runner-up " << runner_up << " isa "
              << softmaxkit::to_string(isa));
    CHECK(softmaxkit::testing::ulp_error_floor_one(lse[0], truth.logsumexp()) <=
          softmaxkit::kLogSumExpUlpBound);
    CHECK(softmaxkit::testing::ulp_error_floor_one(log_p(0, cols / 3), truth.log_softmax(top)) <=
          softmaxkit::kLogSoftmaxUlpBound);
    CHECK(softmaxkit::testing::ulp_error_floor_one(log_p(0, 0), truth.log_softmax(runner_up)) <=
          softmaxkit::kLogSoftmaxUlpBound);
  }
}

TEST_CASE("logsumexp and log_softmax: equal runners-up take exp at the exact z - max") {
  check_runners_up_row<double>(40000, 0.1424685203332519, -9.52174511370149);
  for (std::size_t cols : {std::size_t{1000}, std::size_t{40000}, std::size_t{100000}}) {
    const double gap = std::log(static_cast<double>(cols)) - 1.0;  // log(sum) near 1.3
    for (double top : {0.1424685203332519, 0.7, 3.3, -0.2}) {
      check_runners_up_row<double>(cols, top, top - gap - 0.0123);
      check_runners_up_row<float>(cols, static_cast<float>(top),
                                  static_cast<float>(top - gap - 0.0123));
    }
  }
}
