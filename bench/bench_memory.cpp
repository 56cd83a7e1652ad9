// Memory floors for the row kernels' multithreaded entries, on the same shape and in the same
// kind of TBB arena: memory_read_mt reads a 65536x1000 float matrix once (a sum), memory_copy_mt
// copies it to another (one read, one write, like softmax or log_softmax), each as threads:1,
// threads:2 and paired (paired_scaling.hpp). A row kernel cannot scale from 1 to 2 threads better
// than these do once it is bound by memory. Each checks its result once, outside the timing.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "memory_sum.hpp"
#include "paired_scaling.hpp"

namespace softmaxkit::bench {
namespace {

constexpr std::size_t rows = 65536, cols = 1000, rows_per_task = 32;
constexpr double matrix_bytes = double(rows * cols * sizeof(float));

// The parallel sum of the matrix, run in the caller's arena.
Variant make_read() {
  auto matrix = std::make_shared<const std::vector<float>>(rows * cols, 0.5f);
  auto sum = std::make_shared<double>(0.0);
  Variant variant;
  // The sum goes to the heap, where check() reads it: the reduction cannot be optimised away.
  // (Not benchmark::DoNotOptimize(*sum): GCC miscompiles its "+m,r" constraint on a double
  // lvalue, google/benchmark#903; the sum read back as 0 here.)
  variant.run = [matrix, sum] {
    *sum = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, rows, rows_per_task), 0.0,
        [&](const tbb::blocked_range<std::size_t>& block, double total) {
          return total +
                 memory_bound_sum(matrix->data() + block.begin() * cols, block.size() * cols);
        },
        [](double a, double b) { return a + b; });
  };
  variant.check = [sum] {
    return *sum == 0.5 * double(rows * cols) ? std::string() : "the sum of the matrix is wrong";
  };
  return variant;
}

// The parallel copy of the matrix to another, run in the caller's arena.
Variant make_copy() {
  auto source = std::make_shared<std::vector<float>>(rows * cols);
  auto destination = std::make_shared<std::vector<float>>(rows * cols, 0.0f);
  for (std::size_t i = 0; i < source->size(); ++i) (*source)[i] = float(i % 1024);
  Variant variant;
  variant.run = [source, destination] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, rows_per_task),
                      [&](const tbb::blocked_range<std::size_t>& block) {
                        std::copy(source->begin() + block.begin() * cols,
                                  source->begin() + block.end() * cols,
                                  destination->begin() + block.begin() * cols);
                      });
  };
  variant.check = [source, destination] {
    return *destination == *source ? std::string() : "the copy differs from its source";
  };
  return variant;
}

void run_in_arena(benchmark::State& state, const Variant& variant, int threads,
                  double bytes_per_call) {
  if (!time_variant(state, variant, threads)) return;
  state.SetBytesProcessed(static_cast<std::int64_t>(double(state.iterations()) * bytes_per_call));
}

}  // namespace

void register_memory_benchmarks() {
  const std::string size = std::to_string(rows) + "x" + std::to_string(cols);
  for (int threads : {1, 2}) {
    const std::string suffix = "/" + size + "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(
        ("memory_read_mt" + suffix).c_str(),
        [threads](benchmark::State& s) { run_in_arena(s, make_read(), threads, matrix_bytes); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(
        ("memory_copy_mt" + suffix).c_str(),
        [threads](benchmark::State& s) { run_in_arena(s, make_copy(), threads, 2 * matrix_bytes); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  register_paired_scaling("memory_read_mt/" + size, make_read);
  register_paired_scaling("memory_copy_mt/" + size, make_copy);
}

}  // namespace softmaxkit::bench
