// cross_entropy's documented edge behaviour (include/softmaxkit/kernels.hpp), each as a named
// test on every ISA, float and double, on both paths (small-K tile: K <= 32; row path): rows of
// only -inf, logits near +-max with label smoothing and soft targets (no overflow; per-row losses
// beyond the type's range), the target entry of a confident row (hard and one-hot soft alike),
// and label smoothing at K in the hundreds to tens of thousands. Expected values are closed forms
// or the long double oracle of randomized_rows.hpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common/validate.hpp"
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

TEST_CASE("cross_entropy: all -inf rows' zero gradients are -0 (-s a) on every path and ISA") {
  // 40 rows fill the small-K batches (AVX-512 float, K <= 16) as well as the row path: there
  // xsimd's unary minus (0 - x on AVX-512) made -a * s +0 where the header's -s a is -0.
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {3, 16, 20}) {
      CAPTURE(cols);
      const std::size_t rows = 40;
      Matrix<float> z(rows, cols), q(rows, cols), g(rows, cols);
      std::vector<std::int32_t> labels(rows);
      for (std::size_t i = 0; i < rows; ++i) {
        labels[i] = static_cast<std::int32_t>(i % cols);
        for (std::size_t k = 0; k < cols; ++k) {
          z(i, k) = -std::numeric_limits<float>::infinity();
          q(i, k) = k == i % cols ? 1.0f : 0.0f;
        }
      }
      CrossEntropyOptions<float> options;
      options.reduction = Reduction::none;
      std::vector<float> losses(rows);
      for (const bool soft : {false, true}) {
        CAPTURE(soft);
        if (soft) {
          softmaxkit::cross_entropy(z.const_view(), q.const_view(), options, g.view(), losses);
        } else {
          softmaxkit::cross_entropy(z.const_view(), labels, options, g.view(), losses);
        }
        for (std::size_t i = 0; i < rows; ++i) {
          CHECK(losses[i] == std::numeric_limits<float>::infinity());
          for (std::size_t k = 0; k < cols; ++k) {
            CHECK(g(i, k) == (k == i % cols ? -1.0f : 0.0f));
            CHECK(std::signbit(g(i, k)));
          }
        }
      }
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

namespace {

// The message (or "<no error>") of a mean over these weights, the same for cross_entropy and
// cross_entropy_parallel, and, without class weights, for soft one-hot targets (W = sum s).
template <class T>
std::string mean_error(std::vector<T> sample_weights, std::vector<T> class_weights,
                       std::size_t cols) {
  Matrix<T> z(sample_weights.size(), cols), one_hot(sample_weights.size(), cols);
  for (std::size_t i = 0; i < z.rows; ++i)
    for (std::size_t k = 0; k < cols; ++k) z(i, k) = T(0), one_hot(i, k) = T(k == 0);
  CrossEntropyOptions<T> options;
  options.sample_weights = sample_weights;
  options.class_weights = class_weights;
  const std::vector<std::int32_t> labels(z.rows, 0);
  std::vector<std::string> messages;
  for (int form = 0; form < (class_weights.empty() ? 4 : 2); ++form) {
    Matrix<T> g(z.rows, cols);
    try {
      if (form == 0) softmaxkit::cross_entropy(z.const_view(), labels, options, g.view());
      if (form == 1) softmaxkit::cross_entropy_parallel(z.const_view(), labels, options, g.view());
      if (form == 2)
        softmaxkit::cross_entropy(z.const_view(), one_hot.const_view(), options, g.view());
      if (form == 3)
        softmaxkit::cross_entropy_parallel(z.const_view(), one_hot.const_view(), options, g.view());
      messages.push_back("<no error>");
    } catch (const softmaxkit::Error& error) {
      messages.push_back(error.what());
    }
    // The forms name their own function ("cross_entropy_parallel: ..."): compare from there.
    const std::string& last = messages.back();
    const std::string& first = messages.front();
    CHECK(last.substr(last.find(':') == std::string::npos ? 0 : last.find(':')) ==
          first.substr(first.find(':') == std::string::npos ? 0 : first.find(':')));
  }
  return messages.front();
}

}  // namespace

TEST_CASE("cross_entropy: the mean's W must have a normal reciprocal in T, W summed unrounded") {
  // kernels.hpp: 1/max(T) <= W <= 1/min(T), W in long double. s = c = 1e-200 underflowed W to 0
  // in double: "a mean over no weight", loss 0 and a zero gradient, no Error. A float W of 1e40
  // (s = c = 1e20) was accepted and gave gradients of +-inf.
  for (std::size_t cols : {3, 40}) {
    INFO("K = " << cols);
    std::vector<double> tiny_classes(cols, 1e-200);
    const std::string underflow = mean_error<double>({1e-200, 1e-200}, tiny_classes, cols);
    CHECK(underflow.find("sum to 2e-400") != std::string::npos);
    CHECK(underflow.find("rescale them") != std::string::npos);
    std::vector<float> large_classes(cols, 1e20f);
    CHECK(mean_error<float>({1e20f}, large_classes, cols).find("sum to 1e+40") !=
          std::string::npos);
    // The bounds, one row each: 1/min(T) is 8.5e37 (float), 4.5e307 (double).
    CHECK(mean_error<float>({8e37f}, {}, cols) == "<no error>");
    CHECK(mean_error<float>({9e37f}, {}, cols).find("sum to 9e+37") != std::string::npos);
    CHECK(mean_error<float>({3e-39f}, {}, cols) == "<no error>");
    CHECK(mean_error<float>({2.8e-39f}, {}, cols).find("float") != std::string::npos);
    CHECK(mean_error<double>({4e307}, {}, cols) == "<no error>");
    CHECK(mean_error<double>({5e307}, {}, cols).find("sum to 5e+307") != std::string::npos);
    CHECK(mean_error<double>({6e-309}, {}, cols) == "<no error>");
    CHECK(mean_error<double>({5e-309}, {}, cols).find("double") != std::string::npos);
  }
}

TEST_CASE("cross_entropy: a refused W is printed outside the range the message states") {
  // 2^-128 = 2.93873588e-39 is below float's 1 / max = 2.93873605e-39; at 6 digits it read
  // "2.93874e-39", inside the range. The message now adds digits until the printed sum is
  // outside, and states the bounds themselves (max_digits10 of T).
  const std::string below = mean_error<float>({0x1p-128f}, {}, 3);
  CAPTURE(below);
  CHECK(below.find("sum to 2.938736e-39,") != std::string::npos);
  CHECK(below.find("from 1 / the largest value, 2.93873605e-39, to 1 / the smallest normal one, "
                   "8.50705917e+37)") != std::string::npos);
  const std::string above = mean_error<double>({5e307}, {}, 3);
  CAPTURE(above);
  CHECK(above.find("sum to 5e+307,") != std::string::npos);
  CHECK(above.find("5.5626846462680041e-309, to 1 / the smallest normal one, "
                   "4.4942328371557898e+307)") != std::string::npos);
  // The fits' rule states its one bound the same way.
  std::string message = "<no error>";
  try {
    softmaxkit::detail::check_weight_sum("f", "w", 2e-39L, 0.0f);
  } catch (const softmaxkit::Error& error) {
    message = error.what();
  }
  CAPTURE(message);
  CHECK(message.find("w sum to 2e-39, outside what a mean can divide by in float (a finite sum of "
                     "at least 1 / the largest value, 2.93873605e-39)") != std::string::npos);
}

namespace {

// Zero logits, every class at the row maximum, class weights c = max(T) / 2: the entries are
// formed by the at-maximum branch, A p - a = ((A - a) - a (K - 1)) / K, whose a (K - 1)
// overflowed T (g = -inf at K = 40 in float where -9.75e36 is exact for c = 1e37).
template <class T>
void check_at_max_large_class_weights(std::size_t cols, double smoothing) {
  const T c = std::numeric_limits<T>::max() / 2;
  Matrix<T> z(1, cols);
  Matrix<T> one_hot(1, cols);
  for (std::size_t k = 0; k < cols; ++k) z(0, k) = T(0), one_hot(0, k) = k == 1 ? T(1) : T(0);
  std::vector<T> class_weights(cols, c);
  CrossEntropyOptions<T> options;
  options.reduction = Reduction::sum;
  options.class_weights = class_weights;
  options.label_smoothing = smoothing;
  Matrix<T> g_hard(1, cols), g_soft(1, cols);
  softmaxkit::cross_entropy(z.const_view(), std::vector<std::int32_t>{1}, options, g_hard.view());
  softmaxkit::cross_entropy(z.const_view(), one_hot.const_view(), options, g_soft.view());
  const long double K = static_cast<long double>(cols), cl = static_cast<long double>(c);
  const long double A = cl;  // the smoothed target sums to 1
  for (std::size_t k = 0; k < cols; ++k) {
    const long double a = cl * ((k == 1 ? 1.0L - smoothing : 0.0L) + smoothing / K);
    const long double exact = A / K - a;
    const long double allowed =
        softmaxkit::kCrossEntropyRelativeBound * std::max(std::fabs(exact), A / K + a);
    INFO("K = " << cols << ", smoothing " << smoothing << ", k = " << k);
    CHECK(std::fabs(static_cast<long double>(g_hard(0, k)) - exact) <= allowed);
    CHECK(std::fabs(static_cast<long double>(g_soft(0, k)) - exact) <= allowed);
  }
}

}  // namespace

TEST_CASE("cross_entropy: class weights near T's maximum at the row maximum do not overflow") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {10, 32, 40, 300}) {
      for (double smoothing : {0.0, 0.1}) {
        check_at_max_large_class_weights<float>(cols, smoothing);
        check_at_max_large_class_weights<double>(cols, smoothing);
      }
    }
  }
}

namespace {

// Hard labels, mean: row 0's s c0 is subnormal in T (float: s = 0.27, c0 = 1e-39; double:
// s = c0 = 1e-200, which underflows to 0), row 1 weighs c1 (1e-30; 1e-150), so W ~ c1 makes row
// 0's gradient a normal number (2.7e-10; 1e-250). s c0 rounded to T first carried 2.6e-6
// relative into it in float (4.4 times the bound) and made it 0 in double.
template <class T>
void check_subnormal_row_weight(std::size_t cols) {
  const bool is_float = std::is_same_v<T, float>;
  Matrix<T> z(2, cols);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t k = 0; k < cols; ++k) z(i, k) = T(k % 3) * T(0.5);
  std::vector<T> class_weights(cols, is_float ? T(1e-30) : T(1e-150));
  class_weights[0] = is_float ? T(1e-39) : T(1e-200);
  const std::vector<T> sample_weights{is_float ? T(0.27) : T(1e-200), T(1)};
  CrossEntropyOptions<T> options;
  options.class_weights = class_weights;
  options.sample_weights = sample_weights;
  Matrix<T> g(2, cols);
  const std::vector<std::int32_t> labels{0, 1};
  softmaxkit::cross_entropy(z.const_view(), labels, options, g.view());
  const long double w0 =
      static_cast<long double>(sample_weights[0]) * static_cast<long double>(class_weights[0]);
  const long double W = w0 + static_cast<long double>(class_weights[1]);
  long double sum = 0;
  for (std::size_t k = 0; k < cols; ++k) sum += std::exp(static_cast<long double>(z(0, k)));
  for (std::size_t k = 0; k < cols; ++k) {
    const long double p = std::exp(static_cast<long double>(z(0, k))) / sum;
    const long double q = k == 0 ? 1.0L : 0.0L;
    const long double exact = w0 / W * (p - q);
    const long double allowed =
        softmaxkit::kCrossEntropyRelativeBound * std::max(std::fabs(exact), w0 / W * (p + q));
    INFO("K = " << cols << ", k = " << k);
    CHECK(std::fabs(static_cast<long double>(g(0, k)) - exact) <= allowed);
  }
}

}  // namespace

TEST_CASE("cross_entropy: a subnormal s c with a large 1/W keeps the gradient within the bound") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {3, 32, 33, 100}) {
      check_subnormal_row_weight<float>(cols);
      check_subnormal_row_weight<double>(cols);
    }
  }
}

namespace {

// A row of only -inf whose s c underflows T (float s = c = 1e-30, double 1e-200), beside a row
// that makes W accepted: its loss is +inf (kernels.hpp: A > 0), not 0 * inf = NaN as when s c
// was rounded to T first, and its gradient -s c a / W (row path: it was 0).
template <class T>
void check_masked_row_tiny_weight(std::size_t cols) {
  const bool is_float = std::is_same_v<T, float>;
  constexpr T inf = std::numeric_limits<T>::infinity();
  Matrix<T> z(2, cols);
  for (std::size_t k = 0; k < cols; ++k) z(0, k) = -inf, z(1, k) = T(k % 2);
  const T tiny = is_float ? T(1e-30) : T(1e-200);
  std::vector<T> class_weights(cols, is_float ? T(3e-19) : T(1e-150));
  class_weights[0] = tiny;
  const std::vector<T> sample_weights{tiny, is_float ? T(1e-20) : T(1)};
  for (const Reduction reduction : {Reduction::none, Reduction::sum, Reduction::mean}) {
    CrossEntropyOptions<T> options;
    options.reduction = reduction;
    options.class_weights = class_weights;
    options.sample_weights = sample_weights;
    Matrix<T> g(2, cols);
    std::vector<T> losses(2);
    const auto result = softmaxkit::cross_entropy(z.const_view(), std::vector<std::int32_t>{0, 1},
                                                  options, g.view(), losses);
    INFO("K = " << cols << ", reduction " << static_cast<int>(reduction));
    CHECK(result.loss == std::numeric_limits<double>::infinity());
    CHECK(losses[0] == inf);
    const long double w0 = static_cast<long double>(tiny) * static_cast<long double>(tiny);
    const long double W = w0 + static_cast<long double>(sample_weights[1]) *
                                   static_cast<long double>(class_weights[1]);
    const long double exact = reduction == Reduction::mean ? -w0 / W : -w0;
    if (std::fabs(exact) >= static_cast<long double>(std::numeric_limits<T>::min())) {
      CHECK(std::fabs(static_cast<long double>(g(0, 0)) - exact) <=
            softmaxkit::kCrossEntropyRelativeBound * std::fabs(exact));
    }
    for (std::size_t k = 1; k < cols; ++k) CHECK(g(0, k) == T(0));
  }
}

}  // namespace

TEST_CASE("cross_entropy: an all -inf row whose s c underflows still has loss +inf") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {4, 32, 40}) {
      check_masked_row_tiny_weight<float>(cols);
      check_masked_row_tiny_weight<double>(cols);
    }
  }
}

TEST_CASE("cross_entropy: a mean over W = 0 is 0, unless a row's loss is NaN") {
  // kernels.hpp: NaN wins over "defined as 0": every row weighted 0, one with a NaN logit.
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {3, 40}) {
      INFO("K = " << cols);
      Matrix<double> z(2, cols);
      for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t k = 0; k < cols; ++k) z(i, k) = double(k);
      CrossEntropyOptions<double> options;
      const std::vector<double> zero{0.0, 0.0};
      options.sample_weights = zero;
      Matrix<double> g(2, cols);
      const std::vector<std::int32_t> labels{0, 1};
      auto result = softmaxkit::cross_entropy(z.const_view(), labels, options, g.view());
      CHECK(result.loss == 0);
      CHECK(result.total_weight == 0);
      for (std::size_t k = 0; k < cols; ++k) CHECK(g(0, k) == 0);
      z(1, 2) = std::numeric_limits<double>::quiet_NaN();
      result = softmaxkit::cross_entropy(z.const_view(), labels, options, g.view());
      CHECK(std::isnan(result.loss));
      CHECK(result.total_weight == 0);
      for (std::size_t k = 0; k < cols; ++k) CHECK(g(0, k) == 0);
      for (std::size_t k = 0; k < cols; ++k) CHECK(std::isnan(g(1, k)));
    }
  }
}
