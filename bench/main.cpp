// softmaxkit_bench: Google Benchmark with the CPU's ISA and OpenBLAS's core in the context.
// --summary prints, after the usual output, a table of each kernel's SIMD speed-up over its
// scalar reference (what scripts/run shows).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <string>
#include <vector>

#include "softmaxkit/isa.hpp"
#include "summary_reporter.hpp"

void register_all_benchmarks();

int main(int argc, char** argv) {
  bool summary = false;
  std::vector<char*> arguments;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--summary") == 0) {
      summary = true;
    } else {
      arguments.push_back(argv[i]);
    }
  }
  int argument_count = static_cast<int>(arguments.size());
  benchmark::Initialize(&argument_count, arguments.data());
  if (benchmark::ReportUnrecognizedArguments(argument_count, arguments.data())) return 2;

  std::string supported;
  for (softmaxkit::Isa isa : softmaxkit::supported_isas()) {
    if (!supported.empty()) supported += ',';
    supported += softmaxkit::to_string(isa);
  }
  benchmark::AddCustomContext("softmaxkit_active_isa",
                              std::string(softmaxkit::to_string(softmaxkit::active_isa())));
  benchmark::AddCustomContext("softmaxkit_supported_isas", supported);
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  register_all_benchmarks();
  if (summary) {
    softmaxkit::bench::SummaryReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_summary();
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
