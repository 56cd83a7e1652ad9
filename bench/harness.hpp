// Registration helpers: every kernel gets <kernel>/reference/<size>, <kernel>/simd/<size> and
// <kernel>/simd_<isa>/<size> entries. Each checks its output against the reference once, outside
// the timed loop, and fails the entry (SkipWithError) if they disagree.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>

#include "softmaxkit/isa.hpp"

namespace softmaxkit::bench {

struct Variant {
  // Runs the kernel once on prepared data. Called repeatedly inside the timed loop.
  std::function<void()> run;
  // Returns an empty string if the output after run() is acceptable, otherwise why not.
  std::function<std::string()> check;
};

struct KernelBenchmark {
  std::string kernel;  // e.g. "exp" or "exp_f64"
  std::string size;    // e.g. "4096" or "4096x1000"
  double items = 0;    // items processed per run (for items/s)
  double bytes = 0;    // bytes moved per run (for bytes/s)
  std::function<Variant()> make_reference;
  std::function<Variant()> make_simd;  // built under the ISA being measured
  bool multithreaded = false;
  // > 0: every variant runs inside a tbb::task_arena of this many threads and the name ends in
  // "/threads:N"; 0: the default arena, no suffix.
  int threads = 0;
  bool per_isa = true;  // also register simd_<isa> entries
};

void register_kernel_benchmark(const KernelBenchmark& spec);

// Runs the variant once (in a TBB arena of `threads` when > 0, else on the calling thread),
// checks it, then times it in the state's loop. Returns false when the check fails (the entry is
// then skipped with its message). The kernel families use it; so do the memory floors and the
// compute ceiling.
bool time_variant(benchmark::State& state, const Variant& variant, int threads);

}  // namespace softmaxkit::bench
