// Bitwise reproducibility: the loss, gradient and Hessian-vector product are the same bits for
// 1, 2, 3 and 16 TBB threads and across repeated calls, on every ISA and both product paths.
#include <cblas.h>
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "isa_each.hpp"
#include "regression_problems.hpp"
#include "softmaxkit/softmaxkit.hpp"

using softmaxkit::LossGradient;
using softmaxkit::ProductPath;
using softmaxkit::testing::ProblemShape;
using softmaxkit::testing::RandomProblem;

namespace {

template <class T>
struct Outputs {
  double loss = 0;
  std::vector<T> weights_gradient, intercept_gradient, product, product_intercept;
  bool operator==(const Outputs& other) const {
    auto same_bits = [](const std::vector<T>& a, const std::vector<T>& b) {
      return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    };
    return std::memcmp(&loss, &other.loss, sizeof loss) == 0 &&
           same_bits(weights_gradient, other.weights_gradient) &&
           same_bits(intercept_gradient, other.intercept_gradient) &&
           same_bits(product, other.product) &&
           same_bits(product_intercept, other.product_intercept);
  }
};

template <class T>
Outputs<T> run(LossGradient<T>& objective, const RandomProblem<T>& data) {
  Outputs<T> out;
  const std::size_t classes = data.shape.classes;
  out.weights_gradient.resize(data.parameters.size());
  out.intercept_gradient.resize(classes);
  out.product.resize(data.parameters.size());
  out.product_intercept.resize(classes);
  out.loss = objective.evaluate(data.parameters, data.intercept, out.weights_gradient,
                                out.intercept_gradient);
  // The gradient itself is a convenient direction.
  objective.hessian_vector(data.parameters, data.intercept, out.weights_gradient,
                           out.intercept_gradient, out.product, out.product_intercept);
  return out;
}

template <class T>
void check_thread_counts(ProductPath path, const ProblemShape& shape) {
  RandomProblem<T> data(shape);
  softmaxkit::LossGradientOptions options;
  options.path = path;
  options.block_rows = 24;  // 2000 rows: 84 blocks in 64 chunks
  LossGradient<T> objective(data.problem(), options);
  const Outputs<T> first = run(objective, data);
  CHECK(run(objective, data) == first);  // repeated call
  for (int threads : {1, 2, 3, 16}) {
    INFO("threads " << threads);
    tbb::task_arena arena(threads);
    Outputs<T> result;
    arena.execute([&] { result = run(objective, data); });
    CHECK(result == first);
  }
}

}  // namespace

TEST_CASE("loss gradient determinism: bitwise identical for 1, 2, 3 and 16 threads") {
  ProblemShape shape;
  shape.rows = 2000;
  shape.features = 37;
  shape.classes = 7;
  shape.weighted = true;
  shape.l2 = 0.01;
  ProblemShape soft = shape;
  soft.soft_targets = true;
  soft.fit_intercept = false;
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (ProductPath path : {ProductPath::blas, ProductPath::small_k}) {
      INFO("path " << int(path));
      check_thread_counts<float>(path, shape);
      check_thread_counts<double>(path, shape);
      check_thread_counts<float>(path, soft);
    }
  }
}

TEST_CASE("OpenBLAS's own thread count changes no bit, and a pass or fit leaves it as it was") {
  // The BLAS path's products run OpenBLAS single-threaded inside TBB's tasks (SingleThreadedBlas),
  // whatever the caller set with openblas_set_num_threads or OPENBLAS_NUM_THREADS; the caller's
  // setting is restored afterwards. A fit at 150 classes takes the BLAS path by itself.
  const int caller_threads = openblas_get_num_threads();
  ProblemShape shape;
  shape.rows = 700;
  shape.features = 23;
  shape.classes = 9;
  shape.l2 = 0.01;
  RandomProblem<double> data(shape);
  softmaxkit::LossGradientOptions options;
  options.path = ProductPath::blas;
  LossGradient<double> objective(data.problem(), options);
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
  openblas_set_num_threads(1);
  const Outputs<double> first = run(objective, data);
  const std::vector<double> fitted = fit();
  for (const int threads : {2, 4, 1}) {
    INFO("OpenBLAS threads " << threads);
    openblas_set_num_threads(threads);
    CHECK(run(objective, data) == first);
    CHECK(openblas_get_num_threads() == threads);
    const std::vector<double> again = fit();
    CHECK(std::memcmp(again.data(), fitted.data(), fitted.size() * sizeof(double)) == 0);
    CHECK(openblas_get_num_threads() == threads);
  }
  openblas_set_num_threads(caller_threads);
}
