// libsvm_read/parse/<m>x<n>: parse_libsvm_csr on the LibSVM text of the rcv1-shaped synthetic
// data (tools/bag_of_words, written like softmaxkit-bag-of-words writes it), held in memory: the
// parser alone, one thread. Counter MB/s: text bytes per second.
// libsvm_read/file: read_libsvm_csr (disk or page cache, then the parse) of the file named by
// the environment variable SOFTMAXKIT_BENCH_LIBSVM_FILE, registered only when it is set (e.g. a
// 1 GB file from softmaxkit-bag-of-words --rows 731000).
// The parse entry checks once that the CSR arrays equal the generator's (the text holds each
// float with 9 significant digits, which round-trips exactly).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bag_of_words.hpp"
#include "softmaxkit/data.hpp"

namespace softmaxkit::bench {
namespace {

std::string libsvm_text(const bag_of_words::Data& data) {
  std::string text;
  char buffer[64];
  for (std::size_t i = 0; i < data.rows; ++i) {
    text += std::to_string(data.labels[i]);
    for (auto k = data.row_offsets[i]; k < data.row_offsets[i + 1]; ++k) {
      const auto at = static_cast<std::size_t>(k);
      std::snprintf(buffer, sizeof buffer, " %d:%.9g", data.column_indices[at] + 1,
                    double(data.values[at]));
      text += buffer;
    }
    text += '\n';
  }
  return text;
}

std::string differs(const SparseDataset& read, const bag_of_words::Data& data) {
  const auto& view = read.features.view();
  if (read.labels != data.labels) return "labels differ from the generator's";
  if (!std::equal(view.row_offsets().begin(), view.row_offsets().end(), data.row_offsets.begin(),
                  data.row_offsets.end()))
    return "row offsets differ from the generator's";
  if (!std::equal(view.column_indices().begin(), view.column_indices().end(),
                  data.column_indices.begin(), data.column_indices.end()))
    return "column indices differ from the generator's";
  if (!std::equal(view.values().begin(), view.values().end(), data.values.begin(),
                  data.values.end()))
    return "values differ from the generator's";
  return "";
}

void run_parse(benchmark::State& state) {
  const bag_of_words::Data data = bag_of_words::generate(bag_of_words::rcv1_shape());
  const std::string text = libsvm_text(data);
  LibsvmOptions options;
  options.num_features = data.features;
  if (std::string problem = differs(parse_libsvm_csr(text, options, "bench"), data);
      !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  for (auto _ : state) {
    SparseDataset read = parse_libsvm_csr(text, options, "bench");
    benchmark::DoNotOptimize(read.features.nnz());
  }
  state.counters["MB/s"] = benchmark::Counter(
      double(text.size()) * double(state.iterations()) * 1e-6, benchmark::Counter::kIsRate);
}

void run_file(benchmark::State& state, const std::string& path) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    SparseDataset read = read_libsvm_csr(path);
    benchmark::DoNotOptimize(read.features.nnz());
    if (bytes == 0) {
      std::FILE* file = std::fopen(path.c_str(), "rb");
      if (file != nullptr) {
        std::fseek(file, 0, SEEK_END);
        bytes = static_cast<std::size_t>(std::ftell(file));
        std::fclose(file);
      }
    }
  }
  state.counters["MB/s"] = benchmark::Counter(double(bytes) * double(state.iterations()) * 1e-6,
                                              benchmark::Counter::kIsRate);
}

}  // namespace

void register_libsvm_read_benchmarks() {
  const auto shape = bag_of_words::rcv1_shape();
  const std::string name = std::to_string(shape.rows) + "x" + std::to_string(shape.features);
  benchmark::RegisterBenchmark(("libsvm_read/parse/" + name).c_str(), run_parse)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  if (const char* path = std::getenv("SOFTMAXKIT_BENCH_LIBSVM_FILE"); path && *path) {
    benchmark::RegisterBenchmark(
        "libsvm_read/file", [file = std::string(path)](benchmark::State& s) { run_file(s, file); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace softmaxkit::bench
