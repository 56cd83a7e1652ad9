// csr_transposed_product/<scheme>/<m>x<n>x<K>/tbb_threads:<t> (float): S = G^T X for CSR
// features X (the bag-of-words shapes of bench_loss_gradient_csr.cpp) and a fixed m x K matrix
// G, the gradient's product on CSR data. Issue 13 asked to choose by measurement between two
// schemes that both give results independent of the thread count:
//   chunked       the loss engine's: each chunk of the fixed grid (kernels/loss/block_plan.hpp,
//                 the CSR block size) adds its rows' x_ij g_i into its own n x K partial sums,
//                 zeroed per call, then the partials are added in chunk order. Memory:
//                 chunks * K * n elements (chunks <= 64, held to about 64 MiB, at least 4).
//   column_major  a one-time column-major (CSC) copy of X; each feature's K sums run over its
//                 entries in row order, the features in parallel. Memory: the copy,
//                 nnz * (4 + sizeof(T)) + (n + 1) * 8 bytes, and all m x K of G at once (the
//                 engine holds only a block of G per chunk).
//   chunk_columns the loss engine's now (kernels/loss/csr_columns.hpp): the column-major copy
//                 cut by the chunks of the grid; chunk by chunk, each feature's entries in the
//                 chunk are summed and added to its running total, the features in parallel,
//                 so one chunk's G rows stay in cache. Memory: the copy and its segments (at
//                 most 13 bytes per entry more), the n x K totals and all of G.
// The first two run the same plain loops (compiled for Haswell-class AVX2+FMA where the CPU has
// it, else the baseline), so their ratio compares the schemes' memory traffic, not the kernels;
// chunk_columns runs the engine's own code (its SIMD kernel on the active ISA). The engine's
// own kernel (kernels/simd/csr_rows.hpp) also orders S's rows by feature frequency; this does not.
// Each entry checks its S once against a double-precision product.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bag_of_words.hpp"
#include "loss/block_plan.hpp"
#include "loss/csr_columns.hpp"
#include "loss/problem_checks.hpp"

namespace softmaxkit::bench {
namespace {

// The plan of the loss engine for these features (the CSR block size), as it cuts them.
detail::BlockPlan plan_of(const bag_of_words::Data& data) {
  return detail::make_csr_block_plan(data.rows, data.values.size(), data.features, data.classes,
                                     sizeof(float), 0);
}

struct Product {
  bag_of_words::Data data;
  std::size_t classes = 0;
  std::vector<float> g;  // m x K
  // The feature-by-feature copy: column j's entries [offsets[j], offsets[j + 1]), rows ascending.
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> rows;
  std::vector<float> values;
  detail::CsrColumns<float> columns;  // the engine's chunk-wise copy

  explicit Product(const bag_of_words::Shape& shape)
      : data(bag_of_words::generate(shape)),
        classes(data.classes),
        offsets(data.features + 1, 0),
        rows(data.values.size()),
        values(data.values.size()) {
    g.resize(data.rows * classes);
    bag_of_words::Random random(11);
    for (float& value : g) value = static_cast<float>(random.uniform() - 0.5);
    for (std::int32_t column : data.column_indices) ++offsets[static_cast<std::size_t>(column) + 1];
    for (std::size_t j = 0; j < data.features; ++j) offsets[j + 1] += offsets[j];
    std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::size_t i = 0; i < data.rows; ++i) {
      for (auto e = data.row_offsets[i]; e < data.row_offsets[i + 1]; ++e) {
        const auto entry = static_cast<std::size_t>(e);
        const auto at =
            static_cast<std::size_t>(next[static_cast<std::size_t>(data.column_indices[entry])]++);
        rows[at] = static_cast<std::int32_t>(i);
        values[at] = data.values[entry];
      }
    }
    columns =
        detail::CsrColumns<float>(CsrMatrixView<float>(data.rows, data.features, data.row_offsets,
                                                       data.column_indices, data.values),
                                  plan_of(data));
  }
};

// out[0, k) += x * in[0, k)
__attribute__((target_clones("arch=haswell", "default"))) void add_scaled(float* out,
                                                                          const float* in, float x,
                                                                          std::size_t k) {
  for (std::size_t c = 0; c < k; ++c) out[c] += x * in[c];
}

// out[0, k) += in[0, k)
__attribute__((target_clones("arch=haswell", "default"))) void add_into(float* out, const float* in,
                                                                        std::size_t k) {
  for (std::size_t c = 0; c < k; ++c) out[c] += in[c];
}

void chunked(const Product& p, const detail::BlockPlan& plan,
             const std::vector<std::size_t>& starts, std::vector<float>& partials,
             std::vector<float>& s) {
  const std::size_t k = p.classes, size = p.data.features * k;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, plan.chunks, 1), [&](const auto& range) {
    for (std::size_t chunk = range.begin(); chunk != range.end(); ++chunk) {
      float* partial = partials.data() + chunk * size;
      std::fill(partial, partial + size, 0.0f);
      for (std::size_t i = starts[chunk]; i < starts[chunk + 1]; ++i) {
        const float* gi = p.g.data() + i * k;
        for (auto e = p.data.row_offsets[i]; e < p.data.row_offsets[i + 1]; ++e) {
          const auto entry = static_cast<std::size_t>(e);
          add_scaled(partial + static_cast<std::size_t>(p.data.column_indices[entry]) * k, gi,
                     p.data.values[entry], k);
        }
      }
    }
  });
  // The engine adds the partials in chunk order, in parallel over ranges of elements.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, 16384), [&](const auto& range) {
    const std::size_t begin = range.begin(), count = range.size();
    std::copy(partials.data() + begin, partials.data() + begin + count, s.data() + begin);
    for (std::size_t chunk = 1; chunk < plan.chunks; ++chunk)
      add_into(s.data() + begin, partials.data() + chunk * size + begin, count);
  });
}

void column_major(const Product& p, std::vector<float>& s) {
  const std::size_t k = p.classes;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, p.data.features, 64),
                    [&](const auto& range) {
                      for (std::size_t j = range.begin(); j != range.end(); ++j) {
                        float* sj = s.data() + j * k;
                        std::fill(sj, sj + k, 0.0f);
                        for (auto e = p.offsets[j]; e < p.offsets[j + 1]; ++e) {
                          const auto entry = static_cast<std::size_t>(e);
                          add_scaled(sj, p.g.data() + static_cast<std::size_t>(p.rows[entry]) * k,
                                     p.values[entry], k);
                        }
                      }
                    });
}

// The engine's own code for this scheme (its SIMD kernel, not the plain loops above).
void chunk_columns(const Product& p, std::vector<float>& s, std::vector<float>& totals) {
  const std::size_t k = p.classes;
  detail::sum_segments(p.columns, detail::active_kernels<float>().csr_segment_sums, p.g.data(), k,
                       totals.data());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, p.data.features, 64), [&](const auto& range) {
        for (std::size_t j = range.begin(); j != range.end(); ++j) {
          detail::finish_total(p.columns, j, totals.data() + j * k, k);
          std::copy(totals.data() + j * k, totals.data() + (j + 1) * k, s.data() + j * k);
        }
      });
}

std::string check(const Product& p, const std::vector<float>& s) {
  const std::size_t k = p.classes;
  std::vector<double> expected(p.data.features * k, 0.0);
  for (std::size_t i = 0; i < p.data.rows; ++i)
    for (auto e = p.data.row_offsets[i]; e < p.data.row_offsets[i + 1]; ++e) {
      const auto entry = static_cast<std::size_t>(e);
      const auto j = static_cast<std::size_t>(p.data.column_indices[entry]);
      for (std::size_t c = 0; c < k; ++c)
        expected[j * k + c] += double(p.data.values[entry]) * double(p.g[i * k + c]);
    }
  double difference = 0, scale = 0;
  for (std::size_t e = 0; e < expected.size(); ++e) {
    difference = std::max(difference, std::fabs(double(s[e]) - expected[e]));
    scale = std::max(scale, std::fabs(expected[e]));
  }
  return difference <= 1e-4 * scale ? "" : "S differs from the double product";
}

enum class Scheme { chunked, column_major, chunk_columns };

void run(benchmark::State& state, const bag_of_words::Shape& shape, Scheme scheme, int threads) {
  static std::map<std::uint64_t, std::shared_ptr<Product>> cache;
  auto& product = cache[shape.seed];
  if (!product) product = std::make_shared<Product>(shape);
  const Product& p = *product;
  const std::size_t rows = p.data.rows, n = p.data.features, k = p.classes;
  const detail::BlockPlan plan = plan_of(p.data);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  const bool use_chunks = scheme == Scheme::chunked;
  std::vector<float> partials(use_chunks ? plan.chunks * n * k : 0), s(n * k);
  std::vector<float> totals(scheme == Scheme::chunk_columns ? n * k : 0);
  tbb::task_arena(threads).execute([&] {
    auto once = [&] {
      switch (scheme) {
        case Scheme::chunked:
          chunked(p, plan, starts, partials, s);
          break;
        case Scheme::column_major:
          column_major(p, s);
          break;
        case Scheme::chunk_columns:
          chunk_columns(p, s, totals);
          break;
      }
    };
    once();
    if (std::string problem = check(p, s); !problem.empty()) {
      state.SkipWithError(problem.c_str());
      return;
    }
    for (auto _ : state) {
      once();
      benchmark::ClobberMemory();
    }
  });
  state.counters["chunks"] = use_chunks ? double(plan.chunks) : 0.0;
  const double copy_bytes = double(p.data.values.size() * 8 + rows * k * sizeof(float));
  state.counters["extra_MB"] =
      scheme == Scheme::chunked ? double(plan.chunks * n * k * sizeof(float)) * 1e-6
      : scheme == Scheme::column_major
          ? (copy_bytes + double((n + 1) * 8)) * 1e-6
          : (copy_bytes +
             double(p.columns.segment_feature.size() * 13 + n * 4 + n * k * sizeof(float))) *
                1e-6;
}

}  // namespace

void register_csr_transposed_product_benchmarks() {
  for (const auto& shape : {bag_of_words::rcv1_shape(), bag_of_words::news20_shape()}) {
    const std::string name = std::to_string(shape.rows) + "x" + std::to_string(shape.features) +
                             "x" + std::to_string(shape.classes);
    for (int threads : {1, 2})
      for (Scheme scheme : {Scheme::chunked, Scheme::column_major, Scheme::chunk_columns}) {
        const char* scheme_name = scheme == Scheme::chunked        ? "chunked/"
                                  : scheme == Scheme::column_major ? "column_major/"
                                                                   : "chunk_columns/";
        const std::string entry = std::string("csr_transposed_product/") + scheme_name + name +
                                  "/tbb_threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(entry.c_str(),
                                     [shape, scheme, threads](benchmark::State& state) {
                                       run(state, shape, scheme, threads);
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
  }
}

}  // namespace softmaxkit::bench
