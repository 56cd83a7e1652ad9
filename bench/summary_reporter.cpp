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
    // <entry>/threads:N (a TBB arena of N threads) or <entry>/tbb_threads:N (loss_grad's).
    std::size_t threads = name.find("/threads:"), count_at = threads + 9;
    if (threads == std::string::npos) {
      threads = name.find("/tbb_threads:");
      count_at = threads + 13;
    }
    if (threads != std::string::npos) {
      const std::string entry = name.substr(0, threads);
      if (!scaling_.count(entry)) scaling_order_.push_back(entry);
      scaling_[entry][std::stoi(name.substr(count_at))] = seconds;
      continue;
    }
    // <kernel>/<variant>/<size>/real_time, or <kernel>/<size>/real_time for entries with no
    // variant (stream_read).
    std::string stripped = name;
    if (auto suffix = stripped.find("/real_time"); suffix != std::string::npos)
      stripped.resize(suffix);
    const auto first = stripped.find('/');
    if (first == std::string::npos) continue;
    const auto second = stripped.find('/', first + 1);
    const std::string kernel = stripped.substr(0, first);
    const std::string variant = second == std::string::npos
                                    ? std::string("-")
                                    : stripped.substr(first + 1, second - first - 1);
    const std::string size = stripped.substr(second == std::string::npos ? first + 1 : second + 1);
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
    // The dispatched entry ("simd") repeats the best ISA's when per-ISA entries exist; otherwise
    // it is the only SIMD entry and shows as "auto".
    const bool has_isa_entries = row.variant_seconds.count("simd_sse2") ||
                                 row.variant_seconds.count("simd_avx2") ||
                                 row.variant_seconds.count("simd_avx512");
    for (const auto& [variant, seconds] : row.variant_seconds) {
      if (variant == "simd" && has_isa_entries) continue;
      const std::string isa = variant == "simd"                ? std::string("auto")
                              : variant.rfind("simd_", 0) == 0 ? variant.substr(5)
                                                               : variant;
      std::printf("%-22s %-16s %-8s ", key.first.c_str(), key.second.c_str(), isa.c_str());
      if (const auto items = row.variant_items_per_second.find(variant);
          items != row.variant_items_per_second.end()) {
        std::printf("%14.4g ", items->second);
      } else {
        std::printf("%14s ", "-");
      }
      std::printf("%12.2f ", seconds * 1e6);
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
