// Errors name the public function the caller called and the argument at fault (error.hpp:
// "<function>: <message>"). A helper's audit found messages naming another function or no
// argument: score and predict_proba said "SoftmaxRegression::predict", cross_validate's
// cv.folds was "stratified_folds: k", an overlapping gradient "input and output", an Isa value
// outside the enum "this CPU does not support unknown"; and a view whose rows x K overflows made
// predict_proba throw std::length_error or, where the product wraps, overrun its own vector.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::MatrixView;
using softmaxkit::test::error_message;

// The message starts with `prefix` (the function and the first words naming the argument).
template <class F>
void refused_as(F&& call, const std::string& prefix) {
  const std::string message = error_message(call);
  CAPTURE(message);
  CHECK(message.rfind(prefix, 0) == 0);
}

struct Fitted {
  std::vector<double> x = {0, 1, 1, 0, 1, 1, 0, 0, 2, 1, 1, 2};
  std::vector<std::int32_t> y = {0, 1, 2, 0, 1, 2};
  softmaxkit::SoftmaxRegression model;
  Fitted() { model.fit(view(), y); }
  MatrixView<const double> view() const { return {x.data(), 6, 2}; }
};

}  // namespace

TEST_CASE("prediction errors name predict_proba, predict or score") {
  Fitted fitted;
  const softmaxkit::SoftmaxRegression unfitted;
  const auto view = fitted.view();
  refused_as([&] { unfitted.predict_proba(view); },
             "SoftmaxRegression::predict_proba: the model is not fitted");
  refused_as([&] { unfitted.predict(view); },
             "SoftmaxRegression::predict: the model is not fitted");
  refused_as([&] { unfitted.score(view, fitted.y); },
             "SoftmaxRegression::score: the model is not fitted");
  const MatrixView<const double> one_column(fitted.x.data(), 6, 1);
  refused_as([&] { fitted.model.predict_proba(one_column); },
             "SoftmaxRegression::predict_proba: features have 1 columns but the model has 2");
  refused_as([&] { fitted.model.score(one_column, fitted.y); },
             "SoftmaxRegression::score: features have 1 columns");
  std::vector<double> with_nan = fitted.x;
  with_nan[2] = std::numeric_limits<double>::quiet_NaN();  // row 1
  const MatrixView<const double> nan_view(with_nan.data(), 6, 2);
  refused_as([&] { fitted.model.score(nan_view, fitted.y); },
             "SoftmaxRegression::score: row 1 has NaN class probabilities");
  refused_as([&] { fitted.model.predict(nan_view); },
             "SoftmaxRegression::predict: row 1 has NaN class probabilities");
  const std::vector<double> probabilities = fitted.model.predict_proba(nan_view);
  CHECK(std::isnan(probabilities[3]));
  CHECK(std::isfinite(probabilities[0]));
}

TEST_CASE("predict_proba refuses rows x K beyond memory before allocating, wrapping or not") {
  Fitted fitted;
  // Views that claim more rows than their buffer holds: refused from the shape alone, before
  // any row is read. 2^62 rows x 3 classes x 8 bytes is beyond any machine; 2^63 / 3 * 2 + ...
  // rows make rows x 3 wrap around size_t to a small number.
  for (const std::size_t rows :
       {std::size_t{1} << 62, std::numeric_limits<std::size_t>::max() / 3 + 2}) {
    CAPTURE(rows);
    const MatrixView<const double> huge(fitted.x.data(), rows, 2);
    refused_as([&] { fitted.model.predict_proba(huge); },
               "SoftmaxRegression::predict_proba: features have " + std::to_string(rows) +
                   " rows: 3 probabilities per row would need ");
    refused_as([&] { fitted.model.predict(huge); }, "SoftmaxRegression::predict: features have ");
  }
}

TEST_CASE("predict_logits names itself for every refusal, dense and CSR, float and double") {
  Fitted fitted;
  const softmaxkit::SoftmaxRegression unfitted;
  const std::vector<float> xf(fitted.x.begin(), fitted.x.end());
  const MatrixView<const float> view_f(xf.data(), 6, 2);
  refused_as([&] { unfitted.predict_logits(fitted.view()); },
             "SoftmaxRegression::predict_logits: the model is not fitted");
  refused_as([&] { unfitted.predict_logits(view_f); },
             "SoftmaxRegression::predict_logits: the model is not fitted");
  refused_as([&] { fitted.model.predict_logits(MatrixView<const double>(fitted.x.data(), 6, 1)); },
             "SoftmaxRegression::predict_logits: features have 1 columns but the model has 2");
  refused_as([&] { fitted.model.predict_logits(MatrixView<const float>(xf.data(), 4, 3)); },
             "SoftmaxRegression::predict_logits: features have 3 columns but the model has 2");
  // CSR: one row, three columns (the model has two); then a valid view before fit.
  const std::vector<std::int64_t> offsets = {0, 1};
  const std::vector<std::int32_t> columns = {2};
  const std::vector<double> values_d = {1.0};
  const std::vector<float> values_f = {1.0F};
  const softmaxkit::CsrMatrixView<double> wide_d(1, 3, offsets, columns, values_d);
  const softmaxkit::CsrMatrixView<float> wide_f(1, 3, offsets, columns, values_f);
  refused_as([&] { fitted.model.predict_logits(wide_d); },
             "SoftmaxRegression::predict_logits: features have 3 columns but the model has 2");
  refused_as([&] { fitted.model.predict_logits(wide_f); },
             "SoftmaxRegression::predict_logits: features have 3 columns but the model has 2");
  refused_as([&] { unfitted.predict_logits(wide_d); },
             "SoftmaxRegression::predict_logits: the model is not fitted");
  // rows x K beyond memory: refused from the shape, before a row is read.
  for (const std::size_t rows :
       {std::size_t{1} << 62, std::numeric_limits<std::size_t>::max() / 3 + 2}) {
    CAPTURE(rows);
    refused_as(
        [&] { fitted.model.predict_logits(MatrixView<const double>(fitted.x.data(), rows, 2)); },
        "SoftmaxRegression::predict_logits: features have " + std::to_string(rows) + " rows: ");
  }
  // NaN features: NaN logits in that row, no refusal (predict_logits reports, predict refuses).
  std::vector<double> with_nan = fitted.x;
  with_nan[2] = std::numeric_limits<double>::quiet_NaN();  // row 1
  const std::vector<double> logits =
      fitted.model.predict_logits(MatrixView<const double>(with_nan.data(), 6, 2));
  REQUIRE(logits.size() == 18);
  CHECK(std::isnan(logits[3]));
  CHECK(std::isfinite(logits[0]));
}

TEST_CASE("cross_validate names cv.folds, not stratified_folds' k") {
  Fitted fitted;
  const std::vector<double> Cs = {1.0};
  softmaxkit::CvOptions cv;
  cv.folds = 1;
  refused_as([&] { softmaxkit::cross_validate(fitted.view(), fitted.y, Cs, {}, cv); },
             "cross_validate: cv.folds is 1 (must be >= 2)");
  cv.folds = 3;  // each class has 2 rows
  refused_as([&] { softmaxkit::cross_validate(fitted.view(), fitted.y, Cs, {}, cv); },
             "cross_validate: cv.folds is 3 but class 0 has only 2 rows");
  refused_as([&] { softmaxkit::stratified_folds(fitted.y, 1); },
             "stratified_folds: k is 1 (must be >= 2)");
}

TEST_CASE("row kernels name both overlapping arguments; set_active_isa names a bad Isa value") {
  std::vector<double> z(13, 0.0);
  const std::vector<std::int32_t> labels = {0, 1, 2, 0};
  const MatrixView<const double> logits(z.data(), 4, 3);
  refused_as(
      [&] {
        softmaxkit::cross_entropy(logits, labels, {}, MatrixView<double>(z.data() + 1, 4, 3));
      },
      "cross_entropy: gradient and logits overlap but are not the same matrix");
  refused_as([&] { softmaxkit::softmax_rows(logits, MatrixView<double>(z.data() + 1, 4, 3)); },
             "softmax_rows: output and logits overlap but are not the same matrix");
  refused_as([&] { softmaxkit::set_active_isa(static_cast<softmaxkit::Isa>(9)); },
             "set_active_isa: isa is 9, not one of Isa's values");
}
