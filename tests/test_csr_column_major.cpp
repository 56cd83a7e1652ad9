// The column-major CSR product (kernels/loss/csr_columns.hpp): the chunk-by-chunk copy, its
// segments' joins and csr_segment_sums must give, bit for bit, what the row-wise scheme it
// replaced gives from the same ISA's kernel: csr_row_accumulate into each chunk's zeroed sums,
// then the chunks added in order. Checked on every ISA this CPU runs, float and double, class
// counts across every tile and lane count, features without entries, features that skip chunks,
// chunks without any entries and signed zeros (products that round to -0 included). The
// LossGradient-level oracle is the data-parallel share (mpi), which keeps the row-wise scheme; the
// dense path checks the values to tolerance (test_sparse_model).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "loss/block_plan.hpp"
#include "loss/csr_columns.hpp"
#include "softmaxkit/isa.hpp"

namespace {

using softmaxkit::Isa;
namespace detail = softmaxkit::detail;

template <class T>
void check_column_sums(Isa isa, std::size_t classes, std::uint32_t seed, std::size_t block_rows) {
  const auto& kernels = detail::kernel_table(isa).typed<T>();
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const std::size_t rows = 200, features = 41;
  // CSR whose feature j has density about (j % 8 + 1) / 40, so that rare features skip chunks;
  // features 0 and 39 stay empty; rows 120..149 have no entries (whole chunks without any);
  // some values are -0, and some are tiny, so that value * g rounds to -0.
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<T> values;
  // Features 36 to 38 hold one tiny entry in row 0 (chunk 0), in row 199 (the last chunk), or
  // both, and rows 0 and 199 of g are -0.25: on ISAs with FMA each such chunk's sum is -0, which
  // the joins and the trailing +0 must turn into the row-wise scheme's +0.
  const T tiny = std::numeric_limits<T>::denorm_min();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 1; j < 36 && (i < 120 || i >= 150); ++j) {
      if (random() % 40 > j % 8) continue;
      columns.push_back(static_cast<std::int32_t>(j));
      const auto pick = random() % 17;
      values.push_back(pick == 0   ? T(-0.0)
                       : pick == 1 ? tiny
                                   : static_cast<T>(uniform(random) * 3));
    }
    for (std::int32_t j : {36, 37, 38}) {
      if ((i == 0 && j != 37) || (i == rows - 1 && j != 36)) {
        columns.push_back(j);
        values.push_back(tiny);
      }
    }
    // Feature 40: one tiny entry in rows 0, 50, 100 and 199 (g -0.25 too), so that with chunks of
    // 50 rows every chunk's sum is -0 (with FMA) and the `next` joins must keep the -0.
    if (i == 0 || i == 50 || i == 100 || i == rows - 1) {
      columns.push_back(40);
      values.push_back(tiny);
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  std::vector<T> g(rows * classes);
  for (T& value : g) {
    const auto pick = random() % 13;
    value = pick == 0 ? T(-0.0) : pick == 1 ? T(-0.25) : static_cast<T>(uniform(random));
  }
  for (std::size_t row : {std::size_t{0}, std::size_t{50}, std::size_t{100}, rows - 1})
    std::fill(g.begin() + row * classes, g.begin() + (row + 1) * classes, T(-0.25));
  const softmaxkit::CsrMatrixView<T> view(rows, features, offsets, columns, values);
  // Blocks of 7 rows: 16 chunks of 12 or 13 rows, chunks 10 to 11 holding only empty rows. Blocks
  // of 50 rows: 4 chunks, feature 40's sum -0 in each. One block: one chunk, where a -0 sum in
  // chunk 0 (features 36 and 38 with FMA) is the result, which a `first` join adding +0 would lose.
  const detail::BlockPlan plan =
      detail::make_block_plan(rows, features, classes, sizeof(T), block_rows);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  REQUIRE(starts.size() == (block_rows == 7 ? 17u : block_rows == 50 ? 5u : 2u));

  // The row-wise scheme: each chunk's zeroed n x K sums, rows in order, then chunks in order.
  std::vector<T> expected(features * classes), partial(features * classes);
  for (std::size_t chunk = 0; chunk + 1 < starts.size(); ++chunk) {
    std::fill(partial.begin(), partial.end(), T(0));
    for (std::size_t row = starts[chunk]; row < starts[chunk + 1]; ++row) {
      const auto first = static_cast<std::size_t>(offsets[row]);
      // Each entry's row of the sums is its column.
      kernels.csr_row_accumulate(columns.data() + first, values.data() + first,
                                 static_cast<std::size_t>(offsets[row + 1]) - first,
                                 g.data() + row * classes, classes, partial.data());
    }
    for (std::size_t e = 0; e < expected.size(); ++e)
      expected[e] = chunk == 0 ? partial[e] : expected[e] + partial[e];
  }

  // The chunk-by-chunk copy, its segments through this ISA's kernel.
  const detail::CsrColumns<T> copy(view, plan);
  bool skips = false;
  for (std::size_t s = 0; s < copy.segment_join.size(); ++s)
    skips |= copy.segment_join[s] == detail::SegmentJoin::after_empty;
  CHECK(skips == (plan.chunks > 1));
  // Totals start as 7: a feature that no segment or finish_total writes would keep it.
  std::vector<T> got(features * classes, T(7));
  detail::sum_segments(copy, kernels.csr_segment_sums, g.data(), classes, got.data());
  for (std::size_t j = 0; j < features; ++j)
    detail::finish_total(copy, j, got.data() + j * classes, classes);
  INFO("isa " << softmaxkit::to_string(isa) << ", classes " << classes << ", "
              << (sizeof(T) == 4 ? "float" : "double"));
  CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(T)) == 0);
  // Without FMA, value * g rounds to -0 and +0 + -0 is +0: no chunk sum is -0 there.
  if (plan.chunks == 1 && isa != Isa::sse2) CHECK(std::signbit(got[36 * classes]));
  if (plan.chunks == 4 && isa != Isa::sse2) CHECK(std::signbit(got[40 * classes]));
  // Empty columns are +0 (the chunks' zeroed sums), not -0 or untouched.
  for (std::size_t k = 0; k < classes; ++k) {
    CHECK(std::memcmp(&got[k], &expected[k], sizeof(T)) == 0);
    CHECK(!std::signbit(got[k]));
  }
}

}  // namespace

TEST_CASE("csr_segment_sums and the chunk-wise copy: the row-wise chunked scheme's bits") {
  for (Isa isa : softmaxkit::supported_isas()) {
    for (std::size_t classes :
         {1u, 2u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 33u, 53u, 64u, 65u, 127u, 128u, 129u, 200u}) {
      for (std::size_t block_rows : {7u, 50u, 200u}) {
        check_column_sums<float>(isa, classes, static_cast<std::uint32_t>(classes), block_rows);
        check_column_sums<double>(isa, classes, static_cast<std::uint32_t>(classes + 1000),
                                  block_rows);
      }
    }
  }
}
