// loss_grad_csr/simd/<m>x<n>x<K>/tbb_threads:<t> (float): one LossGradient::evaluate over CSR
// features (loss and both gradients) on synthetic bag-of-words data shaped like rcv1.multiclass
// and news20 (tools/bag_of_words/bag_of_words.hpp; the same data the bench/sparse_vs_sklearn.py
// script gives scikit-learn), in a t-thread arena.
// loss_grad_csr/simd_features_by_classes/...: the same with WeightLayout::features_by_classes
// (weights and gradient n x K, scikit-learn's coef.ravel(order="F") layout, the one
// bench/sparse_vs_sklearn.py gives scikit-learn), which CSR features read in place.
// csr_read/<m>x<n>/tbb_threads:<t>: one read of the CSR arrays (values and column indices),
// the floor for a pass. Counters: GFLOP/s counts the two products (4 nnz K); GB/s one read of
// the arrays.
// Each entry checks its float result once against the double evaluation of the same data.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bag_of_words.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::bench {
namespace {

struct CsrData {
  bag_of_words::Data data;
  std::vector<double> values_f64;
  std::vector<float> weights, intercept;

  explicit CsrData(const bag_of_words::Shape& shape) : data(bag_of_words::generate(shape)) {
    values_f64.assign(data.values.begin(), data.values.end());
    weights.resize(data.classes * data.features);
    intercept.resize(data.classes);
    bag_of_words::Random random(7);
    for (float& value : weights) value = static_cast<float>(0.1 * (random.uniform() - 0.5));
    for (float& value : intercept) value = static_cast<float>(0.1 * (random.uniform() - 0.5));
  }
  template <class T>
  RegressionProblem<T> problem(const std::vector<T>& values) const {
    RegressionProblem<T> p;
    p.sparse_features =
        CsrMatrixView<T>(data.rows, data.features, data.row_offsets, data.column_indices, values);
    p.labels = data.labels;
    p.num_classes = data.classes;
    p.l2 = 1.0 / double(data.rows);
    return p;
  }
  std::string name() const {
    return std::to_string(data.rows) + "x" + std::to_string(data.features) + "x" +
           std::to_string(data.classes);
  }
};

std::shared_ptr<CsrData> data_for(const bag_of_words::Shape& shape) {
  static std::map<std::uint64_t, std::weak_ptr<CsrData>> cache;
  auto& entry = cache[shape.seed];
  if (auto existing = entry.lock()) return existing;
  auto created = std::make_shared<CsrData>(shape);
  entry = created;
  return created;
}

std::string check_against_double(const CsrData& csr, double loss,
                                 const std::vector<float>& gradient) {
  LossGradient<double> objective(csr.problem(csr.values_f64));
  const std::vector<double> weights(csr.weights.begin(), csr.weights.end());
  const std::vector<double> intercept(csr.intercept.begin(), csr.intercept.end());
  std::vector<double> expected(weights.size()), expected_intercept(intercept.size());
  const double expected_loss = objective.evaluate(weights, intercept, expected, expected_intercept);
  if (!(std::fabs(loss - expected_loss) <= 1e-5 * std::fabs(expected_loss)))
    return "loss differs from the double evaluation";
  double difference = 0, scale = 0;
  for (std::size_t e = 0; e < expected.size(); ++e) {
    difference = std::max(difference, std::fabs(double(gradient[e]) - expected[e]));
    scale = std::max(scale, std::fabs(expected[e]));
  }
  if (!(difference <= 1e-5 * scale)) return "gradient differs from the double evaluation";
  return "";
}

void set_counters(benchmark::State& state, const CsrData& csr, double flops) {
  const double iterations = static_cast<double>(state.iterations());
  const double bytes = double(csr.data.values.size()) * (sizeof(float) + sizeof(std::int32_t));
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * iterations * 1e-9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * iterations * 1e-9, benchmark::Counter::kIsRate);
}

// in (rows x cols) transposed.
std::vector<float> transposed(const std::vector<float>& in, std::size_t rows, std::size_t cols) {
  std::vector<float> out(in.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
  return out;
}

void run_csr(benchmark::State& state, const bag_of_words::Shape& shape, int threads,
             WeightLayout layout) {
  auto csr = data_for(shape);
  const std::size_t classes = csr->data.classes, features = csr->data.features;
  const bool by_features = layout == WeightLayout::features_by_classes;
  const std::vector<float> weights =
      by_features ? transposed(csr->weights, classes, features) : csr->weights;
  tbb::task_arena(threads).execute([&] {
    LossGradientOptions options;
    options.weight_layout = layout;
    LossGradient<float> objective(csr->problem(csr->data.values), options);
    std::vector<float> gradient(csr->weights.size()), intercept_gradient(classes);
    double loss = 0;
    auto evaluate = [&] {
      loss = objective.evaluate(weights, csr->intercept, gradient, intercept_gradient);
    };
    evaluate();
    const std::vector<float> by_classes =
        by_features ? transposed(gradient, features, classes) : gradient;
    if (std::string problem = check_against_double(*csr, loss, by_classes); !problem.empty()) {
      state.SkipWithError(problem.c_str());
      return;
    }
    for (auto _ : state) {
      evaluate();
      benchmark::DoNotOptimize(loss);
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, *csr, 4.0 * double(csr->data.values.size()) * double(csr->data.classes));
}

void run_csr_read(benchmark::State& state, const bag_of_words::Shape& shape, int threads) {
  auto csr = data_for(shape);
  const auto& data = csr->data;
  auto read = [&] {
    return tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, data.rows, 256), 0.0,
        [&](const tbb::blocked_range<std::size_t>& rows, double total) {
          for (std::size_t i = rows.begin(); i != rows.end(); ++i) {
            const auto begin = static_cast<std::size_t>(data.row_offsets[i]);
            const auto end = static_cast<std::size_t>(data.row_offsets[i + 1]);
            float sum = 0;
            std::int32_t columns = 0;
            for (std::size_t k = begin; k < end; ++k) {
              sum += data.values[k];
              columns ^= data.column_indices[k];
            }
            total += double(sum) + double(columns & 1);
          }
          return total;
        },
        [](double a, double b) { return a + b; });
  };
  // Every row has unit L2 norm, so its entries sum to at least 1 (all are positive).
  tbb::task_arena(threads).execute([&] {
    if (!(read() >= double(data.rows))) {
      state.SkipWithError("the rows' sums are below their lower bound");
      return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(read());
  });
  set_counters(state, *csr, 0);
}

void add(const std::string& name, std::function<void(benchmark::State&)> body) {
  benchmark::RegisterBenchmark(name.c_str(), std::move(body))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

void register_loss_gradient_csr_benchmarks() {
  for (const auto& shape : {bag_of_words::rcv1_shape(), bag_of_words::news20_shape()}) {
    const std::string name = std::to_string(shape.rows) + "x" + std::to_string(shape.features) +
                             "x" + std::to_string(shape.classes);
    for (int threads : {1, 2}) {
      const std::string suffix = "/tbb_threads:" + std::to_string(threads);
      add("loss_grad_csr/simd/" + name + suffix, [shape, threads](benchmark::State& s) {
        run_csr(s, shape, threads, WeightLayout::classes_by_features);
      });
      add("loss_grad_csr/simd_features_by_classes/" + name + suffix,
          [shape, threads](benchmark::State& s) {
            run_csr(s, shape, threads, WeightLayout::features_by_classes);
          });
      add("csr_read/" + name + suffix,
          [shape, threads](benchmark::State& s) { run_csr_read(s, shape, threads); });
    }
  }
}

}  // namespace softmaxkit::bench
