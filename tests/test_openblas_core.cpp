// The OpenBLAS core report, and that an evaluation leaves OpenBLAS's thread count as it found it.
#include <cblas.h>
#include <doctest/doctest.h>

#include <vector>

#include "regression_problems.hpp"
#include "softmaxkit/softmaxkit.hpp"

TEST_CASE("openblas core: named, and the remedy is given exactly when the core is too old") {
  const std::string name = softmaxkit::openblas_core_name();
  CHECK(!name.empty());
  CHECK(name == openblas_get_corename());
  CHECK(softmaxkit::openblas_core_suits_cpu() == softmaxkit::openblas_core_remedy().empty());
  if (softmaxkit::is_supported(softmaxkit::Isa::avx512) && !softmaxkit::openblas_core_suits_cpu())
    CHECK(softmaxkit::openblas_core_remedy() == "SkylakeX");
}

TEST_CASE("openblas threads: set to one while blocks run, restored afterwards") {
  const int before = openblas_get_num_threads();
  softmaxkit::testing::ProblemShape shape;
  softmaxkit::testing::RandomProblem<float> data(shape);
  softmaxkit::LossGradientOptions options;
  options.path = softmaxkit::ProductPath::blas;
  softmaxkit::LossGradient<float> objective(data.problem(), options);
  std::vector<float> gradient(data.parameters.size()), intercept_gradient(shape.classes);
  objective.evaluate(data.parameters, data.intercept, gradient, intercept_gradient);
  CHECK(openblas_get_num_threads() == before);
}
