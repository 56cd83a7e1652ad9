// CSR columns without entries in a fit's rows (model.hpp's fit, model/unused_columns.hpp): the
// fit solves over the used columns only. The reference is the same rows over exactly their used
// columns (a compact matrix, every column used): spreading those columns over a wider matrix
// must give the compact fit's iterations, objective and parameters bit for bit, and in the unused
// columns the optimum (0 with a penalty; the start's value without one).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/regression.hpp"

namespace {

using softmaxkit::CsrMatrixView;
using softmaxkit::FitOptions;
using softmaxkit::FitReport;
using softmaxkit::IterationReport;
using softmaxkit::SoftmaxRegression;
using softmaxkit::SolverKind;

constexpr std::size_t kRows = 150, kCompact = 40, kClasses = 4;
// Compact column j sits at column kSpread * j + 3 of the wide matrix.
constexpr std::size_t kSpread = 7, kWide = kSpread * kCompact + 11;

template <class T>
struct Data {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> compact, wide;
  std::vector<T> values;
  std::vector<std::int32_t> labels;

  explicit Data(unsigned seed) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> uniform(-2, 2);
    for (std::size_t i = 0; i < kRows; ++i) {
      for (std::size_t j = 0; j < kCompact; ++j) {
        // Row i always holds column i mod kCompact, so every compact column is used.
        if (j != i % kCompact && random() % 5 != 0) continue;
        compact.push_back(static_cast<std::int32_t>(j));
        wide.push_back(static_cast<std::int32_t>(kSpread * j + 3));
        values.push_back(static_cast<T>(uniform(random)));
      }
      offsets.push_back(static_cast<std::int64_t>(values.size()));
      labels.push_back(static_cast<std::int32_t>(random() % kClasses));
    }
  }
  CsrMatrixView<T> compact_view() const {
    return CsrMatrixView<T>(kRows, kCompact, offsets, compact, values);
  }
  CsrMatrixView<T> wide_view() const {
    return CsrMatrixView<T>(kRows, kWide, offsets, wide, values);
  }
};

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// The wide model's used columns hold the compact model's bits; its unused ones `unused(k, j)`.
template <class Unused>
void check_spread(const SoftmaxRegression& compact, const SoftmaxRegression& wide,
                  const Unused& unused) {
  REQUIRE(wide.num_features() == kWide);
  std::size_t differing = 0, wrong_unused = 0;
  for (std::size_t k = 0; k < kClasses; ++k) {
    for (std::size_t j = 0; j < kWide; ++j) {
      const double got = wide.weights()[k * kWide + j];
      if ((j - 3) % kSpread == 0 && j >= 3 && (j - 3) / kSpread < kCompact) {
        differing += !same_bits(got, compact.weights()[k * kCompact + (j - 3) / kSpread]);
      } else {
        wrong_unused += !same_bits(got, unused(k, j));
      }
    }
    differing += !same_bits(wide.intercept()[k], compact.intercept()[k]);
  }
  CHECK(differing == 0);
  CHECK(wrong_unused == 0);
}

void check_same_report(const FitReport& a, const FitReport& b) {
  CHECK(a.reason == b.reason);
  CHECK(a.iterations == b.iterations);
  CHECK(a.evaluations == b.evaluations);
  CHECK(same_bits(a.objective, b.objective));
  CHECK(same_bits(a.gradient_norm, b.gradient_norm));
}

template <class T>
void check_options(const FitOptions& options) {
  const Data<T> data(17);
  SoftmaxRegression compact(options), wide(options);
  const FitReport compact_report = compact.fit(data.compact_view(), data.labels);
  const FitReport wide_report = wide.fit(data.wide_view(), data.labels);
  check_same_report(compact_report, wide_report);
  check_spread(compact, wide, [](std::size_t, std::size_t) { return 0.0; });
}

}  // namespace

TEST_CASE("unused CSR columns: the fit over the used ones, bit for bit, and 0 in the others") {
  FitOptions options;
  options.C = 1;
  options.tolerance = 1e-8;
  for (auto solver : {SolverKind::structured, SolverKind::lbfgs, SolverKind::newton_cg}) {
    options.solver = solver;
    INFO("solver " << static_cast<int>(solver));
    check_options<float>(options);
    check_options<double>(options);
    options.use_double = true;
    check_options<float>(options);
    options.use_double = false;
  }
  options.solver = SolverKind::lbfgs;
  options.l1 = 1e-3;
  check_options<double>(options);
  options.l1 = 0;
  options.solver.reset();
  options.fit_intercept = false;
  check_options<double>(options);
  options.fit_intercept = true;
  // Held-out rows: the used columns are those of the training and the held-out rows together.
  options.validation_fraction = 0.25;
  options.patience = 3;
  check_options<float>(options);
}

TEST_CASE(
    "unused CSR columns: a warm start's weights there are kept without a penalty, solved with") {
  const Data<double> data(23);
  // A start nonzero in every column but those j % 4 == 1: a fit on rows using all the others.
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  for (std::size_t i = 0; i < kRows; ++i) {
    for (std::size_t j = i % 3; j < kWide; j += 3) {
      if (j % 4 == 1) continue;
      columns.push_back(static_cast<std::int32_t>(j));
      values.push_back(static_cast<double>((i * 31 + j * 7) % 11) / 5.0 - 1.0);
    }
    offsets.push_back(static_cast<std::int64_t>(values.size()));
  }
  const CsrMatrixView<double> elsewhere(kRows, kWide, offsets, columns, values);
  auto spread = [](std::size_t j) {
    return j >= 3 && (j - 3) % kSpread == 0 && (j - 3) / kSpread < kCompact;
  };
  for (int max_iterations : {0, 5}) {
    for (double C : {1.0, 0.0}) {
      INFO("C " << C << " (0: no penalty), max_iterations " << max_iterations);
      FitOptions options;
      if (C > 0) options.C = C;
      options.max_iterations = 30;
      SoftmaxRegression wide(options);
      wide.fit(elsewhere, data.labels);
      const std::vector<double> start = wide.weights();
      for (std::size_t k = 0; k < kClasses; ++k)
        for (std::size_t j = 0; j < kWide; ++j)
          REQUIRE((start[k * kWide + j] != 0) == (j % 4 != 1));
      wide.options().warm_start = true;
      wide.options().max_iterations = max_iterations;
      wide.fit(data.wide_view(), data.labels);
      std::size_t wrong = 0;
      for (std::size_t k = 0; k < kClasses; ++k) {
        for (std::size_t j = 0; j < kWide; ++j) {
          const double got = wide.weights()[k * kWide + j], was = start[k * kWide + j];
          if (max_iterations == 0 || C == 0) {
            // The start is returned (max_iterations 0); without a penalty unused columns keep it.
            if (max_iterations == 0 || !spread(j)) wrong += !same_bits(got, was);
          } else if (!spread(j)) {
            // With a penalty: 0 where the start is 0; elsewhere solved as the full fit does,
            // one step at a time (an audit: a short warm fit zeroed them at once).
            wrong += j % 4 == 1 ? !same_bits(got, 0.0) : got == 0;
          }
        }
      }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("unused CSR columns: the callback sees every column of every point") {
  const Data<float> data(29);
  FitOptions options;
  options.C = 10;
  std::size_t calls = 0, wrong_size = 0, nonzero_unused = 0;
  std::vector<double> last;
  options.callback = [&](const IterationReport& report) {
    ++calls;
    wrong_size += report.point.size() != kClasses * kWide + kClasses;
    for (std::size_t k = 0; k < kClasses && report.point.size() >= kClasses * kWide; ++k)
      for (std::size_t j = 0; j < kWide; ++j)
        if (!(j >= 3 && (j - 3) % kSpread == 0 && (j - 3) / kSpread < kCompact))
          nonzero_unused += report.point[k * kWide + j] != 0;
    last.assign(report.point.begin(), report.point.end());
    return true;
  };
  SoftmaxRegression wide(options);
  wide.fit(data.wide_view(), data.labels);
  CHECK(calls > 2);
  CHECK(wrong_size == 0);
  CHECK(nonzero_unused == 0);
  // The last point reported is the one returned.
  REQUIRE(last.size() == kClasses * kWide + kClasses);
  CHECK(std::memcmp(last.data(), wide.weights().data(), kClasses * kWide * sizeof(double)) == 0);
  CHECK(std::memcmp(last.data() + kClasses * kWide, wide.intercept().data(),
                    kClasses * sizeof(double)) == 0);
}

TEST_CASE("LossGradientOptions::grid_features: at most 2^31, below the width the width's grid") {
  const Data<float> data(41);
  softmaxkit::RegressionProblem<float> problem;
  problem.sparse_features = data.compact_view();
  problem.labels = data.labels;
  problem.num_classes = kClasses;
  problem.l2 = 0.01;
  softmaxkit::LossGradientOptions options;
  options.grid_features = softmaxkit::kCsrMaxColumns + 1;
  try {
    softmaxkit::LossGradient<float> loss(problem, options);
    FAIL("grid_features above 2^31 was accepted");
  } catch (const softmaxkit::Error& error) {
    CHECK(std::string(error.what()).find("grid_features") != std::string::npos);
  }
  // Below the problem's width, and at 2^31 on data this small (4 chunks either way): the same
  // bits as the default.
  std::vector<float> weights(kClasses * kCompact), intercept(kClasses, 0.5f);
  for (std::size_t e = 0; e < weights.size(); ++e) weights[e] = static_cast<float>(e % 7) / 10;
  std::vector<float> expected(weights.size()), got(weights.size()), bias(kClasses);
  const double reference =
      softmaxkit::LossGradient<float>(problem).evaluate(weights, intercept, expected, bias);
  for (std::size_t width : {std::size_t{3}, softmaxkit::kCsrMaxColumns}) {
    options.grid_features = width;
    const double value =
        softmaxkit::LossGradient<float>(problem, options).evaluate(weights, intercept, got, bias);
    CHECK(same_bits(value, reference));
    CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("unused CSR columns are left out only when their solver state outweighs the copy") {
  // One empty column beside 40 used ones over about 1300 entries: 4 x 224 bytes of solver state
  // against 4 bytes per entry of renumbered indices, so the fit keeps every column (its metric
  // describes G over 41 + 1 columns); 251 empty columns of 291 are left out (G over 40 + 1).
  const Data<double> data(43);
  REQUIRE(data.values.size() * sizeof(std::int32_t) > kClasses * 224);
  const CsrMatrixView<double> one_more(kRows, kCompact + 1, data.offsets, data.compact,
                                       data.values);
  FitOptions options;
  options.C = 1;
  SoftmaxRegression kept(options), left_out(options);
  const FitReport kept_report = kept.fit(one_more, data.labels);
  const FitReport left_out_report = left_out.fit(data.wide_view(), data.labels);
  INFO(kept_report.metric << " / " << left_out_report.metric);
  CHECK(kept_report.metric.find("G full 42,") != std::string::npos);
  CHECK(left_out_report.metric.find("G full 41,") != std::string::npos);
  // Solved with the others, the empty column ends near its optimum 0 (not exactly: the metric's
  // eigenvectors mix it with the used columns).
  for (std::size_t k = 0; k < kClasses; ++k)
    CHECK(std::abs(kept.weights()[k * (kCompact + 1) + kCompact]) < 1e-12);
}

TEST_CASE("unused CSR columns: NaN or inf among the used columns' values ends the fit as before") {
  // The renumbered view borrows the caller's values: a non-finite one must still end the fit
  // with StopReason::nan and leave the model as it was (model.hpp), float and double.
  auto check = [](auto zero) {
    using T = decltype(zero);
    for (T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity()}) {
      Data<T> data(47);
      data.values[data.values.size() / 2] = bad;
      FitOptions options;
      options.C = 1;
      SoftmaxRegression wide(options);
      const FitReport report = wide.fit(data.wide_view(), data.labels);
      CHECK(report.reason == softmaxkit::StopReason::nan);
      CHECK(!wide.is_fitted());
    }
  };
  check(0.0f);
  check(0.0);
}
