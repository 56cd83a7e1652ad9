// SoftmaxRegression::score with sample_weight against repeated rows (integer weights: the
// weighted fraction must equal the plain score on the rows repeated w times, exactly), against a
// direct count over predict's labels, dense and CSR, float and double, and its argument checks.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::CsrMatrix;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;
using softmaxkit::test::contains;
using softmaxkit::test::error_message;

// 60 rows x 3 features, 3 overlapping classes (a fixed hash: some rows are misclassified).
struct Data {
  std::vector<double> x;
  std::vector<std::int32_t> y;
  std::vector<double> w;
};
Data make_data() {
  Data d;
  for (std::uint32_t i = 0; i < 60; ++i) {
    const auto c = static_cast<std::int32_t>(i % 3);
    d.y.push_back(c);
    for (std::uint32_t k = 0; k < 3; ++k) {
      const double u = static_cast<double>((i * 131u + k * 7u + 1u) * 2654435761u) / 4294967296.0;
      d.x.push_back((static_cast<std::int32_t>(k) == c ? 0.6 : 0.0) + 2 * u - 1);
    }
    d.w.push_back(static_cast<double>((i * 7 + 3) % 4));
  }
  return d;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// Every value of the rows x cols matrix stored (none is zero here).
template <class T>
CsrMatrix<T> csr_of(const std::vector<T>& x, std::size_t rows, std::size_t cols) {
  std::vector<std::int64_t> offsets(rows + 1);
  std::vector<std::int32_t> columns;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) columns.push_back(static_cast<std::int32_t>(j));
    offsets[i + 1] = static_cast<std::int64_t>((i + 1) * cols);
  }
  return CsrMatrix<T>(rows, cols, std::move(offsets), std::move(columns), x);
}

}  // namespace

TEST_CASE(
    "score with sample weights is the repeated rows' score, dense and CSR, float and double") {
  const Data d = make_data();
  SoftmaxRegression model;
  model.fit(MatrixView<const double>(d.x.data(), 60, 3), d.y);
  std::vector<double> repeated_x;
  std::vector<std::int32_t> repeated_y;
  for (std::size_t i = 0; i < 60; ++i)
    for (int r = 0; r < static_cast<int>(d.w[i]); ++r) {
      repeated_x.insert(repeated_x.end(), d.x.begin() + 3 * i, d.x.begin() + 3 * i + 3);
      repeated_y.push_back(d.y[i]);
    }
  const double expected =
      model.score(MatrixView<const double>(repeated_x.data(), repeated_y.size(), 3), repeated_y);
  const double unweighted = model.score(MatrixView<const double>(d.x.data(), 60, 3), d.y);
  REQUIRE(expected != unweighted);  // the weights matter on these rows
  CHECK(model.score(MatrixView<const double>(d.x.data(), 60, 3), d.y, d.w) == expected);
  const std::vector<float> xf = as<float>(d.x), wf = as<float>(d.w);
  CHECK(model.score(MatrixView<const float>(xf.data(), 60, 3), d.y, wf) == expected);
  const CsrMatrix<double> csr = csr_of(d.x, 60, 3);
  CHECK(model.score(csr.view(), d.y, d.w) == expected);
  const CsrMatrix<float> csr_f = csr_of(xf, 60, 3);
  CHECK(model.score(csr_f.view(), d.y, wf) == expected);
  // Weights of 1 are the plain score; non-integer weights are the direct weighted count.
  CHECK(model.score(MatrixView<const double>(d.x.data(), 60, 3), d.y,
                    std::vector<double>(60, 1.0)) == unweighted);
  std::vector<double> fractional(60);
  for (std::size_t i = 0; i < 60; ++i) fractional[i] = 0.1 * static_cast<double>(i % 7);
  const std::vector<std::int32_t> predicted =
      model.predict(MatrixView<const double>(d.x.data(), 60, 3));
  double correct = 0, total = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    total += fractional[i];
    if (predicted[i] == d.y[i]) correct += fractional[i];
  }
  CHECK(model.score(MatrixView<const double>(d.x.data(), 60, 3), d.y, fractional) ==
        doctest::Approx(correct / total).epsilon(1e-15));
}

TEST_CASE("score names bad sample weights") {
  const Data d = make_data();
  SoftmaxRegression model;
  const MatrixView<const double> x(d.x.data(), 60, 3);
  model.fit(x, d.y);
  auto message = [&](std::vector<double> w) {
    return error_message([&] { model.score(x, d.y, w); });
  };
  std::vector<double> w = d.w;
  w[4] = -1;
  CHECK(contains(message(w),
                 "SoftmaxRegression::score: sample_weight[4] is -1 (must be finite and >= 0)"));
  w[4] = std::numeric_limits<double>::quiet_NaN();
  CHECK(contains(message(w), "sample_weight[4] is nan"));
  w[4] = std::numeric_limits<double>::infinity();
  CHECK(contains(message(w), "sample_weight[4] is inf"));
  CHECK(contains(message(std::vector<double>(59, 1.0)),
                 "sample_weight has 59 entries but features has 60 rows"));
  CHECK(contains(message(std::vector<double>(60, 0.0)), "sample_weight: all weights are zero"));
  // Finite weights whose sum is beyond double's range: the fraction was inf / inf = NaN.
  CHECK(contains(message(std::vector<double>(60, 1e308)),
                 "SoftmaxRegression::score: sample_weight: the weights sum to inf, outside what a "
                 "mean can divide by in double"));
  // Near the top of the range, equal weights still give the unweighted fraction.
  CHECK(model.score(x, d.y, std::vector<double>(60, 2e306)) ==
        doctest::Approx(model.score(x, d.y)).epsilon(1e-15));
  const std::span<const double> null_span(static_cast<const double*>(nullptr), 60);
  CHECK(contains(error_message([&] { model.score(x, d.y, null_span); }),
                 "sample_weight is null but has 60 entries"));
}
