// SoftmaxRegression on CSR features: fit / predict_proba / predict / score against the same data
// densified (the dense fit, and long-double references of the objective, its gradient and the
// probabilities), thread-count determinism, float data trained in double, early stopping, the
// structured solver's diagonal-G metric for wide data, and bad arguments.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "model/validation_split.hpp"
#include "softmaxkit/csr.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/model.hpp"
#include "sparse_model_checks.hpp"

namespace {

using softmaxkit::CsrMatrix;
using softmaxkit::CsrMatrixView;
using softmaxkit::FitOptions;
using softmaxkit::FitReport;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;

// Random sparse rows with class-dependent columns (so the classes are learnable but overlap),
// with row 0 empty and column 1 never used; the CSR and the dense copy of the same values.
template <class T>
struct SparseData {
  std::size_t rows, cols, classes;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> indices;
  std::vector<T> values, dense;
  std::vector<std::int32_t> labels;

  SparseData(std::size_t rows_, std::size_t cols_, std::size_t classes_, double density,
             unsigned seed)
      : rows(rows_), cols(cols_), classes(classes_), dense(rows_ * cols_, T(0)) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (std::size_t i = 0; i < rows; ++i) {
      const auto label = static_cast<std::int32_t>(i % classes);
      labels.push_back(label * 3 - 2);  // arbitrary label values: -2, 1, 4, ...
      for (std::size_t j = 0; j < cols && i != 0; ++j) {
        if (j == 1) continue;
        const bool favoured = j % classes == static_cast<std::size_t>(label);
        if (uniform(generator) >= density * (favoured ? 2.5 : 1.0)) continue;
        const T value = static_cast<T>(0.25 + uniform(generator));
        indices.push_back(static_cast<std::int32_t>(j));
        values.push_back(value);
        dense[i * cols + j] = value;
      }
      offsets.push_back(static_cast<std::int64_t>(indices.size()));
    }
  }
  CsrMatrixView<T> csr() const { return CsrMatrixView<T>(rows, cols, offsets, indices, values); }
  MatrixView<const T> matrix() const { return MatrixView<const T>(dense.data(), rows, cols); }
};

// The objective and gradient at the model's parameters in long double, from the dense copy.
template <class T>
void reference_objective(const SparseData<T>& data, const SoftmaxRegression& model,
                         long double& objective, long double& gradient_norm) {
  const std::size_t k = data.classes, n = data.cols, m = data.rows;
  const auto& w = model.weights();
  const auto& b = model.intercept();
  const auto& labels = model.class_labels();
  std::vector<long double> gradient(k * n + k, 0.0L);
  long double loss = 0;
  for (std::size_t i = 0; i < m; ++i) {
    std::vector<long double> z(k);
    for (std::size_t c = 0; c < k; ++c) {
      long double sum = b[c];
      for (std::size_t j = 0; j < n; ++j)
        sum += static_cast<long double>(w[c * n + j]) *
               static_cast<long double>(data.dense[i * n + j]);
      z[c] = sum;
    }
    long double top = z[0];
    for (long double v : z) top = std::max(top, v);
    long double total = 0;
    for (long double v : z) total += std::exp(v - top);
    const long double log_total = top + std::log(total);
    std::size_t y = 0;
    while (labels[y] != data.labels[i]) ++y;
    loss += log_total - z[y];
    for (std::size_t c = 0; c < k; ++c) {
      const long double residual = std::exp(z[c] - log_total) - (c == y ? 1.0L : 0.0L);
      for (std::size_t j = 0; j < n; ++j)
        gradient[c * n + j] += residual * static_cast<long double>(data.dense[i * n + j]);
      gradient[k * n + c] += residual;
    }
  }
  const long double lambda = model.effective_l2();
  long double penalty = 0, squares = 0;
  for (std::size_t c = 0; c < k * n; ++c) {
    penalty += static_cast<long double>(w[c]) * w[c];
    gradient[c] = gradient[c] / m + lambda * w[c];
  }
  for (std::size_t c = 0; c < k; ++c) gradient[k * n + c] /= m;
  for (long double g : gradient) squares += g * g;
  objective = loss / m + lambda / 2 * penalty;
  gradient_norm = std::sqrt(squares);
}

using sparse_model_checks::error_of;
using sparse_model_checks::same_bits;

}  // namespace

TEST_CASE("sparse model: CSR fit reaches the long-double optimum and matches the dense fit") {
  for (bool wide : {false, true}) {
    CAPTURE(wide);
    // wide: n + 1 > 2048, so the structured metric takes G's diagonal form.
    const SparseData<double> data(wide ? 240 : 400, wide ? 2500 : 60, 4, wide ? 0.01 : 0.15, 7);
    FitOptions options;
    options.C = 1.0;
    options.tolerance = 1e-9;
    options.threads = 2;
    SoftmaxRegression sparse(options), dense(options);
    const FitReport sparse_report = sparse.fit(data.csr(), data.labels);
    const FitReport dense_report = dense.fit(data.matrix(), data.labels);
    CHECK(sparse_report.reason == softmaxkit::StopReason::converged);
    if (wide) CHECK(sparse_report.metric.find("G diagonal") != std::string::npos);
    long double objective = 0, gradient_norm = 0;
    reference_objective(data, sparse, objective, gradient_norm);
    CHECK(std::abs(sparse_report.objective - static_cast<double>(objective)) <=
          1e-12 * static_cast<double>(objective));
    CHECK(static_cast<double>(gradient_norm) <= 1e-8 * sparse_report.initial_gradient_norm + 1e-14);
    CHECK(std::abs(sparse_report.objective - dense_report.objective) <=
          1e-10 * dense_report.objective);
    double largest = 0;
    for (std::size_t i = 0; i < dense.weights().size(); ++i)
      largest = std::max(largest, std::abs(dense.weights()[i] - sparse.weights()[i]));
    CHECK(largest <= 1e-5);
    // Predictions of either model on either representation agree.
    const std::vector<double> from_csr = sparse.predict_proba(data.csr());
    const std::vector<double> from_dense = sparse.predict_proba(data.matrix());
    REQUIRE(from_csr.size() == from_dense.size());
    for (std::size_t i = 0; i < from_csr.size(); ++i)
      CHECK(std::abs(from_csr[i] - from_dense[i]) <= 1e-13);
    CHECK(sparse.predict(data.csr()) == sparse.predict(data.matrix()));
    CHECK(sparse.score(data.csr(), data.labels) == sparse.score(data.matrix(), data.labels));
    CHECK(sparse.score(data.csr(), data.labels) > 0.5);
  }
}

TEST_CASE("sparse model: predict_proba on CSR equals the long-double softmax of the logits") {
  const SparseData<float> data(50, 30, 3, 0.3, 11);
  SoftmaxRegression model;
  model.fit(data.csr(), data.labels);
  const std::vector<double> p = model.predict_proba(data.csr());
  const std::size_t k = model.num_classes(), n = data.cols;
  for (std::size_t i = 0; i < data.rows; ++i) {
    std::vector<long double> z(k);
    long double top = -INFINITY;
    for (std::size_t c = 0; c < k; ++c) {
      z[c] = model.intercept()[c];
      for (std::size_t j = 0; j < n; ++j)
        z[c] += static_cast<long double>(model.weights()[c * n + j]) * data.dense[i * n + j];
      top = std::max(top, z[c]);
    }
    long double total = 0;
    for (long double v : z) total += std::exp(v - top);
    for (std::size_t c = 0; c < k; ++c) {
      const long double expected = std::exp(z[c] - top) / total;
      CHECK(std::abs(p[i * k + c] - static_cast<double>(expected)) <= 1e-14);
    }
  }
}

TEST_CASE("sparse model: bitwise identical for 1, 2 and 3 threads; float trained in double") {
  // 5 x 14000 parameters span three of the solver's vector blocks (src/solvers/vector_blocks.hpp),
  // which threads share.
  for (std::size_t cols : {2100, 14000}) {
    CAPTURE(cols);
    const SparseData<float> wide(300, cols, 5, 0.01, 3);
    std::vector<double> first;
    for (int threads : {1, 2, 3}) {
      FitOptions options;
      options.threads = threads;
      SoftmaxRegression model(options);
      const FitReport report = model.fit(wide.csr(), wide.labels);
      CHECK(report.reason == softmaxkit::StopReason::converged);
      if (first.empty()) first = model.weights();
      CHECK(same_bits(first, model.weights()));
    }
  }
  const SparseData<float> data(300, 2100, 5, 0.01, 3);
  // Float values widened to double are exact: use_double on float CSR is the double fit.
  std::vector<double> widened(data.values.begin(), data.values.end());
  const CsrMatrixView<double> as_double(data.rows, data.cols, data.offsets, data.indices, widened);
  FitOptions options;
  options.use_double = true;
  SoftmaxRegression from_float(options), from_double(options);
  const FitReport a = from_float.fit(data.csr(), data.labels);
  const FitReport b = from_double.fit(as_double, data.labels);
  CHECK(a.objective == b.objective);
  CHECK(same_bits(from_float.weights(), from_double.weights()));
  CHECK(same_bits(from_float.intercept(), from_double.intercept()));
}

TEST_CASE("sparse model: early stopping keeps the best held-out accuracy; sample weights") {
  const SparseData<double> data(500, 80, 3, 0.1, 5);
  FitOptions options;
  options.validation_fraction = 0.25;
  options.patience = 3;
  SoftmaxRegression model(options);
  const FitReport report = model.fit(data.csr(), data.labels);
  REQUIRE(report.validation_accuracy.has_value());
  // The model keeps the best point: its accuracy on exactly the held-out rows is that value.
  std::vector<double> held_out;
  std::vector<std::int32_t> held_labels;
  std::size_t held = 0;
  for (std::size_t i = 0; i < data.rows; ++i) {
    if (!softmaxkit::detail::is_held_out(i, options.validation_fraction)) continue;
    held_out.insert(held_out.end(), data.dense.begin() + static_cast<std::ptrdiff_t>(i * data.cols),
                    data.dense.begin() + static_cast<std::ptrdiff_t>((i + 1) * data.cols));
    held_labels.push_back(data.labels[i]);
    ++held;
  }
  CHECK(model.score(MatrixView<const double>(held_out.data(), held, data.cols), held_labels) ==
        *report.validation_accuracy);

  // Integer sample weights equal repeated rows (dense repetition as the reference).
  std::vector<double> weights(data.rows);
  std::vector<double> repeated;
  std::vector<std::int32_t> repeated_labels;
  for (std::size_t i = 0; i < data.rows; ++i) {
    weights[i] = static_cast<double>(1 + i % 3);
    for (std::size_t r = 0; r < 1 + i % 3; ++r) {
      repeated.insert(repeated.end(),
                      data.dense.begin() + static_cast<std::ptrdiff_t>(i * data.cols),
                      data.dense.begin() + static_cast<std::ptrdiff_t>((i + 1) * data.cols));
      repeated_labels.push_back(data.labels[i]);
    }
  }
  FitOptions tight;
  tight.C = 2.0;
  tight.tolerance = 1e-10;
  SoftmaxRegression weighted(tight), expanded(tight);
  const FitReport w = weighted.fit(data.csr(), data.labels, weights);
  const FitReport e =
      expanded.fit(MatrixView<const double>(repeated.data(), repeated_labels.size(), data.cols),
                   repeated_labels);
  CHECK(std::abs(w.objective - e.objective) <= 1e-10 * e.objective);
}

TEST_CASE("sparse model: bad arguments are Errors naming them") {
  const SparseData<float> data(40, 20, 2, 0.3, 1);
  SoftmaxRegression model;
  CHECK(error_of([&] { (void)model.predict(data.csr()); }).find("not fitted") != std::string::npos);
  std::vector<std::int32_t> short_labels(data.labels.begin(), data.labels.end() - 1);
  CHECK(error_of([&] { model.fit(data.csr(), short_labels); }).find("labels has 39 entries") !=
        std::string::npos);
  std::vector<float> weights(data.rows, 1.0f);
  weights[7] = NAN;
  CHECK(error_of([&] {
          model.fit(data.csr(), data.labels, weights);
        }).find("sample_weight[7] is nan") != std::string::npos);
  const CsrMatrixView<float> empty;
  CHECK(error_of([&] { model.fit(empty, {}); }).find("features are empty") != std::string::npos);
  model.fit(data.csr(), data.labels);
  const std::vector<std::int64_t> offsets{0, 1};
  const std::vector<std::int32_t> indices{0};
  const std::vector<float> values{1.0f};
  const CsrMatrixView<float> other(1, data.cols + 5, offsets, indices, values);
  CHECK(error_of([&] { (void)model.predict_proba(other); }).find("columns but the model has") !=
        std::string::npos);
  std::vector<std::int32_t> unknown(data.labels);
  unknown[3] = 999;
  CHECK(error_of([&] { (void)model.score(data.csr(), unknown); }).find("999") != std::string::npos);
}

TEST_CASE("sparse model: a fit whose solver would not fit in memory is refused before it starts") {
  // Two rows naming column 2^31 - 1: a valid CSR matrix of 2^31 columns, 2 classes, so 4.3e9
  // parameters; every solver keeps hundreds of bytes per parameter, terabytes in all.
  const std::size_t cols = softmaxkit::kCsrMaxColumns;
  const std::vector<std::int64_t> offsets{0, 1, 2};
  const std::vector<std::int32_t> indices{0, static_cast<std::int32_t>(cols - 1)};
  const std::vector<float> values{1.0f, 2.0f};
  const CsrMatrixView<float> huge(2, cols, offsets, indices, values);
  const std::vector<std::int32_t> labels{0, 1};
  for (auto solver : {softmaxkit::SolverKind::structured, softmaxkit::SolverKind::lbfgs,
                      softmaxkit::SolverKind::newton_cg}) {
    FitOptions options;
    options.solver = solver;
    SoftmaxRegression model(options);
    const std::string message = error_of([&] { model.fit(huge, labels); });
    CHECK(message.find("2 classes x 2147483648 features") != std::string::npos);
    CHECK(message.find("GiB of memory") != std::string::npos);
    CHECK_FALSE(model.is_fitted());
  }
}
