// A console reporter that also remembers each run, then prints one line per kernel and size:
// reference time, SIMD time per ISA, and the speed-up over the reference; then, for entries run
// as threads:1 and threads:2 (<entry>/threads:N or /tbb_threads:N), the ratio of the two times,
// and for paired entries (paired_scaling.hpp) their median times and median ratio. With
// --benchmark_repetitions every time is the median of the repetitions.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace softmaxkit::bench {

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  void print_summary() const;

 private:
  struct Row {
    double reference_seconds = 0;
    std::map<std::string, double> variant_seconds;  // "simd", "simd_avx2", ...
    std::map<std::string, double> variant_items_per_second;
  };
  std::map<std::pair<std::string, std::string>, Row> rows_;  // (kernel, size)
  std::vector<std::pair<std::string, std::string>> order_;
  // entry -> threads (1, 2) -> seconds; for paired entries also 0 -> the median of the pairs'
  // ratios (the ratio of the medians can differ)
  std::map<std::string, std::map<int, double>> scaling_;
  std::vector<std::string> scaling_order_;
};

}  // namespace softmaxkit::bench
