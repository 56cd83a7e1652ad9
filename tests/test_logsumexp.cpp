// logsumexp_rows on every ISA: accuracy against a long double oracle over many widths, huge
// logits, masked and non-finite entries, closed forms, shift invariance, strides, the parallel
// form's bitwise agreement for 1..3 threads, and bad arguments.
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

const std::size_t kWidths[] = {1,  2,  3,  4,  7,  8,   9,   15,   16,  17,
                               31, 33, 63, 64, 65, 100, 257, 1000, 1100};

template <class T>
double worst_error(const Matrix<T>& logits) {
  std::vector<T> output(logits.rows);
  softmaxkit::logsumexp_rows(logits.const_view(), output);
  double worst = 0;
  for (std::size_t i = 0; i < logits.rows; ++i) {
    const long double expected =
        oracle_row(&logits.data[i * logits.stride], logits.cols).logsumexp();
    const double error = ulp_error_floor_one(output[i], expected);
    if (!(error <= worst)) worst = error;
  }
  return worst;
}

template <class T>
void check_accuracy(T low, T high) {
  double worst = 0;
  for (std::size_t cols : kWidths) {
    const auto logits = random_logits<T>(40, cols, low, high, 1000 + static_cast<unsigned>(cols));
    worst = std::fmax(worst, worst_error(logits));
  }
  MESSAGE("worst logsumexp error, " << std::string(sizeof(T) == 4 ? "float" : "double")
                                    << " logits in [" << low << ", " << high << "]: " << worst
                                    << " ULP");
  CHECK(worst <= softmaxkit::kLogSumExpUlpBound);
}

template <class T>
std::vector<T> logsumexp_of(const Matrix<T>& logits) {
  std::vector<T> output(logits.rows);
  softmaxkit::logsumexp_rows(logits.const_view(), output);
  return output;
}

}  // namespace

TEST_CASE("logsumexp: within 4 ULP of long double, every width, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_accuracy<float>(-50.0f, 50.0f);
    check_accuracy<double>(-50.0, 50.0);
    check_accuracy<float>(-1.0f, 1.0f);  // results near log K, partly near 0
    check_accuracy<double>(-700.0, 700.0);
  }
}

TEST_CASE("logsumexp: huge finite logits are safe") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_accuracy<float>(-3e38f, 3e38f);
    check_accuracy<double>(-1.7e308, 1.7e308);
    Matrix<float> m(2, 3);
    m(0, 0) = 3e38f, m(0, 1) = 3e38f, m(0, 2) = -3e38f;
    m(1, 0) = -3e38f, m(1, 1) = -3e38f, m(1, 2) = -3e38f;
    const auto r = logsumexp_of(m);
    CHECK(ulp_error(r[0], 3e38L + std::log(2.0L)) <= 1.0);
    CHECK(ulp_error(r[1], -3e38L + std::log(3.0L)) <= 1.0);
  }
}

TEST_CASE("logsumexp: closed forms — equal logits give c + log K; K = 1 gives the logit") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : kWidths) {
      Matrix<double> m(3, cols);
      for (std::size_t k = 0; k < cols; ++k) m(0, k) = 0.0, m(1, k) = 2.5, m(2, k) = -1e300;
      const auto r = logsumexp_of(m);
      const long double log_k = std::log(static_cast<long double>(cols));
      CHECK(ulp_error_floor_one(r[0], log_k) <= 1.0);
      CHECK(ulp_error_floor_one(r[1], 2.5L + log_k) <= 1.0);
      CHECK(ulp_error(r[2], -1e300L + log_k) <= 1.0);
    }
    Matrix<float> single(4, 1);
    single(0, 0) = 0.0f, single(1, 0) = -7.25f, single(2, 0) = 3e38f, single(3, 0) = -1e-30f;
    const auto r = logsumexp_of(single);
    for (std::size_t i = 0; i < 4; ++i) CHECK(r[i] == single(i, 0));
  }
}

TEST_CASE("logsumexp: masked -inf entries, all -inf, +inf and NaN rows") {
  constexpr float inf = std::numeric_limits<float>::infinity();
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {std::size_t{2}, std::size_t{17}, std::size_t{100}}) {
      auto m = random_logits<float>(6, cols, -5.0f, 5.0f, 7);
      for (std::size_t k = 0; k + 1 < cols; k += 2) m(0, k) = -inf;  // masked classes
      for (std::size_t k = 0; k < cols; ++k) m(1, k) = -inf;         // nothing left
      m(2, cols / 2) = inf;
      m(3, cols - 1) = std::numeric_limits<float>::quiet_NaN();
      m(4, 0) = std::numeric_limits<float>::quiet_NaN();
      const auto r = logsumexp_of(m);
      CHECK(ulp_error_floor_one(r[0], oracle_row(&m(0, 0), cols).logsumexp()) <=
            softmaxkit::kLogSumExpUlpBound);
      CHECK(r[1] == -inf);
      CHECK(std::isnan(r[2]));
      CHECK(std::isnan(r[3]));
      CHECK(std::isnan(r[4]));
      CHECK(ulp_error_floor_one(r[5], oracle_row(&m(5, 0), cols).logsumexp()) <=
            softmaxkit::kLogSumExpUlpBound);
    }
  }
}

TEST_CASE("logsumexp: adding a constant to a row adds it to the result") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    // Logits on a 2^-30 grid, so adding 1024 is exact.
    auto base = random_logits<double>(20, 77, -10.0, 10.0, 3);
    auto shifted = base;
    for (std::size_t i = 0; i < base.rows; ++i) {
      for (std::size_t k = 0; k < base.cols; ++k) {
        base(i, k) = std::ldexp(std::round(std::ldexp(base(i, k), 30)), -30);
        shifted(i, k) = base(i, k) + 1024.0;
      }
    }
    const auto r = logsumexp_of(base), s = logsumexp_of(shifted);
    for (std::size_t i = 0; i < base.rows; ++i) CHECK(std::fabs((s[i] - 1024.0) - r[i]) <= 1e-12);
  }
}

TEST_CASE("logsumexp: parallel form is bitwise the serial form for 1, 2 and 3 threads") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {std::size_t{10}, std::size_t{1000}}) {
      const auto logits = random_logits<float>(2000, cols, -20.0f, 20.0f, 11);
      const auto serial = logsumexp_of(logits);
      for (int threads : {1, 2, 3}) {
        std::vector<float> parallel(logits.rows);
        tbb::task_arena arena(threads);
        arena.execute([&] { softmaxkit::logsumexp_rows_parallel(logits.const_view(), parallel); });
        CHECK(parallel == serial);
      }
    }
  }
}

TEST_CASE("logsumexp: bad arguments name the argument; zero rows are fine") {
  Matrix<float> m(4, 5);
  std::vector<float> wrong(3);
  CHECK_THROWS_WITH_AS(softmaxkit::logsumexp_rows(m.const_view(), wrong),
                       doctest::Contains("output has 3"), softmaxkit::Error);
  std::vector<float> none;
  CHECK_NOTHROW(softmaxkit::logsumexp_rows(softmaxkit::MatrixView<const float>(), none));
}
