// The column-major CSR product (kernels/loss/csr_columns.hpp): csr_column_sums must give, bit
// for bit, what the row-wise scheme it replaced gives from the same ISA's kernel:
// csr_row_accumulate into each chunk's zeroed sums, then the chunks added in order. Checked on
// every ISA this CPU runs, float and double, class counts across every tile and lane count,
// empty columns, chunks without entries and signed zeros. The LossGradient-level oracle is
// the data-parallel share (mpi), which keeps the row-wise scheme; the dense path checks the
// values to tolerance (test_sparse_model).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "softmaxkit/isa.hpp"

namespace {

using softmaxkit::Isa;

template <class T>
void check_column_sums(Isa isa, std::size_t classes, std::uint32_t seed) {
  const auto& kernels = softmaxkit::detail::kernel_table(isa).typed<T>();
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const std::size_t rows = 200, features = 40;
  // CSR with about 10 % density; feature 0 and 39 stay empty; some values are -0.
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<T> values;
  for (std::size_t i = 0; i < rows; ++i) {
    // Rows 120..149 (the fourth chunk below) have no entries.
    for (std::size_t j = 1; j + 1 < features && (i < 120 || i >= 150); ++j) {
      if (random() % 10 != 0) continue;
      columns.push_back(static_cast<std::int32_t>(j));
      values.push_back(random() % 17 == 0 ? T(-0.0) : static_cast<T>(uniform(random) * 3));
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  std::vector<T> g(rows * classes);
  for (T& value : g) value = random() % 13 == 0 ? T(-0.0) : static_cast<T>(uniform(random));
  // Uneven chunks, one of them (rows 120..149) without entries.
  const std::vector<std::size_t> chunk_ends{7, 60, 120, 150, 151, rows};

  // The row-wise scheme: each chunk's zeroed n x K sums, rows in order, then chunks in order.
  std::vector<std::int32_t> identity(features);
  for (std::size_t j = 0; j < features; ++j) identity[j] = static_cast<std::int32_t>(j);
  std::vector<T> expected(features * classes), partial(features * classes);
  std::size_t row = 0;
  for (std::size_t chunk = 0; chunk < chunk_ends.size(); ++chunk) {
    std::fill(partial.begin(), partial.end(), T(0));
    for (; row < chunk_ends[chunk]; ++row) {
      const auto first = static_cast<std::size_t>(offsets[row]);
      kernels.csr_row_accumulate(columns.data() + first, values.data() + first,
                                 static_cast<std::size_t>(offsets[row + 1]) - first,
                                 identity.data(), g.data() + row * classes, classes,
                                 partial.data());
    }
    for (std::size_t e = 0; e < expected.size(); ++e)
      expected[e] = chunk == 0 ? partial[e] : expected[e] + partial[e];
  }

  // The column-major copy, then one call per feature.
  std::vector<std::vector<std::int32_t>> column_rows(features);
  std::vector<std::vector<T>> column_values(features);
  for (std::size_t i = 0; i < rows; ++i) {
    for (auto e = offsets[i]; e < offsets[i + 1]; ++e) {
      const auto j = static_cast<std::size_t>(columns[static_cast<std::size_t>(e)]);
      column_rows[j].push_back(static_cast<std::int32_t>(i));
      column_values[j].push_back(values[static_cast<std::size_t>(e)]);
    }
  }
  std::vector<T> got(features * classes, T(7));
  for (std::size_t j = 0; j < features; ++j) {
    kernels.csr_column_sums(column_rows[j].data(), column_values[j].data(), column_rows[j].size(),
                            chunk_ends.data(), chunk_ends.size(), g.data(), classes,
                            got.data() + j * classes);
  }
  INFO("isa " << softmaxkit::to_string(isa) << ", classes " << classes << ", "
              << (sizeof(T) == 4 ? "float" : "double"));
  CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(T)) == 0);
  // Empty columns are +0 (the chunks' zeroed sums), not -0 or untouched.
  for (std::size_t k = 0; k < classes; ++k) {
    CHECK(std::memcmp(&got[k], &expected[k], sizeof(T)) == 0);
    CHECK(!std::signbit(got[k]));
  }
}

}  // namespace

TEST_CASE("csr_column_sums: the row-wise chunked scheme's bits on every ISA") {
  for (Isa isa : softmaxkit::supported_isas()) {
    for (std::size_t classes :
         {1u, 2u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 33u, 53u, 64u, 65u, 127u, 128u, 129u, 200u}) {
      check_column_sums<float>(isa, classes, static_cast<std::uint32_t>(classes));
      check_column_sums<double>(isa, classes, static_cast<std::uint32_t>(classes + 1000));
    }
  }
}
