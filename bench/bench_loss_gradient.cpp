// loss_grad/<variant>/<m>x<n>x<K> (float): one LossGradient::evaluate (loss and both gradients).
//   simd            the automatic path, all cores
//   simd_blas       OpenBLAS products;  simd_smallk  the small-K SIMD kernel
//   simd/.../tbb_threads:<t>   the automatic path in a t-thread arena (thread scaling);
//                   512x784x10 on one thread keeps X in L2: the pass without memory traffic
//   reference       the scalar reference (reference::loss_gradient), one thread
// stream_read/<m>x<n>: a sum over the same X with all cores, the floor for one pass over X.
// Counters: GFLOP/s counts the two products (4 m n K); GB/s counts one read of X.
// Outputs are checked once, outside the timed loop, against the double-precision evaluation
// (or, for reference entries, against the SIMD evaluation).
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "memory_sum.hpp"
#include "softmaxkit/reference.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::bench {
namespace {

struct Shape {
  std::size_t rows, features, classes;
  std::string name() const {
    return std::to_string(rows) + "x" + std::to_string(features) + "x" + std::to_string(classes);
  }
};

// Image-like features in [0, 1), random labels, small random parameters; one copy per shape.
struct Data {
  Shape shape;
  std::vector<float> features, weights, intercept;
  std::vector<std::int32_t> labels;

  explicit Data(const Shape& s) : shape(s), features(s.rows * s.features), labels(s.rows) {
    std::mt19937 generator(2024);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    for (float& value : features) value = pixel(generator);
    for (auto& label : labels) label = static_cast<std::int32_t>(generator() % s.classes);
    weights.resize(s.classes * s.features);
    for (float& value : weights) value = normal(generator);
    intercept.resize(s.classes);
    for (float& value : intercept) value = normal(generator);
  }
  RegressionProblem<float> problem() const {
    RegressionProblem<float> p;
    p.features = MatrixView<const float>(features.data(), shape.rows, shape.features);
    p.labels = labels;
    p.num_classes = shape.classes;
    p.l2 = 1e-4;
    return p;
  }
};

std::shared_ptr<Data> data_for(const Shape& shape) {
  static std::map<std::string, std::weak_ptr<Data>> cache;
  auto& entry = cache[shape.name()];
  if (auto existing = entry.lock()) return existing;
  auto created = std::make_shared<Data>(shape);
  entry = created;
  return created;
}

// Loss and gradients of the float run against the double evaluation of the same problem.
std::string check_against_double(const Data& data, double loss,
                                 const std::vector<float>& gradient) {
  const std::vector<double> features(data.features.begin(), data.features.end());
  const std::vector<double> weights(data.weights.begin(), data.weights.end());
  const std::vector<double> intercept(data.intercept.begin(), data.intercept.end());
  RegressionProblem<double> problem;
  problem.features =
      MatrixView<const double>(features.data(), data.shape.rows, data.shape.features);
  problem.labels = data.labels;
  problem.num_classes = data.shape.classes;
  problem.l2 = 1e-4;
  LossGradient<double> objective(problem);
  std::vector<double> expected(weights.size()), expected_intercept(intercept.size());
  const double expected_loss = objective.evaluate(weights, intercept, expected, expected_intercept);
  if (!(std::fabs(loss - expected_loss) <= 1e-4 * std::fabs(expected_loss)))
    return "loss differs from the double evaluation";
  double difference = 0, scale = 0;
  for (std::size_t e = 0; e < expected.size(); ++e) {
    difference = std::max(difference, std::fabs(double(gradient[e]) - expected[e]));
    scale = std::max(scale, std::fabs(expected[e]));
  }
  if (!(difference <= 1e-3 * scale)) return "gradient differs from the double evaluation";
  return "";
}

void set_counters(benchmark::State& state, const Shape& shape) {
  const double iterations = static_cast<double>(state.iterations());
  const double flops = 4.0 * double(shape.rows) * double(shape.features) * double(shape.classes);
  const double bytes = double(shape.rows) * double(shape.features) * sizeof(float);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * iterations * 1e-9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * iterations * 1e-9, benchmark::Counter::kIsRate);
}

void run_simd(benchmark::State& state, const Shape& shape, ProductPath path, int threads) {
  auto data = data_for(shape);
  LossGradientOptions options;
  options.path = path;
  LossGradient<float> objective(data->problem(), options);
  std::vector<float> gradient(data->weights.size()), intercept_gradient(shape.classes);
  double loss = 0;
  auto evaluate = [&] {
    loss = objective.evaluate(data->weights, data->intercept, gradient, intercept_gradient);
  };
  // The whole timed loop runs inside the arena: entering it once per call would let its worker
  // wander off between calls and time the rejoin instead of the kernel.
  auto measure = [&] {
    evaluate();
    if (std::string problem = check_against_double(*data, loss, gradient); !problem.empty()) {
      state.SkipWithError(problem.c_str());
      return;
    }
    for (auto _ : state) {
      evaluate();
      benchmark::DoNotOptimize(loss);
      benchmark::ClobberMemory();
    }
  };
  if (threads > 0) {
    tbb::task_arena(threads).execute(measure);
  } else {
    measure();
  }
  set_counters(state, shape);
  state.SetLabel(objective.product_path() == ProductPath::small_k ? "smallk" : "blas");
}

void run_reference(benchmark::State& state, const Shape& shape) {
  auto data = data_for(shape);
  std::vector<float> gradient(data->weights.size()), intercept_gradient(shape.classes);
  auto run = [&] {
    return reference::loss_gradient(data->problem(), data->weights, data->intercept, gradient,
                                    intercept_gradient);
  };
  if (std::string problem = check_against_double(*data, run(), gradient); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(run());
    benchmark::ClobberMemory();
  }
  set_counters(state, shape);
  state.SetLabel("scalar");
}

void run_stream_read(benchmark::State& state, const Shape& shape) {
  auto data = data_for(shape);
  auto sum = [&] {
    return tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, shape.rows, 64), 0.0,
        [&](const tbb::blocked_range<std::size_t>& rows, double total) {
          for (std::size_t i = rows.begin(); i != rows.end(); ++i)
            total += memory_bound_sum(data->features.data() + i * shape.features, shape.features);
          return total;
        },
        [](double a, double b) { return a + b; });
  };
  const double expected = 0.5 * double(shape.rows) * double(shape.features);
  if (!(std::fabs(sum() - expected) <= 1e-2 * expected)) {
    state.SkipWithError("sum of X is not near its expectation");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(sum());
  Shape as_read = shape;
  as_read.classes = 0;
  set_counters(state, as_read);
}

void add(const std::string& name, std::function<void(benchmark::State&)> body) {
  benchmark::RegisterBenchmark(name.c_str(), std::move(body))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

void register_loss_gradient_benchmarks() {
  const Shape fashion{60000, 784, 10};
  add("stream_read/60000x784", [fashion](benchmark::State& s) { run_stream_read(s, fashion); });
  for (const Shape& shape : {fashion, Shape{60000, 784, 100}, Shape{8192, 784, 1000}}) {
    add("loss_grad/simd/" + shape.name(),
        [shape](benchmark::State& s) { run_simd(s, shape, ProductPath::automatic, 0); });
    add("loss_grad/simd_blas/" + shape.name(),
        [shape](benchmark::State& s) { run_simd(s, shape, ProductPath::blas, 0); });
    add("loss_grad/simd_smallk/" + shape.name(),
        [shape](benchmark::State& s) { run_simd(s, shape, ProductPath::small_k, 0); });
  }
  for (const Shape& shape : {fashion, Shape{60000, 784, 100}}) {
    for (int threads : {1, 2}) {
      add("loss_grad/simd/" + shape.name() + "/tbb_threads:" + std::to_string(threads),
          [shape, threads](benchmark::State& s) {
            run_simd(s, shape, ProductPath::automatic, threads);
          });
    }
  }
  // X in L2 between calls (1.6 MB; a core's L2 is 1-2 MiB on the machines seen): the pass's
  // compute ceiling, to set beside 60000x784x10 on one thread, which streams X from memory.
  const Shape cached{512, 784, 10};
  add("loss_grad/simd/" + cached.name() + "/tbb_threads:1",
      [cached](benchmark::State& s) { run_simd(s, cached, ProductPath::automatic, 1); });
  const Shape small{4096, 784, 10};
  add("loss_grad/reference/" + small.name(),
      [small](benchmark::State& s) { run_reference(s, small); });
  add("loss_grad/simd/" + small.name(),
      [small](benchmark::State& s) { run_simd(s, small, ProductPath::automatic, 0); });
  // The crossover between the two paths (small_k_product_max_classes): K from 32 to 512 at n = 784.
  for (std::size_t classes : {32, 64, 128, 256, 512}) {
    const Shape shape{8192, 784, classes};
    add("loss_grad_crossover/simd_blas/" + shape.name(),
        [shape](benchmark::State& s) { run_simd(s, shape, ProductPath::blas, 0); });
    add("loss_grad_crossover/simd_smallk/" + shape.name(),
        [shape](benchmark::State& s) { run_simd(s, shape, ProductPath::small_k, 0); });
  }
}

}  // namespace softmaxkit::bench
