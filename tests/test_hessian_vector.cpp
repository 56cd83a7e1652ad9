// LossGradient::hessian_vector against central finite differences of the gradient (double),
// with and without intercept, weights, soft targets and l2, on every ISA and both paths.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include "isa_each.hpp"
#include "regression_problems.hpp"
#include "softmaxkit/softmaxkit.hpp"

using softmaxkit::LossGradient;
using softmaxkit::ProductPath;
using softmaxkit::testing::ProblemShape;
using softmaxkit::testing::RandomProblem;
using softmaxkit::testing::relative_error;

TEST_CASE("hessian-vector product: matches central differences of the gradient") {
  std::vector<ProblemShape> shapes(4);
  shapes[1].fit_intercept = false;
  shapes[1].l2 = 0.2;
  shapes[1].seed = 11;
  shapes[2].weighted = true;
  shapes[2].soft_targets = true;
  shapes[2].features = 19;
  shapes[2].classes = 6;
  shapes[2].seed = 12;
  shapes[3] = shapes[2];
  shapes[3].fit_intercept = false;
  shapes[3].l2 = 1.5;
  shapes[3].seed = 13;
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : {ProductPath::blas, ProductPath::small_k}) {
      for (const ProblemShape& shape : shapes) {
        INFO("path " << int(path) << " seed " << shape.seed);
        RandomProblem<double> data(shape);
        softmaxkit::LossGradientOptions options;
        options.path = path;
        options.block_rows = 7;
        LossGradient<double> objective(data.problem(), options);
        std::mt19937 generator(shape.seed + 100);
        std::normal_distribution<double> normal(0.0, 1.0);
        std::vector<double> direction(data.parameters.size()), direction_intercept(shape.classes);
        for (double& value : direction) value = normal(generator);
        for (double& value : direction_intercept) value = normal(generator);
        if (!shape.fit_intercept) direction_intercept.clear();

        std::vector<double> product(direction.size()),
            product_intercept(direction_intercept.size());
        objective.hessian_vector(data.parameters, data.intercept, direction, direction_intercept,
                                 product, product_intercept);

        const double step = 1e-5;
        auto gradient_at = [&](double sign) {
          std::vector<double> weights = data.parameters, intercept = data.intercept;
          for (std::size_t e = 0; e < weights.size(); ++e) weights[e] += sign * step * direction[e];
          for (std::size_t k = 0; k < intercept.size(); ++k)
            intercept[k] += sign * step * direction_intercept[k];
          std::vector<double> weights_gradient(weights.size()), intercept_gradient(shape.classes);
          objective.evaluate(weights, intercept, weights_gradient, intercept_gradient);
          weights_gradient.insert(weights_gradient.end(), intercept_gradient.begin(),
                                  intercept_gradient.end());
          return weights_gradient;
        };
        const std::vector<double> up = gradient_at(1), down = gradient_at(-1);
        std::vector<double> numeric(up.size());
        for (std::size_t e = 0; e < up.size(); ++e) numeric[e] = (up[e] - down[e]) / (2 * step);
        std::vector<double> analytic = product;
        if (shape.fit_intercept) {
          analytic.insert(analytic.end(), product_intercept.begin(), product_intercept.end());
        } else {
          analytic.resize(numeric.size(), 0.0);  // the intercept gradient is identically 0
        }
        CHECK(relative_error(analytic, numeric) <= 1e-6);
      }
    }
  }
}

TEST_CASE("hessian-vector product: confident rows keep every entry (no cancellation in u - p.u)") {
  // One row, one feature of 1, no intercept, W = (g/2, -g/2): p = (1 - e, e) with e = 1/(1+exp(g))
  // and H v for v = (1, 0) is (p1 p2, -p1 p2). Formed as p o (u - p.u), the first entry cancelled
  // to 0 once p1 rounded to 1 (g = 40: 4.2e-18 came out 0 in float and double, every ISA).
  // Against long double, both precisions, every ISA and path, gaps up to 80 (e about 1.8e-35).
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : {ProductPath::blas, ProductPath::small_k}) {
      for (const double gap : {10.0, 40.0, 80.0}) {
        CAPTURE(gap);
        const long double e = 1.0L / (1.0L + std::exp(static_cast<long double>(gap)));
        const long double exact = (1.0L - e) * e;
        auto check = [&](auto zero, double tolerance) {
          using T = decltype(zero);
          const std::vector<T> x = {T(1)};
          const std::vector<std::int32_t> y = {0};
          softmaxkit::RegressionProblem<T> problem;
          problem.features = softmaxkit::MatrixView<const T>(x.data(), 1, 1);
          problem.labels = y;
          problem.num_classes = 2;
          problem.fit_intercept = false;
          softmaxkit::LossGradientOptions options;
          options.path = path;
          LossGradient<T> objective(problem, options);
          const std::vector<T> weights = {T(gap / 2), T(-gap / 2)}, direction = {T(1), T(0)};
          std::vector<T> product(2), none;
          objective.hessian_vector(weights, none, direction, none, product, none);
          CHECK(std::abs((static_cast<long double>(product[0]) - exact) / exact) <= tolerance);
          CHECK(std::abs((static_cast<long double>(product[1]) + exact) / exact) <= tolerance);
        };
        check(0.0, 1e-14);
        check(0.0f, 1e-5);
      }
    }
  }
}

TEST_CASE("hessian-vector product: bad spans are refused") {
  ProblemShape shape;
  RandomProblem<float> data(shape);
  LossGradient<float> objective(data.problem());
  std::vector<float> direction(data.parameters.size()), direction_intercept(shape.classes);
  std::vector<float> product(direction.size() + 1), product_intercept(shape.classes);
  CHECK_THROWS_WITH_AS(objective.hessian_vector(data.parameters, data.intercept, direction,
                                                direction_intercept, product, product_intercept),
                       doctest::Contains("product_weights has 25 elements, expected 24"),
                       softmaxkit::Error);
}

// Against the naive long-double formula (guarantees.md: float within 1e-5, double 1e-12
// relative, norm-wise): both dense paths on every ISA, CSR features, and the n x K weight layout.
// An audit found float Hv checked against an independent value only on a 1 x 1 problem.
template <class T>
void check_against_formula(const ProblemShape& shape, softmaxkit::LossGradientOptions options,
                           bool sparse) {
  RandomProblem<T> data(shape);
  std::mt19937 generator(shape.seed + 200);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<T> direction(data.parameters.size()), direction_intercept(shape.classes);
  for (T& value : direction) value = static_cast<T>(normal(generator));
  for (T& value : direction_intercept) value = static_cast<T>(normal(generator));
  const std::vector<T> no_intercept_direction;
  const std::vector<T>& v = shape.fit_intercept ? direction_intercept : no_intercept_direction;
  // CSR: the same matrix's nonzero entries (about half are set to 0 first).
  const std::size_t stride = shape.features + shape.stride_padding;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<T> values;
  if (sparse) {
    for (std::size_t i = 0; i < shape.rows; ++i) {
      for (std::size_t j = 0; j < shape.features; ++j) {
        T& x = data.features[i * stride + j];
        if ((i * 7 + j * 3) % 2 == 0) x = T(0);
        if (x != T(0)) {
          columns.push_back(static_cast<std::int32_t>(j));
          values.push_back(x);
        }
      }
      offsets.push_back(static_cast<std::int64_t>(columns.size()));
    }
  }
  softmaxkit::RegressionProblem<T> problem = data.problem();
  if (sparse) {
    problem.features = {};
    problem.sparse_features =
        softmaxkit::CsrMatrixView<T>(shape.rows, shape.features, offsets, columns, values);
  }
  const std::vector<long double> want = softmaxkit::testing::reference_hessian_vector(
      data, data.parameters, data.intercept, direction, direction_intercept);
  const bool by_features = options.weight_layout == softmaxkit::WeightLayout::features_by_classes;
  const std::size_t K = shape.classes, n = shape.features;
  auto laid_out = [&](const std::vector<T>& w) {  // K x n -> the layout's order
    if (!by_features) return w;
    std::vector<T> t(w.size());
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t j = 0; j < n; ++j) t[j * K + k] = w[k * n + j];
    return t;
  };
  LossGradient<T> objective(problem, options);
  std::vector<T> product(K * n), product_intercept(shape.fit_intercept ? K : 0);
  objective.hessian_vector(laid_out(data.parameters), data.intercept, laid_out(direction), v,
                           product, product_intercept);
  std::vector<long double> got(K * n + K, 0.0L);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t j = 0; j < n; ++j)
      got[k * n + j] = by_features ? product[j * K + k] : product[k * n + j];
  for (std::size_t k = 0; k < product_intercept.size(); ++k) got[K * n + k] = product_intercept[k];
  const double bound = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  CHECK(relative_error(got, want) <= bound);
  // The intercept part on its own scale (it is a small share of the whole vector's norm).
  if (shape.fit_intercept) {
    const std::vector<long double> got_b(got.end() - K, got.end()),
        want_b(want.end() - K, want.end());
    CHECK(relative_error(got_b, want_b) <= bound);
  }
}

TEST_CASE("hessian-vector product: the naive long-double formula, float and double") {
  std::vector<ProblemShape> shapes(3);
  shapes[0].rows = 300;
  shapes[0].features = 23;
  shapes[0].classes = 5;
  shapes[0].weighted = true;
  shapes[0].l2 = 0.05;
  shapes[0].seed = 31;
  shapes[1] = shapes[0];
  shapes[1].fit_intercept = false;
  shapes[1].soft_targets = true;
  shapes[1].classes = 40;  // above the small-K path's limit
  shapes[1].seed = 32;
  shapes[2] = shapes[0];
  shapes[2].classes = 2;
  shapes[2].weighted = false;
  shapes[2].seed = 33;
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (const ProblemShape& shape : shapes) {
      for (const ProductPath path : {ProductPath::blas, ProductPath::small_k}) {
        if (path == ProductPath::small_k && shape.classes > 32) continue;
        for (const auto layout : {softmaxkit::WeightLayout::classes_by_features,
                                  softmaxkit::WeightLayout::features_by_classes}) {
          INFO("seed " << shape.seed << " path " << int(path) << " layout " << int(layout));
          softmaxkit::LossGradientOptions options;
          options.path = path;
          options.block_rows = 64;
          options.weight_layout = layout;
          check_against_formula<float>(shape, options, false);
          check_against_formula<double>(shape, options, false);
        }
      }
      for (const auto layout : {softmaxkit::WeightLayout::classes_by_features,
                                softmaxkit::WeightLayout::features_by_classes}) {
        INFO("CSR seed " << shape.seed << " layout " << int(layout));
        softmaxkit::LossGradientOptions options;
        options.weight_layout = layout;
        check_against_formula<float>(shape, options, true);
        check_against_formula<double>(shape, options, true);
      }
    }
  }
}
