// What a fit reports must be true of what it returns: converged means the gradient, recomputed
// independently in long double, is below the tolerance; precision conversion never changes which
// rows are trained; NaN anywhere ends the fit with StopReason::nan, never "converged", and leaves
// the model as it was; predictions agree with a long-double softmax of the model's logits.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "model/validation_split.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using softmaxkit::FitOptions;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;
using softmaxkit::StopReason;

struct Blobs {
  std::size_t rows, cols, classes;
  std::vector<float> features;  // float, so that widening to double is exact
  std::vector<std::int32_t> labels;
  MatrixView<const float> view() const { return {features.data(), rows, cols}; }
  std::vector<double> widened() const { return {features.begin(), features.end()}; }
  MatrixView<const double> view(const std::vector<double>& wide) const {
    return {wide.data(), rows, cols};
  }
};

Blobs make_blobs(std::size_t rows, std::size_t cols, std::size_t classes, double separation,
                 unsigned seed) {
  Blobs data{rows, cols, classes, {}, {}};
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto label = static_cast<std::int32_t>(i % classes);
    for (std::size_t j = 0; j < cols; ++j) {
      const double center = (j % classes == static_cast<std::size_t>(label)) ? separation : 0.0;
      data.features.push_back(static_cast<float>(center + noise(generator)));
    }
    data.labels.push_back(label * 5 - 3);
  }
  return data;
}

// Long-double logits and probabilities of a model at one row of features, from its parameters.
std::vector<long double> reference_probabilities(const SoftmaxRegression& model, const float* x) {
  const std::size_t k_count = model.num_classes(), n = model.num_features();
  std::vector<long double> z(k_count);
  long double maximum = -INFINITY;
  for (std::size_t k = 0; k < k_count; ++k) {
    z[k] = model.intercept()[k];
    for (std::size_t j = 0; j < n; ++j)
      z[k] += static_cast<long double>(model.weights()[k * n + j]) * x[j];
    maximum = std::max(maximum, z[k]);
  }
  long double sum = 0;
  for (long double& v : z) sum += (v = std::exp(v - maximum));
  for (long double& v : z) v /= sum;
  return z;
}

// ||gradient of mean CE + (l2/2)||W||^2|| at the model's parameters, in long double, over the
// given rows (the class index of a row is the position of its label among the model's classes).
double reference_gradient_norm(const SoftmaxRegression& model, const Blobs& data, double l2) {
  const std::size_t k_count = model.num_classes(), n = model.num_features();
  std::vector<long double> g(k_count * n + k_count, 0.0L);
  for (std::size_t i = 0; i < data.rows; ++i) {
    const float* x = data.features.data() + i * n;
    const std::vector<long double> p = reference_probabilities(model, x);
    std::size_t y = 0;
    while (model.class_labels()[y] != data.labels[i]) ++y;
    for (std::size_t k = 0; k < k_count; ++k) {
      const long double residual = p[k] - (k == y ? 1.0L : 0.0L);
      for (std::size_t j = 0; j < n; ++j) g[k * n + j] += residual * x[j];
      g[k_count * n + k] += residual;
    }
  }
  long double sum = 0;
  for (std::size_t q = 0; q < g.size(); ++q) {
    long double v = g[q] / static_cast<long double>(data.rows);
    if (q < k_count * n) v += static_cast<long double>(l2) * model.weights()[q];
    sum += v * v;
  }
  return static_cast<double>(std::sqrt(sum));
}

std::vector<double> parameters(const SoftmaxRegression& model) {
  std::vector<double> x = model.weights();
  x.insert(x.end(), model.intercept().begin(), model.intercept().end());
  return x;
}

}  // namespace

TEST_CASE("use_double on float data trains on every row, exactly as on the widened data") {
  const Blobs data = make_blobs(600, 6, 3, 0.7, 11);
  const std::vector<double> wide = data.widened();
  for (const auto solver : {softmaxkit::SolverKind::newton_cg, softmaxkit::SolverKind::lbfgs}) {
    CAPTURE(static_cast<int>(solver));
    const FitOptions options{.l2 = 1e-3, .solver = solver, .tolerance = 1e-6};
    SoftmaxRegression converted(options);
    converted.options().use_double = true;
    const softmaxkit::FitReport report = converted.fit(data.view(), data.labels);
    SoftmaxRegression reference(options);
    const softmaxkit::FitReport reference_report = reference.fit(data.view(wide), data.labels);

    // No early stopping was asked for: none may happen.
    CHECK_FALSE(report.validation_accuracy.has_value());
    CHECK(report.reason == StopReason::converged);
    CHECK(report.iterations == reference_report.iterations);
    CHECK(parameters(converted) == parameters(reference));  // bitwise
    // "converged" is true of the returned parameters, by an independent gradient.
    const double threshold = options.tolerance * std::max(1.0, report.initial_gradient_norm);
    CHECK(reference_gradient_norm(converted, data, 1e-3) <= 2 * threshold);
  }
}

TEST_CASE("use_double with early stopping holds out the same rows as float") {
  const Blobs data = make_blobs(1000, 5, 3, 0.5, 12);
  const std::vector<double> wide = data.widened();
  const FitOptions options{
      .l2 = 1e-3, .tolerance = 1e-10, .validation_fraction = 0.25, .patience = 2};
  SoftmaxRegression converted(options);
  converted.options().use_double = true;
  const auto report = converted.fit(data.view(), data.labels);
  SoftmaxRegression reference(options);
  const auto reference_report = reference.fit(data.view(wide), data.labels);
  REQUIRE(report.validation_accuracy.has_value());
  CHECK(*report.validation_accuracy == *reference_report.validation_accuracy);
  CHECK(parameters(converted) == parameters(reference));
}

TEST_CASE("NaN in the data ends the fit with StopReason::nan and leaves the model unchanged") {
  Blobs data = make_blobs(200, 4, 3, 1.0, 13);
  for (const float poison :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    for (const auto solver : {softmaxkit::SolverKind::newton_cg, softmaxkit::SolverKind::lbfgs}) {
      CAPTURE(poison);
      CAPTURE(static_cast<int>(solver));
      Blobs bad = data;
      bad.features[37] = poison;
      SoftmaxRegression fresh(FitOptions{.l2 = 1e-2, .solver = solver});
      const auto report = fresh.fit(bad.view(), bad.labels);
      CHECK(report.reason == StopReason::nan);
      CHECK(softmaxkit::to_string(report.reason) == "nan");
      CHECK_FALSE(report.gradient_norm <= 1e-5);  // NaN or inf, never "small"
      CHECK_FALSE(fresh.is_fitted());
      CHECK_THROWS_AS(fresh.save("/nonexistent-dir/never.skm"), softmaxkit::Error);

      SoftmaxRegression fitted(FitOptions{.l2 = 1e-2, .solver = solver});
      fitted.fit(data.view(), data.labels);
      const std::vector<double> before = parameters(fitted);
      CHECK(fitted.fit(bad.view(), bad.labels).reason == StopReason::nan);
      CHECK(parameters(fitted) == before);
    }
  }
}

enum class FeatureKind { dense_float, dense_double, csr_float, csr_double };
constexpr FeatureKind kFeatureKinds[] = {FeatureKind::dense_float, FeatureKind::dense_double,
                                         FeatureKind::csr_float, FeatureKind::csr_double};

// Fits `model` on `data` given as `kind` (CSR with every entry stored, so values stay in place).
softmaxkit::FitReport fit_as(FeatureKind kind, SoftmaxRegression& model, const Blobs& data) {
  const std::vector<double> wide = data.widened();
  if (kind == FeatureKind::dense_float) return model.fit(data.view(), data.labels);
  if (kind == FeatureKind::dense_double) return model.fit(data.view(wide), data.labels);
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t j = 0; j < data.cols; ++j) columns.push_back(static_cast<std::int32_t>(j));
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  if (kind == FeatureKind::csr_float) {
    const softmaxkit::CsrMatrix<float> csr(data.rows, data.cols, offsets, columns, data.features);
    return model.fit(csr.view(), data.labels);
  }
  const softmaxkit::CsrMatrix<double> csr(data.rows, data.cols, offsets, columns, wide);
  return model.fit(csr.view(), data.labels);
}

TEST_CASE("NaN or inf only in the rows held out for early stopping ends the fit with nan too") {
  // The held-out rows' accuracy took max_element over NaN probabilities: the fit ended
  // early_stopped at an arbitrary point, fitting a fresh model and replacing a fitted one's.
  Blobs data = make_blobs(200, 4, 3, 1.0, 13);
  for (const float poison :
       {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    for (const auto solver : {softmaxkit::SolverKind::structured, softmaxkit::SolverKind::lbfgs,
                              softmaxkit::SolverKind::newton_cg}) {
      CAPTURE(poison);
      CAPTURE(static_cast<int>(solver));
      const FitOptions options{.l2 = 1e-2, .solver = solver, .validation_fraction = 0.3};
      Blobs bad = data;
      std::size_t poisoned = 0;
      for (std::size_t i = 0; i < bad.rows; ++i) {
        if (softmaxkit::detail::is_held_out(i, options.validation_fraction)) {
          bad.features[i * bad.cols + 2] = poison;
          ++poisoned;
        }
      }
      REQUIRE(poisoned > 0);
      // Dense and CSR features, float and double: the held-out check is shared, the data's
      // routes to it are not.
      for (const FeatureKind kind : kFeatureKinds) {
        CAPTURE(static_cast<int>(kind));
        SoftmaxRegression fresh(options);
        CHECK(fit_as(kind, fresh, bad).reason == StopReason::nan);
        CHECK_FALSE(fresh.is_fitted());
        SoftmaxRegression fitted(options);
        CHECK(fit_as(kind, fitted, data).reason != StopReason::nan);
        const std::vector<double> before = parameters(fitted);
        CHECK(fit_as(kind, fitted, bad).reason == StopReason::nan);
        CHECK(parameters(fitted) == before);
      }
    }
  }
}

TEST_CASE("a penalty beyond float's range is refused in float and trains in double") {
  const Blobs data = make_blobs(100, 3, 2, 1.0, 14);
  // lambda = 1e39 is inf in float: its gradient l2 * W would be inf * 0 = NaN at W = 0.
  for (const auto solver : {softmaxkit::SolverKind::newton_cg, softmaxkit::SolverKind::lbfgs}) {
    SoftmaxRegression model(FitOptions{.l2 = 1e39, .solver = solver});
    CHECK_THROWS_WITH_AS(model.fit(data.view(), data.labels), doctest::Contains("l2"),
                         softmaxkit::Error);
    CHECK_FALSE(model.is_fitted());
    model.options().use_double = true;
    const auto report = model.fit(data.view(), data.labels);
    CHECK(report.reason != StopReason::nan);
    CHECK(model.is_fitted());
  }
}

TEST_CASE("minimize never calls a NaN gradient converged") {
  // f(x) = |x|^2 / 2 with one NaN gradient entry: the old max-based norm skipped the NaN and
  // reported norm 0, converged.
  softmaxkit::Objective objective;
  objective.size = 2;
  objective.value_and_gradient = [](std::span<const double> x, std::span<double> g) {
    g[0] = std::numeric_limits<double>::quiet_NaN();
    g[1] = x[1];
    return 0.5 * (x[0] * x[0] + x[1] * x[1]);
  };
  objective.hessian_vector = [](std::span<const double>, std::span<const double> v,
                                std::span<double> hv) {
    std::copy(v.begin(), v.end(), hv.begin());
  };
  for (const auto kind : {softmaxkit::SolverKind::lbfgs, softmaxkit::SolverKind::newton_cg}) {
    std::vector<double> x{0.0, 0.0};
    softmaxkit::SolverOptions options;
    options.kind = kind;
    const softmaxkit::SolverResult result = softmaxkit::minimize(objective, x, options);
    CHECK(result.reason == StopReason::nan);
    CHECK(std::isnan(result.gradient_norm));
    CHECK(result.iterations == 0);
  }
  // With OWL-QN the pseudo-gradient of a NaN entry at x = 0 is NaN too (not "0 is a subgradient").
  std::vector<double> x{0.0, 0.0};
  softmaxkit::SolverOptions options;
  options.l1 = 0.5;
  CHECK(softmaxkit::minimize(objective, x, options).reason == StopReason::nan);
}

TEST_CASE("a trial point whose objective is NaN is never accepted nor reported as converged") {
  // f(x) = (x - 3)^2 / 2, but NaN (value and gradient) beyond x = 1: every solver must stop at a
  // finite point no worse than x0, as the header says: liblbfgs ends line_search_failed, the
  // others stall near x = 1; never converged, and never StopReason::nan after a finite start.
  softmaxkit::Objective objective;
  objective.size = 1;
  objective.value_and_gradient = [](std::span<const double> x, std::span<double> g) {
    if (x[0] > 1) {
      g[0] = std::numeric_limits<double>::quiet_NaN();
      return std::numeric_limits<double>::quiet_NaN();
    }
    g[0] = x[0] - 3;
    return 0.5 * (x[0] - 3) * (x[0] - 3);
  };
  objective.hessian_vector = [](std::span<const double>, std::span<const double> v,
                                std::span<double> hv) { hv[0] = v[0]; };
  for (const auto kind : {softmaxkit::SolverKind::lbfgs, softmaxkit::SolverKind::newton_cg,
                          softmaxkit::SolverKind::structured}) {
    CAPTURE(static_cast<int>(kind));
    std::vector<double> x{0.0};
    softmaxkit::SolverOptions options;
    options.kind = kind;
    options.max_iterations = 200;
    const softmaxkit::SolverResult result = softmaxkit::minimize(objective, x, options);
    CHECK(result.reason != StopReason::converged);
    CHECK(result.reason != StopReason::nan);
    if (kind == softmaxkit::SolverKind::lbfgs) {
      CHECK(result.reason == StopReason::line_search_failed);
    } else {  // creeping towards x = 1: the radius or the stall rule ends it
      CHECK((result.reason == StopReason::no_progress ||
             result.reason == StopReason::line_search_failed ||
             result.reason == StopReason::max_iterations));
    }
    CHECK(x[0] <= 1);
    CHECK(x[0] >= 0);  // f only decreases towards 3
    CHECK(result.objective == 0.5 * (x[0] - 3) * (x[0] - 3));
  }
}

TEST_CASE("features of 1e200 overflow every step: the fit keeps the zero start, not converged") {
  // README "Solvers": a trial point whose objective or gradient is not finite is never
  // accepted; with no finite step the fit ends line_search_failed (Newton-CG: no_progress) at
  // the last accepted point, which fit keeps. At W = 0, b = 0 the objective is log K exactly.
  const Blobs data = make_blobs(60, 3, 3, 1.0, 16);
  std::vector<double> wide = data.widened();
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t j = 0; j < data.cols; ++j) wide[i * data.cols + j] *= 1e200;
  }
  for (const auto solver : {softmaxkit::SolverKind::structured, softmaxkit::SolverKind::lbfgs,
                            softmaxkit::SolverKind::newton_cg}) {
    CAPTURE(static_cast<int>(solver));
    SoftmaxRegression model(FitOptions{.solver = solver});
    const auto report = model.fit(data.view(wide), data.labels);
    CHECK(report.reason == (solver == softmaxkit::SolverKind::newton_cg
                                ? StopReason::no_progress
                                : StopReason::line_search_failed));
    CHECK(report.objective == doctest::Approx(std::log(3.0)).epsilon(1e-15));
    CHECK(std::isfinite(report.gradient_norm));
    CHECK(model.is_fitted());
    for (const double v : parameters(model)) CHECK(v == 0);
  }
}

namespace {
// fit's Error text, or "<no error>".
std::string fit_error(const Blobs& data, const std::vector<float>& weights, FitOptions options) {
  SoftmaxRegression model(options);
  try {
    model.fit(data.view(), data.labels, weights);
  } catch (const softmaxkit::Error& error) {
    return std::string(error.what());
  }
  return std::string("<no error>");
}
}  // namespace

TEST_CASE("sample weights are checked and named before lambda is computed from them") {
  const Blobs data = make_blobs(40, 3, 2, 1.0, 15);
  auto message = [&](std::vector<float> weights, FitOptions options) {
    return fit_error(data, weights, options);
  };
  std::vector<float> weights(40, 1.0f);
  weights[7] = std::numeric_limits<float>::quiet_NaN();
  for (const FitOptions& options : {FitOptions{.C = 1.0}, FitOptions{.l2 = 0.1}}) {
    std::string m = message(weights, options);
    CHECK(m.find("sample_weight[7]") != std::string::npos);
    CHECK(m.find("l2") == std::string::npos);
    m = message(std::vector<float>(40, 0.0f), options);
    CHECK(m.find("sample_weight") != std::string::npos);
    CHECK(m.find("all weights are zero") != std::string::npos);
    std::vector<float> negative(40, 1.0f);
    negative[3] = -1;
    CHECK(message(negative, options).find("sample_weight[3]") != std::string::npos);
    std::vector<float> infinite(40, 1.0f);
    infinite[0] = std::numeric_limits<float>::infinity();
    CHECK(message(infinite, options).find("sample_weight[0]") != std::string::npos);
  }
  // C so small that 1 / (C sum w) overflows: named as C with the weights' sum.
  CHECK(message(std::vector<float>(40, 1e-30f), FitOptions{.C = 1e-300}).find("C =") !=
        std::string::npos);
  // Double weights whose sum, 4e-309, is too small to divide by: named as sample_weight with
  // any C or l2 (with C = 1, C * sum underflowed and the Error blamed C; an audit).
  const std::vector<double> wide = data.widened();
  for (const FitOptions& options :
       {FitOptions{.C = 1.0}, FitOptions{.C = 1e300}, FitOptions{.l2 = 0.1}}) {
    SoftmaxRegression model(options);
    std::string m = "<no error>";
    try {
      model.fit(data.view(wide), data.labels, std::vector<double>(40, 1e-310));
    } catch (const softmaxkit::Error& error) {
      m = error.what();
    }
    CAPTURE(m);
    CHECK(m.rfind("SoftmaxRegression::fit: sample_weight: the weights sum to 4e-309, outside", 0) ==
          0);
  }
}

TEST_CASE("a weight sum whose reciprocal is subnormal in the fit's type is refused") {
  // The gradient is scaled by 1/W rounded to T. Float weights of 3e38 on 1.5 M rows (iris
  // repeated) summed to 4.5e44: 1/W was 2.8e-45 for 2.2e-45 (two subnormal ulps), and the fit
  // ended 1.9e-5 above the optimum; above 1.4e45 1/W rounds to 0. The rule is a normal 1/W:
  // W <= 1/FLT_MIN = 8.5e37 for float data, 4.5e307 for double (kernels/common/validate.hpp).
  const Blobs data = make_blobs(40, 3, 2, 1.0, 15);
  auto message = [&](std::vector<float> weights, FitOptions options) {
    return fit_error(data, weights, options);
  };
  // 40 rows of 2.5e36 sum to 1e38 (> 8.5e37); 2e36 each sum to 8e37 (accepted). C scaled so
  // that lambda = 1 / (C sum w) stays 1 / 40.
  // fit names its own argument, before any data is copied (the loss engine's own check, which
  // stays, named "LossGradient: sample weights").
  const std::string refused = message(std::vector<float>(40, 2.5e36f), FitOptions{.C = 4e-37});
  CHECK(refused ==
        "SoftmaxRegression::fit: sample_weight: the weights sum to 1e+38, outside what a mean can "
        "divide by in float (a sum whose reciprocal is a normal number: from 1 / the largest "
        "value, 2.93873605e-39, to 1 / the smallest normal one, 8.50705917e+37); rescale them: "
        "the mean does not change");
  CHECK(message(std::vector<float>(40, 2e36f), FitOptions{.C = 5e-37}) == "<no error>");
  // use_double trains in double, where the same sum is far inside the range.
  CHECK(message(std::vector<float>(40, 2.5e36f), FitOptions{.C = 4e-37, .use_double = true}) ==
        "<no error>");
  // The low end: 40 subnormal float weights of 5e-41 (stored as 35681 x 2^-149 = 4.99997e-41)
  // sum to 1.99999e-39, below 1 / FLT_MAX.
  const std::string low = message(std::vector<float>(40, 5e-41f), FitOptions{.C = 1.25e37});
  CAPTURE(low);
  CHECK(low.find("sample_weight: the weights sum to 1.99999e-39, outside") != std::string::npos);
  // With early stopping the fit trains on the rows not held out: their sum is the one named.
  // validation_fraction 0.25 holds out about a quarter: 40 x 4e36 trains on about 1.2e38.
  {
    const std::string held =
        message(std::vector<float>(40, 4e36f), FitOptions{.C = 1e-37, .validation_fraction = 0.25});
    CAPTURE(held);
    CHECK(held.find("SoftmaxRegression::fit: sample_weight: the training rows' weights sum to") ==
          0);
  }
  // CSR features: the same rule and the same message.
  {
    std::vector<std::int64_t> offsets{0};
    std::vector<std::int32_t> columns;
    for (std::size_t i = 0; i < data.rows; ++i) {
      for (std::size_t j = 0; j < data.cols; ++j) columns.push_back(static_cast<std::int32_t>(j));
      offsets.push_back(static_cast<std::int64_t>(columns.size()));
    }
    const softmaxkit::CsrMatrix<float> csr(data.rows, data.cols, offsets, columns, data.features);
    const std::vector<float> weights(40, 2.5e36f);
    SoftmaxRegression model(FitOptions{.C = 4e-37});
    std::string csr_message = "<no error>";
    try {
      model.fit(csr.view(), data.labels, weights);
    } catch (const softmaxkit::Error& error) {
      csr_message = error.what();
    }
    CHECK(csr_message == refused);
  }
}

TEST_CASE("predictions match a long-double softmax of the model's logits, for any thread count") {
  const Blobs data = make_blobs(700, 9, 4, 0.6, 16);  // 700 rows: several prediction blocks
  SoftmaxRegression model(FitOptions{.l2 = 1e-3});
  model.fit(data.view(), data.labels);
  const std::vector<double> wide = data.widened();
  const std::vector<double> from_float = model.predict_proba(data.view());
  const std::vector<double> from_double = model.predict_proba(data.view(wide));
  CHECK(from_float == from_double);  // float features are widened exactly
  const std::vector<std::int32_t> predicted = model.predict(data.view());
  double worst = 0;
  std::size_t argmax_mismatches = 0;
  for (std::size_t i = 0; i < data.rows; ++i) {
    const std::vector<long double> p =
        reference_probabilities(model, data.features.data() + i * data.cols);
    std::size_t best = 0;
    for (std::size_t k = 0; k < model.num_classes(); ++k) {
      worst = std::max(worst, static_cast<double>(std::fabs(p[k] - from_float[i * 4 + k])));
      if (p[k] > p[best]) best = k;
    }
    argmax_mismatches += model.class_labels()[best] != predicted[i];
  }
  // softmax_rows' double bound (2^-52 absolute) plus the dgemm logits' rounding (a few ulp of
  // |z| <= 10, times p(1-p) <= 1/4).
  CHECK(worst <= 1e-14);
  CHECK(argmax_mismatches == 0);

  for (int threads : {1, 3}) {
    tbb::task_arena arena(threads);
    std::vector<double> again;
    arena.execute([&] { again = model.predict_proba(data.view()); });
    CHECK(again == from_float);
  }
}

TEST_CASE("score refuses a label the model does not know, naming it and its row") {
  const Blobs data = make_blobs(60, 3, 3, 2.0, 17);
  SoftmaxRegression model(FitOptions{.l2 = 1e-2});
  model.fit(data.view(), data.labels);
  std::vector<std::int32_t> labels = data.labels;
  labels[41] = 12345;
  CHECK_THROWS_WITH_AS(model.score(data.view(), labels), doctest::Contains("label 12345 in row 41"),
                       softmaxkit::Error);
}

TEST_CASE("threads above max_threads are refused by fit and predict") {
  const Blobs data = make_blobs(30, 2, 2, 1.0, 18);
  SoftmaxRegression model(FitOptions{.threads = softmaxkit::max_threads + 1});
  CHECK_THROWS_WITH_AS(model.fit(data.view(), data.labels), doctest::Contains("threads"),
                       softmaxkit::Error);
  model.options().threads = 65536;
  CHECK_THROWS_WITH_AS(model.fit(data.view(), data.labels), doctest::Contains("threads"),
                       softmaxkit::Error);
  model.options().threads = 1;
  model.fit(data.view(), data.labels);
  model.options().threads = 70000;
  CHECK_THROWS_WITH_AS(model.predict(data.view()), doctest::Contains("threads"), softmaxkit::Error);
}

// Four rows of three features, row `bad` holding a NaN feature or overflowing logits:
// predict_proba returns its NaN, predict and score (dense) and predict (CSR) name the row.
template <class T>
void check_nan_row_named(const SoftmaxRegression& model, std::vector<T> rows,
                         std::span<const std::int32_t> labels, std::size_t bad) {
  const MatrixView<const T> view(rows.data(), 4, 3);
  const std::vector<double> p = model.predict_proba(view);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(std::isnan(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]) == (i == bad));
  const std::string row = "row " + std::to_string(bad);
  CHECK_THROWS_WITH_AS(model.predict(view),
                       doctest::Contains((row + " has NaN class probabilities").c_str()),
                       softmaxkit::Error);
  CHECK_THROWS_WITH_AS(model.score(view, labels.first(4)), doctest::Contains(row.c_str()),
                       softmaxkit::Error);
  // CSR rows take the same path.
  std::vector<std::int64_t> offsets{0, 3, 6, 9, 12};
  std::vector<std::int32_t> columns{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};
  const softmaxkit::CsrMatrixView<T> csr(4, 3, offsets, columns, rows);
  CHECK_THROWS_WITH_AS(model.predict(csr), doctest::Contains(row.c_str()), softmaxkit::Error);
}

TEST_CASE("predict and score refuse rows whose probabilities are NaN, naming the row") {
  // A NaN feature, and a finite row whose logits are +inf in two classes (softmax's inf - inf):
  // max_element over NaN used to predict the first class for both.
  const Blobs data = make_blobs(90, 3, 3, 2.0, 19);
  // Features of order 1e-3, so weights of order 1e3 and 1e308 overflows a logit.
  std::vector<double> small = data.widened();
  for (double& x : small) x *= 1e-3;
  SoftmaxRegression model(FitOptions{.l2 = 1e-9});
  model.fit(data.view(small), data.labels);
  const std::vector<double>& w = model.weights();
  // Signs s with s.w_k > 0 for at least two classes: +-1e308 s overflows those two logits.
  std::vector<double> overflow;
  for (int mask = 0; mask < 8 && overflow.empty(); ++mask) {
    int positive = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      double dot = 0;
      for (std::size_t j = 0; j < 3; ++j) dot += ((mask >> j) & 1 ? 1.0 : -1.0) * w[k * 3 + j];
      positive += dot > 2;
    }
    if (positive >= 2) {
      for (std::size_t j = 0; j < 3; ++j) overflow.push_back((mask >> j) & 1 ? 1e308 : -1e308);
    }
  }
  REQUIRE(overflow.size() == 3);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const std::vector<double>& bad : {overflow, std::vector<double>{0.5, nan, 0.5}}) {
    std::vector<double> rows(small.begin(), small.begin() + 9);  // rows 0-2
    rows.insert(rows.end(), bad.begin(), bad.end());             // row 3
    check_nan_row_named(model, rows, data.labels, 3);
  }
  // Float rows (widened to double in prediction's own blocks): a NaN feature in row 2. Float
  // features cannot overflow a double logit, so only the NaN case exists for them.
  std::vector<float> rows(small.begin(), small.begin() + 12);
  rows[7] = std::numeric_limits<float>::quiet_NaN();
  check_nan_row_named(model, rows, data.labels, 2);
}

TEST_CASE(
    "newton keeps the intercepts, and without a penalty W's columns, at zero sum over classes") {
  // Adding one value to every class's intercept (or, unpenalised, to every class's weight of a
  // feature) changes no probability. Float passes left rounding along those directions in the
  // gradient and Hessian products, and the trust-region subproblem followed them to its boundary:
  // every intercept moved by 0.577 (radius 1 over three classes), W's column sums reached 0.2.
  // The other solvers start at zero and stay there; so does the optimum's minimum-norm point.
  const Blobs data = make_blobs(300, 6, 3, 0.6, 5);
  std::vector<float> weights(data.rows);
  std::mt19937 random(11);
  for (float& w : weights) w = static_cast<float>(random() % 4);
  for (const double l2 : {0.0, 1e-3}) {
    for (const double tol : {1e-6, 1e-10}) {
      CAPTURE(l2);
      CAPTURE(tol);
      SoftmaxRegression model(
          FitOptions{.l2 = l2, .solver = softmaxkit::SolverKind::newton_cg, .tolerance = tol});
      const softmaxkit::FitReport report = model.fit(data.view(), data.labels, weights);
      CHECK(report.reason != StopReason::nan);
      const std::size_t k_count = model.num_classes(), n = model.num_features();
      double intercept_sum = 0;
      for (std::size_t k = 0; k < k_count; ++k) intercept_sum += model.intercept()[k];
      CHECK(std::abs(intercept_sum) < 1e-9);
      if (l2 == 0) {
        for (std::size_t j = 0; j < n; ++j) {
          double column = 0;
          for (std::size_t k = 0; k < k_count; ++k) column += model.weights()[k * n + j];
          CHECK(std::abs(column) < 1e-9);
        }
      }
    }
  }
}

namespace {

// m x 5 standard-normal rows with column `small` scaled by 1e-4, labels drawn from a softmax
// whose weights on that column are 1e4 times larger: the unpenalised optimum has weights of
// about 1e4 there, which float rounding along the all-classes directions perturbs most.
struct SmallFeatureProblem {
  std::vector<float> rows;
  std::vector<std::int32_t> labels;
  std::vector<float> weights;
  std::size_t m = 400, n = 5;
};

SmallFeatureProblem small_feature_problem(unsigned seed, std::size_t small, bool weighted) {
  SmallFeatureProblem p;
  const std::size_t classes = 3;
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal;
  std::vector<double> truth(classes * p.n);
  for (std::size_t i = 0; i < truth.size(); ++i)
    truth[i] = normal(random) * (i % p.n == small ? 1e4 : 1.0);
  p.rows.resize(p.m * p.n);
  p.labels.resize(p.m);
  for (std::size_t i = 0; i < p.m; ++i) {
    for (std::size_t j = 0; j < p.n; ++j)
      p.rows[i * p.n + j] = static_cast<float>(normal(random) * (j == small ? 1e-4 : 1.0));
    std::vector<double> odds(classes);
    for (std::size_t k = 0; k < classes; ++k) {
      double z = 0;
      for (std::size_t j = 0; j < p.n; ++j) z += truth[k * p.n + j] * p.rows[i * p.n + j];
      odds[k] = std::exp(std::min(z, 300.0));
    }
    p.labels[i] = static_cast<std::int32_t>(
        std::discrete_distribution<int>(odds.begin(), odds.end())(random));
  }
  if (weighted) {
    std::uniform_real_distribution<double> decades(-5, 5);
    for (std::size_t i = 0; i < p.m; ++i)
      p.weights.push_back(static_cast<float>(std::pow(10.0, decades(random))));
  }
  return p;
}

}  // namespace

TEST_CASE("L-BFGS and OWL-QN keep the intercepts, and without a penalty W's columns, at zero sum") {
  // The directions of the newton test above. L-BFGS's float passes left their rounding in the
  // gradient, and along directions of no curvature its steps kept it: on these problems W's
  // column sums reached 3.8 to 60 and the intercepts' sum 31.6 (weights near 1e4), the
  // probabilities unchanged. The fit now removes them from L-BFGS's gradients too.
  int fits = 0;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    for (const bool weighted : {false, true}) {
      const SmallFeatureProblem p = small_feature_problem(seed, seed % 5, weighted);
      for (const double l1 : {0.0, 1e-6}) {
        CAPTURE(seed);
        CAPTURE(weighted);
        CAPTURE(l1);
        SoftmaxRegression model(FitOptions{.l2 = 0,
                                           .l1 = l1,
                                           .solver = softmaxkit::SolverKind::lbfgs,
                                           .tolerance = 1e-8,
                                           .max_iterations = 5000});
        const softmaxkit::FitReport report =
            model.fit(MatrixView<const float>{p.rows.data(), p.m, p.n}, p.labels, p.weights);
        CHECK(report.reason != StopReason::nan);
        ++fits;
        const std::size_t k_count = model.num_classes(), n = model.num_features();
        double largest = 1;
        for (const double w : model.weights()) largest = std::max(largest, std::abs(w));
        double intercept_sum = 0;
        for (std::size_t k = 0; k < k_count; ++k) intercept_sum += model.intercept()[k];
        CHECK(std::abs(intercept_sum) < 1e-8 * largest);
        if (l1 == 0) {
          for (std::size_t j = 0; j < n; ++j) {
            double column = 0;
            for (std::size_t k = 0; k < k_count; ++k) column += model.weights()[k * n + j];
            CHECK(std::abs(column) < 1e-8 * largest);
          }
        }
      }
    }
  }
  CHECK(fits == 24);
}

TEST_CASE("OWL-QN's intercepts stay at their start's sum over long runs on unit-scale data") {
  // Removing the directions from the gradients alone was not enough for OWL-QN: each step's
  // rounding along them entered its pairs, with no curvature to bound it, and grew step by step
  // (intercepts summing to -32 after 400 iterations, -4.5e9 after 593, every one near -1.1e9).
  // The fit now holds L-BFGS's points on the start's values along them (project_point).
  for (unsigned seed = 0; seed < 4; ++seed) {
    CAPTURE(seed);
    const std::size_t m = 200, n = 5, classes = 4;
    std::mt19937_64 random(seed);
    std::normal_distribution<double> normal;
    std::extreme_value_distribution<double> gumbel;
    std::vector<double> truth(n * classes), rows(m * n);
    for (double& t : truth) t = normal(random);
    std::vector<std::int32_t> labels(m);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) rows[i * n + j] = normal(random);
      double best = -1e300;
      for (std::size_t k = 0; k < classes; ++k) {
        double z = gumbel(random);
        for (std::size_t j = 0; j < n; ++j) z += rows[i * n + j] * truth[j * classes + k];
        if (z > best) {
          best = z;
          labels[i] = static_cast<std::int32_t>(k);
        }
      }
    }
    // penalty='l1', C = 1000 in scikit-learn's terms: l1 = 1 / (C m).
    SoftmaxRegression model(FitOptions{.l1 = 1.0 / (1000.0 * m), .max_iterations = 1000});
    const softmaxkit::FitReport report =
        model.fit(MatrixView<const double>{rows.data(), m, n}, labels);
    CHECK(report.reason != StopReason::nan);
    double sum = 0, largest = 0;
    for (std::size_t k = 0; k < classes; ++k) {
      sum += model.intercept()[k];
      largest = std::max(largest, std::abs(model.intercept()[k]));
    }
    CHECK(std::abs(sum) < 1e-12);
    CHECK(largest < 100);  // the drift made every intercept 1e7 to 1e9
  }
}

TEST_CASE("the structured solver keeps zero sums over classes at penalties far below the data's") {
  // A lambda 1e-33 of G's scale was used as the metric's ridge: its inverse amplified the
  // rounding along the all-classes directions by 1 / lambda, and iris at C = 1e28 ended with
  // its intercepts summing to -51 (3.0 at 1e30), the probabilities unchanged. Below 1e-10 of
  // G's mean diagonal the metric now takes the no-penalty ridge and centres those directions.
  const Blobs data = make_blobs(300, 6, 3, 0.6, 5);
  const std::vector<double> wide = data.widened();
  SoftmaxRegression reference(
      FitOptions{.l2 = 0, .solver = softmaxkit::SolverKind::newton_cg, .tolerance = 1e-12});
  reference.fit(data.view(wide), data.labels);
  for (const double C : {1e12, 1e20, 1e28, 1e36}) {
    CAPTURE(C);
    SoftmaxRegression model(FitOptions{.C = C, .tolerance = 1e-8});
    const softmaxkit::FitReport report = model.fit(data.view(wide), data.labels);
    CHECK(report.reason == StopReason::converged);
    const std::size_t k_count = model.num_classes(), n = model.num_features();
    double intercept_sum = 0;
    for (std::size_t k = 0; k < k_count; ++k) intercept_sum += model.intercept()[k];
    CHECK(std::abs(intercept_sum) < 1e-8);
    for (std::size_t j = 0; j < n; ++j) {
      double column = 0;
      for (std::size_t k = 0; k < k_count; ++k) column += model.weights()[k * n + j];
      CHECK(std::abs(column) < 1e-8);
    }
    // The unpenalised optimum, which such a lambda cannot move by more than rounding.
    for (std::size_t i = 0; i < k_count * n; ++i)
      CHECK(model.weights()[i] == doctest::Approx(reference.weights()[i]).epsilon(1e-5));
  }
}
