// LossGradient with a ChunkShare on CSR features, without MPI (test_chunk_share.cpp's dense
// checks, for sparse_features): the rows are split into shares of whole chunks of the CSR grid
// (block size from the GLOBAL nnz), each share is given the GLOBAL column counts
// (ChunkShare::column_entries) and runs in its own thread, and the partial sums are folded in
// share order. J, the gradient and Hv must equal the whole problem's bit for bit, for 1, 2, 3 and
// more shares than chunks, weighted rows, float and double. Skewed column frequencies make each
// share's own column order differ from the global one, which the fold depends on. Bad
// column_entries are refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "chunk_share_checks.hpp"
#include "loss/block_plan.hpp"
#include "loss/problem_checks.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/regression.hpp"

using namespace softmaxkit;
using chunk_share_checks::same_bits;

namespace {

// rows x features CSR, about `per_row` entries a row; column j's frequency falls like 1 / (j + 1)
// in the first half of the rows and like 1 / (features - j) in the second, so the shares' own
// column orders differ from each other and from the whole's.
struct RandomCsr {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<double> values;
};
RandomCsr random_csr(std::size_t rows, std::size_t features, std::size_t per_row,
                     std::mt19937& random) {
  RandomCsr csr;
  std::vector<double> skew(features);
  for (std::size_t j = 0; j < features; ++j) skew[j] = 1.0 / static_cast<double>(j + 1);
  std::discrete_distribution<std::size_t> head(skew.begin(), skew.end());
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<std::int32_t> row;
  for (std::size_t i = 0; i < rows; ++i) {
    row.clear();
    const std::size_t length = 1 + random() % (2 * per_row);
    for (std::size_t e = 0; e < length; ++e) {
      const std::size_t j = head(random);
      row.push_back(static_cast<std::int32_t>(i < rows / 2 ? j : features - 1 - j));
    }
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    for (std::int32_t j : row) {
      csr.columns.push_back(j);
      csr.values.push_back(normal(random));
    }
    csr.offsets.push_back(static_cast<std::int64_t>(csr.columns.size()));
  }
  return csr;
}

template <class T>
void check_csr_shares(std::size_t rows, std::size_t features, std::size_t classes,
                      std::size_t per_row, std::size_t shares) {
  std::mt19937 random(static_cast<unsigned>(rows + shares + per_row));
  const RandomCsr csr = random_csr(rows, features, per_row, random);
  const std::vector<T> values(csr.values.begin(), csr.values.end());
  const CsrMatrixView<T> all(rows, features, csr.offsets, csr.columns, values);
  std::vector<T> weights(rows);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<std::int32_t>(random() % classes);
    weights[i] = T(0.25) + T(i % 5);
  }
  RegressionProblem<T> whole;
  whole.sparse_features = all;
  whole.labels = labels;
  whole.sample_weights = weights;
  whole.num_classes = classes;
  whole.l2 = 0.01;
  double weight_sum = 0;
  for (T w : weights) weight_sum += static_cast<double>(w);
  std::vector<std::int64_t> counts(features, 0);
  for (std::int32_t j : csr.columns) ++counts[static_cast<std::size_t>(j)];

  const detail::BlockPlan plan =
      detail::make_csr_block_plan(rows, all.nnz(), features, classes, sizeof(T), 0);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  const std::size_t size = classes * features;
  LossGradient<T> reference(whole);
  REQUIRE(reference.block_rows() == plan.block_rows);
  const chunk_share_checks::WholeResults<T> expected(reference, size, classes, random);

  // Each share's rows as their own CSR arrays (offsets from 0).
  std::vector<std::vector<std::int64_t>> share_offsets(shares);
  std::vector<RegressionProblem<T>> problems(shares, whole);
  std::vector<std::size_t> firsts(shares);
  for (std::size_t s = 0; s < shares; ++s) {
    const std::size_t first = starts[s * plan.chunks / shares];
    const std::size_t last = starts[(s + 1) * plan.chunks / shares];
    firsts[s] = first;
    const auto begin = static_cast<std::size_t>(csr.offsets[first]);
    const auto end = static_cast<std::size_t>(csr.offsets[last]);
    for (std::size_t i = first; i <= last; ++i)
      share_offsets[s].push_back(csr.offsets[i] - static_cast<std::int64_t>(begin));
    problems[s].sparse_features =
        CsrMatrixView<T>(last - first, features, share_offsets[s],
                         std::span<const std::int32_t>(csr.columns).subspan(begin, end - begin),
                         std::span<const T>(values).subspan(begin, end - begin));
    problems[s].labels = std::span<const std::int32_t>(labels).subspan(first, last - first);
    problems[s].sample_weights = std::span<const T>(weights).subspan(first, last - first);
  }

  expected.check(shares, [&](std::size_t s, auto fold) {
    ChunkShare<T> share;
    share.global_rows = rows;
    share.first_row = firsts[s];
    share.global_weight_sum = weight_sum;
    share.column_entries = counts;
    share.fold = std::move(fold);
    LossGradient<T> part(problems[s], LossGradientOptions{}, share);
    CHECK(part.block_rows() == plan.block_rows);
    return part;
  });
}

}  // namespace

TEST_CASE("csr chunk shares with the global column counts give the whole problem's bits") {
  // 12000 x 400, about 3.5 entries a row, 5 classes: 6 blocks of 2048 rows (from the mean entries
  // per row) in 4 chunks (the CSR grid's cap on so few entries), so chunks of one and two blocks;
  // the whole problem's pass runs its blocks independently, the shares' passes chunk by chunk.
  for (std::size_t shares : {1, 2, 3, 7}) {
    CAPTURE(shares);
    check_csr_shares<float>(12000, 400, 5, 3, shares);
    check_csr_shares<double>(12000, 400, 5, 3, shares);
  }
  // A single chunk: every share but one has no rows.
  check_csr_shares<float>(100, 30, 3, 2, 3);
}

TEST_CASE("the CSR grid: at most max(kMinChunks, nnz / kCsrChunkEntries) chunks") {
  // 400 000 rows x 1000 columns, 3 classes: 1563 blocks of 256 rows, 64 chunks for dense data.
  CHECK(detail::make_block_plan(400000, 1000, 3, sizeof(float), 256).chunks == detail::kMaxChunks);
  for (std::size_t nnz : {std::size_t{0}, std::size_t{1000}, detail::kCsrChunkEntries * 5 - 1,
                          detail::kCsrChunkEntries * 5, detail::kCsrChunkEntries * 20}) {
    CAPTURE(nnz);
    const detail::BlockPlan plan = detail::make_csr_block_plan(400000, nnz, 1000, 3, 4, 256);
    CHECK(plan.block_rows == 256);
    CHECK(plan.chunks == std::max(detail::kMinChunks, nnz / detail::kCsrChunkEntries));
    CHECK(plan.grid_chunks == plan.chunks);
  }
  // Fewer blocks than the cap: one chunk per block, as for dense data.
  CHECK(detail::make_csr_block_plan(40, 100, 1000, 3, 4, 16).chunks == 3);
}

TEST_CASE("a csr chunk share needs the global column counts") {
  const std::vector<std::int64_t> offsets{0, 1, 3};
  const std::vector<std::int32_t> columns{0, 1, 2};
  const std::vector<float> values{1.0f, 2.0f, 3.0f};
  const std::vector<std::int32_t> labels{0, 1};
  RegressionProblem<float> part;
  part.sparse_features = CsrMatrixView<float>(2, 3, offsets, columns, values);
  part.labels = labels;
  part.num_classes = 2;
  ChunkShare<float> share = chunk_share_checks::idle_share<float>(2, 2);
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.column_entries has 0 entries"), Error);
  share.column_entries = {1, 0, 1};
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.column_entries[1] is 0"), Error);
  share.column_entries = {1, 1, 1};
  CHECK(LossGradient<float>(part, {}, share).num_features() == 3);
  // At most one entry per row in a column: INT64_MAX counts wrapped the global nnz.
  share.column_entries = {1, 3, 1};
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.column_entries[1] is 3 but share.global_rows is 2"),
                       Error);
  share.column_entries = {INT64_MAX, INT64_MAX, 1};
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.column_entries[0] is 9223372036854775807"), Error);
  share.column_entries = {1, 1, 1};

  std::vector<float> x(6, 0.5f);
  RegressionProblem<float> dense;
  dense.features = MatrixView<const float>(x.data(), 2, 3);
  dense.labels = labels;
  dense.num_classes = 2;
  CHECK_THROWS_WITH_AS(LossGradient<float>(dense, {}, share),
                       doctest::Contains("share.column_entries is for sparse_features only"),
                       Error);
}
