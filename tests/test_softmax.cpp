// softmax_rows and log_softmax_rows on every ISA: accuracy against a long double oracle, rows
// summing to 1, masked and non-finite entries, closed forms, shift invariance, in place versus
// out of place, the parallel forms' bitwise agreement for 1..3 threads, and bad arguments.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "isa_each.hpp"
#include "row_oracle.hpp"
#include "softmaxkit/softmaxkit.hpp"

using namespace softmaxkit::testing;

namespace {

const std::size_t kWidths[] = {1, 2, 3, 7, 8, 9, 16, 17, 31, 33, 64, 65, 100, 1000, 1100};

template <class T>
Matrix<T> softmax_of(const Matrix<T>& logits) {
  Matrix<T> out(logits.rows, logits.cols, 1);
  softmaxkit::softmax_rows(logits.const_view(), out.view());
  return out;
}

template <class T>
Matrix<T> log_softmax_of(const Matrix<T>& logits) {
  Matrix<T> out(logits.rows, logits.cols, 5);
  softmaxkit::log_softmax_rows(logits.const_view(), out.view());
  return out;
}

template <class T>
void check_accuracy(T low, T high) {
  // Softmax: absolute (kernels.hpp), reported in units of 2^-23 / 2^-52; log-softmax: ULP
  // floored at 1.
  const long double tolerance = std::ldexp(1.0L, -(std::numeric_limits<T>::digits - 1));
  const double softmax_bound =
      softmaxkit::kSoftmaxAbsoluteBound<T> / static_cast<double>(tolerance);
  double worst_softmax = 0, worst_log = 0, worst_sum = 0;
  for (std::size_t cols : kWidths) {
    const auto logits = random_logits<T>(30, cols, low, high, 77 + static_cast<unsigned>(cols));
    const auto p = softmax_of(logits), l = log_softmax_of(logits);
    for (std::size_t i = 0; i < logits.rows; ++i) {
      const OracleRow row = oracle_row(&logits.data[i * logits.stride], cols);
      long double sum = 0;
      for (std::size_t k = 0; k < cols; ++k) {
        const long double z = logits(i, k);
        worst_softmax = std::fmax(
            worst_softmax, static_cast<double>(std::fabs(p(i, k) - row.softmax(z)) / tolerance));
        worst_log = std::fmax(worst_log, ulp_error_floor_one(l(i, k), row.log_softmax(z)));
        sum += p(i, k);
      }
      worst_sum = std::fmax(worst_sum, static_cast<double>(std::fabs(sum - 1.0L)));
    }
  }
  const std::string type = sizeof(T) == 4 ? "float" : "double";
  MESSAGE("worst softmax error, " << type << " in [" << low << ", " << high
                                  << "]: " << worst_softmax << " x 2^-"
                                  << (std::numeric_limits<T>::digits - 1) << "; worst log_softmax: "
                                  << worst_log << " ULP; worst |row sum - 1|: " << worst_sum);
  CHECK(worst_softmax <= softmax_bound);
  CHECK(worst_log <= softmaxkit::kLogSoftmaxUlpBound);
  CHECK(worst_sum <= softmaxkit::kSoftmaxRowSumBound<T>);
}

}  // namespace

TEST_CASE("softmax, log_softmax: accuracy against long double and rows sum to 1, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_accuracy<float>(-20.0f, 20.0f);
    check_accuracy<float>(-1.0f, 1.0f);
    check_accuracy<double>(-50.0, 50.0);
    check_accuracy<float>(-3e38f, 3e38f);
    check_accuracy<double>(-1e300, 1e300);
  }
}

TEST_CASE("softmax, log_softmax: equal logits give 1/K and -log K; K = 1 gives 1 and 0") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : kWidths) {
      Matrix<double> m(2, cols);
      for (std::size_t k = 0; k < cols; ++k) m(0, k) = 3.0, m(1, k) = 1e300;
      const auto p = softmax_of(m), l = log_softmax_of(m);
      for (std::size_t i = 0; i < 2; ++i) {
        for (std::size_t k = 0; k < cols; ++k) {
          CHECK(std::fabs(p(i, k) - 1.0L / cols) <= 1e-16);
          CHECK(ulp_error_floor_one(l(i, k), -std::log(static_cast<long double>(cols))) <= 1.0);
        }
      }
    }
  }
}

TEST_CASE("softmax, log_softmax: masked -inf, all -inf, +inf and NaN rows") {
  constexpr float inf = std::numeric_limits<float>::infinity();
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {std::size_t{2}, std::size_t{19}, std::size_t{100}}) {
      auto m = random_logits<float>(5, cols, -5.0f, 5.0f, 9);
      for (std::size_t k = 1; k < cols; k += 2) m(0, k) = -inf;
      for (std::size_t k = 0; k < cols; ++k) m(1, k) = -inf;
      m(2, cols - 1) = inf;
      m(3, 0) = std::numeric_limits<float>::quiet_NaN();
      const auto p = softmax_of(m), l = log_softmax_of(m);
      const OracleRow row0 = oracle_row(&m(0, 0), cols), row4 = oracle_row(&m(4, 0), cols);
      for (std::size_t k = 0; k < cols; ++k) {
        if (k % 2 == 1) {
          CHECK(p(0, k) == 0.0f);
          CHECK(l(0, k) == -inf);
        } else {
          CHECK(std::fabs(p(0, k) - row0.softmax(m(0, k))) <=
                softmaxkit::kSoftmaxAbsoluteBound<float>);
          CHECK(ulp_error_floor_one(l(0, k), row0.log_softmax(m(0, k))) <=
                softmaxkit::kLogSoftmaxUlpBound);
        }
        for (std::size_t i = 1; i <= 3; ++i) {
          CHECK(std::isnan(p(i, k)));
          CHECK(std::isnan(l(i, k)));
        }
        // a clean row after them
        CHECK(std::fabs(p(4, k) - row4.softmax(m(4, k))) <=
              softmaxkit::kSoftmaxAbsoluteBound<float>);
      }
    }
  }
}

TEST_CASE("softmax, log_softmax: invariant to adding a constant to a row") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    // Logits on a 2^-30 grid, so adding 4096 is exact and z - max is unchanged: the outputs must
    // agree to rounding of the (identical) arithmetic, i.e. closely.
    auto base = random_logits<double>(10, 50, -10.0, 10.0, 5);
    auto shifted = base;
    for (std::size_t i = 0; i < base.rows; ++i) {
      for (std::size_t k = 0; k < base.cols; ++k) {
        base(i, k) = std::ldexp(std::round(std::ldexp(base(i, k), 30)), -30);
        shifted(i, k) = base(i, k) + 4096.0;
      }
    }
    const auto p = softmax_of(base), q = softmax_of(shifted);
    const auto l = log_softmax_of(base), r = log_softmax_of(shifted);
    for (std::size_t i = 0; i < base.rows; ++i) {
      for (std::size_t k = 0; k < base.cols; ++k) {
        CHECK(std::fabs(p(i, k) - q(i, k)) <= 1e-15);
        CHECK(std::fabs(l(i, k) - r(i, k)) <= 1e-13);
      }
    }
  }
}

TEST_CASE("softmax, log_softmax: in place equals out of place bitwise") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : kWidths) {
      const auto logits = random_logits<float>(7, cols, -8.0f, 8.0f, 21);
      const auto p = softmax_of(logits), l = log_softmax_of(logits);
      auto in_place = logits;
      softmaxkit::softmax_rows(in_place.view());
      auto log_in_place = logits;
      softmaxkit::log_softmax_rows(log_in_place.view());
      for (std::size_t i = 0; i < logits.rows; ++i) {
        for (std::size_t k = 0; k < cols; ++k) {
          CHECK(in_place(i, k) == p(i, k));
          CHECK(log_in_place(i, k) == l(i, k));
        }
        CHECK(std::isnan(in_place.data[i * in_place.stride + cols]));  // padding untouched
      }
    }
  }
}

TEST_CASE("softmax, log_softmax: parallel forms are bitwise the serial forms, 1..3 threads") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {std::size_t{10}, std::size_t{1000}}) {
      const auto logits = random_logits<float>(1500, cols, -20.0f, 20.0f, 13);
      const auto p = softmax_of(logits), l = log_softmax_of(logits);
      for (int threads : {1, 2, 3}) {
        Matrix<float> pp(logits.rows, cols, 1), lp(logits.rows, cols, 5);
        tbb::task_arena arena(threads);
        arena.execute([&] {
          softmaxkit::softmax_rows_parallel(logits.const_view(), pp.view());
          softmaxkit::log_softmax_rows_parallel(logits.const_view(), lp.view());
        });
        bool same = true;
        for (std::size_t i = 0; i < logits.rows; ++i)
          for (std::size_t k = 0; k < cols; ++k)
            same = same && lp(i, k) == l(i, k) && pp(i, k) == p(i, k);
        CHECK(same);
      }
    }
  }
}

// Outputs of 32 MiB and more are written with streaming stores (common/streaming_policy.hpp):
// the same bits as the ordinary path, which rows of a small matrix take, and padding between
// rows (stride > cols, rows starting at every alignment) untouched.
TEST_CASE("log_softmax: a matrix large enough to stream gives the small-matrix bits, every ISA") {
  const std::size_t cols = 1001, rows = 8400;  // 33.6 MB of output
  const auto logits = random_logits<float>(rows, cols, -30.0f, 30.0f, 77);
  Matrix<float> streamed(rows, cols, 3);
  Matrix<float> row_alone(1, cols, 3);
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    softmaxkit::log_softmax_rows_parallel(logits.const_view(), streamed.view());
    bool same = true, padding_untouched = true;
    for (std::size_t i = 0; i < rows; i += 97) {
      softmaxkit::log_softmax_rows(
          softmaxkit::MatrixView<const float>(logits.data.data() + i * logits.stride, 1, cols),
          row_alone.view());
      for (std::size_t k = 0; k < cols; ++k) same = same && streamed(i, k) == row_alone(0, k);
    }
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t k = cols; k < streamed.stride; ++k)
        padding_untouched = padding_untouched && std::isnan(streamed.data[i * streamed.stride + k]);
    CHECK(same);
    CHECK(padding_untouched);
  }
}

TEST_CASE("softmax, log_softmax: bad arguments name the argument") {
  Matrix<float> m(4, 5);
  Matrix<float> wrong(4, 6);
  CHECK_THROWS_WITH_AS(softmaxkit::softmax_rows(m.const_view(), wrong.view()),
                       doctest::Contains("output is 4 x 6 but must be 4 x 5"), softmaxkit::Error);
  CHECK_THROWS_WITH_AS(softmaxkit::log_softmax_rows_parallel(m.const_view(), wrong.view()),
                       doctest::Contains("log_softmax_rows_parallel: output"), softmaxkit::Error);
  std::vector<float> buffer(64, 0.0f);
  softmaxkit::MatrixView<float> a(buffer.data(), 4, 5, 8), shifted(buffer.data() + 2, 4, 5, 8);
  CHECK_THROWS_WITH_AS(softmaxkit::softmax_rows(softmaxkit::MatrixView<const float>(a), shifted),
                       doctest::Contains("overlap"), softmaxkit::Error);
  CHECK_NOTHROW(softmaxkit::softmax_rows(softmaxkit::MatrixView<float>()));
}

TEST_CASE("softmax: many equal runners-up keep the maximum's probability within the bound") {
  // One logit 0.0040106121 and 1507 at -8.4778605 (a rotating seed's row): every runner-up's
  // exp was taken at the same rounded z - max, an error that cancels in their probabilities but
  // not in the maximum's 1 / (1 + rest), 2.06 ULP (1.03 times 2^-23) off in float on AVX2. The
  // same shape in double, with 40000 runners-up, for the double bound.
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    auto check = [](auto top, auto other, std::size_t runners_up) {
      using T = decltype(top);
      std::vector<T> row(runners_up + 1, other);
      row[runners_up / 2] = top;
      std::vector<T> p(row.size());
      softmaxkit::softmax_rows(softmaxkit::MatrixView<const T>(row.data(), 1, row.size()),
                               softmaxkit::MatrixView<T>(p.data(), 1, p.size()));
      const long double rest =
          static_cast<long double>(runners_up) *
          std::exp(static_cast<long double>(other) - static_cast<long double>(top));
      const long double want_top = 1 / (1 + rest), want_other = (rest / runners_up) / (1 + rest);
      CHECK(std::fabs(p[runners_up / 2] - want_top) <= softmaxkit::kSoftmaxAbsoluteBound<T>);
      CHECK(std::fabs(p[0] - want_other) <= softmaxkit::kSoftmaxAbsoluteBound<T>);
    };
    check(0.004010612145066261f, -8.477860450744629f, 1507);
    check(0.0040106121450662, -8.4778604507446, 40000);
    for (float gap : {0.7f, 3.3f, 8.48f, 12.9f})
      for (std::size_t count : {15, 1507, 39999}) check(0.0f, -gap, count);
  }
}
