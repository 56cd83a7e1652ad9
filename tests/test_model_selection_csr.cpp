// fit_path and cross_validate on CSR features against the dense path on the densified matrix (the
// dense path is the reference: it is tested against independent cold fits and scikit-learn in
// test_model_selection.cpp and python/tests), bitwise determinism across thread counts, and the
// bad arguments of the CSR overloads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
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

using softmaxkit::CsrMatrix;
using softmaxkit::CsrMatrixView;
using softmaxkit::CvOptions;
using softmaxkit::CvResult;
using softmaxkit::FitOptions;
using softmaxkit::Fold;
using softmaxkit::MatrixView;

// Random sparse rows (about 15 % of the entries stored) whose labels depend on the features, so
// C matters; every 13th row is empty and column 5 is never stored.
struct SparseData {
  std::size_t rows = 0, cols = 0;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  std::vector<std::int32_t> labels;
  std::vector<double> dense;  // the same matrix, densified (rows x cols)

  CsrMatrixView<double> csr() const {
    return {rows, cols, offsets, columns, std::span<const double>(values)};
  }
  MatrixView<const double> dense_view() const { return {dense.data(), rows, cols}; }
};

SparseData make_sparse(std::size_t rows, std::size_t cols, int classes, unsigned seed) {
  SparseData data;
  data.rows = rows;
  data.cols = cols;
  data.dense.assign(rows * cols, 0.0);
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto label = static_cast<int>(i % static_cast<std::size_t>(classes));
    if (i % 13 != 4) {
      for (std::size_t j = 0; j < cols; ++j) {
        if (j == 5 || uniform(generator) > 0.15) continue;
        // Columns j = label (mod classes) lean positive for the row's class.
        const double shift =
            j % static_cast<std::size_t>(classes) == static_cast<std::size_t>(label) ? 0.8 : 0.0;
        const double value = shift + noise(generator);
        data.columns.push_back(static_cast<std::int32_t>(j));
        data.values.push_back(value);
        data.dense[i * cols + j] = value;
      }
    }
    data.offsets.push_back(static_cast<std::int64_t>(data.columns.size()));
    data.labels.push_back(label * 3 - 1);  // labels need not be 0..K-1
  }
  return data;
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

const std::vector<double> kCs = {1.0, 0.01, 10.0, 0.1};  // unsorted on purpose

}  // namespace

TEST_CASE("fit_path on CSR equals fit_path on the densified matrix (double and float)") {
  const SparseData data = make_sparse(260, 30, 3, 5);
  {
    const FitOptions options = tight_options();
    const softmaxkit::PathResult sparse =
        softmaxkit::fit_path(data.csr(), data.labels, kCs, options);
    const softmaxkit::PathResult dense =
        softmaxkit::fit_path(data.dense_view(), data.labels, kCs, options);
    CHECK(sparse.classes == std::vector<std::int32_t>{-1, 2, 5});
    CHECK(sparse.classes == dense.classes);
    REQUIRE(sparse.points.size() == kCs.size());
    for (std::size_t i = 0; i < kCs.size(); ++i) {
      CAPTURE(kCs[i]);
      const softmaxkit::PathPoint &s = sparse.points[i], &d = dense.points[i];
      CHECK(s.C == kCs[i]);
      CHECK(s.lambda == d.lambda);
      CHECK(s.report.reason == softmaxkit::StopReason::converged);
      CHECK(std::abs(s.report.objective - d.report.objective) <=
            1e-9 * std::abs(d.report.objective));
      CHECK(largest_difference(s.weights, d.weights) <= 1e-5 * (1.0 + kCs[i]));
      CHECK(largest_difference(s.intercept, d.intercept) <= 1e-5 * (1.0 + kCs[i]));
      // Column 5 is empty: its gradient is the penalty's alone, so its weights are 0 at the
      // optimum (the solver's metric mixes columns, so to rounding, not exactly).
      for (std::size_t k = 0; k < 3; ++k) CHECK(std::abs(s.weights[k * data.cols + 5]) <= 1e-12);
    }
  }
  // Float values: the same in float against the densified float matrix.
  const std::vector<float> values(data.values.begin(), data.values.end());
  const std::vector<float> dense(data.dense.begin(), data.dense.end());
  const CsrMatrixView<float> csr(data.rows, data.cols, data.offsets, data.columns,
                                 std::span<const float>(values));
  FitOptions options = tight_options();
  options.tolerance = 1e-6;
  const softmaxkit::PathResult s = softmaxkit::fit_path(csr, data.labels, kCs, options);
  const softmaxkit::PathResult d = softmaxkit::fit_path(
      MatrixView<const float>(dense.data(), data.rows, data.cols), data.labels, kCs, options);
  for (std::size_t i = 0; i < kCs.size(); ++i) {
    CAPTURE(kCs[i]);
    CHECK(s.points[i].report.reason != softmaxkit::StopReason::max_iterations);
    CHECK(std::abs(s.points[i].report.objective - d.points[i].report.objective) <=
          1e-6 * std::abs(d.points[i].report.objective));
    CHECK(largest_difference(s.points[i].weights, d.points[i].weights) <= 1e-2 * (1.0 + kCs[i]));
  }
}

TEST_CASE("cross_validate on CSR equals cross_validate on the densified matrix") {
  const SparseData data = make_sparse(240, 24, 3, 9);
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 4, 17);
  for (const bool explicit_folds : {true, false}) {
    CAPTURE(explicit_folds);
    CvOptions cv;
    cv.folds = 4;
    cv.seed = 17;  // the same folds as `folds`
    const FitOptions options = tight_options();
    const CvResult sparse =
        explicit_folds
            ? softmaxkit::cross_validate(data.csr(), data.labels, kCs, folds, options, cv)
            : softmaxkit::cross_validate(data.csr(), data.labels, kCs, options, cv);
    const CvResult dense =
        explicit_folds
            ? softmaxkit::cross_validate(data.dense_view(), data.labels, kCs, folds, options, cv)
            : softmaxkit::cross_validate(data.dense_view(), data.labels, kCs, options, cv);
    REQUIRE(sparse.folds.size() == folds.size());
    for (std::size_t f = 0; f < folds.size(); ++f) {
      CHECK(sparse.folds[f].train == folds[f].train);
      CHECK(sparse.folds[f].test == folds[f].test);
    }
    CHECK(sparse.best_index == dense.best_index);
    CHECK(sparse.best_C == dense.best_C);
    for (std::size_t f = 0; f < folds.size(); ++f) {
      for (std::size_t c = 0; c < kCs.size(); ++c) {
        CAPTURE(f);
        CAPTURE(kCs[c]);
        const softmaxkit::CvScore &s = sparse.scores[f][c], &d = dense.scores[f][c];
        CHECK(std::abs(s.accuracy - d.accuracy) <= 1e-9);
        CHECK(std::abs(s.log_loss - d.log_loss) <= 1e-9 * d.log_loss);
        CHECK(std::abs(s.report.objective - d.report.objective) <=
              1e-9 * std::abs(d.report.objective));
      }
    }
    for (std::size_t c = 0; c < kCs.size(); ++c) {
      CHECK(std::abs(sparse.mean_accuracy[c] - dense.mean_accuracy[c]) <= 1e-9);
      CHECK(std::abs(sparse.mean_log_loss[c] - dense.mean_log_loss[c]) <=
            1e-9 * dense.mean_log_loss[c]);
    }
    // The refit on all rows at the best C, and its predictions on the CSR rows.
    REQUIRE(sparse.model.has_value());
    REQUIRE(dense.model.has_value());
    CHECK(std::abs(sparse.refit_report->objective - dense.refit_report->objective) <=
          1e-9 * std::abs(dense.refit_report->objective));
    CHECK(largest_difference(sparse.model->weights(), dense.model->weights()) <= 1e-5);
    CHECK(largest_difference(sparse.model->predict_proba(data.csr()),
                             dense.model->predict_proba(data.dense_view())) <= 1e-7);
  }
}

TEST_CASE("fit_path and cross_validate on CSR: bitwise identical for 1, 2 and 3 threads") {
  const SparseData data = make_sparse(300, 40, 4, 21);
  const std::vector<float> values(data.values.begin(), data.values.end());
  const CsrMatrixView<float> csr_float(data.rows, data.cols, data.offsets, data.columns,
                                       std::span<const float>(values));
  for (const bool in_float : {false, true}) {
    CAPTURE(in_float);
    std::vector<double> path_weights[3], model_weights[3], scores[3];
    for (const int threads : {1, 2, 3}) {
      FitOptions options = tight_options(threads);
      options.tolerance = 1e-8;
      const softmaxkit::PathResult path =
          in_float ? softmaxkit::fit_path(csr_float, data.labels, kCs, options)
                   : softmaxkit::fit_path(data.csr(), data.labels, kCs, options);
      CvOptions cv;
      cv.folds = 3;
      const CvResult result =
          in_float ? softmaxkit::cross_validate(csr_float, data.labels, kCs, options, cv)
                   : softmaxkit::cross_validate(data.csr(), data.labels, kCs, options, cv);
      auto& w = path_weights[threads - 1];
      for (const auto& point : path.points) {
        w.insert(w.end(), point.weights.begin(), point.weights.end());
        w.insert(w.end(), point.intercept.begin(), point.intercept.end());
        w.push_back(point.report.objective);
      }
      model_weights[threads - 1] = result.model->weights();
      for (const auto& fold : result.scores) {
        for (const auto& score : fold) {
          scores[threads - 1].push_back(score.accuracy);
          scores[threads - 1].push_back(score.log_loss);
          scores[threads - 1].push_back(score.report.objective);
        }
      }
      scores[threads - 1].push_back(result.best_C);
    }
    for (int t = 1; t < 3; ++t) {
      CAPTURE(t + 1);
      CHECK(same_bits(path_weights[0], path_weights[t]));
      CHECK(same_bits(model_weights[0], model_weights[t]));
      CHECK(same_bits(scores[0], scores[t]));
    }
  }
}

TEST_CASE("fit_path and cross_validate on CSR: bad arguments name themselves") {
  const SparseData data = make_sparse(60, 8, 2, 3);
  const CsrMatrixView<double> csr = data.csr();
  const FitOptions options;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> none;
  for (const auto& [Cs, fragment] :
       std::vector<std::pair<std::vector<double>, std::string>>{{none, "Cs is empty"},
                                                                {{1.0, 0.0}, "Cs[1] is 0"},
                                                                {{-2.0}, "Cs[0] is -2"},
                                                                {{nan}, "Cs[0] is nan"},
                                                                {{1.0, inf}, "Cs[1] is inf"}}) {
    CAPTURE(fragment);
    check_throws_naming([&] { softmaxkit::fit_path(csr, data.labels, Cs, options); }, fragment);
    check_throws_naming([&] { softmaxkit::cross_validate(csr, data.labels, Cs, options); },
                        fragment);
    check_throws_naming(
        [&] {
          softmaxkit::cross_validate(csr, data.labels, Cs,
                                     softmaxkit::stratified_folds(data.labels, 2), options);
        },
        fragment);
  }
  const std::vector<double> Cs = {1.0};
  std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3);
  folds[1].test.push_back(60);
  check_throws_naming([&] { softmaxkit::cross_validate(csr, data.labels, Cs, folds, options); },
                      "folds[1].test[");
  check_throws_naming([&] { softmaxkit::cross_validate(csr, data.labels, Cs, folds, options); },
                      "is 60 but features has 60 rows");
  folds = softmaxkit::stratified_folds(data.labels, 3);
  folds[2].train.front() = 1000;
  check_throws_naming([&] { softmaxkit::cross_validate(csr, data.labels, Cs, folds, options); },
                      "folds[2].train[0] is 1000");
  check_throws_naming(
      [&] { softmaxkit::cross_validate(csr, data.labels, Cs, std::vector<Fold>{}, options); },
      "folds is empty");
  CvOptions cv;
  cv.folds = 31;  // each class has 30 rows
  check_throws_naming([&] { softmaxkit::cross_validate(csr, data.labels, Cs, options, cv); },
                      "cross_validate: cv.folds is 31");
  const std::vector<std::int32_t> short_labels(data.labels.begin(), data.labels.end() - 1);
  check_throws_naming([&] { softmaxkit::cross_validate(csr, short_labels, Cs, options); },
                      "labels has 59 entries");
  FitOptions held_out;
  held_out.validation_fraction = 0.2;
  check_throws_naming([&] { softmaxkit::fit_path(csr, data.labels, Cs, held_out); },
                      "options.validation_fraction");
}
