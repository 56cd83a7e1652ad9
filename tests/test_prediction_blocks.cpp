// Dense prediction's row blocks (model/prediction.hpp): rows wider than 32768 features are
// predicted in blocks of fewer than 256 rows, so that float rows widened to double take at most
// kWidenedBlockBytes per task. Checked against a long-double softmax of each row, on rows at
// every block boundary, for float and double features, on 1 and 2 threads.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "model/prediction.hpp"
#include "row_oracle.hpp"

using softmaxkit::MatrixView;
namespace detail = softmaxkit::detail;

TEST_CASE("prediction blocks: the bound, and wide rows across several blocks") {
  CHECK(detail::prediction_block_rows(1) == detail::kPredictionBlockRows);
  CHECK(detail::prediction_block_rows(32768) == detail::kPredictionBlockRows);
  CHECK(detail::prediction_block_rows(32769) < detail::kPredictionBlockRows);
  CHECK(detail::prediction_block_rows(std::size_t{1} << 40) == 1);
  for (std::size_t cols : {std::size_t{32769}, std::size_t{100000}, std::size_t{3000000}}) {
    CHECK(detail::prediction_block_rows(cols) * cols * sizeof(double) <=
          detail::kWidenedBlockBytes);
  }

  // 70000 features: 119 rows per block; 250 rows make three blocks, the last of 12 rows.
  const std::size_t cols = 70000, rows = 250, classes = 3;
  const std::size_t block = detail::prediction_block_rows(cols);
  REQUIRE(block == 119);
  std::mt19937 generator(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(rows * cols);
  for (float& v : x) v = uniform(generator);
  const std::vector<double> x_double(x.begin(), x.end());
  std::vector<double> weights(classes * cols), intercept{0.25, -0.5, 0.0};
  for (double& w : weights) w = 0.01 * uniform(generator);

  auto reference = [&](std::size_t i) {  // long-double softmax of row i (tests/row_oracle.hpp)
    std::vector<long double> z(classes);
    for (std::size_t k = 0; k < classes; ++k) {
      z[k] = intercept[k];
      for (std::size_t j = 0; j < cols; ++j)
        z[k] += static_cast<long double>(x[i * cols + j]) * weights[k * cols + j];
    }
    const softmaxkit::testing::OracleRow row = softmaxkit::testing::oracle_row(z.data(), classes);
    for (long double& v : z) v = row.softmax(v);
    return z;
  };
  for (int threads : {1, 2}) {
    tbb::task_arena arena(threads);
    const auto [from_float, from_double] = arena.execute([&] {
      return std::pair{
          detail::softmax_regression_probabilities<float>(
              MatrixView<const float>(x.data(), rows, cols), weights, intercept, classes),
          detail::softmax_regression_probabilities<double>(
              MatrixView<const double>(x_double.data(), rows, cols), weights, intercept, classes)};
    });
    // Widening is exact: float rows give the double rows' probabilities bit for bit.
    CHECK(from_float == from_double);
    for (std::size_t i : {std::size_t{0}, block - 1, block, 2 * block - 1, 2 * block, rows - 1}) {
      const std::vector<long double> p = reference(i);
      for (std::size_t k = 0; k < classes; ++k) {
        CHECK_MESSAGE(std::fabs(from_float[i * classes + k] - static_cast<double>(p[k])) <= 1e-13,
                      "row ", i, " class ", k, " threads ", threads);
      }
    }
  }
}
