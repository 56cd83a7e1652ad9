// SoftmaxRegression end to end on small synthetic problems, against an independent dense Newton
// solve in double (finite-difference Hessian of a hand-written gradient), plus L1, files,
// determinism, warm start, early stopping and bad options.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "model/validation_split.hpp"
#include "softmaxkit/softmaxkit.hpp"
#include "test_files.hpp"

namespace {

struct Synthetic {
  std::size_t rows, cols, classes;
  std::vector<double> features;
  std::vector<std::int32_t> labels;
  softmaxkit::MatrixView<const double> view() const { return {features.data(), rows, cols}; }
  std::vector<float> features_float() const { return {features.begin(), features.end()}; }
};

// Gaussian blobs; `separation` large makes them (almost surely) separable.
Synthetic make_blobs(std::size_t rows, std::size_t cols, std::size_t classes, double separation,
                     unsigned seed) {
  Synthetic data{rows, cols, classes, {}, {}};
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto label = static_cast<std::int32_t>(i % classes);
    for (std::size_t j = 0; j < cols; ++j) {
      const double center = (j % classes == static_cast<std::size_t>(label)) ? separation : 0.0;
      data.features.push_back(center + noise(generator));
    }
    data.labels.push_back(label * 3 + 1);  // labels need not be 0..K-1
  }
  return data;
}

// The objective and gradient written out directly from the definition, in long double.
double reference_objective(const Synthetic& data, const std::vector<double>& x, double l2,
                           std::vector<double>* gradient) {
  const std::size_t n = data.cols, k_count = data.classes;
  long double total = 0;
  std::vector<long double> g(x.size(), 0.0L);
  for (std::size_t i = 0; i < data.rows; ++i) {
    std::vector<long double> z(k_count);
    long double maximum = -INFINITY;
    for (std::size_t k = 0; k < k_count; ++k) {
      z[k] = x[k_count * n + k];
      for (std::size_t j = 0; j < n; ++j) z[k] += x[k * n + j] * data.features[i * n + j];
      maximum = std::max(maximum, z[k]);
    }
    long double sum = 0;
    for (std::size_t k = 0; k < k_count; ++k) sum += std::exp(z[k] - maximum);
    const long double log_sum = maximum + std::log(sum);
    const auto y = static_cast<std::size_t>((data.labels[i] - 1) / 3);
    total += log_sum - z[y];
    for (std::size_t k = 0; k < k_count; ++k) {
      const long double residual = std::exp(z[k] - log_sum) - (k == y ? 1.0L : 0.0L);
      for (std::size_t j = 0; j < n; ++j) g[k * n + j] += residual * data.features[i * n + j];
      g[k_count * n + k] += residual;
    }
  }
  const auto m = static_cast<long double>(data.rows);
  long double penalty = 0;
  for (std::size_t q = 0; q < k_count * n; ++q) penalty += static_cast<long double>(x[q]) * x[q];
  if (gradient) {
    gradient->resize(x.size());
    for (std::size_t q = 0; q < x.size(); ++q)
      (*gradient)[q] = static_cast<double>(g[q] / m + (q < k_count * n ? l2 * x[q] : 0.0));
  }
  return static_cast<double>(total / m + 0.5L * l2 * penalty);
}

// Newton's method with a finite-difference Hessian and Gaussian elimination: slow, simple, and
// shares no code with the library.
double independent_minimum(const Synthetic& data, double l2) {
  const std::size_t size = data.classes * data.cols + data.classes;
  std::vector<double> x(size, 0.0), g, g_plus, g_minus;
  for (int iteration = 0; iteration < 50; ++iteration) {
    reference_objective(data, x, l2, &g);
    double norm = 0;
    for (double v : g) norm += v * v;
    if (std::sqrt(norm) < 1e-12) break;
    std::vector<std::vector<double>> hessian(size, std::vector<double>(size + 1));
    const double h = 1e-5;
    for (std::size_t c = 0; c < size; ++c) {
      std::vector<double> shifted = x;
      shifted[c] += h;
      reference_objective(data, shifted, l2, &g_plus);
      shifted[c] -= 2 * h;
      reference_objective(data, shifted, l2, &g_minus);
      for (std::size_t r = 0; r < size; ++r) hessian[r][c] = (g_plus[r] - g_minus[r]) / (2 * h);
    }
    // The softmax Hessian is singular along "add a constant to every class"; a tiny ridge fixes
    // the step without changing the minimum's value.
    for (std::size_t r = 0; r < size; ++r) {
      hessian[r][r] += 1e-10;
      hessian[r][size] = -g[r];
    }
    for (std::size_t p = 0; p < size; ++p) {
      std::size_t pivot = p;
      for (std::size_t r = p + 1; r < size; ++r)
        if (std::fabs(hessian[r][p]) > std::fabs(hessian[pivot][p])) pivot = r;
      std::swap(hessian[p], hessian[pivot]);
      for (std::size_t r = p + 1; r < size; ++r) {
        const double factor = hessian[r][p] / hessian[p][p];
        for (std::size_t c = p; c <= size; ++c) hessian[r][c] -= factor * hessian[p][c];
      }
    }
    std::vector<double> step(size);
    for (std::size_t p = size; p-- > 0;) {
      double value = hessian[p][size];
      for (std::size_t c = p + 1; c < size; ++c) value -= hessian[p][c] * step[c];
      step[p] = value / hessian[p][p];
    }
    for (std::size_t q = 0; q < size; ++q) x[q] += step[q];
  }
  return reference_objective(data, x, l2, nullptr);
}

std::vector<double> model_parameters(const softmaxkit::SoftmaxRegression& model) {
  std::vector<double> x = model.weights();
  x.insert(x.end(), model.intercept().begin(), model.intercept().end());
  return x;
}

}  // namespace

TEST_CASE("fit reaches the optimum of an independent double-precision solve") {
  for (double separation : {0.7, 4.0}) {  // overlapping and separable blobs
    for (double l2 : {1e-2, 1e-1}) {      // separable data needs the penalty for a minimum
      const Synthetic data = make_blobs(240, 3, 3, separation, 11);
      const double expected = independent_minimum(data, l2);
      for (auto solver : {softmaxkit::SolverKind::lbfgs, softmaxkit::SolverKind::newton_cg}) {
        softmaxkit::FitOptions options;
        options.l2 = l2;
        options.solver = solver;
        options.tolerance = 1e-7;  // near 1e-8 the line search meets double rounding
        softmaxkit::SoftmaxRegression model(options);
        const auto report = model.fit(data.view(), data.labels);
        INFO("separation " << separation << " l2 " << l2 << " solver " << static_cast<int>(solver));
        CHECK(report.reason == softmaxkit::StopReason::converged);
        CHECK(report.gradient_norm <= 1e-7 * std::max(1.0, report.initial_gradient_norm));
        CHECK(report.objective == doctest::Approx(expected).epsilon(1e-9));
        std::vector<double> gradient;
        const double at_model = reference_objective(data, model_parameters(model), l2, &gradient);
        CHECK(at_model == doctest::Approx(expected).epsilon(1e-9));
        double norm = 0;
        for (double v : gradient) norm += v * v;
        CHECK(std::sqrt(norm) < 1e-6);
      }
    }
  }
}

TEST_CASE("float data trains to the same optimum within float accuracy") {
  const Synthetic data = make_blobs(300, 4, 3, 1.0, 5);
  const std::vector<float> features = data.features_float();
  softmaxkit::FitOptions options;
  options.l2 = 0.05;
  options.tolerance = 1e-6;
  softmaxkit::SoftmaxRegression model(options);
  const auto report = model.fit(
      softmaxkit::MatrixView<const float>(features.data(), data.rows, data.cols), data.labels);
  Synthetic rounded = data;
  rounded.features.assign(features.begin(), features.end());
  CHECK(report.objective == doctest::Approx(independent_minimum(rounded, 0.05)).epsilon(1e-5));
}

TEST_CASE("the C convention means lambda = 1 / (C m)") {
  const Synthetic data = make_blobs(200, 3, 2, 1.0, 3);
  softmaxkit::FitOptions options;
  options.C = 2.0;
  softmaxkit::SoftmaxRegression model(options);
  model.fit(data.view(), data.labels);
  CHECK(model.effective_l2() == doctest::Approx(1.0 / (2.0 * 200)));
}

TEST_CASE("L1 gives exact zeros that satisfy the optimality conditions") {
  const Synthetic data = make_blobs(300, 8, 3, 1.5, 9);
  const double l1 = 0.05;
  softmaxkit::FitOptions options;
  options.l1 = l1;
  options.tolerance = 1e-9;
  options.max_iterations = 5000;
  softmaxkit::SoftmaxRegression model(options);
  model.fit(data.view(), data.labels);
  std::vector<double> gradient;
  reference_objective(data, model_parameters(model), 0.0, &gradient);
  std::size_t zeros = 0;
  for (std::size_t q = 0; q < model.weights().size(); ++q) {
    const double w = model.weights()[q];
    if (w == 0.0) {
      ++zeros;
      CHECK(std::fabs(gradient[q]) <= l1 + 1e-6);  // 0 is in the subdifferential
    } else {
      CHECK(gradient[q] + l1 * (w > 0 ? 1.0 : -1.0) == doctest::Approx(0.0).epsilon(1e-5).scale(1));
    }
  }
  CHECK(zeros >= 6);  // the 8 - 3 noise features per class are mostly switched off
}

// The norm of the minimum-norm subgradient of J + l1 |W|_1 (the intercept unpenalised), from a
// long-double gradient of the smooth part J (l2 included).
double pseudo_gradient_norm(const Synthetic& data, const std::vector<double>& x, double l2,
                            double l1) {
  std::vector<double> gradient;
  reference_objective(data, x, l2, &gradient);
  const std::size_t penalised = data.classes * data.cols;
  long double sum = 0;
  for (std::size_t q = 0; q < x.size(); ++q) {
    long double g = gradient[q];
    if (q < penalised) {
      if (x[q] > 0) {
        g += l1;
      } else if (x[q] < 0) {
        g -= l1;
      } else {
        g = g > l1 ? g - l1 : (g < -l1 ? g + l1 : 0.0L);
      }
    }
    sum += g * g;
  }
  return static_cast<double>(std::sqrt(sum));
}

TEST_CASE("an L1 fit reports the pseudo-gradient norm its stopping rule tests, at the start too") {
  // FitReport::initial_gradient_norm was the smooth gradient's norm while OWL-QN's rule (and
  // FitReport::gradient_norm) used the pseudo-gradient's: from a warm start at the l2 optimum the
  // report said 5e-7 where the rule saw 2.4, and a fit given it as reference_gradient_norm (as
  // model.hpp advises) stopped on another threshold than the cold fit.
  const Synthetic data = make_blobs(200, 6, 3, 1.5, 19);
  const double l2 = 0.01, l1 = 0.05;
  softmaxkit::SoftmaxRegression model(
      softmaxkit::FitOptions{.l2 = l2, .tolerance = 1e-10, .max_iterations = 5000});
  model.fit(data.view(), data.labels);
  model.options().l1 = l1;
  model.options().warm_start = true;
  model.options().max_iterations = 0;
  const std::vector<double> start = model_parameters(model);
  const softmaxkit::FitReport at_start = model.fit(data.view(), data.labels);
  const double expected = pseudo_gradient_norm(data, start, l2, l1);
  // Every weight is nonzero and the smooth gradient ~0: the l1 term is the whole pseudo-gradient.
  CHECK(expected == doctest::Approx(l1 * std::sqrt(18.0)).epsilon(1e-6));
  CHECK(at_start.initial_gradient_norm == doctest::Approx(expected).epsilon(1e-9));
  CHECK(at_start.gradient_norm == doctest::Approx(expected).epsilon(1e-9));

  // A cold L1 fit: converged means the rule held against the reported initial norm, and both
  // reported norms are the independent pseudo-gradient's at their points.
  softmaxkit::FitOptions cold_options{.l2 = l2, .l1 = l1, .tolerance = 1e-6};
  softmaxkit::SoftmaxRegression cold(cold_options);
  const softmaxkit::FitReport report = cold.fit(data.view(), data.labels);
  REQUIRE(report.reason == softmaxkit::StopReason::converged);
  const std::vector<double> zero(start.size(), 0.0);
  CHECK(report.initial_gradient_norm ==
        doctest::Approx(pseudo_gradient_norm(data, zero, l2, l1)).epsilon(1e-9));
  CHECK(report.gradient_norm ==
        doctest::Approx(pseudo_gradient_norm(data, model_parameters(cold), l2, l1))
            .epsilon(1e-6)
            .scale(1e-12));
  CHECK(report.gradient_norm <= 1e-6 * std::max(1.0, report.initial_gradient_norm));
  // Given that norm as the reference, a warm fit from the cold one's result stops at once.
  cold.options().warm_start = true;
  cold.options().reference_gradient_norm = report.initial_gradient_norm;
  const softmaxkit::FitReport again = cold.fit(data.view(), data.labels);
  CHECK(again.reason == softmaxkit::StopReason::converged);
  CHECK(again.iterations == 0);
}

TEST_CASE("save then load round-trips bitwise, and predictions agree") {
  const Synthetic data = make_blobs(150, 4, 3, 2.0, 21);
  softmaxkit::SoftmaxRegression model(softmaxkit::FitOptions{.l2 = 0.01});
  model.fit(data.view(), data.labels);
  // A directory of its own: ctest runs this file's cases in several processes at once (the
  // suite_under_<isa> entries), which must not share a path.
  const softmaxkit::test::TempDir dir;
  const std::string path = dir.file("model.skm");
  model.save(path);
  const auto loaded = softmaxkit::SoftmaxRegression::load(path);
  CHECK(loaded.class_labels() == model.class_labels());
  CHECK(loaded.weights() == model.weights());  // bitwise: == on doubles, none are NaN
  CHECK(loaded.intercept() == model.intercept());
  CHECK(loaded.predict_proba(data.view()) == model.predict_proba(data.view()));
  CHECK(loaded.score(data.view(), data.labels) > 0.8);
}

TEST_CASE("save writes the last fit's l1 and intercept setting, not the options set since") {
  // save read options().l1 and options().fit_intercept: a model given the next fit's options
  // saved another l1 (a warm fit of the loaded model then used it), or, with fit_intercept
  // turned off over a fitted intercept, could not be saved at all.
  const Synthetic data = make_blobs(150, 4, 3, 2.0, 21);
  const std::vector<float> narrow = data.features_float();
  const softmaxkit::MatrixView<const float> narrow_view{narrow.data(), data.rows, data.cols};
  const softmaxkit::test::TempDir dir;
  for (const bool intercept : {true, false})
    for (const bool in_double : {true, false}) {
      CAPTURE(intercept);
      CAPTURE(in_double);
      softmaxkit::SoftmaxRegression model(
          softmaxkit::FitOptions{.l2 = 0.01, .fit_intercept = intercept});
      if (in_double) {
        model.fit(data.view(), data.labels);
      } else {
        model.fit(narrow_view, data.labels);
      }
      model.options().fit_intercept = !intercept;
      // A value no fit would take is not saved either.
      model.options().l1 = in_double ? 0.5 : std::numeric_limits<double>::quiet_NaN();
      const std::string path = dir.file(intercept ? "with.skm" : "without.skm");
      model.save(path);
      const auto loaded = softmaxkit::SoftmaxRegression::load(path);
      CHECK(loaded.options().l1 == 0.0);
      CHECK(loaded.options().fit_intercept == intercept);
      CHECK(loaded.effective_l2() == model.effective_l2());
      CHECK(loaded.weights() == model.weights());
      CHECK(loaded.intercept() == model.intercept());
      CHECK(loaded.predict_proba(data.view()) == model.predict_proba(data.view()));
      // The loaded model saves the same bytes again.
      const std::string again = dir.file("again.skm");
      loaded.save(again);
      CHECK(softmaxkit::test::read_bytes(again) == softmaxkit::test::read_bytes(path));
    }
}

TEST_CASE("training is bitwise reproducible for any number of threads") {
  const Synthetic data = make_blobs(5000, 20, 4, 0.8, 33);
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2, 3}) {
    softmaxkit::SoftmaxRegression model(softmaxkit::FitOptions{.l2 = 1e-3, .threads = threads});
    model.fit(data.view(), data.labels);
    results.push_back(model_parameters(model));
  }
  CHECK(results[0] == results[1]);
  CHECK(results[0] == results[2]);
}

TEST_CASE("warm start from a converged model needs almost no work") {
  const Synthetic data = make_blobs(400, 5, 3, 1.0, 2);
  softmaxkit::SoftmaxRegression model(softmaxkit::FitOptions{.l2 = 0.01, .tolerance = 1e-7});
  const auto first = model.fit(data.view(), data.labels);
  model.options().warm_start = true;
  const auto second = model.fit(data.view(), data.labels);
  CHECK(second.evaluations <= 3);
  CHECK(second.evaluations < first.evaluations);
  CHECK(second.objective == doctest::Approx(first.objective).epsilon(1e-10));
}

TEST_CASE("a warm start far from centred reaches the optimum at a tiny penalty") {
  // Shifting a column of W by c over all classes leaves the loss unchanged and adds
  // lambda K c^2 / 2 to the penalty. At lambda = 1e-7 (below 1e-6 of every column's second
  // moment, where the structured metric projects the all-classes directions out) a start
  // shifted by 30..34 kept that excess, 1.0e-3 here; the fit now centres the start there.
  // L-BFGS and Newton-CG reduce it themselves (in double; a float L-BFGS fit ends its line
  // search at the float objective's rounding, before it has).
  const Synthetic data = make_blobs(300, 5, 4, 0.6, 12);
  const std::vector<float> single = data.features_float();
  const softmaxkit::MatrixView<const float> single_view{single.data(), data.rows, data.cols};
  softmaxkit::test::TempDir dir;
  const std::string path = (dir.path() / "shifted.model").string();
  for (auto kind : {softmaxkit::SolverKind::structured, softmaxkit::SolverKind::lbfgs,
                    softmaxkit::SolverKind::newton_cg}) {
    for (bool in_double : {true, false}) {
      if (!in_double && kind != softmaxkit::SolverKind::structured) continue;
      CAPTURE(static_cast<int>(kind));
      CAPTURE(in_double);
      softmaxkit::FitOptions options{.l2 = 1e-7, .tolerance = 1e-7};
      options.solver = kind;
      auto fit = [&](softmaxkit::SoftmaxRegression& model) {
        return in_double ? model.fit(data.view(), data.labels)
                         : model.fit(single_view, data.labels);
      };
      softmaxkit::SoftmaxRegression cold(options);
      const auto cold_report = fit(cold);
      cold.save(path);
      softmaxkit::ModelFileContents shifted = softmaxkit::load_model_file(path);
      for (std::size_t k = 0; k < shifted.num_classes; ++k)
        for (std::size_t j = 0; j < shifted.num_features; ++j)
          shifted.weights[k * shifted.num_features + j] += 30.0 + static_cast<double>(j);
      softmaxkit::save_model_file(path, shifted);
      softmaxkit::SoftmaxRegression warm = softmaxkit::SoftmaxRegression::load(path);
      warm.options() = options;
      warm.options().warm_start = true;
      const auto warm_report = fit(warm);
      CHECK(warm_report.reason != softmaxkit::StopReason::nan);
      // The same optimum as the cold fit's (float: within its objective's rounding).
      CHECK(warm_report.objective <= cold_report.objective + (in_double ? 1e-9 : 1e-6));
    }
  }
}

TEST_CASE("a huge penalty leaves the intercept at the class log-frequencies (closed form)") {
  // As lambda grows, W -> 0 and the optimum's probabilities are the class frequencies: the
  // objective tends to the labels' entropy (the penalty and the loss's W terms are O(1 / lambda)).
  // The structured solver's metric put a ridge of 1e-3 lambda on the intercept, so at C = 1e-30
  // (lambda = 1e28) it ended no_progress at uniform probabilities (J = log 3) with a gradient
  // norm of 2.7e6; Newton-CG was right.
  Synthetic data = make_blobs(100, 4, 3, 1.0, 21);
  const double frequency[3] = {0.5, 0.3, 0.2};
  for (std::size_t i = 0; i < data.rows; ++i) data.labels[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
  double entropy = 0;
  for (double f : frequency) entropy -= f * std::log(f);
  const std::vector<float> narrow(data.features.begin(), data.features.end());
  for (double C : {1e-30, 1e-20, 1e-12}) {
    for (auto solver : {softmaxkit::SolverKind::structured, softmaxkit::SolverKind::newton_cg}) {
      CAPTURE(C);
      CAPTURE(static_cast<int>(solver));
      // Double data: converged, the closed form to the tolerance. The optimum lies below the
      // entropy by about |g_W|^2 / (2 lambda) <= 1 / lambda (g_W: the loss's W gradient at
      // W = 0). Newton-CG at a tight tolerance; the structured solver at the default one (at
      // 1e-10 its line search cannot see W's steps in f at lambda = 1e28: no_progress).
      const bool newton = solver == softmaxkit::SolverKind::newton_cg;
      softmaxkit::FitOptions options;
      options.C = C;
      options.solver = solver;
      options.tolerance = newton ? 1e-10 : 1e-6;
      softmaxkit::SoftmaxRegression model(options);
      const auto report = model.fit(data.view(), data.labels);
      CHECK(report.reason == softmaxkit::StopReason::converged);
      CHECK(std::abs(report.objective - entropy) <= 1e-12 + C * 100);
      const std::vector<double>& b = model.intercept();
      const double norm = std::exp(b[0]) + std::exp(b[1]) + std::exp(b[2]);
      for (std::size_t k = 0; k < 3; ++k)
        CHECK(std::abs(std::exp(b[k]) / norm - frequency[k]) <= (newton ? 1e-9 : 1e-6));
    }
    // Float data, structured, default tolerance: the closed form to float's rounding of the
    // objective (the fit may end line_search_failed there, tol being below that rounding).
    softmaxkit::FitOptions options;
    options.C = C;
    softmaxkit::SoftmaxRegression model(options);
    const auto report =
        model.fit(softmaxkit::MatrixView<const float>(narrow.data(), 100, 4), data.labels);
    CHECK(report.reason != softmaxkit::StopReason::nan);
    CHECK(std::abs(report.objective - entropy) <= 1e-7 + C * 100);
    const std::vector<double>& b = model.intercept();
    const double norm = std::exp(b[0]) + std::exp(b[1]) + std::exp(b[2]);
    for (std::size_t k = 0; k < 3; ++k)
      CHECK(std::abs(std::exp(b[k]) / norm - frequency[k]) <=
            1e-5);  // the float gradient's rounding
  }
}

TEST_CASE(
    "features of 1e17 and beyond: the structured fit reaches the rescaled problem's optimum") {
  // Features uniform on [0, s): with W' = s W the problem is the one on [0, 1) with the penalty
  // lambda / s^2. The metric's full eigendecomposition of G (entries from s^2 / 3 down to the
  // intercept's 1) lost the intercept's direction from s = 1e17: line_search_failed at the start,
  // objective log 2. Above a diagonal span of 1e24 the metric uses G's diagonal.
  std::mt19937 generator(31);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.3);
  constexpr std::size_t rows = 100, cols = 3;
  std::vector<double> unit(rows * cols);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) unit[i * cols + j] = uniform(generator);
    labels[i] = unit[i * cols] + noise(generator) > 0.5 ? 1 : 0;
  }
  for (double scale : {1e13, 1e17, 1e19}) {
    CAPTURE(scale);
    std::vector<double> scaled(unit);
    for (double& x : scaled) x *= scale;
    const std::vector<float> narrow(scaled.begin(), scaled.end());
    const double lambda = 1.0 / static_cast<double>(rows);  // C = 1
    softmaxkit::FitOptions reference_options;
    reference_options.l2 = lambda / (scale * scale);
    reference_options.solver = softmaxkit::SolverKind::newton_cg;
    reference_options.tolerance = 1e-12;
    softmaxkit::SoftmaxRegression reference(reference_options);
    const double optimum =
        reference.fit(softmaxkit::MatrixView<const double>(unit.data(), rows, cols), labels)
            .objective;
    for (bool in_float : {false, true}) {
      CAPTURE(in_float);
      softmaxkit::FitOptions options;
      options.C = 1.0;
      softmaxkit::SoftmaxRegression model(options);
      const auto report =
          in_float
              ? model.fit(softmaxkit::MatrixView<const float>(narrow.data(), rows, cols), labels)
              : model.fit(softmaxkit::MatrixView<const double>(scaled.data(), rows, cols), labels);
      CHECK(report.reason == softmaxkit::StopReason::converged);
      CHECK(std::abs(report.objective - optimum) <= (in_float ? 1e-6 : 1e-9) * optimum);
      CHECK(report.metric.find(scale > 1e12 ? "G diagonal" : "G full") != std::string::npos);
    }
  }
}

TEST_CASE("early stopping keeps the best validation parameters") {
  const Synthetic data = make_blobs(2000, 10, 3, 0.5, 8);
  softmaxkit::FitOptions options;
  options.validation_fraction = 0.2;
  options.patience = 3;
  options.tolerance = 1e-12;
  softmaxkit::SoftmaxRegression model(options);
  const auto report = model.fit(data.view(), data.labels);
  REQUIRE(report.validation_accuracy.has_value());
  CHECK(*report.validation_accuracy > 0.5);
  // Its own reason (it said callback_stopped, with no callback given).
  CHECK(report.reason == softmaxkit::StopReason::early_stopped);
  // A callback that stops first is the callback's stop, with early stopping on too.
  options.callback = [](const softmaxkit::IterationReport& r) { return r.iteration < 2; };
  softmaxkit::SoftmaxRegression stopped(options);
  const auto by_callback = stopped.fit(data.view(), data.labels);
  CHECK(by_callback.reason == softmaxkit::StopReason::callback_stopped);
  CHECK(by_callback.iterations == 2);
}

// Every value of a dense row-major matrix stored as CSR (none is zero in Gaussian data).
template <class T>
softmaxkit::CsrMatrix<T> dense_as_csr(const std::vector<T>& x, std::size_t rows, std::size_t cols) {
  std::vector<std::int64_t> offsets(rows + 1);
  std::vector<std::int32_t> columns;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) columns.push_back(static_cast<std::int32_t>(j));
    offsets[i + 1] = static_cast<std::int64_t>((i + 1) * cols);
  }
  return softmaxkit::CsrMatrix<T>(rows, cols, std::move(offsets), std::move(columns), x);
}

TEST_CASE("early stopping weighs the held-out rows by their sample weights") {
  // The validation accuracy is the held-out rows' weighted accuracy of the returned model,
  // computed here from its predictions: sum of w over correct rows / sum of w (it counted every
  // held-out row once, so rows weighted 0 decided when training stopped). Dense and CSR, float
  // and double (integer weights: every sum is exact in any order and precision).
  const Synthetic data = make_blobs(600, 6, 3, 0.7, 12);
  std::vector<double> weights(data.rows);
  std::mt19937 generator(5);
  for (double& w : weights) w = static_cast<double>(generator() % 4);  // 0 to 3
  const std::vector<float> weights_float(weights.begin(), weights.end());
  const std::vector<float> features_float = data.features_float();
  const auto csr_double = dense_as_csr(data.features, data.rows, data.cols);
  const auto csr_float = dense_as_csr(features_float, data.rows, data.cols);
  const softmaxkit::MatrixView<const float> dense_float(features_float.data(), data.rows,
                                                        data.cols);
  softmaxkit::FitOptions options;
  options.validation_fraction = 0.3;
  options.patience = 3;
  options.tolerance = 1e-10;
  std::vector<double> none_held_out = weights;
  for (std::size_t i = 0; i < data.rows; ++i)
    if (softmaxkit::detail::is_held_out(i, 0.3)) none_held_out[i] = 0;
  const std::vector<float> none_held_out_float(none_held_out.begin(), none_held_out.end());

  const auto check = [&](const auto& features, const auto& row_weights, const auto& zeroed) {
    softmaxkit::SoftmaxRegression model(options);
    const auto report = model.fit(features, data.labels, row_weights);
    REQUIRE(report.validation_accuracy.has_value());
    const std::vector<std::int32_t> predicted = model.predict(features);
    double correct = 0, total = 0;
    std::size_t rows_correct = 0, rows = 0;
    for (std::size_t i = 0; i < data.rows; ++i) {
      if (!softmaxkit::detail::is_held_out(i, 0.3)) continue;
      total += weights[i];
      ++rows;
      if (predicted[i] == data.labels[i]) {
        correct += weights[i];
        ++rows_correct;
      }
    }
    CHECK(*report.validation_accuracy == correct / total);
    // The data make the weighted and the plain accuracy differ, so the check tells them apart.
    CHECK(correct / total != static_cast<double>(rows_correct) / static_cast<double>(rows));
    // Held-out rows that all weigh 0 leave nothing to score: an Error, before any work.
    softmaxkit::SoftmaxRegression refused(options);
    CHECK_THROWS_WITH_AS(refused.fit(features, data.labels, zeroed),
                         doctest::Contains("SoftmaxRegression::fit: sample_weight: the weights of "
                                           "the rows held out by validation_fraction are all zero"),
                         softmaxkit::Error);
    CHECK_FALSE(refused.is_fitted());
  };
  SUBCASE("dense double") {
    check(data.view(), weights, none_held_out);
  }
  SUBCASE("dense float") {
    check(dense_float, weights_float, none_held_out_float);
  }
  SUBCASE("CSR double") {
    check(csr_double.view(), weights, none_held_out);
  }
  SUBCASE("CSR float") {
    check(csr_float.view(), weights_float, none_held_out_float);
  }
}

TEST_CASE("early stopping never calls an earlier validation point converged") {
  // Labels independent of the features (separation 0): validation accuracy peaks at an early
  // iterate, and with a patience longer than the fit the solver converges later. The fit returns
  // that earlier point, whose gradient is far above the threshold: it used to say converged.
  for (unsigned seed : {11U, 12U, 13U}) {
    CAPTURE(seed);
    const Synthetic data = make_blobs(300, 20, 3, 0.0, seed);
    softmaxkit::FitOptions options;
    options.validation_fraction = 0.3;
    options.patience = 100000;
    options.C = 1.0;
    for (bool use_double : {false, true}) {
      options.use_double = use_double;
      softmaxkit::SoftmaxRegression model(options);
      const auto report = model.fit(data.view(), data.labels);
      const double threshold = options.tolerance * std::max(1.0, report.initial_gradient_norm);
      CHECK(report.gradient_norm > threshold);
      CHECK(report.reason == softmaxkit::StopReason::early_stopped);
      // Without early stopping the same data converge.
      softmaxkit::FitOptions plain = options;
      plain.validation_fraction = 0;
      softmaxkit::SoftmaxRegression full(plain);
      const auto converged = full.fit(data.view(), data.labels);
      CHECK(converged.reason == softmaxkit::StopReason::converged);
      CHECK(converged.gradient_norm <=
            options.tolerance * std::max(1.0, converged.initial_gradient_norm));
    }
  }
}

// The rows early stopping trains on (validation_split.hpp's rule), as their own data set.
Synthetic training_rows(const Synthetic& data, double fraction) {
  Synthetic kept{0, data.cols, data.classes, {}, {}};
  for (std::size_t i = 0; i < data.rows; ++i) {
    if (softmaxkit::detail::is_held_out(i, fraction)) continue;
    ++kept.rows;
    kept.features.insert(kept.features.end(), data.features.begin() + i * data.cols,
                         data.features.begin() + (i + 1) * data.cols);
    kept.labels.push_back(data.labels[i]);
  }
  return kept;
}

TEST_CASE("early stopping that ends at the start reports the start's validation accuracy") {
  // model.hpp: validation_accuracy is "the best one reached"; a fit that stopped at its start
  // (max_iterations = 0, or a tolerance the start meets) left it empty. At W = 0, b = 0 every
  // logit ties and the first class wins: the accuracy is the held-out share of class 0.
  const Synthetic data = make_blobs(400, 5, 3, 1.0, 23);
  const double fraction = 0.25;
  std::size_t held_out = 0, first_class = 0;
  for (std::size_t i = 0; i < data.rows; ++i) {
    if (!softmaxkit::detail::is_held_out(i, fraction)) continue;
    ++held_out;
    first_class += data.labels[i] == 1;
  }
  REQUIRE(held_out > 0);
  const double expected = static_cast<double>(first_class) / static_cast<double>(held_out);
  for (const auto& [max_iterations, tolerance] : {std::pair{0, 1e-6}, std::pair{1000, 1e300}}) {
    CAPTURE(max_iterations);
    softmaxkit::SoftmaxRegression model(softmaxkit::FitOptions{.l2 = 0.01,
                                                               .tolerance = tolerance,
                                                               .max_iterations = max_iterations,
                                                               .validation_fraction = fraction});
    const auto report = model.fit(data.view(), data.labels);
    CHECK(report.iterations == 0);
    REQUIRE(report.validation_accuracy.has_value());
    CHECK(*report.validation_accuracy == expected);
    for (const double w : model.weights()) CHECK(w == 0);
  }
}

TEST_CASE("early stopping counts the start: a better-scoring warm start is kept") {
  // The 2026-12-06 audit: warm from the l2 = 0.01 optimum of all rows, the fit with a quarter
  // held out moved to iterates scoring 0.75 on them and returned one, while the start (scored
  // 0.8125 at max_iterations = 0) was never a candidate. Whatever the data, the returned
  // accuracy is at least the start's, and is the returned model's own on the held-out rows.
  std::mt19937 generator(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  Synthetic data{200, 4, 3, {}, {}};
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t j = 0; j < data.cols; ++j) data.features.push_back(noise(generator));
    const int label = (data.features[i * 4] > 0) + (data.features[i * 4 + 1] > 0.3);
    data.labels.push_back(label * 3 + 1);
  }
  const double fraction = 0.25;
  for (const double l1 : {0.0, 0.01}) {
    CAPTURE(l1);
    softmaxkit::SoftmaxRegression base(softmaxkit::FitOptions{.l2 = 0.01});
    base.fit(data.view(), data.labels);
    auto warm_fit = [&](int max_iterations) {
      softmaxkit::SoftmaxRegression model = base;
      model.options().l1 = l1;
      model.options().warm_start = true;
      model.options().validation_fraction = fraction;
      model.options().max_iterations = max_iterations;
      const softmaxkit::FitReport report = model.fit(data.view(), data.labels);
      // The held-out rows' accuracy of the returned model, through predict.
      std::size_t held_out = 0, correct = 0;
      const std::vector<std::int32_t> predicted = model.predict(data.view());
      for (std::size_t i = 0; i < data.rows; ++i) {
        if (!softmaxkit::detail::is_held_out(i, fraction)) continue;
        ++held_out;
        correct += predicted[i] == data.labels[i];
      }
      REQUIRE(report.validation_accuracy.has_value());
      CHECK(*report.validation_accuracy ==
            static_cast<double>(correct) / static_cast<double>(held_out));
      return *report.validation_accuracy;
    };
    const double at_start = warm_fit(0);
    CHECK(warm_fit(1000) >= at_start);
  }
}

TEST_CASE("early stopping with L1 reports the penalised objective and the pseudo-gradient norm") {
  // The best point's objective and norm are evaluated again after the fit: they were the smooth
  // part's (no l1 |W|_1, the plain gradient's norm) while FitReport says "penalties included"
  // and the solver's rule tests the pseudo-gradient.
  const Synthetic data = make_blobs(400, 6, 3, 1.0, 29);
  const double fraction = 0.25, l2 = 0.01, l1 = 0.02;
  softmaxkit::SoftmaxRegression model(softmaxkit::FitOptions{
      .l2 = l2, .l1 = l1, .max_iterations = 8, .validation_fraction = fraction, .patience = 50});
  const auto report = model.fit(data.view(), data.labels);
  REQUIRE(report.validation_accuracy.has_value());
  const Synthetic training = training_rows(data, fraction);
  const std::vector<double> x = model_parameters(model);
  double l1_norm = 0;
  for (const double w : model.weights()) l1_norm += std::abs(w);
  CHECK(
      report.objective ==
      doctest::Approx(reference_objective(training, x, l2, nullptr) + l1 * l1_norm).epsilon(1e-12));
  CHECK(report.gradient_norm ==
        doctest::Approx(pseudo_gradient_norm(training, x, l2, l1)).epsilon(1e-9));
}

TEST_CASE("the iteration callback sees progress and can stop training") {
  const Synthetic data = make_blobs(500, 5, 3, 0.5, 4);
  int calls = 0;
  int last_evaluations = 0;
  softmaxkit::FitOptions options;
  options.callback = [&](const softmaxkit::IterationReport& report) {
    ++calls;
    CHECK(report.evaluations >= last_evaluations);
    last_evaluations = report.evaluations;
    return report.iteration < 3;
  };
  softmaxkit::SoftmaxRegression model(options);
  const auto report = model.fit(data.view(), data.labels);
  CHECK(calls == 3);
  CHECK(report.reason == softmaxkit::StopReason::callback_stopped);
}

TEST_CASE("bad options and data are refused with a message naming them") {
  const Synthetic data = make_blobs(30, 2, 2, 1.0, 1);
  auto fails_with = [&](softmaxkit::FitOptions options, const char* text) {
    softmaxkit::SoftmaxRegression model(options);
    CHECK_THROWS_WITH_AS(model.fit(data.view(), data.labels), doctest::Contains(text),
                         softmaxkit::Error);
  };
  fails_with({.l2 = -1}, "l2");
  fails_with({.C = 0.0}, "C");
  fails_with({.l1 = 0.1, .solver = softmaxkit::SolverKind::newton_cg}, "l1");
  fails_with({.tolerance = 0}, "tolerance");
  fails_with({.validation_fraction = 1.0}, "validation_fraction");
  softmaxkit::SoftmaxRegression model;
  CHECK_THROWS_WITH_AS(model.predict(data.view()), doctest::Contains("not fitted"),
                       softmaxkit::Error);
  std::vector<std::int32_t> short_labels(10, 0);
  CHECK_THROWS_WITH_AS(model.fit(data.view(), short_labels), doctest::Contains("labels"),
                       softmaxkit::Error);
  std::vector<std::int32_t> one_class(30, 4);
  CHECK_THROWS_WITH_AS(model.fit(data.view(), one_class), doctest::Contains("2 classes"),
                       softmaxkit::Error);
  model.fit(data.view(), data.labels);
  std::vector<double> wrong_width(30 * 3, 0.0);
  CHECK_THROWS_WITH_AS(
      model.predict(softmaxkit::MatrixView<const double>(wrong_width.data(), 30, 3)),
      doctest::Contains("columns"), softmaxkit::Error);
}
