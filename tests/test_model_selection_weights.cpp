// Sample weights in the C search (fit_path, cross_validate): integer weights must act exactly as
// repeated rows, in each fold's fits and in its held-out scores, so the reference is the same
// search on rows repeated w times (a weight of 0 drops the row), which the unweighted code runs.
// Also: CSR against dense, thread-count determinism, and every weight error named before a fit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "model_selection_checks.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using model_selection_checks::check_throws_naming;
using model_selection_checks::same_bits;
using model_selection_checks::tight_options;

using softmaxkit::CsrMatrix;
using softmaxkit::CvOptions;
using softmaxkit::CvResult;
using softmaxkit::Fold;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;

constexpr std::size_t kRows = 90, kCols = 4;
constexpr int kClasses = 3;

struct Data {
  std::vector<double> features;
  std::vector<std::int32_t> labels;
  std::vector<double> weights;
  MatrixView<const double> view() const { return {features.data(), labels.size(), kCols}; }
};

// Overlapping Gaussian blobs (class c has mean 1.5 on feature c), labels cycling 0, 1, 2, and
// integer weights 0..3 (every fifth row 0).
Data weighted_blobs() {
  Data data;
  std::mt19937 generator(20261205);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t i = 0; i < kRows; ++i) {
    const auto label = static_cast<std::int32_t>(i % kClasses);
    for (std::size_t j = 0; j < kCols; ++j) {
      data.features.push_back((j == static_cast<std::size_t>(label) ? 1.5 : 0.0) +
                              noise(generator));
    }
    data.labels.push_back(label);
    data.weights.push_back(i % 5 == 0 ? 0.0 : static_cast<double>(1 + (i * 7) % 3));
  }
  return data;
}

// Each index repeated weight times.
std::vector<std::size_t> repeated(const std::vector<std::size_t>& rows,
                                  const std::vector<double>& weights) {
  std::vector<std::size_t> out;
  for (std::size_t row : rows) {
    for (int copy = 0; copy < static_cast<int>(weights[row]); ++copy) out.push_back(row);
  }
  return out;
}

// The rows repeated as a matrix (for fits on all rows).
Data materialised(const Data& data) {
  Data out;
  for (std::size_t i = 0; i < kRows; ++i) {
    for (int copy = 0; copy < static_cast<int>(data.weights[i]); ++copy) {
      out.features.insert(out.features.end(), data.features.begin() + static_cast<long>(i * kCols),
                          data.features.begin() + static_cast<long>((i + 1) * kCols));
      out.labels.push_back(data.labels[i]);
    }
  }
  return out;
}

CsrMatrix<double> to_csr(const Data& data) {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  for (std::size_t i = 0; i < kRows; ++i) {
    for (std::size_t j = 0; j < kCols; ++j) {
      // A sparse pattern: small entries are not stored (the dense copy holds them as 0).
      const double value = data.features[i * kCols + j];
      if (std::fabs(value) < 0.3) continue;
      columns.push_back(static_cast<std::int32_t>(j));
      values.push_back(value);
    }
    offsets.push_back(static_cast<std::int64_t>(values.size()));
  }
  return {kRows, kCols, std::move(offsets), std::move(columns), std::move(values)};
}

void check_close(double actual, double expected, double relative) {
  CHECK(std::fabs(actual - expected) <= relative * std::max(1.0, std::fabs(expected)));
}

const std::vector<double> kCs{0.01, 0.3, 10.0};

}  // namespace

TEST_CASE("cross_validate with integer sample weights equals the search on repeated rows") {
  const Data data = weighted_blobs();
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3, 7);
  std::vector<Fold> repeated_folds;
  for (const Fold& fold : folds) {
    repeated_folds.push_back(
        {repeated(fold.train, data.weights), repeated(fold.test, data.weights)});
  }
  const CvResult weighted = softmaxkit::cross_validate(data.view(), data.labels, kCs, folds,
                                                       tight_options(), {}, data.weights);
  const CvResult reference = softmaxkit::cross_validate(
      data.view(), data.labels, kCs, repeated_folds, tight_options(), CvOptions{.refit = false});
  for (std::size_t f = 0; f < folds.size(); ++f) {
    for (std::size_t c = 0; c < kCs.size(); ++c) {
      CAPTURE(f);
      CAPTURE(c);
      const auto& w = weighted.scores[f][c];
      const auto& r = reference.scores[f][c];
      // Exactly: the correct rows' weights over the weight sum are the repeated rows' count
      // over theirs (integers in double); the rows' shares w / W summed were not.
      CHECK(w.accuracy == r.accuracy);
      check_close(w.log_loss, r.log_loss, 1e-7);
      check_close(w.report.objective, r.report.objective, 1e-9);
    }
  }
  CHECK(weighted.best_index == reference.best_index);
  CHECK(weighted.scores[0][0].weights.empty());  // kept only with CvOptions::keep_coefficients
  // The weights change the answer (else the comparison above proves little).
  const CvResult unweighted =
      softmaxkit::cross_validate(data.view(), data.labels, kCs, folds, tight_options());
  CHECK(std::fabs(unweighted.scores[0][1].log_loss - weighted.scores[0][1].log_loss) > 1e-4);

  // The refit on all rows is weighted too: against a fit on the materialised repeated rows.
  const Data rows = materialised(data);
  softmaxkit::FitOptions options = tight_options();
  options.C = weighted.best_C;
  SoftmaxRegression direct(options);
  const auto report = direct.fit(
      MatrixView<const double>{rows.features.data(), rows.labels.size(), kCols}, rows.labels);
  REQUIRE(weighted.model.has_value());
  check_close(weighted.refit_report->objective, report.objective, 1e-9);
  for (std::size_t i = 0; i < direct.weights().size(); ++i) {
    CHECK(weighted.model->weights()[i] == doctest::Approx(direct.weights()[i]).epsilon(1e-6));
  }
}

TEST_CASE("cross_validate with every weight 1 scores with the unweighted search's bits") {
  // The command's --cv 0 gives its --test rows weight 1 and promises a plain mean: 47 shares
  // of 1/50 summed to 0.9400000000000005, not 47/50. Dense and CSR features (float and
  // double) reach the scoring by different routes.
  const Data data = weighted_blobs();
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3, 7);
  // Every entry stored, so the CSR problems are the dense one.
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    for (std::size_t j = 0; j < kCols; ++j) columns.push_back(static_cast<std::int32_t>(j));
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  const std::vector<float> narrow(data.features.begin(), data.features.end());
  const softmaxkit::CsrMatrixView<double> csr_double(data.labels.size(), kCols, offsets, columns,
                                                     data.features);
  const softmaxkit::CsrMatrixView<float> csr_float(data.labels.size(), kCols, offsets, columns,
                                                   narrow);
  for (int kind = 0; kind < 3; ++kind) {
    CAPTURE(kind);
    // Weights of 1 (in the features' type), or none.
    auto search = [&](bool weighted) {
      const std::vector<double> ones(weighted ? data.labels.size() : 0, 1.0);
      const std::vector<float> ones_float(ones.begin(), ones.end());
      if (kind == 0)
        return softmaxkit::cross_validate(data.view(), data.labels, kCs, folds, tight_options(), {},
                                          ones);
      if (kind == 1)
        return softmaxkit::cross_validate(csr_double, data.labels, kCs, folds, tight_options(), {},
                                          ones);
      return softmaxkit::cross_validate(csr_float, data.labels, kCs, folds, tight_options(), {},
                                        ones_float);
    };
    const CvResult unit = search(true);
    const CvResult plain = search(false);
    for (std::size_t f = 0; f < folds.size(); ++f) {
      for (std::size_t c = 0; c < kCs.size(); ++c) {
        CAPTURE(f);
        CAPTURE(c);
        const auto& u = unit.scores[f][c];
        const auto& p = plain.scores[f][c];
        REQUIRE(u.report.objective == p.report.objective);  // the same fits, bit for bit
        CHECK(u.accuracy == p.accuracy);
        CHECK(u.log_loss == p.log_loss);
        // And the plain mean itself: a count over the fold's rows.
        const double rows = static_cast<double>(folds[f].test.size());
        CHECK(p.accuracy * rows == doctest::Approx(std::round(p.accuracy * rows)).epsilon(1e-15));
      }
    }
  }
}

TEST_CASE("fit_path with integer sample weights equals the path on repeated rows") {
  const Data data = weighted_blobs();
  const Data rows = materialised(data);
  const auto weighted = softmaxkit::fit_path(data.view(), data.labels, kCs, tight_options(),
                                             std::span<const double>(data.weights));
  const auto reference = softmaxkit::fit_path(
      MatrixView<const double>{rows.features.data(), rows.labels.size(), kCols}, rows.labels, kCs,
      tight_options());
  for (std::size_t c = 0; c < kCs.size(); ++c) {
    CAPTURE(c);
    check_close(weighted.points[c].report.objective, reference.points[c].report.objective, 1e-9);
    check_close(weighted.points[c].lambda, reference.points[c].lambda, 1e-15);
    for (std::size_t i = 0; i < weighted.points[c].weights.size(); ++i) {
      CHECK(weighted.points[c].weights[i] ==
            doctest::Approx(reference.points[c].weights[i]).epsilon(1e-6));
    }
  }
}

TEST_CASE("weighted cross_validate: CSR equals dense, and the bits do not depend on threads") {
  const Data data = weighted_blobs();
  const CsrMatrix<double> csr = to_csr(data);
  std::vector<double> densified(kRows * kCols, 0.0);
  for (std::size_t i = 0; i < kRows; ++i) {
    for (std::size_t e = csr.view().row_begin(i); e < csr.view().row_end(i); ++e) {
      densified[i * kCols + static_cast<std::size_t>(csr.view().column_indices()[e])] =
          csr.view().values()[e];
    }
  }
  const MatrixView<const double> dense{densified.data(), kRows, kCols};
  const CvOptions cv{.folds = 3, .seed = 11};
  const CvResult from_dense =
      softmaxkit::cross_validate(dense, data.labels, kCs, tight_options(), cv, data.weights);
  const CvResult from_csr =
      softmaxkit::cross_validate(csr.view(), data.labels, kCs, tight_options(), cv, data.weights);
  for (std::size_t f = 0; f < 3; ++f) {
    for (std::size_t c = 0; c < kCs.size(); ++c) {
      CHECK(from_csr.scores[f][c].accuracy == from_dense.scores[f][c].accuracy);
      check_close(from_csr.scores[f][c].log_loss, from_dense.scores[f][c].log_loss, 1e-8);
    }
  }
  for (int threads : {2, 3}) {
    CAPTURE(threads);
    const CvResult other = softmaxkit::cross_validate(csr.view(), data.labels, kCs,
                                                      tight_options(threads), cv, data.weights);
    for (std::size_t f = 0; f < 3; ++f) {
      for (std::size_t c = 0; c < kCs.size(); ++c) {
        CHECK(other.scores[f][c].log_loss == from_csr.scores[f][c].log_loss);
        CHECK(other.scores[f][c].accuracy == from_csr.scores[f][c].accuracy);
      }
    }
    CHECK(same_bits(other.model->weights(), from_csr.model->weights()));
  }
}

TEST_CASE("a fold whose training rows of a class all weigh 0 trains that class as absent") {
  // As a single fit (a class weighing 0 is allowed, the model keeps it) and scikit-learn's
  // LogisticRegressionCV; it was an Error ("every fold must train on every class"). Each of the
  // fold's path fits reaches the optimum a cold fit on its weighted rows reaches.
  const Data data = weighted_blobs();
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3, 7);
  std::vector<double> no_class_two = data.weights;
  for (std::size_t row : folds[0].train) {
    if (data.labels[row] == 2) no_class_two[row] = 0;
  }
  CvOptions cv;
  cv.keep_coefficients = true;
  cv.refit = false;
  const CvResult result = softmaxkit::cross_validate(data.view(), data.labels, kCs, folds,
                                                     tight_options(), cv, no_class_two);
  std::vector<double> features;
  std::vector<std::int32_t> labels;
  std::vector<double> weights;
  for (std::size_t row : folds[0].train) {
    features.insert(features.end(), data.features.begin() + row * kCols,
                    data.features.begin() + (row + 1) * kCols);
    labels.push_back(data.labels[row]);
    weights.push_back(no_class_two[row]);
  }
  for (std::size_t c = 0; c < kCs.size(); ++c) {
    CAPTURE(kCs[c]);
    SoftmaxRegression cold;
    cold.options() = tight_options();
    cold.options().C = kCs[c];
    const softmaxkit::FitReport report =
        cold.fit(MatrixView<const double>(features.data(), labels.size(), kCols), labels, weights);
    const softmaxkit::CvScore& score = result.scores[0][c];
    CHECK(score.report.objective <= report.objective + 1e-9 * std::fabs(report.objective));
    CHECK(report.objective <= score.report.objective + 1e-9 * std::fabs(report.objective));
    CHECK(std::isfinite(score.log_loss));
    // Class 2's probability on the fold's training rows is tiny under the kept coefficients.
    for (std::size_t i = 0; i < labels.size(); ++i) {
      double z[kClasses], top = -INFINITY, sum = 0;
      for (int k = 0; k < kClasses; ++k) {
        z[k] = score.intercept[k];
        for (std::size_t j = 0; j < kCols; ++j)
          z[k] += score.weights[k * kCols + j] * features[i * kCols + j];
        top = std::max(top, z[k]);
      }
      for (double v : z) sum += std::exp(v - top);
      CHECK(std::exp(z[2] - top) / sum < 1e-3);
    }
  }
}

TEST_CASE("weighted searches refuse bad weights and weightless folds before any fit") {
  const Data data = weighted_blobs();
  const std::vector<Fold> folds = softmaxkit::stratified_folds(data.labels, 3, 7);
  auto cv_with = [&](std::vector<double> weights) {
    return [&data, &folds, weights] {
      softmaxkit::cross_validate(data.view(), data.labels, kCs, folds, tight_options(), {},
                                 weights);
    };
  };
  auto with_value = [&](std::size_t row, double value) {
    std::vector<double> weights = data.weights;
    weights[row] = value;
    return weights;
  };
  check_throws_naming(cv_with({1.0, 2.0, 3.0}),
                      "cross_validate: sample_weight has 3 entries but features has 90 rows");
  check_throws_naming(cv_with(with_value(7, std::nan(""))), "sample_weight[7] is nan");
  check_throws_naming(cv_with(with_value(4, -1.0)), "sample_weight[4] is -1");
  check_throws_naming(cv_with(with_value(89, std::numeric_limits<double>::infinity())),
                      "sample_weight[89] is inf");
  check_throws_naming(cv_with(std::vector<double>(kRows, 0.0)), "all weights are zero");
  std::vector<double> empty_test = data.weights;
  for (std::size_t row : folds[1].test) empty_test[row] = 0;
  check_throws_naming(cv_with(empty_test), "folds[1].test: sample_weight: every row weighs 0");
  // Finite weights whose sum over a fold's test rows a mean cannot divide by: inf in double
  // (NaN scores) or a subnormal (a wrong mean: equal weights gave a log-loss of 0.033 for
  // 0.103). One fold whose test rows train in no fold, so only the test sum is out of range;
  // with stratified folds the same rows train elsewhere and that fold's sum is named.
  const std::vector<Fold> split = {Fold{[] {
                                          std::vector<std::size_t> rows(60);
                                          std::iota(rows.begin(), rows.end(), std::size_t{0});
                                          return rows;
                                        }(),
                                        [] {
                                          std::vector<std::size_t> rows(30);
                                          std::iota(rows.begin(), rows.end(), std::size_t{60});
                                          return rows;
                                        }()}};
  for (const double extreme : {1e307, 5e-324}) {
    std::vector<double> weights(kRows, 1.0);
    for (std::size_t row = 60; row < kRows; ++row) weights[row] = extreme;
    check_throws_naming(
        [&] {
          softmaxkit::cross_validate(data.view(), data.labels, kCs, split, tight_options(), {},
                                     weights);
        },
        // Test weights of 1e307 overflow the whole's sum first (checked before the folds).
        extreme > 1
            ? "cross_validate: sample_weight: the weights sum to inf, outside what a mean "
              "can divide by"
            : "cross_validate: folds[0].test: sample_weight: the weights sum to 1.4822e-322, "
              "outside what a mean can divide by");
  }
  // Equal test weights near double's largest give the unweighted scores: the weighted sums
  // took w x log-loss (1.5e307 x 7 overflowed to inf); each row now counts w / W. Without the
  // refit: a fit on all rows would divide by 1.5e308, beyond 1 / DBL_MIN (refused, below).
  {
    std::vector<double> weights(kRows, 1.0);
    for (std::size_t row = 60; row < kRows; ++row) weights[row] = 5e306;
    const CvResult weighted = softmaxkit::cross_validate(
        data.view(), data.labels, kCs, split, tight_options(), CvOptions{.refit = false}, weights);
    const CvResult plain = softmaxkit::cross_validate(data.view(), data.labels, kCs, split,
                                                      tight_options(), CvOptions{.refit = false});
    for (std::size_t c = 0; c < std::size(kCs); ++c) {
      CHECK(weighted.scores[0][c].accuracy ==
            doctest::Approx(plain.scores[0][c].accuracy).epsilon(1e-14));
      CHECK(weighted.scores[0][c].log_loss ==
            doctest::Approx(plain.scores[0][c].log_loss).epsilon(1e-14));
    }
  }
  // A fold may list a row more than once: its test sum can overflow where the whole does not.
  {
    std::vector<double> weights(kRows, 1.0);
    for (std::size_t row = 60; row < 63; ++row) weights[row] = 5e307;
    Fold twice = split[0];
    twice.test = {60, 61, 62, 60, 61, 62};
    check_throws_naming(
        [&] {
          softmaxkit::cross_validate(data.view(), data.labels, kCs, std::vector<Fold>{twice},
                                     tight_options(), {}, weights);
        },
        "cross_validate: folds[0].test: sample_weight: the weights sum to inf");
  }
  // The stratified form and the path check them too, before fitting.
  check_throws_naming(
      [&] {
        softmaxkit::cross_validate(data.view(), data.labels, kCs, tight_options(), {},
                                   with_value(3, -2.0));
      },
      "cross_validate: sample_weight[3] is -2");
  check_throws_naming(
      [&] {
        const std::vector<double> weights = with_value(5, std::nan(""));
        softmaxkit::fit_path(data.view(), data.labels, kCs, tight_options(),
                             std::span<const double>(weights));
      },
      "fit_path: sample_weight[5] is nan");
  check_throws_naming(
      [&] {
        const std::vector<float> weights(kRows, 1.0F);
        std::vector<float> features(data.features.begin(), data.features.end());
        softmaxkit::fit_path(MatrixView<const float>{features.data(), kRows - 1, kCols},
                             std::span<const std::int32_t>(data.labels).first(kRows - 1), kCs,
                             tight_options(), std::span<const float>(weights));
      },
      "fit_path: sample_weight has 90 entries but features has 89 rows");
}

TEST_CASE("float searches refuse weight sums a float fit cannot divide by, before any fit") {
  // A float fit scales its gradient by 1 / (its rows' weight sum) in float: the sum must lie in
  // [1 / FLT_MAX, 1 / FLT_MIN] = [2.9e-39, 8.5e37]. Each fold's training rows and, with the
  // refit, all rows are checked before the first fit; the refit's sum used to be refused by the
  // loss engine only after every fold's fits had run.
  const Data data = weighted_blobs();
  const std::vector<float> features(data.features.begin(), data.features.end());
  const MatrixView<const float> view{features.data(), kRows, kCols};
  const std::vector<double> tiny_Cs{1e-38, 3e-37};  // lambda = 1 / (C sum w) near 1
  int fits = 0;
  const CvOptions counted{
      .folds = 3, .seed = 5, .progress = [&](const softmaxkit::CvProgress&) { ++fits; }};
  auto cv_error = [&](float weight, CvOptions cv, bool use_double) {
    const std::vector<float> weights(kRows, weight);
    softmaxkit::FitOptions options = tight_options();
    options.use_double = use_double;
    try {
      softmaxkit::cross_validate(view, data.labels, tiny_Cs, options, cv,
                                 std::span<const float>(weights));
    } catch (const softmaxkit::Error& error) {
      return std::string(error.what());
    }
    return std::string("<no error>");
  };
  // 90 x 1e36 = 9e37 in all, 6e37 per fold's 60 training rows: only the refit is out of range.
  fits = 0;
  std::string message = cv_error(1e36F, counted, false);
  CHECK(message.find("cross_validate: sample_weight: the weights (the refit trains on all) sum "
                     "to 9e+37, outside what a mean can divide by in float") == 0);
  CHECK(fits == 0);
  CvOptions no_refit = counted;
  no_refit.refit = false;
  CHECK(cv_error(1e36F, no_refit, false) == "<no error>");
  // use_double fits in double, where both sums are far inside the range.
  CHECK(cv_error(1e36F, counted, true) == "<no error>");
  // 1.5e36 each: a fold's 60 training rows sum to 9e37.
  fits = 0;
  message = cv_error(1.5e36F, no_refit, false);
  CHECK(message.find("cross_validate: folds[0].train: sample_weight: the weights sum to 9e+37") ==
        0);
  CHECK(fits == 0);
  CHECK(cv_error(1.5e36F, no_refit, true) == "<no error>");
  // The path fits all rows, dense or CSR.
  const std::vector<float> heavy(kRows, 1e36F);
  const std::string path_message =
      "fit_path: sample_weight: the weights sum to 9e+37, outside what a mean can divide by in "
      "float";
  check_throws_naming(
      [&] {
        softmaxkit::fit_path(view, data.labels, tiny_Cs, tight_options(),
                             std::span<const float>(heavy));
      },
      path_message);
  const CsrMatrix<double> csr_double = to_csr(data);
  const softmaxkit::CsrMatrix<float> csr(
      kRows, kCols,
      std::vector<std::int64_t>(csr_double.view().row_offsets().begin(),
                                csr_double.view().row_offsets().end()),
      std::vector<std::int32_t>(csr_double.view().column_indices().begin(),
                                csr_double.view().column_indices().end()),
      std::vector<float>(csr_double.view().values().begin(), csr_double.view().values().end()));
  check_throws_naming(
      [&] {
        softmaxkit::fit_path(csr.view(), data.labels, tiny_Cs, tight_options(),
                             std::span<const float>(heavy));
      },
      path_message);
  softmaxkit::FitOptions in_double = tight_options();
  in_double.use_double = true;
  CHECK(softmaxkit::fit_path(csr.view(), data.labels, tiny_Cs, in_double,
                             std::span<const float>(heavy))
            .points.size() == 2);
}

TEST_CASE("a fold's weight sum is checked in the order its fit sums it") {
  // Weights whose double sum lands on either side of 1 / FLT_MIN = 2^126 by the order of the
  // additions (an audit's case): rows a, c, e of class 0 and b, d of class 1. Row by row in the
  // order e, b, d, c, a the sum is 2^126 + 2^74 (refused by the fold's fit); class by class it was
  // 2^126, so the search passed it and ran the first fold's fits before refusing the second fold.
  // In the order a, b, c, d, e the row-by-row sum is 2^126 (accepted by both).
  constexpr std::size_t rows = 12;
  std::vector<float> features(rows * 2);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = (i == 0 || i == 2 || i == 4 || (i > 4 && i % 2 == 1)) ? 0 : 1;
    features[2 * i] = static_cast<float>(labels[i]) + 0.3F * static_cast<float>(i % 3);
    features[2 * i + 1] = 1.0F - static_cast<float>(labels[i]) + 0.2F * static_cast<float>(i % 4);
  }
  std::vector<float> weights(rows, 1.0F);
  weights[0] = std::ldexp(1.0F, 126) - std::ldexp(1.0F, 102);  // a
  weights[1] = std::ldexp(1.0F, 102) - std::ldexp(1.0F, 79);   // b
  weights[2] = std::ldexp(1.0F, 78);                           // c
  weights[3] = std::ldexp(1.0F, 78) + std::ldexp(1.0F, 73);    // d
  weights[4] = std::ldexp(1.0F, 60);                           // e
  const MatrixView<const float> view{features.data(), rows, 2};
  const std::vector<double> Cs{0.1, 1.0};
  int fits = 0;
  CvOptions cv{.refit = false, .progress = [&](const softmaxkit::CvProgress&) { ++fits; }};
  auto search = [&](std::vector<std::size_t> crafted) {
    const std::vector<Fold> folds{Fold{{5, 6, 7, 8, 9, 10}, {11, 5}},
                                  Fold{std::move(crafted), {5, 6, 7, 8, 9, 10, 11}}};
    softmaxkit::FitOptions options;
    options.l2 = 1e-3;
    softmaxkit::cross_validate(view, labels, Cs, folds, options, cv,
                               std::span<const float>(weights));
  };
  check_throws_naming(
      [&] {
        search({4, 1, 3, 2, 0});
      },
      "cross_validate: folds[1].train: sample_weight: the weights sum to 8.50706e+37");
  CHECK(fits == 0);
  fits = 0;
  CHECK_NOTHROW(search({0, 1, 2, 3, 4}));
  CHECK(fits == 4);
}
