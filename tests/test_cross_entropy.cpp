// cross_entropy (and the row-block call the loss engine makes) on every ISA: loss and gradient
// against a long double oracle for hard and soft targets with every option, gradient rows summing
// to 0, closed forms, edge semantics, errors naming the row or argument, determinism across blocks
// and threads.
#include <doctest/doctest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "isa_each.hpp"
#include "row_oracle.hpp"
#include "softmaxkit/softmaxkit.hpp"

using namespace softmaxkit::testing;
using softmaxkit::CrossEntropyOptions;
using softmaxkit::Reduction;

namespace {

// The textbook loss and gradient in long double from an explicit target matrix a = c * q.
struct Oracle {
  std::vector<long double> losses;  // s_i * loss_i
  std::vector<long double> gradient;
  std::vector<long double> gradient_terms;  // s_i scale (A_i p_ik + a_ik): the cancelling terms
  long double loss = 0, total_weight = 0;
};

template <class T>
Oracle oracle(const Matrix<T>& z, const std::vector<long double>& a,
              const std::vector<long double>& sample, const std::vector<bool>& counted,
              const std::vector<long double>& row_weight, Reduction reduction) {
  const std::size_t classes = z.cols;
  Oracle o;
  o.losses.assign(z.rows, 0);
  o.gradient.assign(z.rows * classes, 0);
  o.gradient_terms.assign(z.rows * classes, 0);
  for (std::size_t i = 0; i < z.rows; ++i)
    if (counted[i]) o.total_weight += row_weight[i];
  const long double scale =
      reduction == Reduction::mean ? (o.total_weight > 0 ? 1 / o.total_weight : 0) : 1;
  for (std::size_t i = 0; i < z.rows; ++i) {
    if (!counted[i]) continue;
    const OracleRow row = oracle_row(&z.data[i * z.stride], classes);
    long double loss = 0, mass = 0;
    for (std::size_t k = 0; k < classes; ++k) {
      const long double ak = a[i * classes + k];
      if (ak != 0) loss -= ak * row.log_softmax(z(i, k));
      mass += ak;
    }
    o.losses[i] = sample[i] * loss;
    o.loss += o.losses[i];
    for (std::size_t k = 0; k < classes; ++k) {
      o.gradient[i * classes + k] =
          sample[i] * scale * (mass * row.softmax(z(i, k)) - a[i * classes + k]);
      o.gradient_terms[i * classes + k] =
          sample[i] * scale * (mass * row.softmax(z(i, k)) + a[i * classes + k]);
    }
  }
  if (reduction == Reduction::mean) o.loss *= scale;
  return o;
}

struct Case {
  std::size_t rows, cols;
  bool soft;
  bool class_weights, sample_weights, ignore;
  double smoothing;
  Reduction reduction;
};

// The larger of two errors, NaN once either is: std::fmax drops a NaN, so NaN losses or gradients
// could never fail a bound (an audit's mutant returning NaN for Reduction::sum passed).
double worse(double worst, double error) {
  return std::isnan(worst) || std::isnan(error) ? std::numeric_limits<double>::quiet_NaN()
                                                : std::max(worst, error);
}

template <class T>
double relative(long double got, long double want) {
  return static_cast<double>(std::fabs(got - want) / std::fmax(std::fabs(want), 1e-30L));
}

template <class T>
void check_case(const Case& c, unsigned seed, double& worst_loss, double& worst_gradient,
                T spread = T(8)) {
  const auto z = random_logits<T>(c.rows, c.cols, -spread, spread, seed);
  std::mt19937 generator(seed);
  std::uniform_int_distribution<std::int32_t> pick(0, static_cast<std::int32_t>(c.cols) - 1);
  std::uniform_real_distribution<T> unit(T(0.1), T(2));
  std::vector<std::int32_t> labels(c.rows);
  Matrix<T> soft(c.rows, c.cols, 2);
  std::vector<T> class_weights, sample_weights;
  if (c.class_weights)
    for (std::size_t k = 0; k < c.cols; ++k) class_weights.push_back(unit(generator));
  if (c.sample_weights)
    for (std::size_t i = 0; i < c.rows; ++i) sample_weights.push_back(unit(generator));
  std::vector<long double> a(c.rows * c.cols), sample(c.rows, 1), row_weight(c.rows);
  std::vector<bool> counted(c.rows, true);
  const long double eps = static_cast<T>(c.smoothing);
  for (std::size_t i = 0; i < c.rows; ++i) {
    labels[i] = pick(generator);
    if (c.ignore && i % 5 == 2) labels[i] = -100, counted[i] = false;
    if (c.soft) {  // a random distribution, normalised in T
      T total = 0;
      for (std::size_t k = 0; k < c.cols; ++k) total += (soft(i, k) = unit(generator));
      for (std::size_t k = 0; k < c.cols; ++k) soft(i, k) /= total;
    }
    if (c.sample_weights) sample[i] = sample_weights[i];
    for (std::size_t k = 0; k < c.cols; ++k) {
      const long double q =
          c.soft ? soft(i, k) : (labels[i] == static_cast<std::int32_t>(k) ? 1 : 0);
      const long double cw = c.class_weights ? class_weights[k] : 1;
      a[i * c.cols + k] = counted[i] ? cw * ((1 - eps) * q + eps / c.cols) : 0;
    }
    row_weight[i] =
        sample[i] * (!c.soft && c.class_weights && counted[i] ? class_weights[labels[i]] : 1);
  }
  const Oracle o = oracle(z, a, sample, counted, row_weight, c.reduction);
  CrossEntropyOptions<T> options;
  options.reduction = c.reduction;
  if (c.ignore) options.ignore_index = -100;
  options.label_smoothing = c.smoothing;
  options.class_weights = class_weights;
  options.sample_weights = sample_weights;
  Matrix<T> gradient(c.rows, c.cols, 1);
  std::vector<T> losses(c.rows);
  const auto result =
      c.soft ? softmaxkit::cross_entropy(z.const_view(), soft.const_view(), options,
                                         gradient.view(), losses)
             : softmaxkit::cross_entropy(z.const_view(), labels, options, gradient.view(), losses);
  INFO("rows " << c.rows << " cols " << c.cols << " soft " << c.soft << " smoothing "
               << c.smoothing);
  CHECK(static_cast<long double>(result.total_weight) ==
        doctest::Approx(static_cast<double>(o.total_weight)).epsilon(1e-9));
  worst_loss = worse(worst_loss, relative<T>(result.loss, o.loss));
  const long double scale = c.reduction == Reduction::mean ? 1 / o.total_weight : 1;
  for (std::size_t i = 0; i < c.rows; ++i) {
    worst_loss = worse(worst_loss, relative<T>(losses[i], o.losses[i]) *
                                       (o.losses[i] == 0 && losses[i] == 0 ? 0 : 1));
    long double row_sum = 0;
    for (std::size_t k = 0; k < c.cols; ++k) {
      const long double want = o.gradient[i * c.cols + k];
      // Relative to |g| where the gradient is large against its terms A p - a; where those
      // cancel (a soft target close to p), relative to the terms: float holds them to 2^-24.
      const long double magnitude = std::fmax(std::fabs(want), o.gradient_terms[i * c.cols + k]);
      // A row that carries no weight (ignored, or weight 0) must have an exactly zero gradient.
      const double error =
          magnitude == 0 ? (gradient(i, k) == 0 ? 0.0 : std::numeric_limits<double>::infinity())
                         : static_cast<double>(std::fabs(gradient(i, k) - want) / magnitude);
      worst_gradient = worse(worst_gradient, error);
      row_sum += gradient(i, k);
    }
    CHECK(std::fabs(row_sum) <=
          softmaxkit::kCrossEntropyRelativeBound * sample[i] * scale * (c.class_weights ? 2 : 1));
  }
}

template <class T>
void check_all_cases() {
  double worst_loss = 0, worst_gradient = 0;
  unsigned seed = 1;
  for (std::size_t cols : {1, 2, 7, 10, 16, 17, 33, 100, 1000}) {
    for (bool soft : {false, true}) {
      for (Reduction reduction : {Reduction::none, Reduction::sum, Reduction::mean}) {
        check_case<T>({37, cols, soft, false, false, false, 0.0, reduction}, seed++, worst_loss,
                      worst_gradient);
        check_case<T>({37, cols, soft, true, true, !soft, 0.0, reduction}, seed++, worst_loss,
                      worst_gradient);
        check_case<T>({37, cols, soft, true, false, !soft, 0.1, reduction}, seed++, worst_loss,
                      worst_gradient);
      }
    }
  }
  MESSAGE("worst cross_entropy " << std::string(sizeof(T) == 4 ? "float" : "double") << ": loss "
                                 << worst_loss << " relative, gradient " << worst_gradient
                                 << " relative");
  CHECK(worst_loss <= softmaxkit::kCrossEntropyRelativeBound);
  CHECK(worst_gradient <= softmaxkit::kCrossEntropyRelativeBound);
}

}  // namespace

TEST_CASE("cross_entropy: loss and gradient within 1e-6 of long double, every option, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_all_cases<float>();
    check_all_cases<double>();
  }
}

// The small-K path (K <= 32: W rows at once, one per lane): every option, rows not a multiple of
// any lane count (the padded tail), strides > K.
template <class T>
void check_small_k() {
  double worst_loss = 0, worst_gradient = 0;
  unsigned seed = 1000;
  for (std::size_t cols : {1, 2, 3, 5, 10, 17, 31, 32}) {
    for (std::size_t rows : {1, 7, 53}) {
      for (bool soft : {false, true}) {
        // Logits in [-8, 8] as above. At [-12, 12] double shows 5e-11: the oracle's long double
        // log(1 + tiny) (no log1p form) is the limit there, so wider spreads are not checked.
        check_case<T>({rows, cols, soft, false, false, false, 0.0, Reduction::sum}, seed++,
                      worst_loss, worst_gradient, T(8));
        check_case<T>({rows, cols, soft, true, true, !soft, 0.0, Reduction::mean}, seed++,
                      worst_loss, worst_gradient, T(8));
        check_case<T>({rows, cols, soft, true, false, !soft, 0.1, Reduction::none}, seed++,
                      worst_loss, worst_gradient, T(8));
      }
    }
  }
  MESSAGE("worst small-K cross_entropy " << std::string(sizeof(T) == 4 ? "float" : "double")
                                         << ": loss " << worst_loss << " relative, gradient "
                                         << worst_gradient << " relative");
  CHECK(worst_loss <= softmaxkit::kCrossEntropyRelativeBound);
  CHECK(worst_gradient <= softmaxkit::kCrossEntropyRelativeBound);
}

TEST_CASE("cross_entropy small K: loss and gradient within 1e-6 of long double, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    check_small_k<float>();
    check_small_k<double>();
  }
}

// A row's bits must not depend on where it sits: in a full batch of lanes or in the padded
// tail, after any first row. Each suffix of the matrix is run on its own and compared.
template <class T>
void check_position_independence(std::size_t cols, bool soft) {
  const std::size_t rows = 45;
  auto z = random_logits<T>(rows, cols, T(-9), T(9), 77);
  z(4, 0) = -std::numeric_limits<T>::infinity();
  z(20, cols - 1) = std::numeric_limits<T>::quiet_NaN();
  z(33, 0) = std::numeric_limits<T>::infinity();
  std::vector<std::int32_t> labels(rows);
  Matrix<T> targets(rows, cols, 5);
  std::vector<T> class_weights(cols), sample_weights(rows);
  for (std::size_t k = 0; k < cols; ++k) class_weights[k] = T(0.5) + T(k % 3);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<std::int32_t>((i * 5) % cols);
    if (i % 7 == 3) labels[i] = -1;
    sample_weights[i] = T(1) + T(i % 4) / T(4);
    for (std::size_t k = 0; k < cols; ++k) targets(i, k) = T(1) / T(cols);
  }
  CrossEntropyOptions<T> options;
  options.reduction = Reduction::none;
  if (!soft) options.ignore_index = -1, options.label_smoothing = 0.05;
  options.class_weights = class_weights;
  auto run = [&](std::size_t first, Matrix<T>& g, std::vector<T>& losses) {
    softmaxkit::MatrixView<const T> part(z.data.data() + first * z.stride, rows - first, cols,
                                         z.stride);
    softmaxkit::MatrixView<T> gradient(g.data.data() + first * g.stride, rows - first, cols,
                                       g.stride);
    CrossEntropyOptions<T> o = options;
    o.sample_weights = std::span<const T>(sample_weights).subspan(first);
    if (soft) {
      softmaxkit::MatrixView<const T> t(targets.data.data() + first * targets.stride, rows - first,
                                        cols, targets.stride);
      softmaxkit::cross_entropy(part, t, o, gradient, std::span<T>(losses).subspan(first));
    } else {
      softmaxkit::cross_entropy(part, std::span<const std::int32_t>(labels).subspan(first), o,
                                gradient, std::span<T>(losses).subspan(first));
    }
  };
  Matrix<T> g0(rows, cols, 2);
  std::vector<T> losses0(rows);
  run(0, g0, losses0);
  auto same_bits = [](T a, T b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0 || (std::isnan(a) && std::isnan(b));
  };
  for (std::size_t first = 1; first < 18; ++first) {
    Matrix<T> g(rows, cols, 2);
    std::vector<T> losses(rows);
    run(first, g, losses);
    bool same = true;
    for (std::size_t i = first; i < rows; ++i) {
      same = same && same_bits(losses[i], losses0[i]);
      for (std::size_t k = 0; k < cols; ++k) same = same && same_bits(g(i, k), g0(i, k));
    }
    INFO("cols " << cols << " soft " << soft << " first row " << first);
    CHECK(same);
  }
  CHECK(std::isnan(losses0[20]));
  CHECK(std::isnan(losses0[33]));
  // Row 4's masked class 0 carries target mass (smoothing, or the uniform soft target): +inf;
  // with K = 1 the row is all -inf (every class masked): +inf as well (kernels.hpp).
  CHECK(losses0[4] == std::numeric_limits<T>::infinity());
}

TEST_CASE("cross_entropy small K: a row's bits do not depend on its position or the tail") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {1, 3, 10, 31}) {
      for (bool soft : {false, true}) {
        check_position_independence<float>(cols, soft);
        check_position_independence<double>(cols, soft);
      }
    }
  }
}

TEST_CASE("cross_entropy: closed forms — equal logits give log K and (1/K - onehot) / N") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {1, 3, 10, 100}) {
      Matrix<double> z(4, cols);
      for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t k = 0; k < cols; ++k) z(i, k) = 1.5;
      std::vector<std::int32_t> labels = {0, static_cast<std::int32_t>(cols - 1), 0, 0};
      Matrix<double> g(4, cols);
      const auto r = softmaxkit::cross_entropy(z.const_view(), labels, {}, g.view());
      CHECK(r.loss == doctest::Approx(std::log(static_cast<double>(cols))).epsilon(1e-15));
      CHECK(r.total_weight == 4.0);
      for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t k = 0; k < cols; ++k)
          CHECK(
              g(i, k) ==
              doctest::Approx((1.0 / static_cast<double>(cols) - (labels[i] == int(k) ? 1 : 0)) / 4)
                  .epsilon(1e-14));
    }
  }
}

// Equal logits with label smoothing: p = 1/K, so row i's loss is s_i A log K (A = sum_k a_k = 1)
// and its gradient s_i (1/K - a_k), whatever eps. Every class then carries target mass and the
// target terms add the most rounding: summed in float over 32 classes they erred 1.008e-6 at
// eps = 0.467 (the rotating seed's case 68 on the small-K path, ahead of the bound's 1e-6).
template <class T>
void check_equal_logits_smoothing(double& worst_loss, double& worst_gradient) {
  std::mt19937 generator(4242);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t cols = 2; cols <= 40; ++cols) {
    const std::size_t rows = 37;  // every lane count's tail
    for (T value : {T(0), T(-3.75), T(1.39984732e32)}) {
      Matrix<T> z(rows, cols);
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < cols; ++k) z(i, k) = value;
      std::vector<std::int32_t> labels(rows);
      std::vector<T> sample_weights(rows);
      for (std::size_t i = 0; i < rows; ++i) {
        labels[i] = static_cast<std::int32_t>(i % cols);
        sample_weights[i] = static_cast<T>(0.25 + 4 * unit(generator));
      }
      for (int trial = 0; trial < 60; ++trial) {
        const double eps = trial == 0 ? 1.0 : trial == 1 ? 0.46713545805200435 : unit(generator);
        CrossEntropyOptions<T> options;
        options.reduction = Reduction::none;
        options.label_smoothing = eps;
        options.sample_weights = sample_weights;
        Matrix<T> g(rows, cols);
        std::vector<T> losses(rows);
        softmaxkit::cross_entropy(z.const_view(), labels, options, g.view(), losses);
        const long double log_k = std::log(static_cast<long double>(cols));
        for (std::size_t i = 0; i < rows; ++i) {
          INFO("K " << cols << " logits " << value << " eps " << eps << " row " << i);
          const long double s = sample_weights[i];
          worst_loss = worse(worst_loss, relative<T>(losses[i], s * log_k));
          for (std::size_t k = 0; k < cols; ++k) {
            const long double a = (1 - static_cast<long double>(eps)) *
                                      (labels[i] == static_cast<std::int32_t>(k) ? 1 : 0) +
                                  static_cast<long double>(eps) / cols;
            const long double p = 1.0L / cols;
            const long double want = s * (p - a), terms = s * (p + a);
            const double error =
                terms == 0 ? (g(i, k) == 0 ? 0.0 : std::numeric_limits<double>::infinity())
                           : static_cast<double>(std::fabs(g(i, k) - want) / terms);
            worst_gradient = worse(worst_gradient, error);
          }
        }
      }
    }
  }
}

TEST_CASE("cross_entropy: equal logits with label smoothing give s log K, K = 2..40, every ISA") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    double worst_loss = 0, worst_gradient = 0;
    check_equal_logits_smoothing<float>(worst_loss, worst_gradient);
    MESSAGE("float: loss " << worst_loss << " relative, gradient " << worst_gradient
                           << " of its terms");
    CHECK(worst_loss <= softmaxkit::kCrossEntropyRelativeBound);
    CHECK(worst_gradient <= softmaxkit::kCrossEntropyRelativeBound);
    worst_loss = worst_gradient = 0;
    check_equal_logits_smoothing<double>(worst_loss, worst_gradient);
    MESSAGE("double: loss " << worst_loss << " relative, gradient " << worst_gradient
                            << " of its terms");
    CHECK(worst_loss <= 1e-13);
    CHECK(worst_gradient <= 1e-13);
  }
}

TEST_CASE("cross_entropy: masked classes, -inf target, +inf and NaN rows, K = 1, zero rows") {
  constexpr float inf = std::numeric_limits<float>::infinity();
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    auto z = random_logits<float>(5, 20, -3.0f, 3.0f, 4);
    z(0, 5) = -inf;  // masked, not the target
    z(1, 3) = -inf;  // the target
    z(2, 7) = inf;
    z(3, 19) = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::int32_t> labels = {2, 3, 1, 1, 0};
    Matrix<float> g(5, 20);
    std::vector<float> losses(5);
    CrossEntropyOptions<float> none;
    none.reduction = Reduction::none;
    softmaxkit::cross_entropy(z.const_view(), labels, none, g.view(), losses);
    const OracleRow row0 = oracle_row(&z(0, 0), 20);
    CHECK(relative<float>(losses[0], -row0.log_softmax(z(0, 2))) <=
          softmaxkit::kCrossEntropyRelativeBound);
    CHECK(g(0, 5) == 0.0f);
    CHECK(losses[1] == inf);
    for (std::size_t i : {2, 3}) {
      CHECK(std::isnan(losses[i]));
      for (std::size_t k = 0; k < 20; ++k) CHECK(std::isnan(g(i, k)));
    }
    const OracleRow row4 = oracle_row(&z(4, 0), 20);
    CHECK(relative<float>(losses[4], -row4.log_softmax(z(4, 0))) <=
          softmaxkit::kCrossEntropyRelativeBound);
    for (std::size_t k = 0; k < 20; ++k) CHECK(std::isfinite(g(4, k)));

    Matrix<float> single(3, 1);
    single(0, 0) = 4.0f, single(1, 0) = -1e30f, single(2, 0) = 0.0f;
    Matrix<float> g1(3, 1);
    const auto r1 = softmaxkit::cross_entropy(single.const_view(),
                                              std::vector<std::int32_t>{0, 0, 0}, {}, g1.view());
    CHECK(r1.loss == 0.0);
    for (std::size_t i = 0; i < 3; ++i) CHECK(g1(i, 0) == 0.0f);

    for (Reduction reduction : {Reduction::none, Reduction::sum, Reduction::mean}) {
      CrossEntropyOptions<float> options;
      options.reduction = reduction;
      const auto r0 = softmaxkit::cross_entropy(softmaxkit::MatrixView<const float>(nullptr, 0, 10),
                                                std::span<const std::int32_t>(), options, {}, {});
      CHECK(r0.loss == 0.0);
      CHECK(r0.total_weight == 0.0);
    }
    // Mean over zero total weight (every row ignored) is 0 with a zero gradient.
    CrossEntropyOptions<float> ignore_all;
    ignore_all.ignore_index = 7;
    Matrix<float> g2(5, 20, 0);
    const auto r2 = softmaxkit::cross_entropy(z.const_view(), std::vector<std::int32_t>(5, 7),
                                              ignore_all, g2.view());
    CHECK(r2.loss == 0.0);
    CHECK(r2.total_weight == 0.0);
    for (float value : g2.data) CHECK((value == 0.0f || std::isnan(value)));
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t k = 0; k < 20; ++k) CHECK(g2(i, k) == 0.0f);
  }
}

TEST_CASE("cross_entropy: invariant to adding a constant to a row") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    auto base = random_logits<double>(30, 12, -6.0, 6.0, 8);
    auto shifted = base;
    for (std::size_t i = 0; i < base.rows; ++i) {
      for (std::size_t k = 0; k < base.cols; ++k) {
        base(i, k) = std::ldexp(std::round(std::ldexp(base(i, k), 30)), -30);
        shifted(i, k) = base(i, k) - 2048.0;
      }
    }
    std::vector<std::int32_t> labels(30);
    for (std::size_t i = 0; i < 30; ++i) labels[i] = static_cast<std::int32_t>(i % 12);
    Matrix<double> g(30, 12), h(30, 12);
    const auto r = softmaxkit::cross_entropy(base.const_view(), labels, {}, g.view());
    const auto s = softmaxkit::cross_entropy(shifted.const_view(), labels, {}, h.view());
    CHECK(r.loss == doctest::Approx(s.loss).epsilon(1e-13));
    for (std::size_t i = 0; i < 30; ++i)
      for (std::size_t k = 0; k < 12; ++k) CHECK(std::fabs(g(i, k) - h(i, k)) <= 1e-15);
  }
}

TEST_CASE("cross_entropy: parallel is bitwise serial for 1, 2, 3 threads; block matches the API") {
  SOFTMAXKIT_FOR_EACH_ISA(isa) {
    for (std::size_t cols : {10, 1000}) {
      const std::size_t rows = cols == 10 ? 9000 : 300;
      const auto z = random_logits<float>(rows, cols, -10.0f, 10.0f, 31);
      std::vector<std::int32_t> labels(rows);
      for (std::size_t i = 0; i < rows; ++i) labels[i] = static_cast<std::int32_t>((i * 7) % cols);
      Matrix<float> g(rows, cols, 0);
      const auto serial = softmaxkit::cross_entropy(z.const_view(), labels, {}, g.view());
      for (int threads : {1, 2, 3}) {
        Matrix<float> gp(rows, cols, 0);
        softmaxkit::CrossEntropyResult parallel;
        tbb::task_arena arena(threads);
        arena.execute([&] {
          parallel = softmaxkit::cross_entropy_parallel(z.const_view(), labels, {}, gp.view());
        });
        CHECK(parallel.loss == serial.loss);
        bool same = true;
        for (std::size_t i = 0; i < rows; ++i)
          for (std::size_t k = 0; k < cols; ++k) same = same && gp(i, k) == g(i, k);
        CHECK(same);
      }
      // The block, in place over a copy, on an arbitrary split: same gradient bits per row, and a
      // row's result does not depend on the block it is in.
      CrossEntropyOptions<float> sum;
      sum.reduction = Reduction::sum;
      Matrix<float> gs(rows, cols, 0);
      const auto summed = softmaxkit::cross_entropy(z.const_view(), labels, sum, gs.view());
      auto work = z;
      double total = 0;
      for (std::size_t first : {std::size_t{0}, std::size_t{3}, rows / 2}) {
        const std::size_t last = first == 0 ? 3 : first == 3 ? rows / 2 : rows;
        softmaxkit::detail::CrossEntropyRows<float> block;
        block.logits = work.view().row(first);
        block.logits_stride = work.stride;
        block.gradient = work.view().row(first);
        block.gradient_stride = work.stride;
        block.rows = last - first;
        block.classes = cols;
        block.labels = labels.data() + first;
        total += softmaxkit::detail::active_kernels<float>().cross_entropy_rows(block);
      }
      CHECK(total == doctest::Approx(summed.loss).epsilon(1e-12));
      bool same = true;
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < cols; ++k) same = same && work(i, k) == gs(i, k);
      CHECK(same);
    }
  }
}

TEST_CASE("cross_entropy: bad arguments name the row or the argument") {
  Matrix<float> z(4, 3);
  for (float& v : z.data) v = 0.5f;
  auto view = z.const_view();
  using softmaxkit::Error;
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 1, 3, 0}),
                       doctest::Contains("labels[2] (row 2) is 3, outside [0, 3)"), Error);
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, -1, 0, 0}),
                       doctest::Contains("row 1"), Error);
  CrossEntropyOptions<float> ignore;
  ignore.ignore_index = -1;
  CHECK_NOTHROW(softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, -1, 0, 0}, ignore));
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 1, 2}),
                       doctest::Contains("labels has 3 elements but must have 4"), Error);
  std::vector<float> weights = {1, 1, -2, 1};
  CrossEntropyOptions<float> negative;
  negative.sample_weights = weights;
  CHECK_THROWS_WITH_AS(
      softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 0, 0, 0}, negative),
      doctest::Contains("sample_weights[2] (row 2)"), Error);
  std::vector<float> class_weights = {1, 2};
  CrossEntropyOptions<float> short_weights;
  short_weights.class_weights = class_weights;
  CHECK_THROWS_WITH_AS(
      softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 0, 0, 0}, short_weights),
      doctest::Contains("class_weights has 2 elements but must have 3"), Error);
  Matrix<float> soft(4, 3);
  for (std::size_t i = 0; i < 4; ++i) soft(i, 0) = 0.5f, soft(i, 1) = 0.25f, soft(i, 2) = 0.25f;
  soft(1, 2) = -0.25f, soft(1, 1) = 0.75f;
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, soft.const_view()),
                       doctest::Contains("targets row 1 has entry 2"), Error);
  soft(1, 2) = 0.25f, soft(1, 1) = 0.25f, soft(3, 0) = 0.9f;
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, soft.const_view()),
                       doctest::Contains("targets row 3 sums to"), Error);
  Matrix<float> wrong(4, 2);
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, wrong.const_view()),
                       doctest::Contains("targets is 4 x 2"), Error);
  Matrix<float> g(3, 3);
  CHECK_THROWS_WITH_AS(
      softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 0, 0, 0}, {}, g.view()),
      doctest::Contains("gradient is 3 x 3"), Error);
  CrossEntropyOptions<float> none;
  none.reduction = Reduction::none;
  CHECK_THROWS_WITH_AS(softmaxkit::cross_entropy(view, std::vector<std::int32_t>{0, 0, 0, 0}, none),
                       doctest::Contains("losses has 0 elements but must have 4"), Error);
}
