// A console reporter that also remembers each run, then prints one line per kernel and size:
// reference time, SIMD time per ISA, and the speed-up over the reference.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>

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
};

}  // namespace softmaxkit::bench
