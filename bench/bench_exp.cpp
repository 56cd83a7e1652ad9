// exp/reference|simd|simd_<isa>/<n> (float) and exp_f64/... (double).
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "harness.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/reference.hpp"

namespace softmaxkit::bench {
namespace {

template <class T>
struct ExpData {
  std::vector<T> input, output, expected;
  explicit ExpData(std::size_t n) : input(n), output(n), expected(n) {
    std::mt19937 generator(42);
    std::uniform_real_distribution<T> distribution(T(-80), T(80));
    for (T& value : input) value = distribution(generator);
    reference::exp(input, expected);
  }
  std::string check() const {
    for (std::size_t i = 0; i < output.size(); ++i) {
      const T tolerance = T(4) * std::numeric_limits<T>::epsilon() * std::fabs(expected[i]);
      if (!(std::fabs(output[i] - expected[i]) <= tolerance)) return "output differs from std::exp";
    }
    return "";
  }
};

template <class T>
void register_exp(const std::string& kernel, std::size_t n) {
  auto make = [n](bool simd) {
    auto data = std::make_shared<ExpData<T>>(n);
    Variant variant;
    if (simd) {
      variant.run = [data] { softmaxkit::exp(data->input, data->output); };
    } else {
      variant.run = [data] { reference::exp(data->input, data->output); };
    }
    variant.check = [data] { return data->check(); };
    return variant;
  };
  KernelBenchmark spec;
  spec.kernel = kernel;
  spec.size = std::to_string(n);
  spec.items = static_cast<double>(n);
  spec.bytes = 2.0 * static_cast<double>(n * sizeof(T));
  spec.make_reference = [make] { return make(false); };
  spec.make_simd = [make] { return make(true); };
  register_kernel_benchmark(spec);
}

}  // namespace

void register_exp_benchmarks() {
  for (std::size_t n : {std::size_t{4096}, std::size_t{1} << 22}) register_exp<float>("exp", n);
  for (std::size_t n : {std::size_t{4096}, std::size_t{1} << 22})
    register_exp<double>("exp_f64", n);
}

}  // namespace softmaxkit::bench
