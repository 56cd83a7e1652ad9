// LossGradient::hessian_vector against central finite differences of the gradient (double),
// with and without intercept, weights, soft targets and l2, on every ISA and both paths.
#include <doctest/doctest.h>

#include <random>
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
