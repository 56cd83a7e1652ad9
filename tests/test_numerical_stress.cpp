// Numerical stress: huge and infinite logits, all-equal rows, K up to 32000, m = 1, n = 1 and
// features of 1e30. Loss and gradient must be finite where the mathematics (in the output type)
// says they are, and NaN exactly where it does not. Expected values are closed forms.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "isa_each.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

template <class T>
struct RowCase {
  std::vector<T> logits;
  std::int32_t label;
  double loss;                   // closed form (may be +inf or NaN)
  std::vector<double> gradient;  // closed form of softmax - onehot (NaN allowed)
};

template <class T>
std::vector<RowCase<T>> row_cases() {
  constexpr T inf = std::numeric_limits<T>::infinity();
  constexpr T nan = std::numeric_limits<T>::quiet_NaN();
  const double log2 = std::log(2.0), log5 = std::log(5.0);
  const double tail = std::log1p(std::exp(-5.0));  // log(1 + e^-5)
  const double p_small = std::exp(-5.0) / (1 + std::exp(-5.0));
  const double dnan = std::numeric_limits<double>::quiet_NaN();
  return {
      {{T(1e30), T(-1e30), T(0)}, 0, 0.0, {0, 0, 0}},
      {{T(1e30), T(-1e30), T(0)}, 2, 1e30, {1, 0, -1}},
      {{T(3e38), T(-3e38), T(3e38)}, 0, log2, {-0.5, 0, 0.5}},
      {{T(-3e38), T(-3e38), T(-3e38)}, 1, std::log(3.0), {1.0 / 3, -2.0 / 3, 1.0 / 3}},
      {{-inf, T(0), T(5)}, 2, tail, {0, p_small, -p_small}},
      {{-inf, T(0), T(5)},
       0,
       std::numeric_limits<double>::infinity(),
       {-1, 1 - (1 - p_small), 1 - p_small}},
      {{T(7), T(7), T(7), T(7), T(7)}, 3, log5, {0.2, 0.2, 0.2, -0.8, 0.2}},
      {{T(1), inf, T(0)}, 0, dnan, {dnan, dnan, dnan}},
      {{T(1), nan, T(0)}, 0, dnan, {dnan, dnan, dnan}},
      {{T(4)}, 0, 0.0, {0}},  // K = 1
  };
}

template <class T>
void check_rows() {
  for (const RowCase<T>& row : row_cases<T>()) {
    const std::size_t k = row.logits.size();
    std::vector<T> gradient(k), losses(1);
    std::vector<std::int32_t> labels = {row.label};
    softmaxkit::CrossEntropyOptions<T> options;
    options.reduction = softmaxkit::Reduction::none;
    softmaxkit::cross_entropy(softmaxkit::MatrixView<const T>(row.logits.data(), 1, k), labels,
                              options, softmaxkit::MatrixView<T>(gradient.data(), 1, k), losses);
    INFO("logits[0] = " << row.logits[0] << ", K = " << k << ", label " << row.label);
    if (std::isnan(row.loss)) {
      CHECK(std::isnan(losses[0]));
    } else if (std::isinf(row.loss)) {
      CHECK(losses[0] == std::numeric_limits<T>::infinity());
    } else {
      CHECK(std::isfinite(losses[0]));
      CHECK(static_cast<double>(losses[0]) ==
            doctest::Approx(row.loss).epsilon(softmaxkit::kCrossEntropyRelativeBound).scale(1.0));
    }
    if (std::isinf(row.loss)) continue;  // the gradient of an infinite loss is not asserted
    for (std::size_t c = 0; c < k; ++c) {
      if (std::isnan(row.gradient[c])) {
        CHECK(std::isnan(gradient[c]));
      } else {
        CHECK(std::isfinite(gradient[c]));
        CHECK(static_cast<double>(gradient[c]) ==
              doctest::Approx(row.gradient[c])
                  .epsilon(softmaxkit::kCrossEntropyRelativeBound)
                  .scale(1.0));
      }
    }
  }
}

}  // namespace

TEST_CASE("cross_entropy: logits of +-1e30 and +-3e38, -inf, all-equal and K = 1 rows") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_rows<float>();
    check_rows<double>();
  }
}

TEST_CASE("cross_entropy and logsumexp with K = 32000 against long double") {
  const std::size_t k = 32000, rows = 3;
  std::mt19937 generator(99);
  std::uniform_real_distribution<float> distribution(-50.0f, 50.0f);
  std::vector<float> logits(rows * k);
  for (float& value : logits) value = distribution(generator);
  std::vector<std::int32_t> labels = {0, 16000, 31999};
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    std::vector<float> losses(rows), gradient(rows * k), log_sums(rows);
    softmaxkit::CrossEntropyOptions<float> options;
    options.reduction = softmaxkit::Reduction::none;
    softmaxkit::MatrixView<const float> view(logits.data(), rows, k);
    softmaxkit::cross_entropy(view, labels, options,
                              softmaxkit::MatrixView<float>(gradient.data(), rows, k), losses);
    softmaxkit::logsumexp_rows(view, log_sums);
    for (std::size_t i = 0; i < rows; ++i) {
      long double maximum = -INFINITY, sum = 0;
      for (std::size_t c = 0; c < k; ++c)
        maximum = std::max<long double>(maximum, logits[i * k + c]);
      for (std::size_t c = 0; c < k; ++c) sum += std::exp(logits[i * k + c] - maximum);
      const long double log_sum = maximum + std::log(sum);
      CHECK(static_cast<double>(log_sums[i]) ==
            doctest::Approx(static_cast<double>(log_sum)).epsilon(1e-6));
      const long double loss = log_sum - logits[i * k + static_cast<std::size_t>(labels[i])];
      CHECK(static_cast<double>(losses[i]) == doctest::Approx(static_cast<double>(loss))
                                                  .epsilon(softmaxkit::kCrossEntropyRelativeBound));
      double gradient_sum = 0;
      for (std::size_t c = 0; c < k; ++c) gradient_sum += gradient[i * k + c];
      CHECK(std::fabs(gradient_sum) < 1e-5);
    }
  }
}

TEST_CASE("LossGradient: m = 1, n = 1 with a feature of 1e30 matches the closed form") {
  // One sample x = 1e30, K = 3, W = (1, 0, -1), b = 0: logits (1e30, 0, -1e30).
  for (std::int32_t label : {0, 2}) {
    SOFTMAXKIT_FOR_EACH_ISA(isa) {
      const std::vector<float> x = {1e30f};
      const std::vector<std::int32_t> labels = {label};
      softmaxkit::RegressionProblem<float> problem;
      problem.features = softmaxkit::MatrixView<const float>(x.data(), 1, 1);
      problem.labels = labels;
      problem.num_classes = 3;
      problem.l2 = 0.5;
      softmaxkit::LossGradient<float> loss(problem);
      const std::vector<float> weights = {1, 0, -1}, intercept = {0, 0, 0};
      std::vector<float> weights_gradient(3), intercept_gradient(3);
      const double value = loss.evaluate(weights, intercept, weights_gradient, intercept_gradient);
      // J = lse - z_label + (l2/2)||W||^2 with lse = 1e30; gradient_W = (p - y) x + l2 W.
      const double expected = (label == 0 ? 0.0 : 2e30) + 0.25 * 2;
      INFO("label " << label);
      CHECK(std::isfinite(value));
      CHECK(value == doctest::Approx(expected).epsilon(1e-6));
      const double p_minus_y[3] = {label == 0 ? 0.0 : 1.0, 0.0, label == 2 ? -1.0 : 0.0};
      for (int c = 0; c < 3; ++c) {
        CHECK(std::isfinite(weights_gradient[c]));
        CHECK(weights_gradient[c] ==
              doctest::Approx(p_minus_y[c] * 1e30 + 0.5 * weights[c]).epsilon(1e-6).scale(1.0));
        CHECK(intercept_gradient[c] == doctest::Approx(p_minus_y[c]).scale(1.0));
      }
    }
  }
}

TEST_CASE("LossGradient: K = 32000 with m = 4, n = 3 against long double") {
  const std::size_t k = 32000, m = 4, n = 3;
  std::mt19937 generator(5);
  std::normal_distribution<double> distribution(0.0, 1.0);
  std::vector<double> x(m * n), weights(k * n), intercept(k);
  for (double& v : x) v = distribution(generator);
  for (double& v : weights) v = distribution(generator);
  for (double& v : intercept) v = distribution(generator);
  const std::vector<std::int32_t> labels = {0, 1, 31998, 31999};
  softmaxkit::RegressionProblem<double> problem;
  problem.features = softmaxkit::MatrixView<const double>(x.data(), m, n);
  problem.labels = labels;
  problem.num_classes = k;
  softmaxkit::LossGradient<double> loss(problem);
  std::vector<double> weights_gradient(k * n), intercept_gradient(k);
  const double value = loss.evaluate(weights, intercept, weights_gradient, intercept_gradient);
  long double expected = 0;
  std::vector<long double> expected_intercept_gradient(k, 0.0L);
  for (std::size_t i = 0; i < m; ++i) {
    std::vector<long double> z(k);
    long double maximum = -INFINITY;
    for (std::size_t c = 0; c < k; ++c) {
      z[c] = intercept[c];
      for (std::size_t j = 0; j < n; ++j)
        z[c] += static_cast<long double>(weights[c * n + j]) * x[i * n + j];
      maximum = std::max(maximum, z[c]);
    }
    long double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(z[c] - maximum);
    const long double log_sum = maximum + std::log(sum);
    expected += log_sum - z[static_cast<std::size_t>(labels[i])];
    for (std::size_t c = 0; c < k; ++c)
      expected_intercept_gradient[c] +=
          (std::exp(z[c] - log_sum) - (c == static_cast<std::size_t>(labels[i]) ? 1 : 0)) / m;
  }
  CHECK(value == doctest::Approx(static_cast<double>(expected / m)).epsilon(1e-12));
  for (std::size_t c : {std::size_t{0}, std::size_t{1}, std::size_t{777}, k - 1}) {
    CHECK(intercept_gradient[c] ==
          doctest::Approx(static_cast<double>(expected_intercept_gradient[c]))
              .epsilon(1e-10)
              .scale(1e-12));
  }
}
