// CSR features: CsrMatrixView's validation (every rule, naming the row and the entry), and
// LossGradient over CSR against the same data densified (the dense path and the scalar double
// reference): loss, gradient, Hessian-vector product and logits, on every ISA, float and double,
// with empty rows, empty columns, one-entry rows, soft targets, sample weights and no intercept;
// bitwise identical results for 1, 2, 3 and 16 threads.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "isa_each.hpp"
#include "regression_problems.hpp"
#include "softmaxkit/csr.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/regression.hpp"

namespace {

using softmaxkit::CsrMatrix;
using softmaxkit::CsrMatrixView;
using softmaxkit::LossGradient;
using softmaxkit::RegressionProblem;
using softmaxkit::testing::ProblemShape;
using softmaxkit::testing::RandomProblem;
using softmaxkit::testing::relative_error;

template <class T>
std::string csr_error(std::size_t rows, std::size_t cols, std::vector<std::int64_t> offsets,
                      std::vector<std::int32_t> indices, std::vector<T> values) {
  try {
    CsrMatrixView<T> view(rows, cols, offsets, indices, values);
  } catch (const softmaxkit::Error& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A random problem whose features are mostly zero (density), with row 1 empty, column 0 empty
// and row 2 holding one entry; the CSR copy of exactly those features.
template <class T>
struct SparseProblem {
  RandomProblem<T> data;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> indices;
  std::vector<T> values;
  CsrMatrixView<T> view;

  SparseProblem(const ProblemShape& shape, double density) : data(shape) {
    std::mt19937 generator(shape.seed + 77);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const std::size_t stride = shape.features + shape.stride_padding;
    offsets.push_back(0);
    for (std::size_t i = 0; i < shape.rows; ++i) {
      T* row = data.features.data() + i * stride;
      for (std::size_t j = 0; j < shape.features; ++j) {
        const bool keep = uniform(generator) < density && j != 0 && i != 1 &&
                          !(i == 2 && j != shape.features - 1);
        if (!keep) row[j] = T(0);
        if (row[j] != T(0)) {
          indices.push_back(static_cast<std::int32_t>(j));
          values.push_back(row[j]);
        }
      }
      offsets.push_back(static_cast<std::int64_t>(indices.size()));
    }
    view = CsrMatrixView<T>(shape.rows, shape.features, offsets, indices, values);
  }

  RegressionProblem<T> dense_problem() const { return data.problem(); }
  RegressionProblem<T> sparse_problem() const {
    RegressionProblem<T> problem = data.problem();
    problem.features = {};
    problem.sparse_features = view;
    return problem;
  }
};

template <class T>
struct Evaluation {
  double loss = 0;
  std::vector<T> weights_gradient, intercept_gradient, hv_weights, hv_intercept, logits;
};

template <class T>
Evaluation<T> evaluate(const RegressionProblem<T>& problem, const RandomProblem<T>& data) {
  const ProblemShape& s = data.shape;
  LossGradient<T> loss(problem);
  Evaluation<T> result;
  result.weights_gradient.resize(s.classes * s.features);
  result.intercept_gradient.resize(s.classes);
  std::vector<T> intercept = data.intercept;
  intercept.resize(s.classes, T(0));
  result.loss =
      loss.evaluate(data.parameters, intercept, result.weights_gradient, result.intercept_gradient);
  std::vector<T> direction(s.classes * s.features), direction_intercept(s.classes);
  for (std::size_t e = 0; e < direction.size(); ++e)
    direction[e] = static_cast<T>(std::sin(0.7 * static_cast<double>(e) + 1.0));
  for (std::size_t k = 0; k < s.classes; ++k)
    direction_intercept[k] = static_cast<T>(std::cos(static_cast<double>(k)));
  result.hv_weights.resize(direction.size());
  result.hv_intercept.resize(s.classes);
  loss.hessian_vector(data.parameters, intercept, direction, direction_intercept, result.hv_weights,
                      result.hv_intercept);
  result.logits.resize(s.rows * s.classes);
  loss.predict_logits(data.parameters, intercept,
                      softmaxkit::MatrixView<T>(result.logits.data(), s.rows, s.classes));
  return result;
}

template <class T>
void check_agreement(const ProblemShape& shape, double density) {
  const SparseProblem<T> sparse(shape, density);
  const auto reference = softmaxkit::testing::reference_loss_gradient(
      sparse.data, sparse.data.parameters,
      sparse.data.intercept.empty() ? std::vector<T>(shape.classes, T(0)) : sparse.data.intercept);
  // LossGradient's documented accuracy against a plain double reference (regression.hpp).
  const double bound = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  // Between the two paths (the same arithmetic in T, summed in other orders).
  const double paths = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    const Evaluation<T> csr = evaluate(sparse.sparse_problem(), sparse.data);
    const Evaluation<T> dense = evaluate(sparse.dense_problem(), sparse.data);
    CHECK(std::fabs(csr.loss - reference.loss) <= bound * std::fabs(reference.loss));
    CHECK(relative_error(csr.weights_gradient, reference.weights_gradient) <= bound);
    if (shape.fit_intercept)
      CHECK(relative_error(csr.intercept_gradient, reference.intercept_gradient) <= bound);
    CHECK(std::fabs(csr.loss - dense.loss) <= paths * std::fabs(dense.loss));
    CHECK(relative_error(csr.weights_gradient, dense.weights_gradient) <= paths);
    CHECK(relative_error(csr.intercept_gradient, dense.intercept_gradient) <= paths);
    CHECK(relative_error(csr.hv_weights, dense.hv_weights) <= paths);
    CHECK(relative_error(csr.hv_intercept, dense.hv_intercept) <= paths);
    CHECK(relative_error(csr.logits, dense.logits) <= paths);
  }
}

}  // namespace

TEST_CASE("CsrMatrixView accepts canonical CSR and rejects everything else, naming row and entry") {
  // 3 x 4: row 0 = {1: 2.0, 3: 1.0}, row 1 empty, row 2 = {0: -1.0}.
  const std::vector<std::int64_t> offsets{0, 2, 2, 3};
  const std::vector<std::int32_t> indices{1, 3, 0};
  const std::vector<float> values{2.0f, 1.0f, -1.0f};
  const CsrMatrixView<float> view(3, 4, offsets, indices, values);
  CHECK(view.rows() == 3);
  CHECK(view.cols() == 4);
  CHECK(view.nnz() == 3);
  CHECK(view.row_begin(1) == view.row_end(1));
  CHECK(csr_error<float>(0, 5, {0}, {}, {}).empty());        // no rows
  CHECK(csr_error<float>(2, 0, {0, 0, 0}, {}, {}).empty());  // no columns, no entries

  CHECK(contains(csr_error<float>(3, 4, {0, 2, 3}, {1, 3, 0}, {2, 1, -1}), "row_offsets has 3"));
  CHECK(contains(csr_error<float>(3, 4, {}, {}, {}), "row_offsets has 0"));
  CHECK(
      contains(csr_error<float>(3, 4, {1, 2, 2, 3}, {1, 3, 0}, {2, 1, -1}), "row_offsets[0] is 1"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 1, 3}, {1, 3, 0}, {2, 1, -1}),
                 "row_offsets[2] is 1 (row 1 starts at 2"));
  CHECK(
      contains(csr_error<float>(3, 4, {0, 2, 2, 4}, {1, 3, 0}, {2, 1, -1}), "row_offsets[3] is 4"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 2}, {1, 3, 0}, {2, 1, -1}),
                 "row_offsets[rows] is 2 but column_indices has 3"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 3}, {1, 3, 0}, {2, 1}),
                 "values has 2 entries but column_indices has 3"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 3}, {1, 4, 0}, {2, 1, -1}),
                 "row 0, entry 1 (offset 1): column index 4 is outside [0, 4)"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 3}, {1, 3, -1}, {2, 1, -1}),
                 "row 2, entry 0 (offset 2): column index -1 is outside"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 3}, {1, 1, 0}, {2, 1, -1}),
                 "row 0, entry 1 (offset 1): column index 1 repeats"));
  CHECK(contains(csr_error<float>(3, 4, {0, 2, 2, 3}, {3, 1, 0}, {2, 1, -1}),
                 "column index 1 follows a larger one (3)"));
  CHECK(contains(csr_error<double>(1, softmaxkit::kCsrMaxColumns + 1, {0, 0}, {}, {}),
                 "column indices are int32"));
  // Null with a nonzero size.
  CHECK_THROWS_WITH_AS(
      CsrMatrixView<float>(
          1, 4,
          std::span<const std::int64_t>(static_cast<const std::int64_t*>(nullptr), std::size_t{2}),
          std::span<const std::int32_t>(), std::span<const float>()),
      doctest::Contains("row_offsets is null"), softmaxkit::Error);
  // The owning matrix validates too, and its copies keep their own buffers.
  CHECK_THROWS_AS(CsrMatrix<float>(1, 2, {0, 1}, {2}, {1.0f}), softmaxkit::Error);
  CsrMatrix<float> owned(1, 2, {0, 1}, {1}, {5.0f});
  const CsrMatrix<float> copy = owned;
  owned = CsrMatrix<float>(1, 2, {0, 1}, {0}, {7.0f});
  CHECK(copy.view().values()[0] == 5.0f);
  CHECK(copy.view().column_indices()[0] == 1);
  CHECK(owned.view().values()[0] == 7.0f);
}

TEST_CASE_TEMPLATE("CsrMatrix: the empty matrix copies, and a moved-from matrix is the empty one",
                   T, float, double) {
  // A default CsrMatrix (an unfilled SparseDataset) threw when copied (no row_offsets[0]); a
  // moved-from one kept its shape and a view of buffers it no longer owned (a use after free
  // once the new owner was gone).
  const CsrMatrix<T> empty;
  const CsrMatrix<T> copy_of_empty = empty;
  CHECK(copy_of_empty.rows() == 0);
  CHECK(copy_of_empty.cols() == 0);
  CHECK(copy_of_empty.nnz() == 0);
  const softmaxkit::SparseDataset dataset;
  const softmaxkit::SparseDataset copied_dataset = dataset;
  CHECK(copied_dataset.features.rows() == 0);

  CsrMatrix<T> source(2, 3, {0, 1, 2}, {0, 2}, {T(1.5), T(-2.5)});
  const T* buffer = source.view().values().data();
  CsrMatrix<T> moved = std::move(source);
  CHECK(moved.rows() == 2);
  CHECK(moved.nnz() == 2);
  CHECK(moved.view().values().data() == buffer);  // the buffer moved, the view with it
  CHECK(moved.view().values()[1] == T(-2.5));
  CHECK(source.rows() == 0);  // NOLINT(bugprone-use-after-move): the state is specified
  CHECK(source.cols() == 0);
  CHECK(source.nnz() == 0);
  CHECK(source.view().values().empty());
  const CsrMatrix<T> copy_of_moved = source;  // it threw ("rows is 2")
  CHECK(copy_of_moved.rows() == 0);
  // Move assignment leaves the source empty as well.
  CsrMatrix<T> target;
  target = std::move(moved);
  CHECK(target.nnz() == 2);
  CHECK(moved.nnz() == 0);  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("LossGradient: CSR features give the dense path's loss, gradient, Hv and logits") {
  struct Case {
    std::size_t rows, features, classes;
    bool soft, weighted, intercept;
    double l2, density;
  };
  const Case cases[] = {
      {3, 2, 1, false, false, true, 0.0, 1.0},      {5, 3, 2, false, false, true, 0.1, 0.6},
      {37, 50, 3, false, true, true, 0.01, 0.1},    {300, 200, 10, false, false, false, 0.0, 0.05},
      {257, 64, 130, true, true, true, 0.001, 0.2}, {100, 500, 53, false, true, true, 1e-4, 0.02},
      {64, 40, 7, true, false, false, 0.5, 0.3},
  };
  unsigned seed = 11;
  for (const Case& c : cases) {
    ProblemShape shape;
    shape.rows = c.rows;
    shape.features = c.features;
    shape.classes = c.classes;
    shape.soft_targets = c.soft;
    shape.weighted = c.weighted;
    shape.fit_intercept = c.intercept;
    shape.l2 = c.l2;
    shape.seed = seed++;
    CAPTURE(c.rows);
    CAPTURE(c.features);
    CAPTURE(c.classes);
    CAPTURE(c.soft);
    check_agreement<float>(shape, c.density);
    check_agreement<double>(shape, c.density);
  }
}

// Every output of every entry point, float and double: an audit's mutant that summed the
// intercept's gradient in per-thread accumulators passed when only the loss, the weights'
// gradient and Hv's weights were compared (in float).
template <class T>
void check_csr_thread_bits() {
  ProblemShape shape;
  shape.rows = 5000;
  shape.features = 300;
  shape.classes = 12;
  shape.weighted = true;
  shape.l2 = 1e-3;
  const SparseProblem<T> sparse(shape, 0.03);
  // Small blocks so that many chunks exist and the threads really share the work.
  softmaxkit::LossGradientOptions options;
  options.block_rows = 64;
  struct Outputs {
    double loss = 0, loss_only = 0;
    std::vector<T> gradient, intercept_gradient, hv, hv_intercept, logits;
    bool operator==(const Outputs&) const = default;
  };
  Outputs first;
  for (int threads : {1, 2, 3, 16}) {
    CAPTURE(threads);
    tbb::task_arena arena(threads);
    arena.execute([&] {
      LossGradient<T> loss(sparse.sparse_problem(), options);
      CHECK(loss.product_path() == softmaxkit::ProductPath::csr);
      Outputs out;
      out.gradient.resize(shape.classes * shape.features);
      out.intercept_gradient.resize(shape.classes);
      out.hv.resize(out.gradient.size());
      out.hv_intercept.resize(shape.classes);
      out.logits.resize(shape.rows * shape.classes);
      // A direction other than the point, so that Hv's intercept part is not the gradient's.
      std::vector<T> direction(sparse.data.parameters.rbegin(), sparse.data.parameters.rend());
      const std::vector<T> direction_intercept(shape.classes, T(0.5));
      out.loss = loss.evaluate(sparse.data.parameters, sparse.data.intercept, out.gradient,
                               out.intercept_gradient);
      out.loss_only = loss.evaluate(sparse.data.parameters, sparse.data.intercept, {}, {});
      loss.hessian_vector(sparse.data.parameters, sparse.data.intercept, direction,
                          direction_intercept, out.hv, out.hv_intercept);
      loss.predict_logits(sparse.data.parameters, sparse.data.intercept,
                          softmaxkit::MatrixView<T>(out.logits.data(), shape.rows, shape.classes));
      if (threads == 1) {
        first = out;
      } else {
        CHECK(out.loss == first.loss);
        CHECK(out.loss_only == first.loss_only);
        CHECK(out.gradient == first.gradient);
        CHECK(out.intercept_gradient == first.intercept_gradient);
        CHECK(out.hv == first.hv);
        CHECK(out.hv_intercept == first.hv_intercept);
        CHECK(out.logits == first.logits);
      }
    });
  }
}

TEST_CASE("LossGradient over CSR is bitwise identical for 1, 2, 3 and 16 threads") {
  check_csr_thread_bits<float>();
  check_csr_thread_bits<double>();
}

// The column-major copy and the m x K buffer are built at the first gradient or Hv (not by the
// constructor): whatever the first call, every later result has the bits of a fresh object's.
TEST_CASE("LossGradient over CSR: loss, logits, gradient and Hv in any order give the same bits") {
  ProblemShape shape;
  shape.rows = 700;
  shape.features = 90;
  shape.classes = 6;
  shape.l2 = 1e-3;
  const SparseProblem<float> sparse(shape, 0.05);
  softmaxkit::LossGradientOptions options;
  options.block_rows = 64;
  const auto& w = sparse.data.parameters;
  const auto& b = sparse.data.intercept;
  const std::size_t size = shape.classes * shape.features;
  struct Results {
    double value = 0;
    std::vector<float> gradient, intercept_gradient, hv, hv_intercept;
  };
  auto gradient_then_hv = [&](LossGradient<float>& loss) {
    Results r;
    r.gradient.resize(size);
    r.intercept_gradient.resize(shape.classes);
    r.hv.resize(size);
    r.hv_intercept.resize(shape.classes);
    r.value = loss.evaluate(w, b, r.gradient, r.intercept_gradient);
    loss.hessian_vector(w, b, w, b, r.hv, r.hv_intercept);
    return r;
  };
  LossGradient<float> fresh(sparse.sparse_problem(), options);
  const Results expected = gradient_then_hv(fresh);

  LossGradient<float> loss_first(sparse.sparse_problem(), options);
  CHECK(loss_first.evaluate(w, b, {}, {}) == expected.value);
  std::vector<float> logits(shape.rows * shape.classes), intercept_only(shape.classes);
  loss_first.predict_logits(
      w, b, softmaxkit::MatrixView<float>(logits.data(), shape.rows, shape.classes));
  CHECK(loss_first.evaluate(w, b, {}, intercept_only) == expected.value);
  CHECK(intercept_only == expected.intercept_gradient);
  const Results after_loss = gradient_then_hv(loss_first);
  CHECK(after_loss.value == expected.value);
  CHECK(after_loss.gradient == expected.gradient);
  CHECK(after_loss.hv == expected.hv);
  CHECK(after_loss.hv_intercept == expected.hv_intercept);

  LossGradient<float> hv_first(sparse.sparse_problem(), options);
  std::vector<float> hv(size), hv_intercept(shape.classes);
  hv_first.hessian_vector(w, b, w, b, hv, hv_intercept);
  CHECK(hv == expected.hv);
  const Results after_hv = gradient_then_hv(hv_first);
  CHECK(after_hv.gradient == expected.gradient);
  CHECK(after_hv.hv == expected.hv);
}

TEST_CASE("LossGradient over CSR: problems that mix or mismatch features are refused") {
  ProblemShape shape;
  const SparseProblem<float> sparse(shape, 0.5);
  RegressionProblem<float> both = sparse.sparse_problem();
  both.features = sparse.dense_problem().features;
  CHECK_THROWS_WITH_AS(LossGradient<float>{both}, doctest::Contains("not both"), softmaxkit::Error);
  softmaxkit::LossGradientOptions blas;
  blas.path = softmaxkit::ProductPath::blas;
  CHECK_THROWS_WITH_AS(LossGradient<float>(sparse.sparse_problem(), blas),
                       doctest::Contains("csr product path"), softmaxkit::Error);
  softmaxkit::LossGradientOptions csr;
  csr.path = softmaxkit::ProductPath::csr;
  CHECK_THROWS_WITH_AS(LossGradient<float>(sparse.dense_problem(), csr),
                       doctest::Contains("needs sparse_features"), softmaxkit::Error);
  RegressionProblem<float> short_labels = sparse.sparse_problem();
  short_labels.labels = short_labels.labels.subspan(1);
  CHECK_THROWS_WITH_AS(LossGradient<float>{short_labels}, doctest::Contains("labels has"),
                       softmaxkit::Error);
}

// The column-major copy and the m x K row gradients are refused by their own check, at
// construction (before any allocation, although they are built only at the first gradient):
// 4e6 empty rows of one feature and 5000 classes need 80 GB of row gradients, while the chunks'
// workspace (at most 64 chunks x 2048 rows x 2K logits, 5.2 GB) passes its check.
TEST_CASE("LossGradient refuses a column-major copy larger than the machine's memory") {
  const std::size_t rows = 4000000;
  const std::vector<std::int64_t> offsets(rows + 1, 0);
  const std::vector<std::int32_t> indices;
  const std::vector<float> values;
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) labels[i] = static_cast<std::int32_t>(i % 5000);
  RegressionProblem<float> problem;
  problem.sparse_features = CsrMatrixView<float>(rows, 1, offsets, indices, values);
  problem.labels = labels;
  problem.num_classes = 5000;
  CHECK_THROWS_WITH_AS(LossGradient<float>{problem},
                       doctest::Contains("column-major copy of 0 CSR entries, the 4000000 x "
                                         "5000 row gradients and the 1 x 5000 feature totals "
                                         "would need 74.5 GiB"),
                       softmaxkit::Error);
}

TEST_CASE("LossGradient refuses a workspace larger than the machine's memory before allocating") {
  // One entry in a 2^31-column row with 100000 classes: accumulators of 4 x 1e5 x 2^31 floats.
  const std::vector<std::int64_t> offsets{0, 1};
  const std::vector<std::int32_t> indices{2147483647};
  const std::vector<float> values{1.0f};
  const std::vector<std::int32_t> labels{0};
  RegressionProblem<float> problem;
  problem.sparse_features =
      CsrMatrixView<float>(1, softmaxkit::kCsrMaxColumns, offsets, indices, values);
  problem.labels = labels;
  problem.num_classes = 100000;
  CHECK_THROWS_WITH_AS(LossGradient<float>{problem}, doctest::Contains("GiB of memory"),
                       softmaxkit::Error);
}
