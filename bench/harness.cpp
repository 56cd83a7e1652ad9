#include "harness.hpp"

#include <tbb/task_arena.h>

#include <memory>
#include <optional>

namespace softmaxkit::bench {
namespace {

void run_variant(benchmark::State& state, const KernelBenchmark& spec,
                 const std::function<Variant()>& make, std::optional<Isa> isa) {
  std::optional<ScopedIsa> scoped;
  if (isa) scoped.emplace(*isa);
  if (!time_variant(state, make(), spec.threads)) return;
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["items/s"] =
      benchmark::Counter(spec.items * iterations, benchmark::Counter::kIsRate);
  state.counters["bytes/s"] = benchmark::Counter(
      spec.bytes * iterations, benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
  state.SetLabel(isa ? std::string(to_string(*isa)) : std::string("scalar"));
}

}  // namespace

void register_kernel_benchmark(const KernelBenchmark& input_spec) {
  auto spec = std::make_shared<KernelBenchmark>(input_spec);
  auto add = [&](const std::string& variant_name, const std::function<Variant()>& make,
                 std::optional<Isa> isa) {
    auto* registered = benchmark::RegisterBenchmark(
        (spec->kernel + "/" + variant_name + "/" + spec->size +
         (spec->threads > 0 ? "/threads:" + std::to_string(spec->threads) : std::string()))
            .c_str(),
        [spec, make, isa](benchmark::State& state) { run_variant(state, *spec, make, isa); });
    registered->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  if (spec->make_reference) add("reference", spec->make_reference, std::nullopt);
  add("simd", spec->make_simd, active_isa());
  if (!spec->per_isa) return;
  for (Isa isa : supported_isas()) {
    add("simd_" + std::string(to_string(isa)), spec->make_simd, isa);
  }
}

bool time_variant(benchmark::State& state, const Variant& variant, int threads) {
  std::optional<tbb::task_arena> arena;
  if (threads > 0) arena.emplace(threads);
  auto run = [&] {
    if (arena) {
      arena->execute([&] { variant.run(); });
    } else {
      variant.run();
    }
  };
  run();
  if (std::string problem = variant.check(); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return false;
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  return true;
}

}  // namespace softmaxkit::bench
