// Adversarial edges of SoftmaxRegression on CSR features (issue 13): non-finite and huge values,
// every ISA, early-stopping boundaries, precision conversion, sample weights, warm starts across
// representations, degenerate shapes and labels, and malformed CSR arguments. The reference is
// always the dense path on the same data densified: the CSR path must end the same way (the same
// Error message, or the same stop reason and the same objective and parameters to tolerance).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "isa_each.hpp"
#include "model/validation_split.hpp"
#include "softmaxkit/csr.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/regression.hpp"
#include "sparse_model_checks.hpp"

namespace {

using softmaxkit::CsrMatrixView;
using softmaxkit::FitOptions;
using softmaxkit::FitReport;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;
using softmaxkit::SolverKind;
using softmaxkit::StopReason;

// A CSR matrix and its dense copy, built from explicit triplets (row-major, sorted), so that tests
// can poison single entries, store explicit zeros and leave rows empty.
template <class T>
struct Sparse {
  std::size_t rows = 0, cols = 0;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> indices;
  std::vector<T> values;
  std::vector<std::int32_t> labels;

  CsrMatrixView<T> csr() const { return CsrMatrixView<T>(rows, cols, offsets, indices, values); }
  std::vector<T> densified() const {
    std::vector<T> dense(rows * cols, T(0));
    for (std::size_t i = 0; i < rows; ++i)
      for (auto e = static_cast<std::size_t>(offsets[i]);
           e < static_cast<std::size_t>(offsets[i + 1]); ++e)
        dense[i * cols + static_cast<std::size_t>(indices[e])] = values[e];
    return dense;
  }
  // Appends a row from its dense values (zeros are not stored unless store_zeros).
  void add_row(const std::vector<double>& row, std::int32_t label, bool store_zeros = false) {
    cols = row.size();
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (row[j] == 0 && !store_zeros) continue;
      indices.push_back(static_cast<std::int32_t>(j));
      values.push_back(static_cast<T>(row[j]));
    }
    offsets.push_back(static_cast<std::int64_t>(indices.size()));
    labels.push_back(label);
    ++rows;
  }
};

// Learnable, overlapping classes; about `density` of the entries stored.
template <class T>
Sparse<T> random_sparse(std::size_t rows, std::size_t cols, std::size_t classes, double density,
                        unsigned seed, std::int32_t label_scale = 1, std::int32_t label_shift = 0) {
  Sparse<T> data;
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto label = static_cast<std::int32_t>(i % classes);
    std::vector<double> row(cols, 0.0);
    for (std::size_t j = 0; j < cols; ++j) {
      const bool favoured = j % classes == static_cast<std::size_t>(label);
      if (uniform(generator) < density * (favoured ? 2.5 : 1.0))
        row[j] = static_cast<double>(static_cast<T>(0.25 + uniform(generator)));
    }
    data.add_row(row, label * label_scale + label_shift);
  }
  data.cols = cols;
  return data;
}

// The same matrix with its values in double (exact).
Sparse<double> widened(const Sparse<float>& data) {
  Sparse<double> wide;
  wide.rows = data.rows;
  wide.cols = data.cols;
  wide.offsets = data.offsets;
  wide.indices = data.indices;
  wide.values.assign(data.values.begin(), data.values.end());
  wide.labels = data.labels;
  return wide;
}

// How a fit ended: its Error message, or its report and the model afterwards.
struct Outcome {
  std::string error;
  FitReport report;
  bool fitted = false;
  std::vector<double> weights, intercept;
  std::vector<std::int32_t> classes;
};

Outcome outcome_of(SoftmaxRegression& model, auto&& fit) {
  Outcome outcome;
  try {
    outcome.report = fit();
  } catch (const softmaxkit::Error& error) {
    outcome.error = error.what();
  }
  outcome.fitted = model.is_fitted();
  outcome.weights = model.weights();
  outcome.intercept = model.intercept();
  outcome.classes = model.class_labels();
  return outcome;
}

template <class T>
Outcome fit_csr(const FitOptions& options, const Sparse<T>& data,
                const std::vector<T>& weights = {}) {
  SoftmaxRegression model(options);
  return outcome_of(model, [&] { return model.fit(data.csr(), data.labels, weights); });
}

template <class T>
Outcome fit_dense(const FitOptions& options, const Sparse<T>& data,
                  const std::vector<T>& weights = {}) {
  const std::vector<T> dense = data.densified();
  SoftmaxRegression model(options);
  return outcome_of(model, [&] {
    return model.fit(MatrixView<const T>(dense.data(), data.rows, data.cols), data.labels, weights);
  });
}

// Relative difference, absolute below 1 (objectives near 0 differ only by rounding there).
double relative(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1.0});
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return INFINITY;
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

// The CSR outcome is the dense one: the same Error, or both StopReason::nan, or both solutions
// with the same validation accuracy, objective and parameters to the given tolerances. The other
// stop reasons may differ when `same_reason` is false: near the optimum in float, rounding
// decides between converged and line_search_failed (the objective still agrees).
void check_same_outcome(const Outcome& csr, const Outcome& dense, double objective_tolerance,
                        double parameter_tolerance, bool same_reason = true) {
  CHECK(csr.error == dense.error);
  CHECK(csr.fitted == dense.fitted);
  CHECK(csr.classes == dense.classes);
  if (!csr.error.empty() || !dense.error.empty()) return;
  CHECK((csr.report.reason == StopReason::nan) == (dense.report.reason == StopReason::nan));
  if (same_reason) CHECK(csr.report.reason == dense.report.reason);
  CHECK(csr.report.validation_accuracy == dense.report.validation_accuracy);
  if (dense.report.reason == StopReason::nan) {
    CHECK_FALSE((std::isfinite(csr.report.objective) && std::isfinite(csr.report.gradient_norm)));
    return;
  }
  CHECK(relative(csr.report.objective, dense.report.objective) <= objective_tolerance);
  CHECK(largest_difference(csr.weights, dense.weights) <= parameter_tolerance);
  CHECK(largest_difference(csr.intercept, dense.intercept) <= parameter_tolerance);
}

using sparse_model_checks::error_of;
using sparse_model_checks::same_bits;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr SolverKind kSolvers[] = {SolverKind::structured, SolverKind::lbfgs,
                                   SolverKind::newton_cg};

template <class T>
void check_poisoned_fits() {
  const Sparse<T> clean = random_sparse<T>(120, 12, 3, 0.3, 21);
  const T huge = std::is_same_v<T, float> ? T(1e38) : T(1e307);
  for (const T poison : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                         -std::numeric_limits<T>::infinity(), huge, T(-huge),
                         std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()}) {
    for (const SolverKind solver : kSolvers) {
      for (const bool use_double : {false, true}) {
        CAPTURE(poison);
        CAPTURE(static_cast<int>(solver));
        CAPTURE(use_double);
        Sparse<T> bad = clean;
        bad.values[bad.values.size() / 2] = poison;
        FitOptions options{.l2 = 1e-2, .solver = solver, .max_iterations = 200};
        options.use_double = use_double;
        const Outcome csr = fit_csr(options, bad), dense = fit_dense(options, bad);
        if (solver == SolverKind::structured && std::isfinite(static_cast<double>(poison))) {
          // The structured metric's class factor A is chosen by cost, full for the dense data
          // and diagonal for the cheaper CSR pass (softmax_metric.cpp), so the runs differ. On a
          // float-max feature the dense one stopped at W = 0 (line_search_failed) while the CSR
          // one descended; with G's diagonal above a span of 1e24 both descend now. Which ends
          // lower depends on the last bits of the metric's products: under SSE2 they ended
          // 7.9e-9 apart; with OpenBLAS's Prescott kernels (an Emerald Rapids Xeon, 2026-12-06)
          // both end "converged" by the relative rule, ||g|| <= tol * ||g0|| with ||g0|| near
          // 1e37, the CSR one at 0.589 (||g|| 1.3e30) and the dense one at 0.546. What holds
          // for both: a finite result no worse than the start (log 3 at W = 0), and a reported
          // convergence that meets the stopping rule.
          REQUIRE(csr.error.empty());
          REQUIRE(dense.error.empty());
          for (const Outcome* run : {&csr, &dense}) {
            CHECK(run->report.reason != StopReason::nan);
            CHECK(run->report.objective <= std::log(3.0) * (1 + 1e-12));
            if (run->report.reason == StopReason::converged) {
              CHECK(run->report.gradient_norm <=
                    options.tolerance * std::max(1.0, run->report.initial_gradient_norm));
            }
            for (double w : run->weights) CHECK(std::isfinite(w));
          }
          continue;
        }
        check_same_outcome(csr, dense, 1e-6, 1e-4, false);
        if (!std::isfinite(static_cast<double>(poison))) {
          // README: non-finite features end the fit with StopReason::nan, model unfitted.
          CHECK(csr.error.empty());
          CHECK(csr.report.reason == StopReason::nan);
          CHECK_FALSE(csr.fitted);
        }
        if (csr.error.empty() && csr.report.reason == StopReason::nan) {
          // A fitted model stays exactly as it was.
          SoftmaxRegression model(options);
          model.fit(clean.csr(), clean.labels);
          const std::vector<double> before = model.weights(), intercept = model.intercept();
          CHECK(model.fit(bad.csr(), bad.labels).reason == StopReason::nan);
          CHECK(same_bits(model.weights(), before));
          CHECK(same_bits(model.intercept(), intercept));
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("sparse edges: NaN, inf and huge values in CSR end the fit as the dense fit does") {
  check_poisoned_fits<float>();
  check_poisoned_fits<double>();
}

TEST_CASE("sparse edges: predictions on CSR rows with NaN or inf equal the dense ones") {
  const Sparse<double> data = random_sparse<double>(60, 8, 3, 0.4, 22);
  SoftmaxRegression model(FitOptions{.l2 = 1e-2});
  model.fit(data.csr(), data.labels);
  for (const double poison : {double(NAN), double(INFINITY), -double(INFINITY), 1e308}) {
    CAPTURE(poison);
    Sparse<double> bad = data;
    bad.values[3] = poison;
    bad.values[bad.values.size() - 1] = poison;
    const std::vector<double> dense = bad.densified();
    const MatrixView<const double> view(dense.data(), bad.rows, bad.cols);
    const std::vector<double> from_csr = model.predict_proba(bad.csr());
    const std::vector<double> from_dense = model.predict_proba(view);
    REQUIRE(from_csr.size() == from_dense.size());
    for (std::size_t i = 0; i < from_csr.size(); ++i) {
      CAPTURE(i);
      if (std::isnan(from_dense[i])) {
        CHECK(std::isnan(from_csr[i]));
      } else {
        CHECK(std::abs(from_csr[i] - from_dense[i]) <= 1e-12);
      }
    }
    // Rows with NaN probabilities are refused by predict and score alike (model.hpp), naming
    // the same row; otherwise both give the same labels.
    bool any_nan = false;
    for (double p : from_dense) any_nan = any_nan || std::isnan(p);
    if (any_nan) {
      std::string csr_message, dense_message;
      try {
        model.predict(bad.csr());
      } catch (const softmaxkit::Error& error) {
        csr_message = error.what();
      }
      try {
        model.predict(view);
      } catch (const softmaxkit::Error& error) {
        dense_message = error.what();
      }
      CHECK(csr_message.find("NaN class probabilities") != std::string::npos);
      CHECK(csr_message == dense_message);
      CHECK_THROWS_AS(model.score(bad.csr(), bad.labels), softmaxkit::Error);
    } else {
      CHECK(model.predict(bad.csr()) == model.predict(view));
      CHECK(model.score(bad.csr(), bad.labels) == model.score(view, bad.labels));
    }
  }
}

TEST_CASE("sparse edges: the CSR fit on every ISA agrees with the dense fit") {
  const Sparse<float> f = random_sparse<float>(300, 40, 4, 0.15, 23);
  const Sparse<double> d = widened(f);
  for (const SolverKind solver : kSolvers) {
    CAPTURE(static_cast<int>(solver));
    const FitOptions options{.C = 1.0, .solver = solver, .tolerance = 1e-9};
    const Outcome reference = fit_dense(options, d);
    REQUIRE(reference.error.empty());
    SOFTMAXKIT_FOR_EACH_ISA(isa) {
      const Outcome sparse_float = fit_csr(options, f), sparse_double = fit_csr(options, d);
      const Outcome dense_float = fit_dense(options, f);
      REQUIRE(sparse_float.error.empty());
      REQUIRE(sparse_double.error.empty());
      // At 1e-9 the structured solver's line search can fail first, on both paths alike.
      // L-BFGS's reaches its floor in double here (gradient norms 2e-9 to 1e-8 against the
      // threshold 1e-9): whether it stops converged or line_search_failed depends on last bits
      // that the two paths do not share, so for it both must be one of those, near the threshold.
      if (solver == SolverKind::lbfgs) {
        for (const Outcome* outcome : {&reference, &sparse_double}) {
          CHECK((outcome->report.reason == StopReason::converged ||
                 outcome->report.reason == StopReason::line_search_failed));
          CHECK(outcome->report.gradient_norm <= 1e-7);
        }
      } else {
        CHECK(sparse_double.report.reason == reference.report.reason);
      }
      CHECK(relative(sparse_float.report.objective, reference.report.objective) <= 1e-6);
      CHECK(relative(sparse_double.report.objective, reference.report.objective) <= 1e-12);
      CHECK(relative(sparse_float.report.objective, dense_float.report.objective) <= 1e-6);
      CHECK(largest_difference(sparse_double.weights, reference.weights) <= 1e-6);
    }
  }
}

TEST_CASE("sparse edges: early stopping boundaries end as the dense fit does") {
  std::size_t all_held = 0, none_held = 0, one_held = 0;
  for (const double fraction : {1e-300, 1e-3, 0.3, 0.5, 0.9, 0.999999}) {
    for (const std::size_t rows : {2, 3, 4, 5, 7, 16}) {
      for (const bool use_double : {false, true}) {
        CAPTURE(fraction);
        CAPTURE(rows);
        CAPTURE(use_double);
        const Sparse<float> data = random_sparse<float>(rows, 5, 2, 0.6, 24);
        FitOptions options{.l2 = 1e-3, .max_iterations = 50};
        options.validation_fraction = fraction;
        options.patience = 1;
        options.use_double = use_double;
        const Outcome csr = fit_csr(options, data);
        // In float the two paths round differently, and with l2 = 1e-3 objectives equal to 1e-6
        // relative fix W only to sqrt(2 * 1e-6 * |J| / l2) each (strong convexity): about 1e-2 on
        // these sets (SSE2, without FMA, ends 2e-3 apart). In double both land within 1e-4.
        const double float_bound =
            2 * std::sqrt(2 * 1e-6 * std::max(csr.report.objective, 1.0) / options.l2);
        check_same_outcome(csr, fit_dense(options, data), 1e-6, use_double ? 1e-4 : float_bound,
                           false);
        // What the split itself implies: every row held out is an Error, and so is none held
        // out (it used to be no early stopping, silently), otherwise a validation accuracy on
        // the held-out rows.
        std::size_t held = 0;
        for (std::size_t i = 0; i < rows; ++i) held += softmaxkit::detail::is_held_out(i, fraction);
        if (held == rows) {
          ++all_held;
          CHECK(contains(csr.error, "holds out every one of the " + std::to_string(rows)));
        } else if (held == 0) {
          ++none_held;
          CHECK(contains(csr.error, "holds out none of the " + std::to_string(rows) + " rows"));
        } else {
          CHECK(csr.error.empty());
          CHECK(csr.report.validation_accuracy.has_value());
          one_held += held == 1;
        }
      }
    }
  }
  CHECK(all_held > 0);  // the grid reaches every boundary
  CHECK(none_held > 0);
  CHECK(one_held > 0);
  // A training part that loses a class (every row of class 1 held out) still trains on the
  // classes of all rows, like the dense fit; and fractions outside [0, 1) are refused by both.
  Sparse<double> lopsided;
  std::size_t held = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    const bool out = softmaxkit::detail::is_held_out(i, 0.25);
    held += out;
    lopsided.add_row({1.0 + static_cast<double>(i % 3), out ? 2.0 : 0.0}, out ? 1 : 0);
  }
  REQUIRE(held > 0);
  FitOptions options{.l2 = 1e-2, .validation_fraction = 0.25, .patience = 1};
  const Outcome csr = fit_csr(options, lopsided), dense = fit_dense(options, lopsided);
  check_same_outcome(csr, dense, 1e-6, 1e-4);
  CHECK(csr.classes == std::vector<std::int32_t>{0, 1});
  for (const double fraction : {1.0, -1e-300, double(NAN), double(INFINITY)}) {
    CAPTURE(fraction);
    options.validation_fraction = fraction;
    const Outcome bad = fit_csr(options, lopsided);
    CHECK(contains(bad.error, "validation_fraction"));
    check_same_outcome(bad, fit_dense(options, lopsided), 0, 0);
  }
}

TEST_CASE("sparse edges: use_double with early stopping on float CSR is the double CSR fit") {
  const Sparse<float> f = random_sparse<float>(400, 30, 3, 0.2, 25);
  const std::vector<double> widened(f.values.begin(), f.values.end());
  const CsrMatrixView<double> as_double(f.rows, f.cols, f.offsets, f.indices, widened);
  for (const SolverKind solver : kSolvers) {
    CAPTURE(static_cast<int>(solver));
    FitOptions options{.l2 = 1e-3, .solver = solver, .tolerance = 1e-10};
    options.use_double = true;
    options.validation_fraction = 0.2;
    options.patience = 2;
    SoftmaxRegression from_float(options), from_double(options);
    const FitReport a = from_float.fit(f.csr(), f.labels);
    const FitReport b = from_double.fit(as_double, f.labels);
    REQUIRE(a.validation_accuracy.has_value());
    CHECK(a.validation_accuracy == b.validation_accuracy);
    CHECK(a.objective == b.objective);
    CHECK(a.iterations == b.iterations);
    CHECK(same_bits(from_float.weights(), from_double.weights()));
    CHECK(same_bits(from_float.intercept(), from_double.intercept()));
  }
}

TEST_CASE("sparse edges: sample weights on CSR") {
  const Sparse<double> data = random_sparse<double>(90, 10, 3, 0.3, 26);
  const FitOptions options{.C = 1.0, .tolerance = 1e-10};
  // Zero weights equal dropping the rows (C scales with the weight total, which is unchanged).
  std::vector<double> weights(data.rows, 1.0);
  Sparse<double> kept;
  kept.cols = data.cols;
  const std::vector<double> dense = data.densified();
  for (std::size_t i = 0; i < data.rows; ++i) {
    if (i % 4 == 1) {
      weights[i] = 0;
      continue;
    }
    kept.add_row(
        std::vector<double>(dense.begin() + static_cast<std::ptrdiff_t>(i * data.cols),
                            dense.begin() + static_cast<std::ptrdiff_t>((i + 1) * data.cols)),
        data.labels[i]);
  }
  const Outcome zeroed = fit_csr(options, data, weights), dropped = fit_csr(options, kept);
  REQUIRE(zeroed.error.empty());
  CHECK(relative(zeroed.report.objective, dropped.report.objective) <= 1e-9);
  CHECK(largest_difference(zeroed.weights, dropped.weights) <= 1e-6);
  check_same_outcome(zeroed, fit_dense(options, data, weights), 1e-9, 1e-6);

  // One row with nonzero weight: a single class carries weight (the classes still come from the
  // labels); the dense fit ends the same way.
  // The intercept is not penalised, so the optimum is at infinity (objective 0): both fits get
  // there to rounding, along directions that need not agree.
  std::vector<double> one(data.rows, 0.0);
  one[5] = 3.0;
  const Outcome single_csr = fit_csr(options, data, one),
                single_dense = fit_dense(options, data, one);
  check_same_outcome(single_csr, single_dense, 1e-9, INFINITY);
  CHECK(single_csr.report.objective <= 1e-9);

  // Integer weights equal repeated rows, both on CSR (float).
  const Sparse<float> f = random_sparse<float>(80, 10, 3, 0.3, 27);
  const std::vector<float> fdense = f.densified();
  std::vector<float> counts(f.rows);
  Sparse<float> repeated;
  for (std::size_t i = 0; i < f.rows; ++i) {
    counts[i] = static_cast<float>(i % 4);
    if (i < 3) counts[i] = 1;
    for (std::size_t r = 0; r < static_cast<std::size_t>(counts[i]); ++r)
      repeated.add_row(
          std::vector<double>(fdense.begin() + static_cast<std::ptrdiff_t>(i * f.cols),
                              fdense.begin() + static_cast<std::ptrdiff_t>((i + 1) * f.cols)),
          f.labels[i]);
  }
  FitOptions in_double = options;
  in_double.use_double = true;
  const Outcome weighted = fit_csr(in_double, f, counts), expanded = fit_csr(in_double, repeated);
  REQUIRE(weighted.error.empty());
  CHECK(relative(weighted.report.objective, expanded.report.objective) <= 1e-9);
  CHECK(largest_difference(weighted.weights, expanded.weights) <= 1e-5);

  // Bad weights: the same Error as dense, naming the row.
  for (const double poison : {-1.0, double(NAN), double(INFINITY)}) {
    std::vector<double> bad(data.rows, 1.0);
    bad[17] = poison;
    const Outcome csr = fit_csr(options, data, bad);
    CHECK(contains(csr.error, "sample_weight[17]"));
    check_same_outcome(csr, fit_dense(options, data, bad), 0, 0);
  }
  const Outcome all_zero = fit_csr(options, data, std::vector<double>(data.rows, 0.0));
  CHECK(contains(all_zero.error, "all weights are zero"));
  const Outcome short_weights = fit_csr(options, data, std::vector<double>(data.rows - 1, 1.0));
  CHECK(contains(short_weights.error, "sample_weight has 89 entries"));
}

TEST_CASE("sparse edges: tiny penalties (C up to 1e300) reach the dense Newton optimum") {
  // The structured metric centres W's columns where lambda is below 1e-6 of a column's second
  // moment (kronecker_preconditioner.cpp); on CSR its G is diagonal, the dense test in
  // test_structured_solver.cpp has a full one. Reference: the dense data in double, Newton-CG to
  // tolerance 1e-10.
  const Sparse<float> single = random_sparse<float>(240, 14, 4, 0.3, 33);
  const Sparse<double> exact = widened(single);
  for (const double C : {1e6, 1e10, 1e300}) {
    FitOptions reference_options{.C = C, .solver = SolverKind::newton_cg, .tolerance = 1e-10};
    const Outcome reference = fit_dense(reference_options, exact);
    REQUIRE(reference.error.empty());
    REQUIRE(reference.report.reason == StopReason::converged);
    CHECK(reference.report.objective > 0.1);  // overlapping classes: an optimum away from 0
    for (const bool in_double : {false, true}) {
      CAPTURE(C);
      CAPTURE(in_double);
      const Outcome csr =
          in_double ? fit_csr(FitOptions{.C = C}, exact) : fit_csr(FitOptions{.C = C}, single);
      REQUIRE(csr.error.empty());
      CHECK(csr.report.reason == StopReason::converged);
      CHECK(relative(csr.report.objective, reference.report.objective) <= 1e-6);
    }
  }
}

TEST_CASE("sparse edges: warm start across CSR and dense fits of the same shape") {
  const Sparse<double> data = random_sparse<double>(150, 12, 3, 0.3, 28);
  const std::vector<double> dense = data.densified();
  const MatrixView<const double> view(dense.data(), data.rows, data.cols);
  FitOptions options{.l2 = 1e-2, .tolerance = 1e-10};
  for (const bool csr_first : {false, true}) {
    CAPTURE(csr_first);
    SoftmaxRegression model(options), reference(options);
    if (csr_first) {
      model.fit(data.csr(), data.labels);
    } else {
      model.fit(view, data.labels);
    }
    reference.fit(view, data.labels);
    model.options().warm_start = true;
    // From the optimum, the other representation's fit starts converged.
    const FitReport again =
        csr_first ? model.fit(view, data.labels) : model.fit(data.csr(), data.labels);
    CHECK(again.reason == StopReason::converged);
    CHECK(again.iterations <= 1);
    CHECK(largest_difference(model.weights(), reference.weights()) <= 1e-6);
    // A different column count is no warm start: it trains from zero, like dense.
    const Sparse<double> wider = random_sparse<double>(150, 13, 3, 0.3, 29);
    const Outcome from_zero = fit_csr(FitOptions{.l2 = 1e-2, .tolerance = 1e-10}, wider);
    const FitReport wide = model.fit(wider.csr(), wider.labels);
    CHECK(relative(wide.objective, from_zero.report.objective) <= 1e-9);
    CHECK(model.num_features() == 13);
  }
}

TEST_CASE("sparse edges: no intercept, two classes, odd labels, one feature, stored zeros") {
  // fit_intercept = false.
  const Sparse<double> data = random_sparse<double>(100, 9, 3, 0.3, 30);
  FitOptions no_intercept{.l2 = 1e-2, .fit_intercept = false, .tolerance = 1e-10};
  const Outcome csr = fit_csr(no_intercept, data);
  check_same_outcome(csr, fit_dense(no_intercept, data), 1e-10, 1e-6);
  CHECK(csr.intercept == std::vector<double>(3, 0.0));

  // K = 2 with labels at the ends of int32 and non-contiguous labels.
  const FitOptions options{.l2 = 1e-2, .tolerance = 1e-10};
  const std::int32_t lowest = std::numeric_limits<std::int32_t>::min();
  const std::int32_t highest = std::numeric_limits<std::int32_t>::max();
  Sparse<double> two = random_sparse<double>(60, 6, 2, 0.4, 31);
  for (auto& label : two.labels) label = label == 0 ? highest : lowest;
  const Outcome binary = fit_csr(options, two);
  check_same_outcome(binary, fit_dense(options, two), 1e-10, 1e-6);
  CHECK(binary.classes == std::vector<std::int32_t>{lowest, highest});
  SoftmaxRegression model(options);
  model.fit(two.csr(), two.labels);
  const std::vector<std::int32_t> predicted = model.predict(two.csr());
  for (std::int32_t label : predicted) CHECK((label == lowest || label == highest));
  CHECK(model.score(two.csr(), two.labels) > 0.5);
  const Sparse<double> odd = random_sparse<double>(60, 6, 3, 0.4, 32, -7, 100);
  check_same_outcome(fit_csr(options, odd), fit_dense(options, odd), 1e-10, 1e-6);

  // One class present: an Error, as dense.
  Sparse<double> single = data;
  std::fill(single.labels.begin(), single.labels.end(), 4);
  const Outcome one_class = fit_csr(options, single);
  CHECK(contains(one_class.error, "fewer than 2 classes"));
  check_same_outcome(one_class, fit_dense(options, single), 0, 0);

  // n = 1, some rows empty.
  Sparse<float> narrow;
  for (int i = 0; i < 30; ++i)
    narrow.add_row({i % 5 == 0 ? 0.0 : static_cast<double>(i % 3) - 1.0}, i % 3 == 2 ? 1 : 0);
  check_same_outcome(fit_csr(options, narrow), fit_dense(options, narrow), 1e-6, 1e-4);

  // Rows whose every entry is a stored zero train like empty rows.
  Sparse<double> zeros, empties;
  const std::vector<double> dense = data.densified();
  for (std::size_t i = 0; i < data.rows; ++i) {
    std::vector<double> row(dense.begin() + static_cast<std::ptrdiff_t>(i * data.cols),
                            dense.begin() + static_cast<std::ptrdiff_t>((i + 1) * data.cols));
    if (i % 5 == 0) std::fill(row.begin(), row.end(), 0.0);
    zeros.add_row(row, data.labels[i], i % 5 == 0);
    empties.add_row(row, data.labels[i]);
  }
  REQUIRE(zeros.values.size() > empties.values.size());
  const Outcome stored = fit_csr(options, zeros), absent = fit_csr(options, empties);
  CHECK(relative(stored.report.objective, absent.report.objective) <= 1e-12);
  CHECK(largest_difference(stored.weights, absent.weights) <= 1e-9);
  check_same_outcome(stored, fit_dense(options, zeros), 1e-10, 1e-6);
}

TEST_CASE("sparse edges: CSR with no rows or no columns") {
  const std::vector<std::int64_t> no_rows{0};
  const std::vector<std::int64_t> three_rows{0, 0, 0, 0};
  const std::vector<std::int32_t> none;
  const std::vector<double> nothing;
  const CsrMatrixView<double> zero_rows(0, 4, no_rows, none, nothing);
  const CsrMatrixView<double> zero_cols(3, 0, three_rows, none, nothing);
  const std::vector<std::int32_t> three_labels{0, 1, 2};
  const std::vector<double> no_dense;
  SoftmaxRegression model;
  for (const auto& [csr, labels] :
       {std::pair{zero_rows, std::vector<std::int32_t>{}}, std::pair{zero_cols, three_labels}}) {
    const std::string sparse_error = error_of([&] { model.fit(csr, labels); });
    const std::string dense_error = error_of([&] {
      model.fit(MatrixView<const double>(no_dense.data(), csr.rows(), csr.cols()), labels);
    });
    CHECK(contains(sparse_error, "features are empty"));
    CHECK(sparse_error == dense_error);
  }
  CHECK_FALSE(model.is_fitted());
  const Sparse<double> data = random_sparse<double>(30, 4, 3, 0.5, 33);
  model.fit(data.csr(), data.labels);
  // Predicting no rows gives no rows, like dense; scoring them is an Error, like dense.
  CHECK(model.predict_proba(zero_rows).empty());
  CHECK(model.predict(zero_rows).empty());
  const MatrixView<const double> dense_zero_rows(no_dense.data(), 0, 4);
  CHECK(model.predict(dense_zero_rows).empty());
  const std::vector<std::int32_t> no_labels;
  const std::string sparse_error = error_of([&] { (void)model.score(zero_rows, no_labels); });
  CHECK(contains(sparse_error, "no rows"));
  CHECK(sparse_error == error_of([&] { (void)model.score(dense_zero_rows, no_labels); }));
  CHECK(contains(error_of([&] { (void)model.predict(zero_cols); }), "0 columns"));
}

TEST_CASE("sparse edges: malformed CSR arrays are Errors naming the row and the entry") {
  const std::vector<std::int32_t> two_entries{0, 1};
  const std::vector<float> two_values{1.0f, 2.0f};
  auto view_error = [](std::size_t rows, std::size_t cols, std::vector<std::int64_t> offsets,
                       std::vector<std::int32_t> indices, std::vector<float> values) {
    return error_of([&] { CsrMatrixView<float>(rows, cols, offsets, indices, values); });
  };
  // Offsets.
  CHECK(contains(view_error(2, 3, {0, 2, 1}, {0, 1}, {1, 2}), "row_offsets[2] is 1"));
  CHECK(contains(view_error(2, 3, {0, 2, 1}, {0, 1}, {1, 2}), "must not decrease"));
  CHECK(contains(view_error(2, 3, {1, 1, 2}, {0, 1}, {1, 2}), "row_offsets[0] is 1"));
  CHECK(contains(view_error(2, 3, {0, -1, 2}, {0, 1}, {1, 2}), "row_offsets[1] is -1"));
  CHECK(contains(view_error(2, 3, {0, 1, 3}, {0, 1}, {1, 2}), "row_offsets[2] is 3"));
  CHECK(contains(view_error(2, 3, {0, 1, 1}, {0, 1}, {1, 2}), "row_offsets[rows] is 1"));
  CHECK(contains(view_error(2, 3, {0, 1}, {0, 1}, {1, 2}), "expected rows + 1"));
  // Claims far beyond the arrays: never read past them.
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  CHECK(contains(view_error(2, 3, {0, huge, huge}, {0, 1}, {1, 2}), "row_offsets[1] is"));
  CHECK(
      contains(view_error(2, 3, {0, std::int64_t{1} << 62, 2}, {0, 1}, {1, 2}), "row_offsets[1]"));
  CHECK(contains(view_error(std::numeric_limits<std::size_t>::max(), 3, {0, 2}, {0, 1}, {1, 2}),
                 "expected rows + 1"));
  CHECK(contains(view_error(1, softmaxkit::kCsrMaxColumns + 1, {0, 2}, {0, 1}, {1, 2}), "int32"));
  CHECK(contains(view_error(1, std::numeric_limits<std::size_t>::max(), {0, 2}, {0, 1}, {1, 2}),
                 "int32"));
  // Indices.
  CHECK(contains(view_error(2, 3, {0, 1, 3}, {0, 2, 1}, {1, 2, 3}), "row 1, entry 1 (offset 2)"));
  CHECK(contains(view_error(2, 3, {0, 1, 3}, {0, 2, 1}, {1, 2, 3}), "follows a larger one"));
  CHECK(contains(view_error(2, 3, {0, 1, 3}, {0, 2, 2}, {1, 2, 3}), "repeats"));
  CHECK(contains(view_error(2, 3, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}),
                 "row 1, entry 1 (offset 2): column index 3 is outside [0, 3)"));
  CHECK(contains(view_error(2, 3, {0, 1, 2}, {-1, 2}, {1, 2}), "column index -1"));
  CHECK(contains(view_error(1, 3, {0, 1}, {std::numeric_limits<std::int32_t>::min()}, {1}),
                 "is outside"));
  // Array sizes and null pointers.
  CHECK(contains(view_error(1, 3, {0, 2}, {0, 1}, {1}), "values has 1 entries"));
  CHECK(contains(error_of([&] {
                   CsrMatrixView<float>(1, 3, std::span<const std::int64_t>(), two_entries,
                                        two_values);
                 }),
                 "row_offsets has 0 entries"));
  CHECK(contains(error_of([&] {
                   CsrMatrixView<float>(
                       1, 3,
                       std::span<const std::int64_t>(static_cast<const std::int64_t*>(nullptr), 2),
                       two_entries, two_values);
                 }),
                 "row_offsets is null"));
  CHECK(contains(error_of([&] {
                   const std::vector<std::int64_t> offsets{0, 2};
                   CsrMatrixView<float>(
                       1, 3, offsets,
                       std::span<const std::int32_t>(static_cast<const std::int32_t*>(nullptr), 2),
                       two_values);
                 }),
                 "column_indices is null"));
}

TEST_CASE("sparse edges: mismatched arguments to every CSR entry point are Errors") {
  const Sparse<float> data = random_sparse<float>(40, 6, 3, 0.4, 34);
  SoftmaxRegression model;
  CHECK(contains(error_of([&] { (void)model.predict_proba(data.csr()); }), "not fitted"));
  CHECK(contains(error_of([&] { (void)model.score(data.csr(), data.labels); }), "not fitted"));
  std::vector<std::int32_t> longer = data.labels;
  longer.push_back(0);
  CHECK(contains(error_of([&] { model.fit(data.csr(), longer); }),
                 "labels has 41 entries but features has 40 rows"));
  CHECK(contains(error_of([&] {
                   model.fit(data.csr(), std::span<const std::int32_t>(
                                             static_cast<const std::int32_t*>(nullptr), 40));
                 }),
                 "labels is null"));
  CHECK_FALSE(model.is_fitted());
  model.fit(data.csr(), data.labels);
  const std::vector<double> weights = model.weights();
  // Wrong column counts in predict, predict_proba and score, both ways.
  for (const std::size_t cols : {5, 7, 1000000}) {
    const Sparse<float> other = random_sparse<float>(40, cols == 1000000 ? 7 : cols, 3, 0.4, 35);
    const CsrMatrixView<float> view(40, cols, other.offsets, other.indices, other.values);
    CAPTURE(cols);
    CHECK(contains(error_of([&] { (void)model.predict_proba(view); }),
                   std::to_string(cols) + " columns but the model has 6"));
    CHECK(contains(error_of([&] { (void)model.predict(view); }), "columns but the model has 6"));
    CHECK(contains(error_of([&] { (void)model.score(view, data.labels); }),
                   "columns but the model has 6"));
  }
  CHECK(contains(error_of([&] { (void)model.score(data.csr(), longer); }),
                 "labels has 41 entries but features has 40 rows"));
  CHECK(model.weights() == weights);

  // LossGradient on CSR.
  std::vector<std::int32_t> indices(data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) indices[i] = static_cast<std::int32_t>(i % 3);
  softmaxkit::RegressionProblem<float> problem;
  problem.sparse_features = data.csr();
  problem.labels = indices;
  problem.num_classes = 3;
  problem.l2 = 0.1;
  {
    auto bad = problem;
    std::vector<std::int32_t> short_indices(indices.begin(), indices.end() - 1);
    bad.labels = short_indices;
    CHECK(contains(error_of([&] { softmaxkit::LossGradient<float> loss(bad); }), "labels"));
  }
  {
    auto bad = problem;
    std::vector<std::int32_t> out_of_range = indices;
    out_of_range[9] = 3;
    bad.labels = out_of_range;
    CHECK(contains(error_of([&] { softmaxkit::LossGradient<float> loss(bad); }), "9"));
  }
  {
    auto bad = problem;
    const std::vector<float> dense = data.densified();
    bad.features = MatrixView<const float>(dense.data(), data.rows, data.cols);
    CHECK(contains(error_of([&] { softmaxkit::LossGradient<float> loss(bad); }), "not both"));
  }
  {
    auto bad = problem;
    std::vector<float> sample(data.rows - 2, 1.0f);
    bad.sample_weights = sample;
    CHECK(contains(error_of([&] { softmaxkit::LossGradient<float> loss(bad); }), "sample_weights"));
  }
  {
    softmaxkit::LossGradient<float> loss(problem);
    std::vector<float> w(3 * 6, 0.0f), b(3, 0.0f), gw(3 * 6), gb(3);
    std::vector<float> short_w(3 * 6 - 1, 0.0f);
    CHECK(contains(error_of([&] { loss.evaluate(short_w, b, gw, gb); }), "weights"));
    CHECK(std::isfinite(loss.evaluate(w, b, gw, gb)));
    // The gradient may not overwrite the CSR values it reads.
    std::span<float> aliased(const_cast<float*>(data.values.data()), 3);
    CHECK(contains(error_of([&] { loss.evaluate(w, b, gw, aliased); }), "sparse_features"));
    CHECK(contains(error_of([&] {
                     softmaxkit::LossGradientOptions options;
                     options.path = softmaxkit::ProductPath::blas;
                     softmaxkit::LossGradient<float> wrong(problem, options);
                   }),
                   "csr product path"));
  }
}

TEST_CASE("sparse edges: block_rows beyond the row count is one block of every row") {
  // SIZE_MAX used to overflow the block count to 0: a loss of 0 and a zero gradient.
  const Sparse<double> data = random_sparse<double>(50, 7, 3, 0.4, 36);
  const std::vector<double> dense = data.densified();
  std::vector<std::int32_t> indices(data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) indices[i] = static_cast<std::int32_t>(i % 3);
  for (const bool sparse : {true, false}) {
    CAPTURE(sparse);
    softmaxkit::RegressionProblem<double> problem;
    if (sparse) {
      problem.sparse_features = data.csr();
    } else {
      problem.features = MatrixView<const double>(dense.data(), data.rows, data.cols);
    }
    problem.labels = indices;
    problem.num_classes = 3;
    problem.l2 = 0.1;
    std::vector<double> w(3 * data.cols), b{0.1, -0.2, 0.3};
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.05 * static_cast<double>(i % 5) - 0.1;
    auto evaluate = [&](std::size_t block_rows, std::vector<double>& gradient) {
      softmaxkit::LossGradientOptions options;
      options.block_rows = block_rows;
      softmaxkit::LossGradient<double> loss(problem, options);
      CHECK(loss.block_rows() == std::min(block_rows, data.rows));
      gradient.assign(w.size() + 3, 0.0);
      return loss.evaluate(w, b, std::span<double>(gradient).first(w.size()),
                           std::span<double>(gradient).last(3));
    };
    std::vector<double> one_block, reference;
    const double expected = evaluate(data.rows, reference);
    CHECK(expected > 0.5);
    for (const std::size_t block_rows :
         {data.rows + 1, std::size_t{1} << 62, std::numeric_limits<std::size_t>::max()}) {
      CAPTURE(block_rows);
      CHECK(evaluate(block_rows, one_block) == expected);
      CHECK(same_bits(one_block, reference));
    }
  }
}

// Below n / 2 entries a CSR prediction reads W in place; from there on it reads a transposed
// copy (model.hpp). Each row must come out with the same bits either way: alone (in place) and
// within the whole matrix (the copy), and near a long-double sum of its entries.
TEST_CASE("sparse edges: a CSR row predicts the same bits alone and within a batch") {
  const Sparse<float> narrow = random_sparse<float>(120, 400, 5, 0.02, 31);
  const Sparse<double> data = widened(narrow);
  REQUIRE(data.indices.size() >= data.cols / 2);  // the batch takes the transposed copy
  SoftmaxRegression model(FitOptions{.l2 = 1e-3});
  model.fit(data.csr(), data.labels);
  const std::size_t K = model.num_classes();
  const std::vector<double>& W = model.weights();
  const std::vector<double>& b = model.intercept();
  const auto batch_logits_d = model.predict_logits(data.csr());
  const auto batch_logits_f = model.predict_logits(narrow.csr());
  const auto batch_proba = model.predict_proba(data.csr());
  CHECK(batch_logits_f == batch_logits_d);
  for (std::size_t i = 0; i < data.rows; ++i) {
    CAPTURE(i);
    const auto begin = static_cast<std::size_t>(data.offsets[i]);
    const auto entries = static_cast<std::size_t>(data.offsets[i + 1]) - begin;
    REQUIRE(entries < data.cols / 2);  // alone: read in place
    const std::vector<std::int64_t> offsets = {0, static_cast<std::int64_t>(entries)};
    const std::span<const std::int32_t> columns(data.indices.data() + begin, entries);
    const CsrMatrixView<double> row_d(1, data.cols, offsets, columns,
                                      std::span<const double>(data.values.data() + begin, entries));
    const CsrMatrixView<float> row_f(1, data.cols, offsets, columns,
                                     std::span<const float>(narrow.values.data() + begin, entries));
    const auto alone_d = model.predict_logits(row_d);
    const auto alone_f = model.predict_logits(row_f);
    const auto alone_proba = model.predict_proba(row_d);
    for (std::size_t k = 0; k < K; ++k) {
      CAPTURE(k);
      CHECK(alone_d[k] == batch_logits_d[i * K + k]);
      CHECK(alone_f[k] == batch_logits_d[i * K + k]);
      CHECK(alone_proba[k] == batch_proba[i * K + k]);
      long double exact = b[k];
      for (std::size_t e = 0; e < entries; ++e)
        exact += static_cast<long double>(data.values[begin + e]) *
                 W[k * data.cols + static_cast<std::size_t>(columns[e])];
      CHECK(std::abs(static_cast<long double>(alone_d[k]) - exact) <=
            1e-13L * (1 + std::abs(exact)));
    }
  }
}
