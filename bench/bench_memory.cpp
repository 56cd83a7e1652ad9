// Memory floors for the row kernels' multithreaded entries, on the same shape and in the same
// kind of TBB arena: memory_read_mt reads a 65536x1000 float matrix once (a sum), memory_copy_mt
// copies it to another (one read, one write, like softmax or log_softmax), each as threads:1 and
// threads:2. A row kernel cannot scale from 1 to 2 threads better than these do once it is
// bound by memory. Each checks its result once, outside the timed loop.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "memory_sum.hpp"

namespace softmaxkit::bench {
namespace {

constexpr std::size_t rows = 65536, cols = 1000, rows_per_task = 32;

void run_read(benchmark::State& state, int threads) {
  const std::vector<float> matrix(rows * cols, 0.5f);
  tbb::task_arena arena(threads);
  auto sum = [&] {
    return arena.execute([&] {
      return tbb::parallel_reduce(
          tbb::blocked_range<std::size_t>(0, rows, rows_per_task), 0.0,
          [&](const tbb::blocked_range<std::size_t>& block, double total) {
            return total +
                   memory_bound_sum(matrix.data() + block.begin() * cols, block.size() * cols);
          },
          [](double a, double b) { return a + b; });
    });
  };
  if (sum() != 0.5 * double(rows * cols)) {
    state.SkipWithError("the sum of the matrix is wrong");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(sum());
  state.SetBytesProcessed(state.iterations() * std::int64_t(rows * cols * sizeof(float)));
}

void run_copy(benchmark::State& state, int threads) {
  std::vector<float> source(rows * cols), destination(rows * cols, 0.0f);
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = float(i % 1024);
  tbb::task_arena arena(threads);
  auto copy = [&] {
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, rows_per_task),
                        [&](const tbb::blocked_range<std::size_t>& block) {
                          std::copy(source.begin() + block.begin() * cols,
                                    source.begin() + block.end() * cols,
                                    destination.begin() + block.begin() * cols);
                        });
    });
  };
  copy();
  if (destination != source) {
    state.SkipWithError("the copy differs from its source");
    return;
  }
  for (auto _ : state) {
    copy();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * std::int64_t(2 * rows * cols * sizeof(float)));
}

}  // namespace

void register_memory_benchmarks() {
  const std::string size = std::to_string(rows) + "x" + std::to_string(cols);
  for (int threads : {1, 2}) {
    const std::string suffix = "/" + size + "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("memory_read_mt" + suffix).c_str(),
                                 [threads](benchmark::State& s) { run_read(s, threads); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("memory_copy_mt" + suffix).c_str(),
                                 [threads](benchmark::State& s) { run_copy(s, threads); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace softmaxkit::bench
