// LossGradient: gradient against central finite differences (double), agreement with the naive
// reference (float and double), the class-sum identity, bad input and NaN, on every ISA and
// both product paths.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/subnormals.hpp"
#include "isa_each.hpp"
#include "regression_problems.hpp"
#include "softmaxkit/softmaxkit.hpp"

using softmaxkit::LossGradient;
using softmaxkit::LossGradientOptions;
using softmaxkit::ProductPath;
using softmaxkit::testing::ProblemShape;
using softmaxkit::testing::RandomProblem;
using softmaxkit::testing::relative_error;

namespace {

std::vector<ProblemShape> varied_shapes() {
  std::vector<ProblemShape> shapes;
  ProblemShape plain;
  shapes.push_back(plain);
  ProblemShape no_intercept = plain;
  no_intercept.fit_intercept = false;
  no_intercept.seed = 2;
  shapes.push_back(no_intercept);
  ProblemShape weighted = plain;
  weighted.weighted = true;
  weighted.l2 = 0.3;
  weighted.seed = 3;
  shapes.push_back(weighted);
  ProblemShape soft = plain;
  soft.soft_targets = true;
  soft.weighted = true;
  soft.l2 = 0.05;
  soft.classes = 7;
  soft.features = 19;  // not a multiple of any vector width: exercises every tail
  soft.seed = 4;
  shapes.push_back(soft);
  ProblemShape soft_no_intercept = soft;
  soft_no_intercept.fit_intercept = false;
  soft_no_intercept.classes = 2;
  soft_no_intercept.seed = 5;
  shapes.push_back(soft_no_intercept);
  return shapes;
}

const ProductPath kPaths[] = {ProductPath::blas, ProductPath::small_k};

LossGradientOptions options_for(ProductPath path) {
  LossGradientOptions options;
  options.path = path;
  options.block_rows = 9;  // several blocks and chunks even on small problems
  return options;
}

}  // namespace

TEST_CASE("loss gradient: matches central finite differences in double") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : kPaths) {
      for (const ProblemShape& shape : varied_shapes()) {
        INFO("path " << int(path) << " seed " << shape.seed);
        RandomProblem<double> data(shape);
        LossGradient<double> objective(data.problem(), options_for(path));
        std::vector<double> weights_gradient(data.parameters.size());
        std::vector<double> intercept_gradient(shape.classes);
        objective.evaluate(data.parameters, data.intercept, weights_gradient, intercept_gradient);

        const double step = 1e-5;
        auto numeric = [&](std::vector<double>& values) {
          std::vector<double> result(values.size());
          for (std::size_t e = 0; e < values.size(); ++e) {
            const double saved = values[e];
            values[e] = saved + step;
            const double up = objective.evaluate(data.parameters, data.intercept, {}, {});
            values[e] = saved - step;
            const double down = objective.evaluate(data.parameters, data.intercept, {}, {});
            values[e] = saved;
            result[e] = (up - down) / (2 * step);
          }
          return result;
        };
        CHECK(relative_error(weights_gradient, numeric(data.parameters)) <= 1e-6);
        if (shape.fit_intercept) {
          CHECK(relative_error(intercept_gradient, numeric(data.intercept)) <= 1e-6);
        } else {
          CHECK(relative_error(intercept_gradient, std::vector<double>(shape.classes)) == 0);
        }
      }
    }
  }
}

TEST_CASE("loss gradient: agrees with the naive reference, float to 1e-5 and double to 1e-12") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : kPaths) {
      for (ProblemShape shape : varied_shapes()) {
        shape.rows = 300;
        INFO("path " << int(path) << " seed " << shape.seed);
        auto check = [&](auto zero, double tolerance) {
          using T = decltype(zero);
          RandomProblem<T> data(shape);
          const auto expected =
              softmaxkit::testing::reference_loss_gradient(data, data.parameters, data.intercept);
          LossGradient<T> objective(data.problem(), options_for(path));
          std::vector<T> weights_gradient(data.parameters.size()),
              intercept_gradient(shape.classes);
          const double loss = objective.evaluate(data.parameters, data.intercept, weights_gradient,
                                                 intercept_gradient);
          CHECK(std::fabs(loss - expected.loss) <= tolerance * std::fabs(expected.loss));
          CHECK(relative_error(weights_gradient, expected.weights_gradient) <= tolerance);
          if (shape.fit_intercept)
            CHECK(relative_error(intercept_gradient, expected.intercept_gradient) <= tolerance);
          // The loss alone (no gradient spans) is the same number.
          CHECK(objective.evaluate(data.parameters, data.intercept, {}, {}) == loss);
        };
        check(0.0f, 1e-5);
        check(0.0, 1e-12);
      }
    }
  }
}

TEST_CASE("loss gradient: the automatic path and block size resolve from the shape") {
  ProblemShape shape;
  RandomProblem<float> data(shape);
  LossGradient<float> small(data.problem());
  CHECK(small.product_path() == ProductPath::small_k);
  CHECK(small.block_rows() >= 16);
  shape.classes = softmaxkit::small_k_product_max_classes + 1;
  RandomProblem<float> wide(shape);
  LossGradient<float> large(wide.problem());
  CHECK(large.product_path() == ProductPath::blas);
  CHECK(large.num_classes() == shape.classes);
  CHECK(large.num_samples() == shape.rows);
  CHECK(large.num_features() == shape.features);
}

TEST_CASE(
    "loss gradient: grad_W's rows sum to l2 times W's rows (softmax minus targets sums to 0)") {
  for (ProductPath path : kPaths) {
    ProblemShape shape;
    shape.l2 = 0.7;
    shape.weighted = true;
    shape.soft_targets = true;
    RandomProblem<double> data(shape);
    LossGradient<double> objective(data.problem(), options_for(path));
    std::vector<double> weights_gradient(data.parameters.size()), intercept_gradient(shape.classes);
    objective.evaluate(data.parameters, data.intercept, weights_gradient, intercept_gradient);
    for (std::size_t j = 0; j < shape.features; ++j) {
      double gradient_sum = 0, weight_sum = 0;
      for (std::size_t k = 0; k < shape.classes; ++k) {
        gradient_sum += weights_gradient[k * shape.features + j];
        weight_sum += data.parameters[k * shape.features + j];
      }
      CHECK(gradient_sum == doctest::Approx(shape.l2 * weight_sum).epsilon(1e-12));
    }
    double intercept_sum = 0;
    for (double value : intercept_gradient) intercept_sum += value;
    CHECK(std::fabs(intercept_sum) <= 1e-14);
  }
}

TEST_CASE("loss gradient: NaN in the features gives a NaN loss") {
  for (ProductPath path : kPaths) {
    ProblemShape shape;
    RandomProblem<float> data(shape);
    data.features[5 * (shape.features + shape.stride_padding) + 2] =
        std::numeric_limits<float>::quiet_NaN();
    LossGradient<float> objective(data.problem(), options_for(path));
    std::vector<float> weights_gradient(data.parameters.size()), intercept_gradient(shape.classes);
    CHECK(std::isnan(
        objective.evaluate(data.parameters, data.intercept, weights_gradient, intercept_gradient)));
  }
}

TEST_CASE("loss gradient: bad input throws Error naming what is wrong") {
  using softmaxkit::Error;
  ProblemShape shape;
  shape.weighted = true;
  RandomProblem<float> data(shape);
  auto problem = data.problem();
  auto throws_with = [](auto problem_copy, const char* text) {
    CHECK_THROWS_WITH_AS(LossGradient<float>{problem_copy}, doctest::Contains(text), Error);
  };
  {
    auto p = problem;
    p.num_classes = 0;
    throws_with(p, "num_classes is 0");
  }
  {
    auto p = problem;
    p.labels = p.labels.first(10);
    throws_with(p, "labels has 10 entries but features has 40 rows");
  }
  {
    auto p = problem;
    p.sample_weights = p.sample_weights.first(39);
    throws_with(p, "sample_weights has 39 entries");
  }
  {
    std::vector<std::int32_t> labels = data.labels;
    labels[17] = 4;
    auto p = problem;
    p.labels = labels;
    throws_with(p, "label 4 at row 17 is outside [0, 4)");
    labels[17] = -1;
    throws_with(p, "label -1 at row 17");
  }
  {
    std::vector<float> weights = data.weights;
    weights[8] = -1.0f;
    auto p = problem;
    p.sample_weights = weights;
    throws_with(p, "sample weight at row 8 is -1");
    weights[8] = std::numeric_limits<float>::infinity();
    throws_with(p, "sample weight at row 8 is inf");
    std::vector<float> zeros(weights.size(), 0.0f);
    p.sample_weights = zeros;
    throws_with(p, "all sample weights are zero");
  }
  {
    std::vector<float> targets(40 * 3, 0.25f);
    auto p = problem;
    p.labels = {};
    p.target_probabilities = softmaxkit::MatrixView<const float>(targets.data(), 40, 3);
    throws_with(p, "target_probabilities is 40 x 3 but expected 40 x 4");
  }
  {
    std::vector<float> targets(40 * 4, 0.25f);
    targets[5 * 4 + 1] = -0.25f;  // row 5: negative entry
    targets[5 * 4 + 2] = 0.75f;
    auto p = problem;
    p.labels = {};
    p.target_probabilities = softmaxkit::MatrixView<const float>(targets.data(), 40, 4);
    throws_with(p, "target_probabilities row 5 has entry -0.25");
    targets[5 * 4 + 1] = 0.25f;  // row 5 now sums to 1.5
    throws_with(p, "target_probabilities row 5 sums to 1.5");
  }
  {
    auto p = problem;
    p.l2 = -1;
    throws_with(p, "l2 is -1");
  }
  LossGradient<float> objective(problem);
  std::vector<float> short_weights(data.parameters.size() - 1), gradient(data.parameters.size());
  std::vector<float> intercept_gradient(shape.classes);
  CHECK_THROWS_WITH_AS(
      objective.evaluate(short_weights, data.intercept, gradient, intercept_gradient),
      doctest::Contains("weights has 23 elements, expected 24"), Error);
  CHECK_THROWS_WITH_AS(objective.evaluate(data.parameters, {}, gradient, intercept_gradient),
                       doctest::Contains("intercept has 0 elements, expected 4"), Error);
  CHECK_THROWS_WITH_AS(
      objective.evaluate(data.parameters, data.intercept, std::span<float>(gradient).first(3), {}),
      doctest::Contains("weights_gradient has 3 elements"), Error);
}

TEST_CASE("predict_logits: X W^T + b on both paths, and a wrong shape is refused") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : kPaths) {
      ProblemShape shape;
      shape.features = 19;
      RandomProblem<double> data(shape);
      LossGradient<double> objective(data.problem(), options_for(path));
      std::vector<double> logits(shape.rows * (shape.classes + 2));
      objective.predict_logits(data.parameters, data.intercept,
                               softmaxkit::MatrixView<double>(logits.data(), shape.rows,
                                                              shape.classes, shape.classes + 2));
      const std::size_t stride = shape.features + shape.stride_padding;
      for (std::size_t i = 0; i < shape.rows; ++i) {
        for (std::size_t k = 0; k < shape.classes; ++k) {
          double expected = data.intercept[k];
          for (std::size_t j = 0; j < shape.features; ++j)
            expected += data.parameters[k * shape.features + j] * data.features[i * stride + j];
          CHECK(logits[i * (shape.classes + 2) + k] == doctest::Approx(expected).epsilon(1e-13));
        }
      }
      CHECK_THROWS_WITH_AS(
          objective.predict_logits(
              data.parameters, data.intercept,
              softmaxkit::MatrixView<double>(logits.data(), shape.rows - 1, shape.classes)),
          doctest::Contains("logits is 39 x 4, expected 40 x 4"), softmaxkit::Error);
    }
  }
}

namespace {

// Rows of classes 0 and 1 only; class 2's intercept is -85, so its probability is about e^-85
// (1e-37, a normal float) and its terms of P - Y, scaled by 1 / m, about 1e-39: subnormal in
// float, normal in double.
template <class T>
struct FaintClass {
  static constexpr std::size_t rows = 64, features = 5, classes = 3;
  std::vector<T> x;
  std::vector<std::int32_t> labels;
  std::vector<T> weights, intercept{T(0.1), T(-0.2), T(-85)};
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> columns;

  FaintClass() {
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    auto uniform = [&] {  // in [-1, 1)
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<double>(state >> 11) / 4503599627370496.0 - 1.0;
    };
    for (std::size_t i = 0; i < rows * features; ++i) x.push_back(static_cast<T>(uniform()));
    for (std::size_t i = 0; i < rows; ++i) labels.push_back(static_cast<std::int32_t>(i % 2));
    for (std::size_t i = 0; i < classes * features; ++i)
      weights.push_back(static_cast<T>(0.5 * uniform()));
    for (std::size_t i = 0; i <= rows; ++i)
      offsets.push_back(static_cast<std::int64_t>(i * features));
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < features; ++j) columns.push_back(static_cast<std::int32_t>(j));
  }
  softmaxkit::RegressionProblem<T> problem(bool sparse) const {
    softmaxkit::RegressionProblem<T> p;
    if (sparse) {
      p.sparse_features = softmaxkit::CsrMatrixView<T>(rows, features, offsets, columns, x);
    } else {
      p.features = softmaxkit::MatrixView<const T>(x.data(), rows, features);
    }
    p.labels = labels;
    p.num_classes = classes;
    p.l2 = 0;
    return p;
  }
  // The weights' gradient in long double: (1/m) sum_i (p_i - y_i) x_i^T.
  std::vector<long double> reference() const {
    std::vector<long double> gradient(classes * features, 0.0L);
    for (std::size_t i = 0; i < rows; ++i) {
      long double z[classes], total = 0;
      for (std::size_t k = 0; k < classes; ++k) {
        z[k] = intercept[k];
        for (std::size_t j = 0; j < features; ++j)
          z[k] += static_cast<long double>(weights[k * features + j]) * x[i * features + j];
      }
      for (std::size_t k = 0; k < classes; ++k) total += std::exp(z[k] - z[0]);
      for (std::size_t k = 0; k < classes; ++k) {
        const long double g = std::exp(z[k] - z[0]) / total -
                              (static_cast<std::int32_t>(k) == labels[i] ? 1.0L : 0.0L);
        for (std::size_t j = 0; j < features; ++j)
          gradient[k * features + j] += g * x[i * features + j] / rows;
      }
    }
    return gradient;
  }
};

}  // namespace

TEST_CASE("loss gradient: subnormal terms of P - Y are zero (float), normal ones exact") {
  // regression.hpp: entries of P - Y and of the Hessian's row terms below the type's smallest
  // normal number are taken as zero before the products. In float class 2's gradient, a sum of
  // such terms only, is then exactly 0 (its exact value is about 1e-38); the other classes keep
  // 1e-5 relative to long double. In double nothing is subnormal: class 2 is exact too.
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (const bool sparse : {false, true}) {
      for (ProductPath path : kPaths) {
        if (sparse && path == ProductPath::blas) continue;  // CSR has one product path
        CAPTURE(sparse);
        CAPTURE(int(path));
        auto check = [&](auto zero, double tolerance) {
          using T = decltype(zero);
          const FaintClass<T> data;
          LossGradientOptions options = options_for(path);
          if (sparse) options.path = ProductPath::automatic;
          LossGradient<T> objective(data.problem(sparse), options);
          std::vector<T> gradient(data.weights.size()), intercept_gradient(data.classes);
          objective.evaluate(data.weights, data.intercept, gradient, intercept_gradient);
          const std::vector<long double> expected = data.reference();
          double largest = 0;
          for (std::size_t e = 0; e < expected.size(); ++e)
            largest = std::max(largest, static_cast<double>(std::fabs(expected[e])));
          for (std::size_t e = 0; e < expected.size(); ++e) {
            CAPTURE(e);
            const bool faint = e >= 2 * data.features;
            if (faint && std::is_same_v<T, float>) {
              // Every term was flushed; the entry moves by at most rows x max |x| x FLT_MIN
              // (|x| < 1 here), as regression.hpp bounds it.
              CHECK(gradient[e] == T(0));
              CHECK(std::fabs(static_cast<double>(expected[e])) <=
                    data.rows * static_cast<double>(std::numeric_limits<float>::min()));
            } else if (faint) {
              CHECK(std::fabs(static_cast<double>(expected[e])) > 1e-46);
              CHECK(std::fabs(gradient[e] - static_cast<double>(expected[e])) <=
                    tolerance * std::fabs(static_cast<double>(expected[e])));
            } else {
              CHECK(std::fabs(gradient[e] - static_cast<double>(expected[e])) <=
                    tolerance * largest);
            }
          }
          if (std::is_same_v<T, float>) CHECK(intercept_gradient[2] == T(0));
          // The Hessian's row terms for class 2 are as faint: its rows of Hv are 0 in float.
          std::vector<T> direction(data.weights.size()), direction_intercept{T(1), T(-1), T(0.5)};
          for (std::size_t e = 0; e < direction.size(); ++e)
            direction[e] = static_cast<T>(0.25 * static_cast<double>(e % 7) - 0.5);
          std::vector<T> product(data.weights.size()), product_intercept(3);
          objective.hessian_vector(data.weights, data.intercept, direction, direction_intercept,
                                   product, product_intercept);
          for (std::size_t e = 2 * data.features; e < product.size(); ++e) {
            if (std::is_same_v<T, float>) {
              CHECK(product[e] == T(0));
            } else {
              CHECK(product[e] != T(0));
            }
          }
        };
        check(0.0f, 1e-5);
        check(0.0, 1e-12);
      }
    }
  }
}

TEST_CASE("flush_subnormals: the boundary values, float and double") {
  auto check = [](auto zero) {
    using T = decltype(zero);
    using limits = std::numeric_limits<T>;
    const T smallest_normal = limits::min();
    const T largest_subnormal = std::nextafter(smallest_normal, T(0));
    // Row 0 flushed, row 1 kept; a stride wider than the columns leaves the gap untouched.
    std::vector<T> block = {
        largest_subnormal, -largest_subnormal, limits::denorm_min(), -limits::denorm_min(), T(7),
        smallest_normal,   -smallest_normal,   limits::infinity(),   limits::quiet_NaN(),   T(7)};
    softmaxkit::detail::flush_subnormals(block.data(), 2, 4, 5);
    for (int e : {0, 2}) CHECK((block[e] == T(0) && !std::signbit(block[e])));
    for (int e : {1, 3}) CHECK((block[e] == T(0) && std::signbit(block[e])));
    CHECK(block[5] == smallest_normal);
    CHECK(block[6] == -smallest_normal);
    CHECK(block[7] == limits::infinity());
    CHECK(std::isnan(block[8]));
    CHECK(block[4] == T(7));
    CHECK(block[9] == T(7));
    std::vector<T> zeros = {T(0), -T(0), T(1), -limits::max()};
    softmaxkit::detail::flush_subnormals(zeros.data(), 1, 4, 4);
    CHECK((zeros[0] == T(0) && !std::signbit(zeros[0])));
    CHECK((zeros[1] == T(0) && std::signbit(zeros[1])));
    CHECK(zeros[2] == T(1));
    CHECK(zeros[3] == -limits::max());
  };
  check(0.0f);
  check(0.0);
}
