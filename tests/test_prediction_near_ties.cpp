// Predictions decided on the logits, not on the rounded probabilities (an audit: logits 0.5 and
// 0.5 + 2^-53 have equal double probabilities, and predict named the first of them), and the
// cross-validation log-loss taken from the log-softmax of the logits (it was -log of the rounded
// probability, 3.6e-9 relative off for a mean log-loss of 4.7e-9). References: the logits
// themselves (exact in these models), and long double log-sum-exp over the fold coefficients.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_file.hpp"
#include "softmaxkit/model_selection.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;

// A model with W = 0 (one feature) and the given intercepts: every row's logits are exactly the
// intercepts.
SoftmaxRegression intercept_model(const std::vector<double>& intercept,
                                  const std::vector<std::int32_t>& labels) {
  softmaxkit::test::TempDir dir;
  softmaxkit::ModelFileContents contents;
  contents.dtype = "float64";
  contents.num_classes = intercept.size();
  contents.num_features = 1;
  contents.class_labels = labels;
  contents.weights.assign(intercept.size(), 0.0);
  contents.intercept = intercept;
  const std::string path = dir.file("m.skm");
  softmaxkit::save_model_file(path, contents);
  return SoftmaxRegression::load(path);
}

}  // namespace

TEST_CASE("predict takes the largest logit where the rounded probabilities tie") {
  const double eps = std::numeric_limits<double>::epsilon();  // 2^-52
  struct Case {
    std::vector<double> intercept;
    std::size_t winner;
  };
  const Case cases[] = {
      {{0.5, 0.5 + eps / 2, 0.5 - eps / 4}, 1},       // the audit's model
      {{0.0, 1e-300, -1e-300}, 1},                    // a tiny gap
      {{-3.0, -3.0, -3.0 + 8 * eps}, 2},              // the last class
      {{2.0, 2.0, 2.0}, 0},                           // an exact tie: the smallest label
      {{1.0, 1.0 + 2 * eps, 1.0 + 2 * eps, 1.0}, 1},  // an exact tie between the largest
  };
  for (const Case& c : cases) {
    CAPTURE(c.winner);
    std::vector<std::int32_t> labels;
    for (std::size_t k = 0; k < c.intercept.size(); ++k)
      labels.push_back(static_cast<std::int32_t>(2 * k) - 3);
    const SoftmaxRegression model = intercept_model(c.intercept, labels);
    const std::vector<double> rows_d = {0.0, 1.0, -2.5};
    const std::vector<float> rows_f(rows_d.begin(), rows_d.end());
    const MatrixView<const double> dense_d(rows_d.data(), 3, 1);
    const MatrixView<const float> dense_f(rows_f.data(), 3, 1);
    const std::vector<std::int64_t> offsets = {0, 0, 1, 2};
    const std::vector<std::int32_t> columns = {0, 0};
    const std::vector<double> values_d = {1.0, -2.5};
    const std::vector<float> values_f = {1.0f, -2.5f};
    const softmaxkit::CsrMatrixView<double> csr_d(3, 1, offsets, columns, values_d);
    const softmaxkit::CsrMatrixView<float> csr_f(3, 1, offsets, columns, values_f);
    for (const auto& predicted : {model.predict(dense_d), model.predict(dense_f),
                                  model.predict(csr_d), model.predict(csr_f)}) {
      CHECK(predicted == std::vector<std::int32_t>(3, labels[c.winner]));
    }
    // The logits are the intercepts' bits, and predict_proba is their softmax.
    const std::vector<double> logits = model.predict_logits(dense_d);
    const std::vector<double> probabilities = model.predict_proba(dense_d);
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t k = 0; k < c.intercept.size(); ++k) {
        CHECK(logits[i * c.intercept.size() + k] == c.intercept[k]);
        CHECK(probabilities[i * c.intercept.size() + k] ==
              doctest::Approx(1.0 / double(c.intercept.size())).epsilon(1e-12));
      }
    }
    CHECK(model.predict_logits(csr_f) == logits);
    std::vector<std::int32_t> truth(3, labels[c.winner]);
    CHECK(model.score(dense_d, truth) == 1.0);
  }
}

TEST_CASE("a row whose probabilities are NaN has no prediction, also judged on the logits") {
  const double inf = std::numeric_limits<double>::infinity();
  const SoftmaxRegression model = intercept_model({0.0, 1.0}, {0, 1});
  // A feature of inf makes every logit 0 * inf = NaN; the logits stay what they are.
  const std::vector<double> row = {inf};
  const MatrixView<const double> view(row.data(), 1, 1);
  CHECK(std::isnan(model.predict_logits(view)[0]));
  CHECK(softmaxkit::test::contains(softmaxkit::test::error_message([&] { model.predict(view); }),
                                   "row 0 has NaN class probabilities"));
}

TEST_CASE("the cross-validation log-loss is accurate for a confident model") {
  // Two separated classes: at C = 1e6 a fold's held-out mean log-loss reaches 2e-14, where -log
  // of a probability rounded near 1 kept four digits (2.28439e-14 against 2.28462e-14).
  std::mt19937_64 random(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t rows = 200;
  std::vector<double> features(rows * 2);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<std::int32_t>(i % 2);
    const double centre = labels[i] == 0 ? -3.0 : 3.0;
    features[2 * i] = centre + normal(random);
    features[2 * i + 1] = normal(random);
  }
  const std::vector<double> Cs = {1.0, 1e6};
  softmaxkit::CvOptions cv;
  cv.folds = 4;
  cv.keep_coefficients = true;
  cv.refit = false;
  const softmaxkit::CvResult result = softmaxkit::cross_validate(
      MatrixView<const double>(features.data(), rows, 2), labels, Cs, {}, cv);
  double smallest = 1;
  for (std::size_t f = 0; f < result.folds.size(); ++f) {
    for (std::size_t c = 0; c < Cs.size(); ++c) {
      const softmaxkit::CvScore& score = result.scores[f][c];
      long double total = 0;
      for (std::size_t row : result.folds[f].test) {
        long double z[2];
        for (std::size_t k = 0; k < 2; ++k) {
          z[k] = score.intercept[k];
          for (std::size_t j = 0; j < 2; ++j)
            z[k] += static_cast<long double>(score.weights[k * 2 + j]) * features[row * 2 + j];
        }
        // log(1 + exp(z_other - z_true)), in long double with log1p: relative accuracy also for
        // a loss of 1e-14 (log of the rounded 1 + 2e-14 is 5e-20 off, 2e-6 relative).
        const std::size_t t = static_cast<std::size_t>(labels[row]);
        const long double loss = std::log1p(std::exp(z[1 - t] - z[t]));
        total += std::min(loss, 52 * std::log(2.0L));
      }
      const double expected = static_cast<double>(total / result.folds[f].test.size());
      CAPTURE(f);
      CAPTURE(Cs[c]);
      CHECK(std::fabs(score.log_loss - expected) <= 1e-12 * expected);
      smallest = std::min(smallest, expected);
    }
  }
  CHECK(smallest < 1e-12);  // the case the old computation lost digits on
}
