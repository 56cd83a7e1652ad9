#include "summary_reporter.hpp"

#include <cstdio>

namespace softmaxkit::bench {

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred || run.iterations == 0) continue;
    // With --benchmark_repetitions, the median stands for the entry (it comes after the
    // repetitions and replaces them); the other aggregates are not times of a run.
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
    const std::string name = run.run_name.str();
    const double seconds =
        run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
    if (auto paired = name.find("/paired"); paired != std::string::npos) {
      const std::string entry = name.substr(0, paired) + " (paired)";
      if (!scaling_.count(entry)) scaling_order_.push_back(entry);
      auto counter = [&](const char* key) {
        const auto found = run.counters.find(key);
        return found == run.counters.end() ? 0.0 : found->second.value;
      };
      scaling_[entry][1] = counter("ms_1_thread") * 1e-3;
      scaling_[entry][2] = counter("ms_2_threads") * 1e-3;
      scaling_[entry][0] = counter("ratio");  // the median of the pairs' ratios
      continue;
    }
    if (auto threads = name.find("/threads:"); threads != std::string::npos) {
      const std::string entry = name.substr(0, threads);
      if (!scaling_.count(entry)) scaling_order_.push_back(entry);
      scaling_[entry][std::stoi(name.substr(threads + 9))] = seconds;
      continue;
    }
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
  if (scaling_order_.empty()) return;
  std::printf("\n%-44s %12s %12s %8s\n", "thread scaling", "1 thread", "2 threads", "ratio");
  for (const auto& entry : scaling_order_) {
    const auto& times = scaling_.at(entry);
    const auto one = times.find(1), two = times.find(2);
    if (one == times.end() || two == times.end()) continue;
    const auto paired_ratio = times.find(0);
    std::printf("%-44s %9.2f ms %9.2f ms %7.2fx\n", entry.c_str(), one->second * 1e3,
                two->second * 1e3,
                paired_ratio != times.end() ? paired_ratio->second : one->second / two->second);
  }
}

}  // namespace softmaxkit::bench
