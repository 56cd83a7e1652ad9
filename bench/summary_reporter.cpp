#include "summary_reporter.hpp"

#include <cstdio>

namespace softmaxkit::bench {

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred || run.iterations == 0) continue;
    const std::string name = run.benchmark_name();
    const auto first = name.find('/');
    const auto second = name.find('/', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string kernel = name.substr(0, first);
    const std::string variant = name.substr(first + 1, second - first - 1);
    std::string size = name.substr(second + 1);
    if (auto suffix = size.find("/real_time"); suffix != std::string::npos) size.resize(suffix);
    const auto key = std::make_pair(kernel, size);
    if (!rows_.count(key)) order_.push_back(key);
    Row& row = rows_[key];
    const double seconds = run.GetAdjustedRealTime() /
                           benchmark::GetTimeUnitMultiplier(run.time_unit);
    if (variant == "reference") {
      row.reference_seconds = seconds;
    } else {
      row.variant_seconds[variant] = seconds;
      if (auto items = run.counters.find("items/s"); items != run.counters.end())
        row.variant_items_per_second[variant] = items->second.value;
    }
  }
}

void SummaryReporter::print_summary() const {
  std::printf("\n%-22s %-16s %-8s %14s %12s %10s\n", "kernel", "size", "ISA", "items/s",
              "time (us)", "speedup");
  for (const auto& key : order_) {
    const Row& row = rows_.at(key);
    for (const auto& [variant, seconds] : row.variant_seconds) {
      if (variant == "simd") continue;  // the dispatched entry repeats the best ISA
      const std::string isa = variant.rfind("simd_", 0) == 0 ? variant.substr(5) : variant;
      const auto items = row.variant_items_per_second.find(variant);
      std::printf("%-22s %-16s %-8s %14.4g %12.2f ", key.first.c_str(), key.second.c_str(),
                  isa.c_str(), items == row.variant_items_per_second.end() ? 0.0 : items->second,
                  seconds * 1e6);
      if (row.reference_seconds > 0) {
        std::printf("%9.1fx\n", row.reference_seconds / seconds);
      } else {
        std::printf("%10s\n", "-");
      }
    }
  }
}

}  // namespace softmaxkit::bench
