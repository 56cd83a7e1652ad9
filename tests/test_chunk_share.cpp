// LossGradient with a ChunkShare (the hook softmaxkit::mpi builds on), without MPI: the rows are
// split into shares of whole chunks, each share runs in its own thread, and the shares' partial
// sums are folded in share order through shared memory as ChunkShare asks. J, the gradient and
// Hv must equal the whole problem's bit for bit, for 1, 2, 3 and more shares than chunks (shares
// without rows), weighted rows, float and double. Misaligned rows are refused.
#include <doctest/doctest.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "chunk_share_checks.hpp"
#include "loss/block_plan.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/regression.hpp"

using namespace softmaxkit;
using chunk_share_checks::same_bits;

namespace {

template <class T>
void check_shares(std::size_t rows, std::size_t features, std::size_t classes, std::size_t shares) {
  std::mt19937 random(static_cast<unsigned>(rows + shares));
  std::normal_distribution<T> normal(T(0), T(1));
  std::vector<T> x(rows * features), weights(rows);
  std::vector<std::int32_t> labels(rows);
  for (T& v : x) v = normal(random);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<std::int32_t>(random() % classes);
    weights[i] = T(0.25) + T(i % 5);
  }
  RegressionProblem<T> whole;
  whole.features = MatrixView<const T>(x.data(), rows, features);
  whole.labels = labels;
  whole.sample_weights = weights;
  whole.num_classes = classes;
  whole.l2 = 0.01;
  double weight_sum = 0;
  for (T w : weights) weight_sum += static_cast<double>(w);

  const detail::BlockPlan plan = detail::make_block_plan(rows, features, classes, sizeof(T), 0);
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  const std::size_t size = classes * features;
  LossGradient<T> reference(whole);
  const chunk_share_checks::WholeResults<T> expected(reference, size, classes, random);
  expected.check(shares, [&](std::size_t s, auto fold) {
    const std::size_t first = starts[s * plan.chunks / shares];
    const std::size_t last = starts[(s + 1) * plan.chunks / shares];
    RegressionProblem<T> part = whole;
    part.features = MatrixView<const T>(x.data() + first * features, last - first, features);
    part.labels = std::span<const std::int32_t>(labels).subspan(first, last - first);
    part.sample_weights = std::span<const T>(weights).subspan(first, last - first);
    ChunkShare<T> share;
    share.global_rows = rows;
    share.first_row = first;
    share.global_weight_sum = weight_sum;
    share.fold = std::move(fold);
    return LossGradient<T>(part, LossGradientOptions{}, share);
  });
}

}  // namespace

TEST_CASE("chunk shares folded in order give the whole problem's bits") {
  // 3000 x 200, 4 classes: 10 chunks in float, 16 in double.
  for (std::size_t shares : {1, 2, 3, 7}) {
    CAPTURE(shares);
    check_shares<float>(3000, 200, 4, shares);
    check_shares<double>(3000, 200, 4, shares);
  }
  // One chunk only: every share but one has no rows.
  check_shares<float>(200, 10, 3, 3);
}

TEST_CASE("a chunk share must hold whole chunks") {
  std::vector<float> x(3000 * 40, 0.5f);
  std::vector<std::int32_t> labels(3000, 1);
  RegressionProblem<float> part;
  part.features = MatrixView<const float>(x.data() + 40, 1000, 40);
  part.labels = std::span<const std::int32_t>(labels).first(1000);
  part.num_classes = 3;
  ChunkShare<float> share = chunk_share_checks::idle_share<float>(3000, 3000);
  share.first_row = 1;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("are not whole chunks of the grid"), Error);
  share.first_row = 2500;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share), doctest::Contains("are not inside"),
                       Error);
  share.first_row = 0;
  share.fold = nullptr;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.fold is empty"), Error);
}

TEST_CASE("a chunk share's global fields are checked against the share and the grid's range") {
  std::vector<float> x(4 * 2, 0.5f);
  std::vector<std::int32_t> labels = {0, 1, 0, 1};
  RegressionProblem<float> part;
  part.features = MatrixView<const float>(x.data(), 4, 2);
  part.labels = labels;
  part.num_classes = 2;
  ChunkShare<float> share = chunk_share_checks::idle_share<float>(4, 4);
  CHECK_NOTHROW(LossGradient<float>(part, {}, share));
  // Rows near SIZE_MAX: the grid's block count wrapped to 0 and chunk_row_starts divided by it
  // (SIGFPE); a first_row near SIZE_MAX wrapped first_row + rows.
  share.global_rows = SIZE_MAX;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.global_rows is 18446744073709551615 (at most "
                                         "kMaxShareGlobalRows = 2^56)"),
                       Error);
  share.global_rows = kMaxShareGlobalRows + 1;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("kMaxShareGlobalRows"), Error);
  share.global_rows = 300;
  share.first_row = SIZE_MAX - 1;
  CHECK_THROWS_WITH_AS(
      LossGradient<float>(part, {}, share),
      doctest::Contains("this share's 4 rows from share.first_row = 18446744073709551614 are "
                        "not inside [0, 300)"),
      Error);
  // The whole's weights include the share's: a smaller total gave J = 5.5 where a mean
  // cross-entropy is log 2 at W = 0.
  share.global_rows = 4;
  share.first_row = 0;
  share.global_weight_sum = 0.5;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.global_weight_sum is 0.5 but this share's sample "
                                         "weights alone sum to 4"),
                       Error);
  share.global_weight_sum = 4 * (1 - kShareWeightSumSlack / 2);  // another summation order
  CHECK_NOTHROW(LossGradient<float>(part, {}, share));
  // The gradient is scaled by 1 / global_weight_sum in T: it must be a normal T (float: a sum
  // of at most 1 / FLT_MIN = 8.50705917e37; double takes the same total).
  share.global_weight_sum = 1e38;
  CHECK_THROWS_WITH_AS(LossGradient<float>(part, {}, share),
                       doctest::Contains("share.global_weight_sum: the sample weights sum to "
                                         "1e+38, outside what a mean can divide by in float"),
                       Error);
  share.global_weight_sum = 8.5e37;
  CHECK_NOTHROW(LossGradient<float>(part, {}, share));
  std::vector<double> wide(x.begin(), x.end());
  RegressionProblem<double> part_double;
  part_double.features = MatrixView<const double>(wide.data(), 4, 2);
  part_double.labels = labels;
  part_double.num_classes = 2;
  ChunkShare<double> share_double = chunk_share_checks::idle_share<double>(4, 4);
  share_double.global_weight_sum = 1e38;
  CHECK_NOTHROW(LossGradient<double>(part_double, {}, share_double));
  share_double.global_weight_sum = 5e307;  // above 1 / DBL_MIN = 4.49423283715579e307
  CHECK_THROWS_WITH_AS(LossGradient<double>(part_double, {}, share_double),
                       doctest::Contains("sum to 5e+307, outside what a mean can divide by in "
                                         "double"),
                       Error);
}
