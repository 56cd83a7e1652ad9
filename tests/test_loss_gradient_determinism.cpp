// Bitwise reproducibility: the loss, gradient and Hessian-vector product are the same bits for
// 1, 2, 3 and 16 TBB threads and across repeated calls, on every ISA and both product paths.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

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
