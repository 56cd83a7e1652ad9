// The compute ceiling for the row kernels' multithreaded entries: compute_mt/exp_l1 runs the exp
// kernel over a buffer of 4096 floats that each thread keeps in its own L1 (64 tasks of 256
// calls), as threads:1, threads:2 and paired (paired_scaling.hpp). No memory traffic and nothing
// shared, so its 1 -> 2 thread ratio is what the machine gives two busy cores (clock, a virtual
// CPU's share of its physical core): no row kernel can scale better. memory_read_mt and
// memory_copy_mt (bench_memory.cpp) are the floors on the memory side.
#include <benchmark/benchmark.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "paired_scaling.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit::bench {
namespace {

constexpr int tasks = 64, calls_per_task = 256;
constexpr std::size_t buffer_floats = 4096;

Variant make_exp_in_l1() {
  Variant variant;
  variant.run = [] {
    tbb::parallel_for(0, tasks, [](int) {
      thread_local std::vector<float> input(buffer_floats, -0.5f), output(buffer_floats);
      for (int call = 0; call < calls_per_task; ++call) {
        softmaxkit::exp(std::span<const float>(input), std::span<float>(output));
        benchmark::DoNotOptimize(output.data());
      }
    });
  };
  variant.check = [] {
    std::vector<float> input(buffer_floats, -0.5f), output(buffer_floats);
    softmaxkit::exp(std::span<const float>(input), std::span<float>(output));
    return std::abs(output[0] - std::exp(-0.5f)) <= 1e-6f ? std::string() : "exp(-0.5) is wrong";
  };
  return variant;
}

void run_in_arena(benchmark::State& state, int threads) {
  if (!time_variant(state, make_exp_in_l1(), threads)) return;
  state.SetItemsProcessed(state.iterations() * std::int64_t(tasks) * calls_per_task *
                          std::int64_t(buffer_floats));
}

}  // namespace

void register_compute_benchmarks() {
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(("compute_mt/exp_l1/threads:" + std::to_string(threads)).c_str(),
                                 [threads](benchmark::State& s) { run_in_arena(s, threads); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  register_paired_scaling("compute_mt/exp_l1", make_exp_in_l1);
}

}  // namespace softmaxkit::bench
