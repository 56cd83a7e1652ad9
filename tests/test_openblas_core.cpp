// The OpenBLAS core report, and that an evaluation leaves OpenBLAS's thread count as it found it.
#include <cblas.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
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

TEST_CASE("OpenBLAS's own thread count changes no bit, and a pass or fit leaves it as it was") {
  // (ctest file without the "threads" label: OpenBLAS's own threads are not built for
  // ThreadSanitizer.) The BLAS path's products run OpenBLAS single-threaded inside TBB's tasks
  // (SingleThreadedBlas), whatever the caller set with openblas_set_num_threads or
  // OPENBLAS_NUM_THREADS; the caller's setting is restored afterwards. A fit at 150 classes takes
  // the BLAS path by itself.
  const int caller_threads = openblas_get_num_threads();
  softmaxkit::testing::ProblemShape shape;
  shape.rows = 700;
  shape.features = 23;
  shape.classes = 9;
  shape.l2 = 0.01;
  softmaxkit::testing::RandomProblem<double> data(shape);
  softmaxkit::LossGradientOptions options;
  options.path = softmaxkit::ProductPath::blas;
  softmaxkit::LossGradient<double> objective(data.problem(), options);
  std::vector<float> x(600 * 40);
  std::vector<std::int32_t> labels(600);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i % 1013)));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>(i % 150);
  auto fit = [&] {
    softmaxkit::FitOptions fit_options;
    fit_options.max_iterations = 15;
    softmaxkit::SoftmaxRegression model(fit_options);
    model.fit(softmaxkit::MatrixView<const float>(x.data(), 600, 40), labels);
    return model.weights();
  };
  // The loss, gradient and Hessian-vector product at the data's parameters, as one vector.
  auto run = [&] {
    std::vector<double> out(2 * data.parameters.size() + 2 * shape.classes + 1);
    const std::span<double> all(out);
    const std::size_t kn = data.parameters.size(), k = shape.classes;
    out.back() =
        objective.evaluate(data.parameters, data.intercept, all.subspan(0, kn), all.subspan(kn, k));
    objective.hessian_vector(data.parameters, data.intercept, all.subspan(0, kn),
                             all.subspan(kn, k), all.subspan(kn + k, kn),
                             all.subspan(2 * kn + k, k));
    return out;
  };
  openblas_set_num_threads(1);
  const std::vector<double> first = run();
  const std::vector<double> fitted = fit();
  for (const int threads : {2, 4, 1}) {
    INFO("OpenBLAS threads " << threads);
    openblas_set_num_threads(threads);
    const std::vector<double> again_pass = run();
    CHECK(std::memcmp(again_pass.data(), first.data(), first.size() * sizeof(double)) == 0);
    CHECK(openblas_get_num_threads() == threads);
    const std::vector<double> again = fit();
    CHECK(std::memcmp(again.data(), fitted.data(), fitted.size() * sizeof(double)) == 0);
    CHECK(openblas_get_num_threads() == threads);
  }
  openblas_set_num_threads(caller_threads);
}
