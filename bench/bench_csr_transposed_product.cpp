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
// Both run the same plain loops (compiled for Haswell-class AVX2+FMA where the CPU has it, else
// the baseline), so the ratio compares the schemes' memory traffic, not the kernels. The engine's
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
  return detail::make_block_plan(
      data.rows, data.features, data.classes, sizeof(float),
      detail::csr_block_rows(data.rows, data.values.size(), sizeof(float)));
}

struct Product {
  bag_of_words::Data data;
  std::size_t classes = 0;
  std::vector<float> g;               // m x K
  detail::CsrColumns<float> columns;  // the engine's column-major copy

  explicit Product(const bag_of_words::Shape& shape)
      : data(bag_of_words::generate(shape)), classes(data.classes) {
    g.resize(data.rows * classes);
    bag_of_words::Random random(11);
    for (float& value : g) value = static_cast<float>(random.uniform() - 0.5);
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
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, p.data.features, 64), [&](const auto& range) {
        for (std::size_t j = range.begin(); j != range.end(); ++j) {
          float* sj = s.data() + j * k;
          std::fill(sj, sj + k, 0.0f);
          for (auto e = p.columns.offsets[j]; e < p.columns.offsets[j + 1]; ++e) {
            const auto entry = static_cast<std::size_t>(e);
            add_scaled(sj, p.g.data() + static_cast<std::size_t>(p.columns.rows[entry]) * k,
                       p.columns.values[entry], k);
          }
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

void run(benchmark::State& state, const bag_of_words::Shape& shape, bool use_chunks, int threads) {
  static std::map<std::uint64_t, std::shared_ptr<Product>> cache;
  auto& product = cache[shape.seed];
  if (!product) product = std::make_shared<Product>(shape);
  const Product& p = *product;
  const std::size_t rows = p.data.rows, n = p.data.features, k = p.classes;
  const detail::BlockPlan plan = plan_of(p.data);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  std::vector<float> partials(use_chunks ? plan.chunks * n * k : 0), s(n * k);
  tbb::task_arena(threads).execute([&] {
    auto once = [&] { use_chunks ? chunked(p, plan, starts, partials, s) : column_major(p, s); };
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
  state.counters["extra_MB"] =
      use_chunks ? double(plan.chunks * n * k * sizeof(float)) * 1e-6
                 : double(p.data.values.size() * 8 + (n + 1) * 8 + rows * k * sizeof(float)) * 1e-6;
}

}  // namespace

void register_csr_transposed_product_benchmarks() {
  for (const auto& shape : {bag_of_words::rcv1_shape(), bag_of_words::news20_shape()}) {
    const std::string name = std::to_string(shape.rows) + "x" + std::to_string(shape.features) +
                             "x" + std::to_string(shape.classes);
    for (int threads : {1, 2})
      for (bool use_chunks : {true, false}) {
        const std::string entry = std::string("csr_transposed_product/") +
                                  (use_chunks ? "chunked/" : "column_major/") + name +
                                  "/tbb_threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(entry.c_str(),
                                     [shape, use_chunks, threads](benchmark::State& state) {
                                       run(state, shape, use_chunks, threads);
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
  }
}

}  // namespace softmaxkit::bench
