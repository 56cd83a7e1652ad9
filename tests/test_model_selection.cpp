// fit_path, stratified_folds, cross_validate and log_grid: each path point against an independent
// cold fit, the folds' stratification and determinism, the scores against a separate scoring of
// a cold fit, bitwise equality across thread counts, and every bad argument.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model_selection_checks.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using model_selection_checks::check_throws_naming;
using model_selection_checks::same_bits;
using model_selection_checks::tight_options;

using softmaxkit::CvOptions;
using softmaxkit::CvResult;
using softmaxkit::FitOptions;
using softmaxkit::Fold;
using softmaxkit::MatrixView;

struct Blobs {
  std::size_t rows, cols;
  std::vector<double> features;
  std::vector<std::int32_t> labels;
  MatrixView<const double> view() const { return {features.data(), rows, cols}; }
};

// Overlapping Gaussian blobs (so C matters); class sizes differ (class c has weight c + 2).
Blobs make_blobs(std::size_t rows, std::size_t cols, int classes, double separation,
                 unsigned seed) {
  Blobs data{rows, cols, {}, {}};
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  int total_weight = 0;
  for (int c = 0; c < classes; ++c) total_weight += c + 2;
  for (std::size_t i = 0; i < rows; ++i) {
    int slot = static_cast<int>(i % static_cast<std::size_t>(total_weight)), label = 0;
    while (slot >= label + 2) slot -= label + 2, ++label;
    for (std::size_t j = 0; j < cols; ++j) {
      const double center =
          (j % static_cast<std::size_t>(classes) == static_cast<std::size_t>(label)) ? separation
                                                                                     : 0.0;
      data.features.push_back(center + noise(generator));
    }
    data.labels.push_back(label * 5 - 3);  // labels need not be 0..K-1
  }
  return data;
}

}  // namespace

TEST_CASE("fit_path: every point equals an independent cold fit at its C") {
  const Blobs data = make_blobs(240, 6, 3, 1.2, 7);
  // Deliberately unsorted, with a duplicate: the result follows the order given.
  const std::vector<double> Cs = {1.0, 1e-3, 100.0, 0.03, 1.0, 10.0};
  for (const bool in_float : {false, true}) {
    CAPTURE(in_float);
    FitOptions path_options = tight_options();
    const std::vector<float> as_float(data.features.begin(), data.features.end());
    const MatrixView<const float> float_view(as_float.data(), data.rows, data.cols);
    const softmaxkit::PathResult path =
        in_float ? softmaxkit::fit_path(float_view, data.labels, Cs, path_options)
                 : softmaxkit::fit_path(data.view(), data.labels, Cs, path_options);
    REQUIRE(path.points.size() == Cs.size());
    CHECK(path.classes == std::vector<std::int32_t>{-3, 2, 7});
    for (std::size_t i = 0; i < Cs.size(); ++i) {
      CAPTURE(Cs[i]);
      const softmaxkit::PathPoint& point = path.points[i];
      CHECK(point.C == Cs[i]);
      CHECK(point.lambda == doctest::Approx(1.0 / (Cs[i] * static_cast<double>(data.rows))));
      // Float gradients are too noisy for 1e-10: the line search ends the fit at the float optimum.
      if (in_float) {
        CHECK(point.report.reason != softmaxkit::StopReason::max_iterations);
      } else {
        CHECK(point.report.reason == softmaxkit::StopReason::converged);
      }
      FitOptions cold_options = tight_options();
      cold_options.C = Cs[i];
      softmaxkit::SoftmaxRegression cold(cold_options);
      const softmaxkit::FitReport cold_report =
          in_float ? cold.fit(float_view, data.labels) : cold.fit(data.view(), data.labels);
      CHECK(std::abs(point.report.objective - cold_report.objective) <=
            1e-6 * std::abs(cold_report.objective));
      REQUIRE(point.weights.size() == cold.weights().size());
      double largest = 0;
      for (std::size_t j = 0; j < point.weights.size(); ++j) {
        largest = std::max(largest, std::abs(point.weights[j] - cold.weights()[j]));
      }
      CHECK(largest <= 1e-3 * (1.0 + Cs[i]));
      CHECK(point.intercept.size() == 3);
    }
    // The duplicate C starts from its own solution. In double that solution already meets the
    // rule: no more evaluations than the first. In float at tol 1e-10 every point ends on
    // rounding (no_progress) after a noise-driven number of evaluations (59 to 335 for this
    // point as other points' bits changed), so there it must only not end above its start.
    if (in_float) {
      CHECK(path.points[4].report.objective <=
            path.points[0].report.objective + 1e-7 * path.points[0].report.objective);
    } else {
      CHECK(path.points[4].report.evaluations <= path.points[0].report.evaluations);
    }
    // The path chooses its own starts: options.warm_start changes nothing.
    path_options.warm_start = true;
    const softmaxkit::PathResult again =
        in_float ? softmaxkit::fit_path(float_view, data.labels, Cs, path_options)
                 : softmaxkit::fit_path(data.view(), data.labels, Cs, path_options);
    for (std::size_t i = 0; i < Cs.size(); ++i) {
      CHECK(same_bits(again.points[i].weights, path.points[i].weights));
    }
  }
}

TEST_CASE("reference_gradient_norm: a warm start stops where a cold fit stops") {
  Blobs data = make_blobs(400, 10, 4, 0.8, 5);
  for (double& value : data.features) value *= 30;  // ||gradient at 0|| well above 1
  FitOptions options;  // the default tolerance: the relative test matters
  options.C = 1.0;
  softmaxkit::SoftmaxRegression model(options);
  const double cold_start_norm = model.fit(data.view(), data.labels).initial_gradient_norm;
  REQUIRE(cold_start_norm > 1);
  // An independent cold fit at C = 4 and a tight one as the reference optimum.
  FitOptions target = options;
  target.C = 4.0;
  softmaxkit::SoftmaxRegression cold(target);
  const softmaxkit::FitReport cold_report = cold.fit(data.view(), data.labels);
  FitOptions tight = tight_options();
  tight.C = 4.0;
  softmaxkit::SoftmaxRegression best(tight);
  const double optimum = best.fit(data.view(), data.labels).objective;

  softmaxkit::SoftmaxRegression warm = model;
  warm.options().C = 4.0;
  warm.options().warm_start = true;
  warm.options().reference_gradient_norm = cold_start_norm;
  const softmaxkit::FitReport report = warm.fit(data.view(), data.labels);
  CHECK(report.reason == softmaxkit::StopReason::converged);
  CHECK(report.initial_gradient_norm < cold_start_norm);
  CHECK(report.gradient_norm <= options.tolerance * cold_start_norm);
  CHECK(report.objective - optimum <= 1e-6 * std::abs(optimum));
  CHECK(report.evaluations <= cold_report.evaluations);

  // L-BFGS's rule is the gradient test alone: it stops at the first iterate under the threshold
  // the reference sets, not at the stricter one of its own small initial gradient.
  softmaxkit::SoftmaxRegression lbfgs = model;
  lbfgs.options() = warm.options();
  lbfgs.options().solver = softmaxkit::SolverKind::lbfgs;
  std::vector<double> norms;
  lbfgs.options().callback = [&](const softmaxkit::IterationReport& step) {
    norms.push_back(step.gradient_norm);
    return true;
  };
  const softmaxkit::FitReport lbfgs_report = lbfgs.fit(data.view(), data.labels);
  CHECK(lbfgs_report.reason == softmaxkit::StopReason::converged);
  const double threshold = options.tolerance * cold_start_norm;
  REQUIRE(norms.size() >= 2);
  CHECK(norms.back() <= threshold);
  for (std::size_t i = 0; i + 1 < norms.size(); ++i) CHECK(norms[i] > threshold);
  CHECK(threshold > options.tolerance * std::max(1.0, lbfgs_report.initial_gradient_norm));

  for (const double bad :
       {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    softmaxkit::SoftmaxRegression refused = model;
    refused.options().reference_gradient_norm = bad;
    check_throws_naming([&] { refused.fit(data.view(), data.labels); }, "reference_gradient_norm");
  }
}

TEST_CASE("fit_path: the structured solver's setup is computed once for the whole path") {
  const Blobs data = make_blobs(300, 8, 4, 1.0, 11);
  const std::vector<double> Cs = softmaxkit::log_grid(1e-3, 1e2, 8);
  const softmaxkit::PathResult path =
      softmaxkit::fit_path(data.view(), data.labels, Cs, tight_options());
  FitOptions options = tight_options();
  options.C = Cs[3];
  softmaxkit::SoftmaxRegression cold(options);
  const double independent_setup = cold.fit(data.view(), data.labels).setup_pass_equivalents;
  REQUIRE(independent_setup > 0);
  CHECK(path.points[0].report.setup_pass_equivalents > 0);
  // The later points find G's factorization in the cache: their setup is cheaper than an
  // independent fit's (the part left depends on lambda).
  for (std::size_t i = 1; i < Cs.size(); ++i) {
    CAPTURE(Cs[i]);
    FitOptions at = tight_options();
    at.C = Cs[i];
    softmaxkit::SoftmaxRegression fresh(at);
    CHECK(path.points[i].report.setup_pass_equivalents <
          fresh.fit(data.view(), data.labels).setup_pass_equivalents);
  }
}

TEST_CASE("fit_path: warm starts with the predictor cost fewer evaluations than cold fits") {
  // Counts, not times: evaluations are deterministic. The default tolerance, where warm starts
  // (with the cold start's gradient norm as the reference) have the most to save.
  const Blobs data = make_blobs(500, 12, 5, 1.0, 3);
  const std::vector<double> Cs = softmaxkit::log_grid(1e-3, 1e3, 13);
  const softmaxkit::PathResult path = softmaxkit::fit_path(data.view(), data.labels, Cs);
  int path_evaluations = 0, cold_evaluations = 0;
  for (std::size_t i = 0; i < Cs.size(); ++i) {
    FitOptions at;
    at.C = Cs[i];
    softmaxkit::SoftmaxRegression cold(at);
    const softmaxkit::FitReport report = cold.fit(data.view(), data.labels);
    CAPTURE(Cs[i]);
    CHECK(std::abs(path.points[i].report.objective - report.objective) <=
          1e-6 * std::abs(report.objective));
    path_evaluations += path.points[i].report.evaluations;
    cold_evaluations += report.evaluations;
  }
  CAPTURE(path_evaluations);
  CAPTURE(cold_evaluations);
  CHECK(path_evaluations < cold_evaluations);
}

TEST_CASE("fit_path: an uneven grid (nearly equal Cs, then a long step) keeps every point exact") {
  // C = 1 and 1 + 1e-9 differ mostly by their stopping error; extrapolating that difference over
  // log(1e4) unchecked would start the next fit far away (and overflow in float).
  Blobs data = make_blobs(300, 8, 3, 1.0, 19);
  for (double& value : data.features) value *= 10;
  const std::vector<double> Cs = {1.0, 1.0 + 1e-9, 1e4, 1e4 * (1 + 1e-12), 1e8};
  int path_evaluations = 0, cold_evaluations = 0;
  for (const bool in_float : {false, true}) {
    CAPTURE(in_float);
    const std::vector<float> as_float(data.features.begin(), data.features.end());
    const MatrixView<const float> float_view(as_float.data(), data.rows, data.cols);
    // The reference is the float data's optimum found in double: a float fit to tol 1e-10 at
    // C = 1e8 ends where line searches fail, at points whose float objective can read below the
    // true optimum (seen on SSE2: 0.449433 with a gradient norm of 0.013, against 0.449441).
    const std::vector<double> float_values(as_float.begin(), as_float.end());
    const MatrixView<const double> reference_view =
        in_float ? MatrixView<const double>(float_values.data(), data.rows, data.cols)
                 : data.view();
    const softmaxkit::PathResult path = in_float
                                            ? softmaxkit::fit_path(float_view, data.labels, Cs)
                                            : softmaxkit::fit_path(data.view(), data.labels, Cs);
    for (std::size_t i = 0; i < Cs.size(); ++i) {
      CAPTURE(Cs[i]);
      FitOptions at = tight_options();
      at.C = Cs[i];
      softmaxkit::SoftmaxRegression best(at);
      const double optimum = best.fit(reference_view, data.labels).objective;
      CHECK(std::isfinite(path.points[i].report.objective));
      CHECK(path.points[i].report.objective - optimum <= 1e-6 * std::abs(optimum) + 1e-12);
      FitOptions cold_options;
      cold_options.C = Cs[i];
      softmaxkit::SoftmaxRegression cold(cold_options);
      cold_evaluations += in_float ? cold.fit(float_view, data.labels).evaluations
                                   : cold.fit(data.view(), data.labels).evaluations;
      path_evaluations += path.points[i].report.evaluations;
    }
  }
  // The predictor may cost a little at the long step, but not more than fitting every C cold.
  CAPTURE(path_evaluations);
  CAPTURE(cold_evaluations);
  CHECK(path_evaluations <= cold_evaluations);
}

TEST_CASE("log_grid: numpy.logspace values, exact ends") {
  const std::vector<double> grid = softmaxkit::log_grid(1e-4, 1e4, 9);
  REQUIRE(grid.size() == 9);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    CHECK(grid[i] ==
          doctest::Approx(static_cast<double>(std::pow(10.0L, -4.0L + static_cast<long double>(i))))
              .epsilon(1e-14));
  }
  CHECK(grid.front() == 1e-4);
  CHECK(grid.back() == 1e4);
  CHECK(softmaxkit::log_grid(3.0, 5.0, 1) == std::vector<double>{3.0});
  // Every value inside the bounds: equal bounds give copies (10^log10(5) is 5.000000000000001),
  // and bounds an ulp apart, either way round, stay between them.
  CHECK(softmaxkit::log_grid(5.0, 5.0, 3) == std::vector<double>(3, 5.0));
  for (const double low : {5.0, 0.1, 3e-300, 7e307}) {
    const double high = std::nextafter(low, 1e308);
    for (const auto& [a, b] : {std::pair{low, high}, std::pair{high, low}}) {
      for (const double value : softmaxkit::log_grid(a, b, 7)) {
        CHECK(value >= std::min(a, b));
        CHECK(value <= std::max(a, b));
      }
    }
  }
  // The count's bound, both sides of it (INT_MAX used to allocate 16 GiB).
  CHECK(softmaxkit::log_grid(1e-4, 1e4, softmaxkit::max_grid_count).size() ==
        static_cast<std::size_t>(softmaxkit::max_grid_count));
  for (const int count : {0, -1, softmaxkit::max_grid_count + 1, 2147483647}) {
    const std::string expected = "log_grid: count is " + std::to_string(count);
    CHECK_THROWS_WITH_AS(softmaxkit::log_grid(1e-4, 1e4, count),
                         doctest::Contains(expected.c_str()), softmaxkit::Error);
  }
}

TEST_CASE("stratified_folds: a partition, stratified, balanced and deterministic") {
  const Blobs data = make_blobs(203, 2, 4, 1.0, 3);  // class counts 30, 45, 58, 70
  for (const int k : {2, 3, 5, 10}) {
    CAPTURE(k);
    const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, k, 42);
    REQUIRE(folds.size() == static_cast<std::size_t>(k));
    std::vector<int> seen(data.rows, 0);
    std::size_t smallest = data.rows, largest = 0;
    for (const Fold& fold : folds) {
      CHECK(std::is_sorted(fold.test.begin(), fold.test.end()));
      CHECK(std::is_sorted(fold.train.begin(), fold.train.end()));
      CHECK(fold.train.size() + fold.test.size() == data.rows);
      std::set<std::size_t> test(fold.test.begin(), fold.test.end());
      for (std::size_t row : fold.train) CHECK(test.count(row) == 0);
      for (std::size_t row : fold.test) ++seen[row];
      smallest = std::min(smallest, fold.test.size());
      largest = std::max(largest, fold.test.size());
      for (std::int32_t label : {-3, 2, 7, 12}) {
        const auto in_class =
            static_cast<std::size_t>(std::count(data.labels.begin(), data.labels.end(), label));
        std::size_t in_fold = 0;
        for (std::size_t row : fold.test) in_fold += data.labels[row] == label;
        CHECK(in_fold >= in_class / static_cast<std::size_t>(k));
        CHECK(in_fold <=
              (in_class + static_cast<std::size_t>(k) - 1) / static_cast<std::size_t>(k));
      }
    }
    CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
    CHECK(largest - smallest <= 1);
    const std::vector<Fold> again = softmaxkit::stratified_folds(data.labels, k, 42);
    const std::vector<Fold> other = softmaxkit::stratified_folds(data.labels, k, 43);
    bool all_same = true, any_differs = false;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      all_same = all_same && again[f].test == folds[f].test && again[f].train == folds[f].train;
      any_differs = any_differs || other[f].test != folds[f].test;
    }
    CHECK(all_same);
    CHECK(any_differs);
  }
}

TEST_CASE("stratified_folds: fixed output for a fixed seed (the same on every machine)") {
  // splitmix64 + Fisher-Yates written out here again: an independent transcription of the
  // documented algorithm.
  const std::vector<std::int32_t> labels = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  std::uint64_t state = 5;
  auto next = [&] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  std::vector<std::vector<std::size_t>> expected(3);
  std::size_t position = 0;
  for (std::size_t c = 0; c < 2; ++c) {
    std::vector<std::size_t> rows;
    for (std::size_t i = c; i < 10; i += 2) rows.push_back(i);
    for (std::size_t i = rows.size() - 1; i > 0; --i) std::swap(rows[i], rows[next() % (i + 1)]);
    for (std::size_t row : rows) expected[position++ % 3].push_back(row);
  }
  const std::vector<Fold> folds = softmaxkit::stratified_folds(labels, 3, 5);
  for (std::size_t f = 0; f < 3; ++f) {
    std::sort(expected[f].begin(), expected[f].end());
    CHECK(folds[f].test == expected[f]);
  }
}

TEST_CASE("cross_validate: scores equal a separate cold fit scored on the held-out rows") {
  const Blobs data = make_blobs(240, 6, 3, 1.0, 5);
  const std::vector<double> Cs = {1e-3, 1e-2, 0.1, 1.0, 10.0};
  CvOptions cv;
  cv.folds = 4;
  cv.seed = 9;
  std::size_t progress_calls = 0;
  cv.progress = [&](const softmaxkit::CvProgress& p) {
    ++progress_calls;
    CHECK(p.done == progress_calls);
    CHECK(p.total == 20);
    CHECK(p.C == Cs[p.c_index]);
  };
  const CvResult result =
      softmaxkit::cross_validate(data.view(), data.labels, Cs, tight_options(), cv);
  CHECK(progress_calls == 20);
  REQUIRE(result.scores.size() == 4);
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 4, 9);
  for (std::size_t f = 0; f < 4; ++f) {
    CHECK(result.folds[f].test == folds[f].test);
    std::vector<double> train, test;
    std::vector<std::int32_t> train_labels, test_labels;
    for (std::size_t row : folds[f].train) {
      train.insert(train.end(), data.features.begin() + static_cast<long>(row * data.cols),
                   data.features.begin() + static_cast<long>((row + 1) * data.cols));
      train_labels.push_back(data.labels[row]);
    }
    for (std::size_t row : folds[f].test) {
      test.insert(test.end(), data.features.begin() + static_cast<long>(row * data.cols),
                  data.features.begin() + static_cast<long>((row + 1) * data.cols));
      test_labels.push_back(data.labels[row]);
    }
    const MatrixView<const double> test_view(test.data(), test_labels.size(), data.cols);
    for (std::size_t c = 0; c < Cs.size(); ++c) {
      FitOptions options = tight_options();
      options.C = Cs[c];
      softmaxkit::SoftmaxRegression cold(options);
      cold.fit(MatrixView<const double>(train.data(), train_labels.size(), data.cols),
               train_labels);
      const std::vector<double> p = cold.predict_proba(test_view);
      long double loss = 0;
      for (std::size_t i = 0; i < test_labels.size(); ++i) {
        const auto k = static_cast<std::size_t>((test_labels[i] + 3) / 5);
        loss -= std::log(static_cast<long double>(p[i * 3 + k]));
      }
      loss /= static_cast<long double>(test_labels.size());
      CAPTURE(f);
      CAPTURE(Cs[c]);
      CHECK(result.scores[f][c].log_loss ==
            doctest::Approx(static_cast<double>(loss)).epsilon(1e-6));
      CHECK(std::abs(result.scores[f][c].accuracy - cold.score(test_view, test_labels)) <=
            1.0 / static_cast<double>(test_labels.size()) + 1e-12);
    }
  }
  // Means, deviations and the choice, recomputed from the table.
  std::size_t best = 0;
  for (std::size_t c = 0; c < Cs.size(); ++c) {
    long double mean = 0, squares = 0;
    for (std::size_t f = 0; f < 4; ++f) mean += result.scores[f][c].accuracy;
    mean /= 4;
    for (std::size_t f = 0; f < 4; ++f) {
      squares += (result.scores[f][c].accuracy - mean) * (result.scores[f][c].accuracy - mean);
    }
    CHECK(result.mean_accuracy[c] == doctest::Approx(static_cast<double>(mean)).epsilon(1e-14));
    CHECK(result.std_accuracy[c] ==
          doctest::Approx(static_cast<double>(std::sqrt(squares / 4))).epsilon(1e-12));
    if (result.mean_accuracy[c] > result.mean_accuracy[best]) best = c;  // Cs ascending
  }
  CHECK(result.best_index == best);
  CHECK(result.best_C == Cs[best]);
  REQUIRE(result.model.has_value());
  CHECK(result.model->effective_l2() == doctest::Approx(1.0 / (Cs[best] * 240.0)));
}

// The folds of a search share its scratch buffers (solvers/scratch_pool.hpp), each taken back
// with what the fit before left in it; fit_path on a fold's rows alone starts with none. The
// shape makes the structured metric's buffers large enough to be kept: its class sample (every
// training row: about 1800 x 24) and its subspace Hessian (K r = 240); 2701 rows make the folds'
// sizes differ, so the later folds ask for other sizes than the buffers they find.
TEST_CASE("cross_validate: each fold's fits have the bits of fit_path on that fold's rows") {
  const Blobs data = make_blobs(2701, 24, 10, 0.6, 17);
  const std::vector<double> Cs = softmaxkit::log_grid(1e-2, 1e2, 4);
  FitOptions options;
  options.threads = 2;
  CvOptions cv;
  cv.folds = 3;
  cv.refit = false;
  cv.keep_coefficients = true;
  const CvResult result = softmaxkit::cross_validate(data.view(), data.labels, Cs, options, cv);
  CHECK(result.folds[0].train.size() != result.folds[2].train.size());
  for (std::size_t f = 0; f < 3; ++f) {
    CAPTURE(f);
    std::vector<double> train;
    std::vector<std::int32_t> train_labels;
    for (std::size_t row : result.folds[f].train) {
      train.insert(train.end(), data.features.begin() + static_cast<long>(row * data.cols),
                   data.features.begin() + static_cast<long>((row + 1) * data.cols));
      train_labels.push_back(data.labels[row]);
    }
    const softmaxkit::PathResult path =
        softmaxkit::fit_path(MatrixView<const double>(train.data(), train_labels.size(), data.cols),
                             train_labels, Cs, options);
    for (std::size_t c = 0; c < Cs.size(); ++c) {
      CAPTURE(Cs[c]);
      const softmaxkit::FitReport& in_cv = result.scores[f][c].report;
      const softmaxkit::FitReport& alone = path.points[c].report;
      CHECK(std::memcmp(&in_cv.objective, &alone.objective, sizeof(double)) == 0);
      CHECK(std::memcmp(&in_cv.gradient_norm, &alone.gradient_norm, sizeof(double)) == 0);
      CHECK(in_cv.iterations == alone.iterations);
      CHECK(in_cv.metric == alone.metric);
      // keep_coefficients: the fit's coefficients, the same bits.
      CHECK(same_bits(result.scores[f][c].weights, path.points[c].weights));
      CHECK(same_bits(result.scores[f][c].intercept, path.points[c].intercept));
    }
    // The shape reaches the subspace (its Hessian is one of the kept buffers).
    CHECK(path.points.back().report.metric.find("subspace") != std::string::npos);
  }
}

TEST_CASE("cross_validate: ties go to the smaller C; log_loss scoring picks the smallest loss") {
  // Well separated: every C in the grid classifies every held-out row, so accuracy ties.
  const Blobs data = make_blobs(120, 4, 2, 8.0, 1);
  const std::vector<double> Cs = {10.0, 1.0, 0.5, 100.0};
  CvOptions cv;
  cv.folds = 3;
  cv.refit = false;
  const CvResult result =
      softmaxkit::cross_validate(data.view(), data.labels, Cs, tight_options(), cv);
  for (double mean : result.mean_accuracy) REQUIRE(mean == 1.0);
  CHECK(result.best_C == 0.5);
  CHECK(result.best_index == 2);
  CHECK_FALSE(result.model.has_value());
  cv.scoring = softmaxkit::CvScoring::log_loss;
  const CvResult by_loss =
      softmaxkit::cross_validate(data.view(), data.labels, Cs, tight_options(), cv);
  const auto smallest = static_cast<std::size_t>(
      std::min_element(by_loss.mean_log_loss.begin(), by_loss.mean_log_loss.end()) -
      by_loss.mean_log_loss.begin());
  CHECK(by_loss.best_index == smallest);
}

TEST_CASE("cross_validate: a held-out row with NaN probabilities is an Error naming it") {
  // Its logits overflow (features of +-1e308), so its probabilities are NaN: accuracy scored it
  // as the first class and the log-loss was NaN; predict and score name such a row, and the
  // search names its fold, position, row and C, in both scorings, dense and CSR.
  Blobs data = make_blobs(60, 4, 3, 2.0, 11);
  for (std::size_t j = 0; j < data.cols; ++j)
    data.features[57 * data.cols + j] = j % 2 == 0 ? 1e308 : -1e308;
  std::vector<Fold> folds(1);
  for (std::size_t i = 0; i < data.rows; ++i)
    (i < 50 ? folds[0].train : folds[0].test).push_back(i);
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t j = 0; j < data.cols; ++j) columns.push_back(static_cast<std::int32_t>(j));
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  const softmaxkit::CsrMatrixView<double> sparse(data.rows, data.cols, offsets, columns,
                                                 data.features);
  const std::vector<double> Cs = {10.0};
  for (const auto scoring : {softmaxkit::CvScoring::accuracy, softmaxkit::CvScoring::log_loss}) {
    CvOptions cv;
    cv.scoring = scoring;
    const std::string message =
        "cross_validate: folds[0].test[7] (row 57) has NaN class "
        "probabilities at C = 10";
    check_throws_naming(
        [&] {
          softmaxkit::cross_validate(data.view(), data.labels, Cs, folds, tight_options(), cv);
        },
        message);
    check_throws_naming(
        [&] { softmaxkit::cross_validate(sparse, data.labels, Cs, folds, tight_options(), cv); },
        message);
  }
}

TEST_CASE("fit_path and cross_validate: bitwise identical for 1, 2 and 3 threads") {
  const Blobs data = make_blobs(600, 12, 4, 0.8, 21);
  const std::vector<float> features(data.features.begin(), data.features.end());
  const MatrixView<const float> view(features.data(), data.rows, data.cols);
  const std::vector<double> Cs = softmaxkit::log_grid(1e-3, 1e1, 5);
  FitOptions options;  // the default tolerance: the stopping point must not depend on threads
  options.threads = 1;
  CvOptions cv;
  cv.folds = 3;
  const softmaxkit::PathResult path_one = softmaxkit::fit_path(view, data.labels, Cs, options);
  const CvResult one = softmaxkit::cross_validate(view, data.labels, Cs, options, cv);
  for (const int threads : {2, 3}) {
    CAPTURE(threads);
    options.threads = threads;
    const softmaxkit::PathResult path = softmaxkit::fit_path(view, data.labels, Cs, options);
    for (std::size_t c = 0; c < Cs.size(); ++c) {
      CHECK(same_bits(path.points[c].weights, path_one.points[c].weights));
      CHECK(same_bits(path.points[c].intercept, path_one.points[c].intercept));
      CHECK(path.points[c].report.iterations == path_one.points[c].report.iterations);
    }
    const CvResult other = softmaxkit::cross_validate(view, data.labels, Cs, options, cv);
    for (std::size_t f = 0; f < 3; ++f) {
      for (std::size_t c = 0; c < Cs.size(); ++c) {
        CHECK(other.scores[f][c].accuracy == one.scores[f][c].accuracy);
        CHECK(std::memcmp(&other.scores[f][c].log_loss, &one.scores[f][c].log_loss,
                          sizeof(double)) == 0);
      }
    }
    CHECK(same_bits(other.mean_log_loss, one.mean_log_loss));
    CHECK(other.best_index == one.best_index);
    CHECK(same_bits(other.model->weights(), one.model->weights()));
    CHECK(same_bits(other.model->intercept(), one.model->intercept()));
  }
}

TEST_CASE("fit_path, stratified_folds, cross_validate, log_grid: bad arguments name themselves") {
  const Blobs data = make_blobs(60, 3, 3, 2.0, 2);  // class counts 14, 21, 25
  const std::vector<double> good = {0.1, 1.0};
  const FitOptions options;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::vector<double>& Cs :
       std::vector<std::vector<double>>{{}, {0.0}, {1.0, -1.0}, {nan}, {1.0, inf}}) {
    const std::string fragment = Cs.empty() ? "Cs is empty" : "Cs[";
    check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, Cs, options); },
                        "fit_path: " + fragment);
    check_throws_naming([&] { softmaxkit::cross_validate(data.view(), data.labels, Cs, options); },
                        "cross_validate: " + fragment);
  }
  check_throws_naming(
      [&] {
        softmaxkit::fit_path(data.view(), data.labels, std::vector<double>{1.0, nan});
      },
      "Cs[1] is nan");
  FitOptions early = options;
  early.validation_fraction = 0.2;
  check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, good, early); },
                      "options.validation_fraction");
  // Every option fit checks is named as the search's (they named SoftmaxRegression::fit, which
  // the caller never called), and so is a single class.
  const std::vector<std::pair<std::function<void(FitOptions&)>, std::string>> bad_options = {
      {[](FitOptions& o) { o.threads = -1; }, "options.threads is -1 (must be in [0, "},
      {[nan](FitOptions& o) { o.tolerance = nan; }, "options.tolerance must be finite and > 0"},
      {[](FitOptions& o) { o.max_iterations = -1; }, "options.max_iterations must be >= 0"},
      {[inf](FitOptions& o) { o.reference_gradient_norm = inf; },
       "options.reference_gradient_norm must be finite and >= 0"},
      {[nan](FitOptions& o) { o.l1 = nan; }, "options.l1 must be finite and >= 0"},
      {[](FitOptions& o) {
         o.l1 = 1e-3;
         o.solver = softmaxkit::SolverKind::structured;
       },
       "options.l1 needs the lbfgs solver (OWL-QN)"},
      {[](FitOptions& o) { o.patience = 0; }, "options.patience must be >= 1"},
  };
  for (const auto& [spoil, message] : bad_options) {
    FitOptions bad = options;
    spoil(bad);
    check_throws_naming([&] { softmaxkit::fit_path(data.view(), data.labels, good, bad); },
                        "fit_path: " + message);
    check_throws_naming([&] { softmaxkit::cross_validate(data.view(), data.labels, good, bad); },
                        "cross_validate: " + message);
  }
  const std::vector<std::int32_t> single_class(data.labels.size(), 2);
  check_throws_naming([&] { softmaxkit::fit_path(data.view(), single_class, good, options); },
                      "fit_path: labels hold fewer than 2 classes");
  for (const int k : {-1, 0, 1}) {
    check_throws_naming([&] { softmaxkit::stratified_folds(data.labels, k); },
                        "stratified_folds: k is " + std::to_string(k));
    CvOptions cv;
    cv.folds = k;
    check_throws_naming(
        [&] { softmaxkit::cross_validate(data.view(), data.labels, good, options, cv); },
        "cross_validate: cv.folds is " + std::to_string(k) + " (must be >= 2)");
  }
  check_throws_naming([&] { softmaxkit::stratified_folds(data.labels, 15); },
                      "stratified_folds: k is 15 but class -3 has only 14 rows");
  CvOptions fifteen;
  fifteen.folds = 15;
  check_throws_naming(
      [&] { softmaxkit::cross_validate(data.view(), data.labels, good, options, fifteen); },
      "cross_validate: cv.folds is 15 but class -3 has only 14 rows (cv.folds must not exceed");
  CHECK_NOTHROW(softmaxkit::stratified_folds(data.labels, 14));
  check_throws_naming([&] { softmaxkit::stratified_folds(std::vector<std::int32_t>{}, 2); },
                      "labels is empty");

  // Explicit folds.
  std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3);
  check_throws_naming(
      [&] { softmaxkit::cross_validate(data.view(), data.labels, good, std::vector<Fold>{}); },
      "folds is empty");
  std::vector<Fold> bad = folds;
  bad[1].train.push_back(60);
  check_throws_naming([&] { softmaxkit::cross_validate(data.view(), data.labels, good, bad); },
                      "folds[1].train[");
  bad = folds;
  bad[2].test.clear();
  check_throws_naming([&] { softmaxkit::cross_validate(data.view(), data.labels, good, bad); },
                      "folds[2].test is empty");
  bad = folds;
  std::erase_if(bad[0].train, [&](std::size_t row) { return data.labels[row] == 2; });
  check_throws_naming([&] { softmaxkit::cross_validate(data.view(), data.labels, good, bad); },
                      "folds[0].train has no row of class 2");
  const std::vector<std::int32_t> short_labels(data.labels.begin(), data.labels.end() - 1);
  check_throws_naming([&] { softmaxkit::cross_validate(data.view(), short_labels, good, folds); },
                      "labels has 59 entries");
  const std::vector<std::int32_t> one_class(data.rows, 4);
  check_throws_naming([&] { softmaxkit::cross_validate(data.view(), one_class, good, folds); },
                      "fewer than 2 classes");

  check_throws_naming([] { softmaxkit::log_grid(0.0, 1.0, 3); }, "log_grid: low is 0");
  check_throws_naming([&] { softmaxkit::log_grid(1.0, inf, 3); }, "log_grid: high is inf");
  check_throws_naming([] { softmaxkit::log_grid(1.0, 2.0, 0); }, "log_grid: count is 0");
}
