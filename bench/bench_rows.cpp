// Row kernels: logsumexp, softmax, log_softmax and cross_entropy (hard labels, mean, fused
// gradient; cross_entropy_smoothed: label smoothing 0.1, the dense-target path) as
// <kernel>/reference|simd|simd_<isa>/<rows>x<K> (float; _f64 for double), and the parallel forms as
// <kernel>_mt/simd/65536x1000/threads:N and .../paired (paired_scaling.hpp). Each checks its output
// against the scalar reference once, outside the timed loop.
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness.hpp"
#include "paired_scaling.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/reference.hpp"

namespace softmaxkit::bench {
namespace {

enum class Kernel { logsumexp, softmax, log_softmax, cross_entropy, cross_entropy_smoothed };

template <class T>
CrossEntropyOptions<T> options_of(Kernel kernel) {
  CrossEntropyOptions<T> options;
  if (kernel == Kernel::cross_entropy_smoothed) options.label_smoothing = 0.1;
  return options;
}

template <class T>
struct RowData {
  std::size_t rows, cols;
  std::vector<T> logits, output, expected;
  std::vector<std::int32_t> labels;
  double loss = 0, expected_loss = 0;
  RowData(Kernel kernel, std::size_t r, std::size_t c)
      : rows(r), cols(c), logits(r * c), labels(r) {
    std::mt19937 generator(42);
    std::uniform_real_distribution<T> distribution(T(-10), T(10));
    for (T& value : logits) value = distribution(generator);
    for (std::size_t i = 0; i < r; ++i) labels[i] = static_cast<std::int32_t>(generator() % c);
    const std::size_t out = kernel == Kernel::logsumexp ? r : r * c;
    output.assign(out, T(0));
    expected.assign(out, T(0));
  }
  MatrixView<const T> in() const { return {logits.data(), rows, cols}; }
  MatrixView<T> out() { return {output.data(), rows, cols}; }
  MatrixView<T> expected_view() { return {expected.data(), rows, cols}; }
};

template <class T>
void run_kernel(Kernel kernel, RowData<T>& d, bool simd, bool parallel) {
  switch (kernel) {
    case Kernel::logsumexp:
      if (!simd) return reference::logsumexp_rows(d.in(), d.output);
      return parallel ? logsumexp_rows_parallel(d.in(), d.output)
                      : logsumexp_rows(d.in(), d.output);
    case Kernel::softmax:
      if (!simd) return reference::softmax_rows(d.in(), d.out());
      return parallel ? softmax_rows_parallel(d.in(), d.out()) : softmax_rows(d.in(), d.out());
    case Kernel::log_softmax:
      if (!simd) return reference::log_softmax_rows(d.in(), d.out());
      return parallel ? log_softmax_rows_parallel(d.in(), d.out())
                      : log_softmax_rows(d.in(), d.out());
    case Kernel::cross_entropy:
    case Kernel::cross_entropy_smoothed: {
      const CrossEntropyOptions<T> options = options_of<T>(kernel);
      if (!simd) {
        d.loss = reference::cross_entropy(d.in(), d.labels, options, d.out(), {}).loss;
      } else if (parallel) {
        d.loss = cross_entropy_parallel(d.in(), d.labels, options, d.out()).loss;
      } else {
        d.loss = cross_entropy(d.in(), d.labels, options, d.out()).loss;
      }
      return;
    }
  }
}

template <class T>
std::string check(Kernel kernel, RowData<T>& d) {
  switch (kernel) {
    case Kernel::logsumexp:
      reference::logsumexp_rows(d.in(), d.expected);
      break;
    case Kernel::softmax:
      reference::softmax_rows(d.in(), d.expected_view());
      break;
    case Kernel::log_softmax:
      reference::log_softmax_rows(d.in(), d.expected_view());
      break;
    case Kernel::cross_entropy:
    case Kernel::cross_entropy_smoothed:
      d.expected_loss =
          reference::cross_entropy(d.in(), d.labels, options_of<T>(kernel), d.expected_view(), {})
              .loss;
      if (!(std::fabs(d.loss - d.expected_loss) <= 1e-4 * std::fabs(d.expected_loss)))
        return "loss differs from the reference";
      break;
  }
  for (std::size_t i = 0; i < d.output.size(); ++i) {
    const double tolerance = 1e-4 * std::fmax(std::fabs(double(d.expected[i])), 1e-3);
    if (!(std::fabs(double(d.output[i]) - double(d.expected[i])) <= tolerance))
      return "output differs from the reference at " + std::to_string(i);
  }
  return "";
}

// Builds the data when the entry runs, not when it is registered.
template <class T>
Variant make_variant(Kernel kernel, std::size_t rows, std::size_t cols, bool simd, bool parallel) {
  auto data = std::make_shared<RowData<T>>(kernel, rows, cols);
  Variant variant;
  variant.run = [=] { run_kernel(kernel, *data, simd, parallel); };
  variant.check = [=] { return check(kernel, *data); };
  return variant;
}

template <class T>
void register_rows(Kernel kernel, const std::string& name, std::size_t rows, std::size_t cols,
                   bool parallel = false, int threads = 0) {
  auto make = [=](bool simd) { return make_variant<T>(kernel, rows, cols, simd, parallel); };
  KernelBenchmark spec;
  spec.kernel = name;
  spec.size = std::to_string(rows) + "x" + std::to_string(cols);
  spec.items = static_cast<double>(rows * cols);
  spec.bytes = 2.0 * static_cast<double>(rows * cols * sizeof(T));
  if (!parallel) spec.make_reference = [make] { return make(false); };
  spec.make_simd = [make] { return make(true); };
  spec.multithreaded = parallel;
  spec.threads = threads;
  spec.per_isa = !parallel;
  register_kernel_benchmark(spec);
}

}  // namespace

void register_row_benchmarks() {
  const std::pair<Kernel, std::string> kernels[] = {{Kernel::logsumexp, "logsumexp"},
                                                    {Kernel::softmax, "softmax"},
                                                    {Kernel::log_softmax, "log_softmax"},
                                                    {Kernel::cross_entropy, "cross_entropy"}};
  for (const auto& [kernel, name] : kernels) {
    register_rows<float>(kernel, name, 4096, 1000);
    register_rows<double>(kernel, name + "_f64", 4096, 1000);
  }
  register_rows<float>(Kernel::cross_entropy, "cross_entropy", 60000, 10);
  register_rows<float>(Kernel::cross_entropy, "cross_entropy", 4096, 100);
  register_rows<float>(Kernel::cross_entropy_smoothed, "cross_entropy_smoothed", 60000, 10);
  register_rows<float>(Kernel::cross_entropy_smoothed, "cross_entropy_smoothed", 4096, 1000);
  for (const auto& [kernel, name] : kernels) {
    for (int threads : {1, 2})
      register_rows<float>(kernel, name + "_mt", 65536, 1000, true, threads);
  }
  for (const auto& [kernel, name] : kernels) {
    register_paired_scaling(name + "_mt/simd/65536x1000", [kernel = kernel] {
      return make_variant<float>(kernel, 65536, 1000, true, true);
    });
  }
}

}  // namespace softmaxkit::bench
