// A caller's own softmaxkit::Metric through the public minimize(): the structured solver must
// reach the optimum with a metric that overrides only apply() (Metric::apply_pair's default),
// call an overridden apply_pair with the same M^{-1} for both vectors, and skip gamma's
// application for a Hessian-scaled metric, as include/softmaxkit/metric.hpp promises. The
// objective is a quadratic 1/2 x'Hx - b'x with b = H x_star for a chosen x_star, so the optimum
// is known in closed form.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "quadratic_objective.hpp"
#include "softmaxkit/metric.hpp"
#include "softmaxkit/solvers.hpp"

namespace {

using softmaxkit::Metric;
using softmaxkit::SolverOptions;
using softmaxkit::SolverResult;
using softmaxkit::StopReason;

// H = D + u u' + v v' (n x n, symmetric positive definite; D's entries span four decades, so
// plain L-BFGS from a unit metric needs many more iterations than with M = D).
struct Quadratic {
  std::size_t n = 0;
  std::vector<double> d, u, v, x_star, b;

  explicit Quadratic(std::size_t size) : n(size), d(size), u(size), v(size), x_star(size) {
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      d[i] = std::pow(10.0, 4.0 * static_cast<double>(i) / static_cast<double>(n - 1));
      u[i] = uniform(random);
      v[i] = uniform(random);
      x_star[i] = uniform(random);
    }
    b.resize(n);
    times(x_star, b);
  }
  void times(std::span<const double> x, std::span<double> out) const {
    double ux = 0, vx = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ux += u[i] * x[i];
      vx += v[i] * x[i];
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = d[i] * x[i] + u[i] * ux + v[i] * vx;
  }
  softmaxkit::Objective objective(std::shared_ptr<Metric> metric) const {
    softmaxkit::Objective objective;
    objective.size = n;
    objective.metric = std::move(metric);
    objective.value_and_gradient = [this](std::span<const double> x, std::span<double> g) {
      return softmaxkit_test::quadratic_value_and_gradient(
          [this](std::span<const double> in, std::span<double> out) { times(in, out); }, b, x, g);
    };
    return objective;
  }
};

// M = D (the Hessian's diagonal); overrides apply() only.
class DiagonalMetric : public Metric {
 public:
  explicit DiagonalMetric(std::vector<double> diagonal) : diagonal_(std::move(diagonal)) {}
  void update(std::span<const double>, double) override { ++updates; }
  void apply(std::span<const double> in, std::span<double> out) override {
    ++applies;
    REQUIRE(in.size() == diagonal_.size());
    REQUIRE(out.size() == diagonal_.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] / diagonal_[i];
  }
  double pass_equivalents() const override { return 0; }
  int updates = 0, applies = 0;

 protected:
  std::vector<double> diagonal_;
};

// The same M, with apply_pair overridden: the second vector first, in one loop, and a check that
// the four spans do not alias (the promise to a metric).
class PairedDiagonalMetric : public DiagonalMetric {
 public:
  using DiagonalMetric::DiagonalMetric;
  void apply_pair(std::span<const double> in_a, std::span<double> out_a,
                  std::span<const double> in_b, std::span<double> out_b) override {
    ++pairs;
    const double* spans[] = {in_a.data(), out_a.data(), in_b.data(), out_b.data()};
    for (int s = 0; s < 4; ++s)
      for (int t = s + 1; t < 4; ++t) CHECK(spans[s] != spans[t]);
    for (std::size_t i = diagonal_.size(); i-- > 0;) {
      out_b[i] = in_b[i] / diagonal_[i];
      out_a[i] = in_a[i] / diagonal_[i];
    }
  }
  int pairs = 0;
};

// Claims to be Hessian-scaled: the solver must then take gamma = 1 and never apply M^{-1} to a
// second vector.
class ScaledDiagonalMetric : public PairedDiagonalMetric {
 public:
  using PairedDiagonalMetric::PairedDiagonalMetric;
  bool hessian_scaled() const override { return true; }
};

using softmaxkit_test::max_error;
using softmaxkit_test::structured_options;

}  // namespace

TEST_CASE("custom metric: apply_pair's default and an override give the same fit, at the optimum") {
  const Quadratic quadratic(60);
  const SolverOptions options = structured_options();

  auto plain = std::make_shared<DiagonalMetric>(quadratic.d);
  std::vector<double> x_plain(quadratic.n, 0.0);
  const SolverResult plain_result =
      softmaxkit::minimize(quadratic.objective(plain), x_plain, options);
  REQUIRE(plain_result.reason == StopReason::converged);
  CHECK(max_error(x_plain, quadratic.x_star) < 1e-7);
  CHECK(plain->updates >= plain_result.iterations);
  // The direction's and gamma's applications, both through the default apply_pair.
  CHECK(plain->applies >= 2 * (plain_result.iterations - 1));

  auto paired = std::make_shared<PairedDiagonalMetric>(quadratic.d);
  std::vector<double> x_paired(quadratic.n, 0.0);
  const SolverResult paired_result =
      softmaxkit::minimize(quadratic.objective(paired), x_paired, options);
  CHECK(paired->pairs >= paired_result.iterations - 1);
  // Same operations on each element, so the same bits whichever way M^{-1} was applied.
  CHECK(paired_result.iterations == plain_result.iterations);
  CHECK(paired_result.evaluations == plain_result.evaluations);
  CHECK(std::memcmp(x_paired.data(), x_plain.data(), x_plain.size() * sizeof(double)) == 0);

  // The metric earns its keep: without one (M = I) the same problem takes more iterations.
  std::vector<double> x_none(quadratic.n, 0.0);
  const SolverResult none_result =
      softmaxkit::minimize(quadratic.objective(nullptr), x_none, options);
  REQUIRE(none_result.reason == StopReason::converged);
  CHECK(max_error(x_none, quadratic.x_star) < 1e-6);
  CHECK(none_result.iterations > plain_result.iterations);
}

TEST_CASE("custom metric: a Hessian-scaled metric is applied once per direction, never paired") {
  const Quadratic quadratic(60);
  auto scaled = std::make_shared<ScaledDiagonalMetric>(quadratic.d);
  std::vector<double> x(quadratic.n, 0.0);
  const SolverResult result =
      softmaxkit::minimize(quadratic.objective(scaled), x, structured_options());
  CHECK(scaled->pairs == 0);
  CHECK(scaled->applies >= result.iterations - 1);
  // gamma = 1 with M = D is a poor scale for this H, but the line search still gets there.
  REQUIRE(result.reason == StopReason::converged);
  CHECK(max_error(x, quadratic.x_star) < 1e-7);
}
