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
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model/path_predictor.hpp"
#include "model_selection_checks.hpp"
#include "sanitizer_build.hpp"
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
      check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, Cs, options); },
                          "C");
      continue;
    }
    const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs, options);
    check_point_against_cold_fit(data, path.points[0], C, options, 1e-6);
  }
  // All of them on one path, unsorted with a duplicate: huge jumps in log C between warm starts
  // (the predictor's t is capped at 1), each point still where a cold fit ends.
  const std::vector<double> mixed = {1e300, DBL_MIN, 1.0, DBL_MAX, 1e-300, 1e-30, 1e30, 1.0};
  for (const SolverKind solver :
       {SolverKind::structured, SolverKind::lbfgs, SolverKind::newton_cg}) {
    CAPTURE(static_cast<int>(solver));
    FitOptions path_options = options;
    path_options.solver = solver;
    const softmaxkit::PathResult path =
        softmaxkit::fit_path(data.view(), data.labels, mixed, path_options);
    for (std::size_t i = 0; i < mixed.size(); ++i) {
      check_point_against_cold_fit(data, path.points[i], mixed[i], path_options, 1e-6);
    }
  }
  // A denormal C makes lambda = 1 / (C m) inf: an Error naming C, never a fit.
  check_throws_naming(
      [&] {
        const std::vector<double> Cs = {1.0, std::numeric_limits<double>::denorm_min()};
        softmaxkit::fit_path(data.view(), data.labels, Cs, options);
      },
      "fit_path: C = 5e-324 with sample weights summing to 60");
}

TEST_CASE("cross_validate: the refit's lambda is checked before any fold, in float") {
  // Each fold's training rows list every training row three times (a row listed twice counts
  // twice), so a fold's weight sum (3 x 39 to 3 x 42) exceeds all rows' (60): at C = 3e-41 the
  // folds' lambda, 1 / (C 117) = 2.8e38 at most, is inside float's range (3.4e38) and the
  // refit's, 1 / (C 60) = 5.6e38, is not. The refit used to be refused after every fold's fits,
  // naming SoftmaxRegression::fit.
  const Data data = blobs(60, 3, 3, 1.0, 3);
  const std::vector<float> as_float(data.features.begin(), data.features.end());
  const MatrixView<const float> view(as_float.data(), data.rows, data.cols);
  std::vector<softmaxkit::Fold> folds(3);
  for (std::size_t f = 0; f < 3; ++f) {
    for (std::size_t row = 0; row < 60; ++row) {
      if ((row / 3) % 3 == f) {
        folds[f].test.push_back(row);
      } else {
        for (int copy = 0; copy < 3; ++copy) folds[f].train.push_back(row);
      }
    }
  }
  const std::vector<double> Cs = {3e-41, 1.0};
  int fits = 0;
  softmaxkit::CvOptions cv;
  cv.progress = [&](const softmaxkit::CvProgress&) { ++fits; };
  check_throws_naming(
      [&] { softmaxkit::cross_validate(view, data.labels, Cs, folds, tight_options(), cv); },
      "cross_validate: the refit on all rows: C = 3e-41 gives lambda = 5.5555");
  CHECK(fits == 0);
  // A C that no fold can fit either is named as the search's C, not as the refit's.
  const std::vector<double> tiny = {1e-300, 1.0};
  check_throws_naming(
      [&] { softmaxkit::cross_validate(view, data.labels, tiny, folds, tight_options(), cv); },
      "cross_validate: C = 1e-300 gives lambda = ");
  CHECK(fits == 0);
  // Without the refit the folds run; in double the refit runs too.
  cv.refit = false;
  CHECK_NOTHROW(softmaxkit::cross_validate(view, data.labels, Cs, folds, tight_options(), cv));
  CHECK(fits == 6);
  cv.refit = true;
  FitOptions in_double = tight_options();
  in_double.use_double = true;
  const softmaxkit::CvResult result =
      softmaxkit::cross_validate(view, data.labels, Cs, folds, in_double, cv);
  CHECK(result.model.has_value());
}

TEST_CASE("fit_path in float: a lambda beyond float's range is an Error naming C") {
  const Data data = blobs(60, 3, 3, 1.0, 3);
  const std::vector<float> as_float(data.features.begin(), data.features.end());
  const MatrixView<const float> view(as_float.data(), data.rows, data.cols);
  // lambda = 1 / (1e-300 * 60) = 1.7e298: inf in float (it used to surface as LossGradient's
  // "l2 is <299 digits>, not finite in float").
  for (const double C : {1e-300, DBL_MIN}) {
    CAPTURE(C);
    const std::vector<double> Cs = {1.0, C};
    // Named as the path's, the caller's function (it named SoftmaxRegression::fit before
    // 2026-12-06).
    check_throws_naming(
        [&] { softmaxkit::fit_path(view, data.labels, Cs, tight_options()); },
        "fit_path: C = " + std::string(C == 1e-300 ? "1e-300" : "2.2250738585072014e-308") +
            " gives lambda = ");
    check_throws_naming([&] { softmaxkit::fit_path(view, data.labels, Cs, tight_options()); },
                        "use_double");
    FitOptions cold_options = tight_options();
    cold_options.C = C;
    softmaxkit::SoftmaxRegression cold(cold_options);
    check_throws_naming([&] { cold.fit(view, data.labels); }, "beyond float's range");
    // In double the same C fits (lambda is finite there), and so does use_double.
    FitOptions in_double = tight_options();
    in_double.use_double = true;
    const softmaxkit::PathResult path = softmaxkit::fit_path(view, data.labels, Cs, in_double);
    CHECK(all_finite(path.points[1].weights));
    CHECK(path.points[1].report.reason != StopReason::nan);
  }
}

TEST_CASE("fit_path: 200 values, unsorted, with duplicates, and one value") {
  const Data data = blobs(45, 2, 3, 1.5, 11);
  const FitOptions options = tight_options();
  std::vector<double> Cs = softmaxkit::log_grid(1e-4, 1e4, 200);
  std::reverse(Cs.begin(), Cs.end());
  Cs[7] = Cs[8] = Cs[150];  // three equal values, far apart in the list
  const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs, options);
  REQUIRE(path.points.size() == 200);
  for (std::size_t i = 0; i < Cs.size(); i += 13) {
    check_point_against_cold_fit(data, path.points[i], Cs[i], options, 1e-8);
  }
  check_point_against_cold_fit(data, path.points[8], Cs[8], options, 1e-8);
  CHECK(std::abs(path.points[7].report.objective - path.points[150].report.objective) <=
        1e-8 * path.points[150].report.objective);
  for (const softmaxkit::PathPoint& point : path.points) {
    // Every point converges at tol 1e-10 in double, also where a too-short step's f rounds a
    // few ulps up (a Zen 5 machine's OpenBLAS at C = 51 ended line_search_failed at a gradient
    // of 1.25e-10 before the line search took such a trial as a low end).
    CAPTURE(point.C);
    CHECK(point.report.reason == StopReason::converged);
  }
  const std::vector<double> one = {3.0};
  const softmaxkit::PathResult single =
      softmaxkit::fit_path(data.view(), data.labels, one, options);
  REQUIRE(single.points.size() == 1);
  check_point_against_cold_fit(data, single.points[0], 3.0, options, 1e-8);
}

TEST_CASE("fit_path and cross_validate: one class is an Error; K = 1000 tiny classes fit") {
  const Data data = blobs(30, 2, 3, 1.0, 5);
  const std::vector<std::int32_t> one_class(data.rows, 4);
  const std::vector<double> Cs = {1.0, 10.0};
  check_throws_naming([&] { softmaxkit::fit_path(data.view(), one_class, Cs, tight_options()); },
                      "fewer than 2 classes");
  check_throws_naming(
      [&] { softmaxkit::cross_validate(data.view(), one_class, Cs, tight_options()); },
      "fewer than 2 classes");
  softmaxkit::CvOptions two;
  two.folds = 2;
  check_throws_naming(
      [&] { softmaxkit::cross_validate(data.view(), one_class, Cs, tight_options(), two); },
      "fewer than 2 classes");

  // 1000 classes, 2 rows each: 2-fold CV trains every class on one row and scores the other.
  // Under the sanitizers (tests/sanitizer_build.hpp) 200 classes, still above the small-K
  // kernel's 128: K = 1000 costs minutes there.
  const std::size_t classes = softmaxkit::tests::sanitizer_build ? 200 : 1000;
  const Data many = blobs(2 * classes, 2, static_cast<int>(classes), 0.5, 9);
  FitOptions options;
  options.threads = 1;
  const softmaxkit::PathResult path = softmaxkit::fit_path(many.view(), many.labels, Cs, options);
  CHECK(path.classes.size() == classes);
  for (std::size_t i = 0; i < Cs.size(); ++i) {
    check_point_against_cold_fit(many, path.points[i], Cs[i], options, 1e-6);
  }
  softmaxkit::CvOptions cv;
  cv.folds = 2;
  cv.refit = false;
  const softmaxkit::CvResult result =
      softmaxkit::cross_validate(many.view(), many.labels, Cs, options, cv);
  REQUIRE(result.folds.size() == 2);
  for (const softmaxkit::Fold& fold : result.folds) CHECK(fold.test.size() == classes);
  for (std::size_t c = 0; c < Cs.size(); ++c) {
    CHECK(std::isfinite(result.mean_log_loss[c]));
    CHECK(result.mean_accuracy[c] >= 0);
    CHECK(result.mean_accuracy[c] <= 1);
  }
  cv.folds = 3;  // above the smallest class count (2)
  check_throws_naming(
      [&] { softmaxkit::cross_validate(many.view(), many.labels, Cs, options, cv); },
      "cross_validate: cv.folds is 3");
}

TEST_CASE("stratified_folds: k = 2 and k = the smallest class count, seeds 0 and 2^64 - 1") {
  // Class sizes 3, 5, 9.
  std::vector<std::int32_t> labels;
  for (int c = 0; c < 3; ++c)
    labels.insert(labels.end(), static_cast<std::size_t>(3 + 2 * c + c * c), c);
  for (const std::uint64_t seed : {std::uint64_t{0}, UINT64_MAX}) {
    for (const int k : {2, 3}) {
      CAPTURE(seed);
      CAPTURE(k);
      const std::vector<softmaxkit::Fold> folds = softmaxkit::stratified_folds(labels, k, seed);
      REQUIRE(folds.size() == static_cast<std::size_t>(k));
      std::vector<int> tested(labels.size(), 0);
      for (const softmaxkit::Fold& fold : folds) {
        CHECK(fold.train.size() + fold.test.size() == labels.size());
        for (std::size_t row : fold.test) ++tested[row];
        for (int c = 0; c < 3; ++c) {
          const auto count = static_cast<std::size_t>(
              std::count_if(fold.test.begin(), fold.test.end(),
                            [&](std::size_t row) { return labels[row] == c; }));
          const auto total = static_cast<std::size_t>(std::count(labels.begin(), labels.end(), c));
          CHECK(count >= total / static_cast<std::size_t>(k));
          CHECK(count <= (total + static_cast<std::size_t>(k) - 1) / static_cast<std::size_t>(k));
        }
      }
      CHECK(std::all_of(tested.begin(), tested.end(), [](int n) { return n == 1; }));
      const std::vector<softmaxkit::Fold> again = softmaxkit::stratified_folds(labels, k, seed);
      for (std::size_t f = 0; f < folds.size(); ++f) CHECK(again[f].test == folds[f].test);
    }
  }
  CHECK(softmaxkit::stratified_folds(labels, 3, 0)[0].test !=
        softmaxkit::stratified_folds(labels, 3, UINT64_MAX)[0].test);
  check_throws_naming([&] { softmaxkit::stratified_folds(labels, 4, UINT64_MAX); },
                      "k is 4 but class 0 has only 3 rows");
}

TEST_CASE("the path's predicted start: overflow is detected, the values are the line's") {
  using softmaxkit::detail::predict_path_start;
  std::vector<double> weights, intercept;
  // An ordinary step: the values are current + t (current - previous), checked in long double.
  const std::vector<double> w1 = {0.5, -1.25, 3.0}, w0 = {0.25, -1.0, 2.0}, b1 = {0.1}, b0 = {0.3};
  REQUIRE(predict_path_start(w1, w0, b1, b0, 0.75, weights, intercept));
  for (std::size_t i = 0; i < 3; ++i) {
    const long double expected = w1[i] + 0.75L * ((long double)w1[i] - w0[i]);
    CHECK(std::abs((long double)weights[i] - expected) <= 1e-15L * std::abs(expected));
  }
  CHECK(std::abs(intercept[0] - (0.1 + 0.75 * (0.1 - 0.3))) <= 1e-16);
  // An element that overflows, one whose square sum overflows (each finite), an intercept
  // that overflows, and a NaN: each refused, so the path starts from the last solution.
  CHECK_FALSE(predict_path_start({1e308}, {-1e308}, {}, {}, 1.0, weights, intercept));
  CHECK_FALSE(predict_path_start({1e154, 1e154}, {1e153, 1e153}, {}, {}, 1.0, weights, intercept));
  CHECK_FALSE(predict_path_start({1.0}, {0.0}, {DBL_MAX}, {-DBL_MAX}, 0.5, weights, intercept));
  CHECK_FALSE(predict_path_start({std::nan("")}, {0.0}, {}, {}, 0.5, weights, intercept));
  CHECK(predict_path_start({1e153}, {1e152}, {1e300}, {1e299}, 1.0, weights, intercept));
}

TEST_CASE("reference_gradient_norm at 0, denormal, DBL_MIN, 1e300 and DBL_MAX for every solver") {
  const Data data = blobs(60, 3, 3, 1.0, 3);
  for (const SolverKind solver :
       {SolverKind::structured, SolverKind::lbfgs, SolverKind::newton_cg}) {
    CAPTURE(static_cast<int>(solver));
    FitOptions options;
    options.C = 1.0;
    options.solver = solver;
    options.threads = 1;
    softmaxkit::SoftmaxRegression plain(options);
    const softmaxkit::FitReport reference = plain.fit(data.view(), data.labels);
    REQUIRE(reference.reason == StopReason::converged);
    REQUIRE(reference.initial_gradient_norm < 1);  // so max(1, reference) is 1 below
    for (const double tiny : {std::numeric_limits<double>::denorm_min(), DBL_MIN, 1e-300}) {
      // Below 1 the rule's floor max(1, .) applies: the same stopping test as reference 0.
      options.reference_gradient_norm = tiny;
      softmaxkit::SoftmaxRegression model(options);
      const softmaxkit::FitReport report = model.fit(data.view(), data.labels);
      CHECK(report.reason == StopReason::converged);
      CHECK(report.gradient_norm <= options.tolerance);
      CHECK(std::abs(report.objective - reference.objective) <= 1e-8 * reference.objective);
      if (solver != SolverKind::structured) CHECK(same_bits(model.weights(), plain.weights()));
    }
    for (const double huge : {1e300, DBL_MAX}) {
      for (const double tolerance : {1e-6, 10.0}) {  // 10 * DBL_MAX overflows to inf
        // tolerance * reference above ||g0||: the rule holds at the start (documented).
        options.reference_gradient_norm = huge;
        options.tolerance = tolerance;
        softmaxkit::SoftmaxRegression model(options);
        const softmaxkit::FitReport report = model.fit(data.view(), data.labels);
        CHECK(report.reason == StopReason::converged);
        CHECK(report.iterations == 0);
        CHECK(std::abs(report.objective - std::log(3.0L)) <= 1e-14);  // W = 0: log K
        CHECK(all_finite(model.weights()));
      }
    }
    options.tolerance = 1e-6;
    // NaN in the data is never converged, whatever the reference.
    Data broken = data;
    broken.features[4] = std::numeric_limits<double>::quiet_NaN();
    options.reference_gradient_norm = DBL_MAX;
    options.tolerance = 10;
    softmaxkit::SoftmaxRegression model(options);
    CHECK(model.fit(broken.view(), broken.labels).reason == StopReason::nan);
    CHECK_FALSE(model.is_fitted());
    options.tolerance = 1e-6;
    for (const double bad : {-1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
      options.reference_gradient_norm = bad;
      softmaxkit::SoftmaxRegression refused(options);
      check_throws_naming([&] { refused.fit(data.view(), data.labels); },
                          "reference_gradient_norm");
      const std::vector<double> Cs = {1.0};
      check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, Cs, options); },
                          "reference_gradient_norm");
    }
  }
}

TEST_CASE("fit_path on every supported ISA: each point equals a cold fit on that ISA") {
  const Data data = blobs(90, 5, 3, 1.0, 21);
  const std::vector<float> as_float(data.features.begin(), data.features.end());
  const MatrixView<const float> float_view(as_float.data(), data.rows, data.cols);
  const std::vector<double> Cs = {100.0, 0.01, 1.0, 1e4};
  for (const softmaxkit::Isa isa : softmaxkit::supported_isas()) {
    CAPTURE(softmaxkit::to_string(isa));
    softmaxkit::ScopedIsa scoped(isa);
    const FitOptions options = tight_options();
    const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs, options);
    const softmaxkit::PathResult path_f =
        softmaxkit::fit_path(float_view, data.labels, Cs, options);
    for (std::size_t i = 0; i < Cs.size(); ++i) {
      check_point_against_cold_fit(data, path.points[i], Cs[i], options, 1e-8);
      CHECK(path.points[i].report.reason == StopReason::converged);
      FitOptions cold_options = options;
      cold_options.C = Cs[i];
      softmaxkit::SoftmaxRegression cold(cold_options);
      const softmaxkit::FitReport cold_report = cold.fit(float_view, data.labels);
      CHECK(path_f.points[i].report.reason != StopReason::nan);
      CHECK(all_finite(path_f.points[i].weights));
      // Float gradients stop near the float optimum: objectives agree to float's noise.
      CHECK(std::abs(path_f.points[i].report.objective - cold_report.objective) <=
            1e-6 * cold_report.objective);
    }
  }
}

TEST_CASE("a feature of 1e200: the initial gradient norm is finite and the path runs") {
  // Its sum of squares overflowed: FitReport::initial_gradient_norm was inf, and fit_path passed
  // it on as reference_gradient_norm, so its second fit threw "reference_gradient_norm must be
  // finite" although the caller never set it.
  Data data = blobs(60, 3, 3, 1.0, 3);
  for (std::size_t i = 0; i < data.rows; ++i) data.features[i * 3 + 2] *= 1e200;
  // ||grad J(0)|| in long double: (1/m) sum_i (1/K - [y_i = k]) x_ij, and the intercept's.
  long double squares = 0;
  for (int k = 0; k < 3; ++k) {
    for (std::size_t j = 0; j <= 3; ++j) {
      long double g = 0;
      for (std::size_t i = 0; i < data.rows; ++i) {
        const long double x = j < 3 ? data.features[i * 3 + j] : 1.0L;
        g += (1.0L / 3 - (data.labels[i] == k ? 1 : 0)) * x;
      }
      g /= static_cast<long double>(data.rows);
      squares += g * g;
    }
  }
  const long double expected = std::sqrt(squares);
  for (const SolverKind solver :
       {SolverKind::structured, SolverKind::lbfgs, SolverKind::newton_cg}) {
    CAPTURE(static_cast<int>(solver));
    FitOptions options = tight_options();
    options.solver = solver;
    options.C = 1.0;
    softmaxkit::SoftmaxRegression cold(options);
    const softmaxkit::FitReport report = cold.fit(data.view(), data.labels);
    CHECK(std::abs(report.initial_gradient_norm - expected) <= 1e-12L * expected);
    const std::vector<double> Cs = {0.01, 1.0, 100.0};
    const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs, options);
    for (std::size_t i = 0; i < Cs.size(); ++i) {
      // Unscaled features this far apart defeat every solver's line search (cold fits too); the
      // path must end where the cold fit does, with finite numbers and an honest stop reason.
      check_point_against_cold_fit(data, path.points[i], Cs[i], options, 1e-12);
      if (path.points[i].report.reason == StopReason::converged) {
        CHECK(path.points[i].report.gradient_norm <=
              options.tolerance * std::max(1.0, report.initial_gradient_norm));
      }
    }
  }
}

TEST_CASE("cross_validate: a scoring that is not a CvScoring is an Error") {
  const Data data = blobs(30, 2, 3, 1.0, 5);
  const std::vector<double> Cs = {1.0, 2.0};
  softmaxkit::CvOptions cv;
  cv.folds = 2;
  cv.scoring = static_cast<softmaxkit::CvScoring>(7);  // used to pick the C by log-loss silently
  check_throws_naming(
      [&] { softmaxkit::cross_validate(data.view(), data.labels, Cs, tight_options(), cv); },
      "cv.scoring");
}

TEST_CASE("fit_path: a label count that is not the row count names fit_path") {
  // It was the first fit's Error, naming SoftmaxRegression::fit, which the caller never called.
  const Data data = blobs(30, 2, 3, 1.0, 5);
  const std::vector<std::int32_t> short_labels(data.labels.begin(), data.labels.end() - 1);
  const std::vector<double> Cs = {1.0};
  for (const auto& run : std::vector<std::function<void()>>{
           [&] { softmaxkit::fit_path(data.view(), short_labels, Cs, tight_options()); },
           [&] {
             softmaxkit::fit_path(softmaxkit::MatrixView<const double>(nullptr, 0, 2), {}, Cs,
                                  tight_options());
           }}) {
    std::string message;
    try {
      run();
    } catch (const softmaxkit::Error& error) {
      message = error.what();
    }
    CHECK(message.rfind("fit_path", 0) == 0);
    CHECK(message.find("SoftmaxRegression::fit") == std::string::npos);
  }
}

TEST_CASE("fit_path on CSR: extreme C values as on dense rows") {
  const Data data = blobs(60, 3, 3, 1.0, 3);
  std::vector<std::int64_t> offsets = {0};
  std::vector<std::int32_t> columns;
  std::vector<float> values;
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t j = 0; j < data.cols; ++j) {
      columns.push_back(static_cast<std::int32_t>(j));
      values.push_back(static_cast<float>(data.features[i * data.cols + j]));
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  const softmaxkit::CsrMatrix<float> csr(data.rows, data.cols, offsets, columns, values);
  const std::vector<double> Cs = {1.0, 1e-300};
  check_throws_naming([&] { softmaxkit::fit_path(csr.view(), data.labels, Cs, tight_options()); },
                      "C = 1e-300");
  FitOptions in_double = tight_options();
  in_double.use_double = true;
  const std::vector<double> extremes = {1e300, DBL_MIN, 1.0, DBL_MAX};
  const softmaxkit::PathResult path =
      softmaxkit::fit_path(csr.view(), data.labels, extremes, in_double);
  // The dense double rows hold the same (float-rounded) values: the CSR path's reference.
  Data rounded = data;
  for (double& value : rounded.features) value = static_cast<float>(value);
  for (std::size_t i = 0; i < extremes.size(); ++i) {
    check_point_against_cold_fit(rounded, path.points[i], extremes[i], tight_options(), 1e-9);
  }
}

TEST_CASE("C near DBL_MAX: lambda = 1 / (C m) is the subnormal value, not 0") {
  // C * m overflowed to inf, so lambda was 1 / inf = 0: an unregularised fit reported as C's.
  for (const std::size_t rows : {std::size_t{60}, std::size_t{300}}) {
    const Data data = blobs(rows, 3, 3, 1.0, 3);
    for (const double C : {1e306, DBL_MAX}) {
      CAPTURE(rows);
      CAPTURE(C);
      const long double expected = 1.0L / (static_cast<long double>(C) * rows);
      FitOptions options = tight_options();
      options.C = C;
      softmaxkit::SoftmaxRegression model(options);
      model.fit(data.view(), data.labels);
      CHECK(model.effective_l2() > 0);
      // Subnormal: about 40 significant bits left.
      CHECK(std::abs(model.effective_l2() - expected) <= 1e-10L * expected);
      const std::vector<double> Cs = {1.0, C};
      const softmaxkit::PathResult path =
          softmaxkit::fit_path(data.view(), data.labels, Cs, tight_options());
      CHECK(path.points[1].lambda == model.effective_l2());
    }
  }
}

TEST_CASE("structured solver at a subnormal lambda: converged, at Newton-CG's optimum") {
  // C = 1e306 with 100 rows gives lambda = 1e-308 (C * m finite), C = DBL_MAX lambda ~ 1e-310:
  // G / lambda overflowed in the Kronecker metric, and the fit ended with line_search_failed
  // 0.005 above the optimum (its cold fit and its path alike, so only a peer solver shows it).
  const Data data = blobs(100, 3, 3, 1.0, 3);
  for (const double C : {1e306, DBL_MAX}) {
    CAPTURE(C);
    FitOptions options = tight_options();
    options.C = C;
    options.solver = SolverKind::newton_cg;
    softmaxkit::SoftmaxRegression newton(options);
    const softmaxkit::FitReport peer = newton.fit(data.view(), data.labels);
    REQUIRE(peer.reason == StopReason::converged);
    options.solver = SolverKind::structured;
    softmaxkit::SoftmaxRegression structured(options);
    const softmaxkit::FitReport report = structured.fit(data.view(), data.labels);
    CHECK(report.reason == StopReason::converged);
    CHECK(std::abs(report.objective - peer.objective) <= 1e-9 * peer.objective);
  }
}
