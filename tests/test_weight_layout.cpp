// WeightLayout::features_by_classes (regression.hpp): weights, gradients, directions and
// products n x K. Every call must give the default layout's bits, transposed, on every path
// (CSR features read the weights in place; dense features and chunk shares go through copies),
// for any thread count; and both must agree with the scalar double reference.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "chunk_share_checks.hpp"
#include "loss/l2_penalty.hpp"
#include "regression_problems.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/regression.hpp"

using namespace softmaxkit;
using chunk_share_checks::same_bits;
using testing::ProblemShape;
using testing::RandomProblem;

namespace {

template <class T>
std::vector<T> transposed(const std::vector<T>& in, std::size_t rows, std::size_t cols) {
  std::vector<T> out(in.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
  return out;
}

// The problem's features with most entries zeroed (row 2 and column 1 entirely), in the dense
// arrays too (so the dense reference sees the same matrix), and as CSR.
template <class T>
struct SparseCopy {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<T> values;

  SparseCopy(RandomProblem<T>& data, double keep, std::mt19937& random) {
    const ProblemShape& s = data.shape;
    const std::size_t stride = s.features + s.stride_padding;
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (std::size_t i = 0; i < s.rows; ++i) {
      for (std::size_t j = 0; j < s.features; ++j) {
        T& x = data.features[i * stride + j];
        if (i == 2 || j == 1 || uniform(random) > keep) x = T(0);
        if (x != T(0)) {
          columns.push_back(static_cast<std::int32_t>(j));
          values.push_back(x);
        }
      }
      offsets.push_back(static_cast<std::int64_t>(columns.size()));
    }
  }
  RegressionProblem<T> problem(const RandomProblem<T>& data) const {
    RegressionProblem<T> p = data.problem();
    p.features = {};
    p.sparse_features =
        CsrMatrixView<T>(data.shape.rows, data.shape.features, offsets, columns, values);
    return p;
  }
};

template <class T>
struct Results {
  double j = 0, j_only = 0, j_intercept_only = 0;
  std::vector<T> g, gb, g_weights_only, h, hb, logits;
};

// Every call of `objective` at (w, b) and direction (v, u), all given in `layout`; the weights'
// results are returned in the default layout (classes x features).
template <class T>
Results<T> run_all(LossGradient<T>& objective, WeightLayout layout, const std::vector<T>& w,
                   const std::vector<T>& b, const std::vector<T>& v, const std::vector<T>& u) {
  const std::size_t classes = objective.num_classes(), features = objective.num_features();
  const bool by_features = layout == WeightLayout::features_by_classes;
  auto in = [&](const std::vector<T>& x) {
    return by_features ? transposed(x, classes, features) : x;
  };
  auto out = [&](const std::vector<T>& x) {
    return by_features ? transposed(x, features, classes) : x;
  };
  const std::vector<T> wl = in(w), vl = in(v);
  Results<T> r;
  // Outputs start as NaN: every element must be written.
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> g(w.size(), nan), gb(b.size(), nan), h(w.size(), nan), hb(b.size(), nan),
      gw(w.size(), nan), gb_only(b.size(), nan);
  r.j = objective.evaluate(wl, b, g, gb);
  r.j_only = objective.evaluate(wl, b, {}, {});
  r.j_intercept_only = objective.evaluate(wl, b, {}, gb_only);
  CHECK(same_bits(gb_only, gb));
  const double j_weights_only = objective.evaluate(wl, b, gw, {});
  CHECK(std::memcmp(&j_weights_only, &r.j, sizeof r.j) == 0);
  objective.hessian_vector(wl, b, vl, u, h, hb);
  r.g = out(g);
  r.gb = gb;
  r.g_weights_only = out(gw);
  r.h = out(h);
  r.hb = hb;
  r.logits.assign(objective.num_samples() * classes, nan);
  objective.predict_logits(wl, b, MatrixView<T>(r.logits.data(), objective.num_samples(), classes));
  return r;
}

template <class T>
void check_same_bits(const Results<T>& a, const Results<T>& b) {
  CHECK(std::memcmp(&a.j, &b.j, sizeof a.j) == 0);
  CHECK(std::memcmp(&a.j_only, &b.j_only, sizeof a.j) == 0);
  CHECK(std::memcmp(&a.j_intercept_only, &b.j_intercept_only, sizeof a.j) == 0);
  CHECK(same_bits(a.g, b.g));
  CHECK(same_bits(a.gb, b.gb));
  CHECK(same_bits(a.g_weights_only, b.g_weights_only));
  CHECK(same_bits(a.h, b.h));
  CHECK(same_bits(a.hb, b.hb));
  CHECK(same_bits(a.logits, b.logits));
}

// block_rows: LossGradientOptions::block_rows for both layouts. poisoned: a NaN feature (the
// first CSR entry, in the dense copy too), a NaN and an infinite weight and an infinite direction
// entry: the layouts must still agree bit for bit (NaN propagates the same way); no reference.
template <class T>
void check_layouts(const ProblemShape& shape, bool sparse, ProductPath path,
                   std::size_t block_rows = 0, bool poisoned = false) {
  CAPTURE(block_rows);
  CAPTURE(poisoned);
  CAPTURE(shape.rows);
  CAPTURE(shape.features);
  CAPTURE(shape.classes);
  CAPTURE(shape.l2);
  CAPTURE(shape.fit_intercept);
  CAPTURE(shape.soft_targets);
  CAPTURE(shape.weighted);
  CAPTURE(sparse);
  CAPTURE(static_cast<int>(path));
  RandomProblem<T> data(shape);
  std::mt19937 random(shape.seed + 17);
  SparseCopy<T> csr(data, 0.3, random);
  const std::size_t size = shape.classes * shape.features;
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  if (poisoned && !csr.values.empty()) {
    std::size_t row = 0;
    while (csr.offsets[row + 1] == 0) ++row;
    csr.values[0] = nan;
    data.features[row * (shape.features + shape.stride_padding) +
                  static_cast<std::size_t>(csr.columns[0])] = nan;
  }
  const RegressionProblem<T> problem = sparse ? csr.problem(data) : data.problem();
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<T> v(size), u(shape.fit_intercept ? shape.classes : 0);
  for (T& e : v) e = static_cast<T>(normal(random));
  for (T& e : u) e = static_cast<T>(normal(random));
  // Some weights exactly zero and one negative zero: their squares and penalty terms too.
  std::vector<T> w = data.parameters;
  w[0] = T(0);
  w[size - 1] = T(-0.0);
  if (poisoned && size > 3) {
    w[1] = nan;
    w[2] = -inf;
    v[3] = inf;
  }

  Results<T> expected;
  for (int threads : {1, 3}) {
    CAPTURE(threads);
    tbb::task_arena(threads).execute([&] {
      LossGradientOptions options;
      options.path = path;
      options.block_rows = block_rows;
      LossGradient<T> by_classes(problem, options);
      options.weight_layout = WeightLayout::features_by_classes;
      LossGradient<T> by_features(problem, options);
      const Results<T> a =
          run_all(by_classes, WeightLayout::classes_by_features, w, data.intercept, v, u);
      const Results<T> b =
          run_all(by_features, WeightLayout::features_by_classes, w, data.intercept, v, u);
      check_same_bits(a, b);
      if (threads == 1) {
        expected = a;
      } else {
        check_same_bits(a, expected);
      }
    });
  }
  if (poisoned) {
    CHECK(std::isnan(expected.j));
    return;
  }
  // Both against the scalar reference in double (the densified matrix).
  const testing::ReferenceResult reference =
      testing::reference_loss_gradient(data, w, data.intercept);
  const double tolerance = sizeof(T) == 4 ? 1e-5 : 1e-12;
  CHECK(std::fabs(expected.j - reference.loss) <= tolerance * std::fabs(reference.loss));
  CHECK(testing::relative_error(expected.g, reference.weights_gradient) <= tolerance);
  if (shape.fit_intercept)
    CHECK(testing::relative_error(expected.gb, reference.intercept_gradient) <= tolerance);
}

}  // namespace

TEST_CASE("features_by_classes: the default layout's bits, transposed, on every path") {
  unsigned seed = 1;
  for (bool soft : {false, true}) {
    for (bool weighted : {false, true}) {
      for (bool intercept : {true, false}) {
        for (double l2 : {0.0, 0.3}) {
          ProblemShape shape;
          shape.rows = 300;
          shape.features = 150;  // three tiles of the penalty's squares, the last one partial
          shape.classes = 11;    // a class group of 8 and a partial one
          shape.soft_targets = soft;
          shape.weighted = weighted;
          shape.fit_intercept = intercept;
          shape.l2 = l2;
          shape.seed = seed++;
          check_layouts<float>(shape, true, ProductPath::automatic);
          check_layouts<double>(shape, true, ProductPath::automatic);
          check_layouts<float>(shape, false, ProductPath::small_k);
          check_layouts<double>(shape, false, ProductPath::blas);
        }
      }
    }
  }
  // Many classes (CSR logits in several register tiles, the squares' sums on the heap), one
  // class, one feature, one row.
  for (const auto& [rows, features, classes] :
       {std::array<std::size_t, 3>{200, 70, 130}, {50, 20, 1}, {60, 1, 4}, {1, 9, 3}}) {
    ProblemShape shape;
    shape.rows = rows;
    shape.features = features;
    shape.classes = classes;
    shape.l2 = 0.1;
    shape.seed = seed++;
    check_layouts<float>(shape, true, ProductPath::automatic);
    check_layouts<double>(shape, true, ProductPath::automatic);
    check_layouts<float>(shape, false, ProductPath::automatic);
  }
}

TEST_CASE("features_by_classes: block sizes at their bounds, NaN and inf in data and weights") {
  ProblemShape shape;
  shape.rows = 120;
  shape.features = 70;
  shape.classes = 5;
  shape.weighted = true;
  shape.l2 = 0.2;
  shape.seed = 99;
  for (std::size_t block_rows : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 40}) {
    check_layouts<float>(shape, true, ProductPath::automatic, block_rows);
    check_layouts<double>(shape, true, ProductPath::automatic, block_rows);
    check_layouts<float>(shape, false, ProductPath::small_k, block_rows);
  }
  for (bool sparse : {true, false}) {
    check_layouts<float>(shape, sparse, ProductPath::automatic, 0, true);
    check_layouts<double>(shape, sparse, ProductPath::automatic, 0, true);
  }
}

TEST_CASE("features_by_classes on a CSR chunk share: the whole problem's bits") {
  ProblemShape shape;
  shape.rows = 500;
  shape.features = 90;
  shape.classes = 6;
  shape.weighted = true;
  shape.l2 = 0.05;
  RandomProblem<double> data(shape);
  std::mt19937 random(5);
  const SparseCopy<double> csr(data, 0.2, random);
  const RegressionProblem<double> problem = csr.problem(data);
  const std::size_t size = shape.classes * shape.features;
  std::vector<double> v(size), u(shape.classes);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& e : v) e = normal(random);
  for (double& e : u) e = normal(random);
  LossGradient<double> whole(problem);
  const Results<double> expected =
      run_all(whole, WeightLayout::classes_by_features, data.parameters, data.intercept, v, u);

  // One share of every row; each call's fold adds the chunks in order (a fresh chain per call).
  std::vector<std::int64_t> counts(shape.features, 0);
  for (std::int32_t j : csr.columns) ++counts[static_cast<std::size_t>(j)];
  double weight_sum = 0;
  for (double w : data.weights) weight_sum += w;
  auto chain = std::make_shared<chunk_share_checks::Chain<double>>();
  ChunkShare<double> share;
  share.global_rows = shape.rows;
  share.global_weight_sum = weight_sum;
  share.column_entries = counts;
  share.fold = [&chain](std::size_t chunks, std::span<double> loss, std::span<double> weights,
                        std::span<double> intercept) {
    chain = std::make_shared<chunk_share_checks::Chain<double>>();
    chain->shares = 1;
    chain->fold(0, chunks, loss, weights, intercept);
  };
  LossGradientOptions options;
  options.weight_layout = WeightLayout::features_by_classes;
  LossGradient<double> part(problem, options, share);
  const Results<double> got =
      run_all(part, WeightLayout::features_by_classes, data.parameters, data.intercept, v, u);
  check_same_bits(got, expected);
}

TEST_CASE("features_by_classes: bad options and arguments are refused by name") {
  ProblemShape shape;
  shape.rows = 20;
  shape.features = 5;
  shape.classes = 3;
  RandomProblem<float> data(shape);
  std::mt19937 random(3);
  const SparseCopy<float> csr(data, 0.5, random);
  LossGradientOptions options;
  options.weight_layout = static_cast<WeightLayout>(7);
  CHECK_THROWS_WITH_AS(LossGradient<float>(csr.problem(data), options),
                       doctest::Contains("options.weight_layout is 7"), Error);
  CHECK_THROWS_WITH_AS(LossGradient<float>(data.problem(), options),
                       doctest::Contains("options.weight_layout is 7"), Error);
  options.weight_layout = WeightLayout::features_by_classes;
  for (const RegressionProblem<float>& problem : {csr.problem(data), data.problem()}) {
    LossGradient<float> objective(problem, options);
    std::vector<float> w(15, 0.1f), b(3, 0.0f), g(15), gb(3);
    CHECK_THROWS_WITH_AS(objective.evaluate(std::span<const float>(w).first(14), b, g, gb),
                         doctest::Contains("weights"), Error);
    CHECK_THROWS_WITH_AS(objective.evaluate(w, b, std::span<float>(w), gb),
                         doctest::Contains("weights_gradient"), Error);
    std::vector<float> h(15), hb(3);
    CHECK_THROWS_WITH_AS(objective.hessian_vector(w, b, w, b, std::span<float>(w), hb),
                         doctest::Contains("product_weights"), Error);
    // Null data with a nonzero size, in each weights-shaped argument.
    const std::span<const float> null_in(static_cast<const float*>(nullptr), 15);
    const std::span<float> null_out(static_cast<float*>(nullptr), 15);
    CHECK_THROWS_WITH_AS(objective.evaluate(null_in, b, g, gb), doctest::Contains("weights"),
                         Error);
    CHECK_THROWS_WITH_AS(objective.evaluate(w, b, null_out, gb),
                         doctest::Contains("weights_gradient"), Error);
    CHECK_THROWS_WITH_AS(objective.hessian_vector(w, b, null_in, b, h, hb),
                         doctest::Contains("direction_weights"), Error);
    CHECK_THROWS_WITH_AS(objective.hessian_vector(w, b, w, b, null_out, hb),
                         doctest::Contains("product_weights"), Error);
    std::vector<float> logits(20 * 3);
    CHECK_THROWS_WITH_AS(
        objective.predict_logits(null_in, b, MatrixView<float>(logits.data(), 20, 3)),
        doctest::Contains("weights"), Error);
  }
}

TEST_CASE("the penalty's sum of squares: the same bits from either layout, near the exact sum") {
  std::mt19937 random(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (const auto& [classes, cols] :
       {std::array<std::size_t, 2>{1, 1}, {3, 64}, {11, 150}, {20, 1000}, {70, 65}, {130, 7}}) {
    CAPTURE(classes);
    CAPTURE(cols);
    std::vector<float> w(classes * cols);
    for (float& e : w) e = static_cast<float>(std::ldexp(normal(random), int(random() % 40) - 20));
    const std::vector<float> wt = transposed(w, classes, cols);
    std::vector<double> scratch(detail::L2Penalty<float>::tiles(cols));
    const detail::L2Penalty<float> penalty{2.0};
    const double by_classes = penalty.value(w.data(), classes, cols, scratch);
    const double by_features = penalty.value<true>(wt.data(), classes, cols, scratch);
    CHECK(std::memcmp(&by_classes, &by_features, sizeof by_classes) == 0);
    long double exact = 0;
    for (float e : w) exact += static_cast<long double>(e) * static_cast<long double>(e);
    CHECK(std::fabs(static_cast<long double>(by_classes) - exact) <=
          1e-15L * static_cast<long double>(w.size()) * exact);
  }
}
