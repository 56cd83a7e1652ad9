// cross_entropy's documented edge behaviour (include/softmaxkit/kernels.hpp), each as a named
// test on every ISA, float and double, on both paths (small-K tile: K <= 32; row path): rows of
// only -inf, logits near +-max with label smoothing and soft targets (no overflow; per-row losses
// beyond the type's range), the target entry of a confident row (hard and one-hot soft alike),
// and label smoothing at K in the hundreds to tens of thousands. Expected values are closed forms
// or the long double oracle of randomized_rows.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "isa_each.hpp"
#include "randomized_rows.hpp"
#include "row_oracle.hpp"
#include "softmaxkit/softmaxkit.hpp"

using namespace softmaxkit::testing;
using softmaxkit::CrossEntropyOptions;
using softmaxkit::Reduction;

namespace {

template <class T>
void check_all_masked(std::size_t cols) {
  constexpr T inf = std::numeric_limits<T>::infinity();
  const std::size_t rows = 3;
  Matrix<T> z(rows, cols);
  for (std::size_t k = 0; k < cols; ++k) {
    z(0, k) = -inf;                   // every class masked
    z(1, k) = static_cast<T>(k % 5);  // an ordinary row
    z(2, k) = -inf;                   // -inf but for one NaN: NaN, not "all masked"
  }
  z(2, cols / 2) = std::numeric_limits<T>::quiet_NaN();
  const std::int32_t label = static_cast<std::int32_t>(cols - 1);
  std::vector<std::int32_t> labels(rows, label);
  Matrix<T> one_hot(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t k = 0; k < cols; ++k) one_hot(i, k) = k == cols - 1 ? T(1) : T(0);
  for (double smoothing : {0.0, 0.2}) {
    CrossEntropyOptions<T> options;
    options.reduction = Reduction::none;
    options.label_smoothing = smoothing;
    Matrix<T> g_hard(rows, cols), g_soft(rows, cols);
    std::vector<T> hard(rows), soft(rows);
    softmaxkit::cross_entropy(z.const_view(), labels, options, g_hard.view(), hard);
    softmaxkit::cross_entropy(z.const_view(), one_hot.const_view(), options, g_soft.view(), soft);
    INFO("K = " << cols << ", smoothing " << smoothing);
    CHECK(hard[0] == inf);
    CHECK(soft[0] == inf);
    CHECK(std::isfinite(hard[1]));
    CHECK(std::isnan(hard[2]));
    CHECK(std::isnan(soft[2]));
    for (std::size_t k = 0; k < cols; ++k) {
      // gradient = -a: no class has probability.
      const double a = (1 - smoothing) * (k == cols - 1 ? 1.0 : 0.0) + smoothing / double(cols);
      CHECK(static_cast<double>(g_hard(0, k)) == doctest::Approx(-a).epsilon(1e-6));
      CHECK(static_cast<double>(g_soft(0, k)) == doctest::Approx(-a).epsilon(1e-6));
      CHECK(std::isnan(g_hard(2, k)));
      CHECK(std::isnan(g_soft(2, k)));
    }
  }
  // A zero class weight on the label: the target's term is skipped, loss 0 and gradient 0.
  std::vector<T> class_weights(cols, T(1));
  class_weights[cols - 1] = T(0);
  CrossEntropyOptions<T> weighted;
  weighted.reduction = Reduction::none;
  weighted.class_weights = class_weights;
  Matrix<T> g(rows, cols);
  std::vector<T> losses(rows);
  softmaxkit::cross_entropy(z.const_view(), labels, weighted, g.view(), losses);
  CHECK(losses[0] == T(0));
  for (std::size_t k = 0; k < cols; ++k) CHECK(g(0, k) == T(0));
  // logsumexp: -inf for the masked row, NaN for the one hiding a NaN; softmax NaN for both.
  std::vector<T> lse(rows);
  softmaxkit::logsumexp_rows(z.const_view(), lse);
  CHECK(lse[0] == -inf);
  CHECK(std::isnan(lse[2]));
}

}  // namespace

TEST_CASE("cross_entropy: a row of only -inf has loss +inf and gradient -a, hard and soft alike") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {1, 5, 32, 33, 100}) {
      check_all_masked<float>(cols);
      check_all_masked<double>(cols);
    }
  }
}

namespace {

// Logits (max, -max, 0, ..., 0): smoothing eps on label 0 gives loss eps * max exactly (the
// eps / K shares of 2 max and (K - 2) max); a soft target on class 1 gives 2 max, beyond the
// type's range: +inf in `losses`, while the (double) result holds it for float.
template <class T>
void check_extreme_logits(std::size_t cols) {
  constexpr T largest = std::numeric_limits<T>::max();
  Matrix<T> z(1, cols);
  for (std::size_t k = 0; k < cols; ++k) z(0, k) = T(0);
  z(0, 0) = largest;
  z(0, 1) = -largest;
  INFO("K = " << cols);
  CrossEntropyOptions<T> options;
  options.reduction = Reduction::sum;
  options.label_smoothing = 0.25;
  Matrix<T> g(1, cols);
  std::vector<T> losses(1);
  const auto smoothed = softmaxkit::cross_entropy(z.const_view(), std::vector<std::int32_t>{0},
                                                  options, g.view(), losses);
  const double want = 0.25 * static_cast<double>(largest);
  CHECK(smoothed.loss == doctest::Approx(want).epsilon(softmaxkit::kCrossEntropyRelativeBound));
  CHECK(static_cast<double>(losses[0]) ==
        doctest::Approx(want).epsilon(softmaxkit::kCrossEntropyRelativeBound));
  for (std::size_t k = 0; k < cols; ++k) CHECK(std::isfinite(g(0, k)));

  Matrix<T> q(1, cols);
  for (std::size_t k = 0; k < cols; ++k) q(0, k) = k == 1 ? T(1) : T(0);
  CrossEntropyOptions<T> soft;
  soft.reduction = Reduction::sum;
  const auto result =
      softmaxkit::cross_entropy(z.const_view(), q.const_view(), soft, g.view(), losses);
  CHECK(losses[0] == std::numeric_limits<T>::infinity());  // 2 max: beyond T's range
  if (std::is_same_v<T, float>) {
    CHECK(result.loss == doctest::Approx(2.0 * static_cast<double>(largest)).epsilon(1e-6));
  } else {
    CHECK(result.loss == std::numeric_limits<double>::infinity());  // beyond double's range
  }
  // p = (1, 0, ...): gradient p - q = (1, -1, 0, ...).
  CHECK(g(0, 0) == doctest::Approx(1.0));
  CHECK(g(0, 1) == doctest::Approx(-1.0));
  for (std::size_t k = 2; k < cols; ++k) CHECK(g(0, k) == T(0));
}

}  // namespace

TEST_CASE("cross_entropy: logits near +-max with smoothing or soft targets do not overflow") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {3, 20, 100, 5000}) {
      check_extreme_logits<float>(cols);
      check_extreme_logits<double>(cols);
    }
  }
}

namespace {

// A confident row: the label's logit `lead` above the others in [-1, 1]. The target's entry
// p - 1 = -rest / (1 + rest) is tiny; hard and one-hot soft targets must both give it relative to
// itself (the soft path once returned exactly 0 where the true value was about -1e-9).
template <class T>
void check_confident(std::size_t cols, T lead) {
  auto z = random_logits<T>(2, cols, T(-1), T(1), 5 + static_cast<unsigned>(cols));
  const std::size_t label = cols / 3;
  z(0, label) = lead;
  z(1, label) = lead;
  long double rest = 0;
  for (std::size_t k = 0; k < cols; ++k)
    if (k != label) rest += std::exp(static_cast<long double>(z(0, k)) - lead);
  const long double want = -rest / (1 + rest);
  std::vector<std::int32_t> labels(2, static_cast<std::int32_t>(label));
  Matrix<T> q(2, cols);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t k = 0; k < cols; ++k) q(i, k) = k == label ? T(1) : T(0);
  CrossEntropyOptions<T> options;
  options.reduction = Reduction::sum;
  Matrix<T> g_hard(2, cols), g_soft(2, cols);
  softmaxkit::cross_entropy(z.const_view(), labels, options, g_hard.view());
  softmaxkit::cross_entropy(z.const_view(), q.const_view(), options, g_soft.view());
  INFO("K = " << cols << ", target gradient " << static_cast<double>(want));
  const auto relative = [&](T got) {
    return static_cast<double>(std::fabs((static_cast<long double>(got) - want) / want));
  };
  CHECK(relative(g_hard(0, label)) <= softmaxkit::kCrossEntropyRelativeBound);
  CHECK(relative(g_soft(0, label)) <= softmaxkit::kCrossEntropyRelativeBound);
}

}  // namespace

TEST_CASE("cross_entropy: a confident row's target gradient, hard and one-hot soft alike") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {2, 10, 31, 100, 1000}) {
      check_confident<float>(cols, 14.0f);  // |z - max| < 16: float's rounding of z - max is fine
      check_confident<double>(cols, 30.0);
    }
  }
}

// The report: with label smoothing, K in the hundreds to tens of thousands reached 1.5e-6 to
// 3.6e-6 (SSE2, AVX2). Loss and every gradient entry against long double, hard and soft targets,
// with and without class weights.
TEST_CASE("cross_entropy: label smoothing with K from 300 to 30000 within the bound") {
  using namespace softmaxkit::testing::randomized;
  for (std::size_t cols : {300, 3000, 30000}) {
    for (bool soft : {false, true}) {
      for (bool weights : {false, true}) {
        std::mt19937_64 g(cols + soft * 7 + weights * 13);
        Case<float> c;
        const std::size_t rows = 4;
        c.logits = random_logits<float>(rows, cols, -10.0f, 10.0f, static_cast<unsigned>(cols));
        c.soft = soft;
        c.smoothing = 0.1;
        c.reduction = Reduction::mean;
        c.labels.assign(rows, 0);
        for (std::size_t i = 0; i < rows; ++i)
          c.labels[i] = static_cast<std::int32_t>(pick(g, 0, cols - 1));
        if (weights)
          for (std::size_t k = 0; k < cols; ++k)
            c.class_weights.push_back(uniform<float>(g, 0.1f, 2.0f));
        if (soft) {
          c.targets = Matrix<float>(rows, cols);
          for (std::size_t i = 0; i < rows; ++i) {
            double total = 0;
            for (std::size_t k = 0; k < cols; ++k)
              total += (c.targets(i, k) = uniform<float>(g, 0.0f, 1.0f));
            for (std::size_t k = 0; k < cols; ++k)
              c.targets(i, k) = static_cast<float>(c.targets(i, k) / total);
          }
        }
        std::vector<RowTruth> truth(rows);
        for (std::size_t i = 0; i < rows; ++i)
          truth[i] = row_truth(&c.logits.data[i * c.logits.stride], cols);
        const auto oracle = cross_entropy_truth(c, truth);
        Failures failures;
        Worst worst;
        SOFTMAXKIT_FOR_EACH_ISA(isa) {
          check_cross_entropy(c, oracle, "K " + std::to_string(cols), worst, failures);
        }
        CHECK(failures.count == 0);
      }
    }
  }
}
