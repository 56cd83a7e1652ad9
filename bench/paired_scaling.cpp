#include "paired_scaling.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace softmaxkit::bench {
namespace {

constexpr int pairs = 15;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

void run_pairs(benchmark::State& state, const std::function<Variant()>& make) {
  Variant variant = make();
  tbb::task_arena one_thread(1), two_threads(2);
  one_thread.execute([&] { variant.run(); });
  if (std::string problem = variant.check(); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  two_threads.execute([&] { variant.run(); });  // the second arena's worker is up
  auto seconds_of = [&](tbb::task_arena& arena) {
    const auto start = std::chrono::steady_clock::now();
    arena.execute([&] { variant.run(); });
    benchmark::ClobberMemory();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<double> ones, twos, ratios;
  bool one_first = true;
  for (auto _ : state) {
    double one = 0, two = 0;
    if (one_first) {
      one = seconds_of(one_thread);
      two = seconds_of(two_threads);
    } else {
      two = seconds_of(two_threads);
      one = seconds_of(one_thread);
    }
    one_first = !one_first;
    ones.push_back(one);
    twos.push_back(two);
    ratios.push_back(one / two);
    state.SetIterationTime(one + two);
  }
  state.counters["ratio"] = median(ratios);
  state.counters["ms_1_thread"] = median(ones) * 1e3;
  state.counters["ms_2_threads"] = median(twos) * 1e3;
}

}  // namespace

void register_paired_scaling(const std::string& entry, std::function<Variant()> make) {
  benchmark::RegisterBenchmark((entry + "/paired").c_str(),
                               [make](benchmark::State& state) { run_pairs(state, make); })
      ->UseManualTime()
      ->Iterations(pairs)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace softmaxkit::bench
