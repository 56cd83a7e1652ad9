// Randomized differential tests of the row kernels (logsumexp_rows, softmax_rows,
// log_softmax_rows, cross_entropy; serial and _parallel; float and double; every ISA this CPU
// supports) against a long double oracle, over the whole option space: shapes from 1 x 1 to tens
// of thousands of classes, logit scales from 1e-3 to near the type's largest value, confident
// rows, ties, masked classes (-inf) up to whole masked rows, +inf / NaN rows, hard and soft targets
// (one-hot, sparse, dense, on the row maximum), class and sample weights (zeros included), label
// smoothing, ignore_index (also a valid class), every reduction, in place and out of place.
//
// Every check uses the bounds of include/softmaxkit/kernels.hpp. Each case is generated from its
// own seed (base seed, case index); a failure prints both, and SOFTMAXKIT_TEST_SEED=<base> runs
// that base again. The oracle is computed once per case and every ISA is checked against it; the
// _parallel forms must match the serial ones bitwise.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "row_oracle.hpp"
#include "softmaxkit/softmaxkit.hpp"
#include "ulp.hpp"

namespace softmaxkit::testing::randomized {

using Real = long double;

// The seed of the rotating part: SOFTMAXKIT_TEST_SEED if set, else the clock.
inline std::uint64_t rotating_seed() {
  if (const char* text = std::getenv("SOFTMAXKIT_TEST_SEED"); text != nullptr && *text != 0) {
    return std::strtoull(text, nullptr, 0);
  }
  return static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
         1000000007ULL;
}

// Worst errors seen, per metric and (type, ISA); printed at the end so the README's measured
// figures come from these runs.
struct Worst {
  std::map<std::string, double> value;
  std::map<std::string, std::string> where;
  std::size_t cases = 0, rows = 0, elements = 0;
  void note(const std::string& key, double error, const std::string& context) {
    if (!(error <= value[key])) {
      value[key] = error;
      where[key] = context;
    }
  }
};

struct Budget {
  std::size_t cases;         // random cases per type
  std::size_t max_elements;  // rows * cols of one case at most
  std::size_t max_cols;      // widest row
};

// ---- Case generation ----

template <class T>
struct Case {
  Matrix<T> logits{0, 0};
  // cross-entropy options
  bool soft = false;
  std::vector<std::int32_t> labels;
  Matrix<T> targets{0, 0};
  std::vector<T> class_weights, sample_weights;
  double smoothing = 0;
  std::optional<std::int32_t> ignore_index;
  Reduction reduction = Reduction::mean;
  bool in_place = false;      // gradient written over (a copy of) the logits
  bool want_losses = true;    // pass `losses` (always for Reduction::none)
  bool want_gradient = true;  // pass `gradient`
  std::string description;
};

template <class T>
T uniform(std::mt19937_64& g, T low, T high) {
  return std::uniform_real_distribution<T>(low, high)(g);
}
inline bool chance(std::mt19937_64& g, double p) {
  return std::bernoulli_distribution(p)(g);
}
inline std::size_t pick(std::mt19937_64& g, std::size_t low, std::size_t high) {  // [low, high]
  return std::uniform_int_distribution<std::size_t>(low, high)(g);
}
// 10^uniform(low, high)
inline double log_uniform(std::mt19937_64& g, double low, double high) {
  return std::pow(10.0, std::uniform_real_distribution<double>(low, high)(g));
}

template <class T>
Case<T> make_case(std::uint64_t seed, const Budget& budget) {
  std::mt19937_64 g(seed);
  constexpr T inf = std::numeric_limits<T>::infinity();
  constexpr double largest = static_cast<double>(std::numeric_limits<T>::max());
  std::ostringstream what;
  // Shape: classes log-uniform over 1..max_cols, with the edges and the small-K boundary often.
  std::size_t cols;
  switch (pick(g, 0, 9)) {
    case 0:
      cols = 1;
      break;
    case 1:
      cols = pick(g, 2, 40);
      break;  // around the small-K tile (32)
    case 2:
      cols = budget.max_cols;
      break;
    default:
      cols = static_cast<std::size_t>(log_uniform(g, 0, std::log10(double(budget.max_cols))));
  }
  cols = std::clamp<std::size_t>(cols, 1, budget.max_cols);
  const std::size_t max_rows = std::max<std::size_t>(1, budget.max_elements / cols);
  std::size_t rows = chance(g, 0.15) ? 1 : pick(g, 1, std::min<std::size_t>(max_rows, 67));
  Case<T> c;
  c.logits = Matrix<T>(rows, cols, pick(g, 0, 3));
  // Logit scale: 1e-3 up to near the largest finite value (double: sometimes only to float's).
  const double top = std::is_same_v<T, float> || chance(g, 0.5) ? 3.4e38 : 1e307;
  const double scale_exponent_top = std::log10(top);
  what << rows << "x" << cols;
  for (std::size_t i = 0; i < rows; ++i) {
    T* z = &c.logits(i, 0);
    const double scale = chance(g, 0.1) ? top : log_uniform(g, -3, scale_exponent_top);
    const auto s = static_cast<T>(std::min(scale, largest));
    const std::size_t pattern = pick(g, 0, 8);
    for (std::size_t k = 0; k < cols; ++k) z[k] = uniform<T>(g, -s, s);
    if (pattern == 1 && s < T(1e6)) {  // a large common offset over a small spread
      const T offset = static_cast<T>(log_uniform(g, 0, std::min(30.0, scale_exponent_top))) *
                       (chance(g, 0.5) ? T(1) : T(-1));
      for (std::size_t k = 0; k < cols; ++k) z[k] = z[k] + offset;
    } else if (pattern == 2 && s < T(1e30)) {  // confident: one or two entries far above the rest
      const std::size_t winners = pick(g, 1, 2);
      const T lead = s + uniform<T>(g, T(5), std::is_same_v<T, float> ? T(80) : T(700));
      for (std::size_t w = 0; w < winners; ++w) z[pick(g, 0, cols - 1)] = lead;
    } else if (pattern == 3) {  // ties at the maximum
      const T top_value = *std::max_element(z, z + cols);
      const std::size_t ties = pick(g, 1, std::min<std::size_t>(cols, 5));
      for (std::size_t t = 0; t < ties; ++t) z[pick(g, 0, cols - 1)] = top_value;
    } else if (pattern == 4) {  // extremes: entries near +-max
      for (std::size_t k = 0; k < cols; ++k)
        if (chance(g, 0.3))
          z[k] = static_cast<T>(largest * uniform<double>(g, 0.5, 1.0) *
                                (chance(g, 0.5) ? 1.0 : -1.0));
    } else if (pattern == 5) {  // all equal
      for (std::size_t k = 0; k < cols; ++k) z[k] = z[0];
    } else if (pattern == 7) {  // small integers: ties at several levels (quantized logits)
      const auto span = static_cast<std::size_t>(std::min(s, T(64))) + 1;
      for (std::size_t k = 0; k < cols; ++k)
        z[k] =
            static_cast<T>(static_cast<double>(pick(g, 0, 2 * span)) - static_cast<double>(span));
    } else if (pattern == 6 && s < T(1e6)) {  // confident over many equal runners-up
      const T gap = uniform<T>(g, T(1), T(40));
      for (std::size_t k = 0; k < cols; ++k) z[k] = s - gap;
      z[pick(g, 0, cols - 1)] = s;
    }
    // Masked classes: one, a fraction, all but one, or all.
    if (chance(g, 0.3)) {
      switch (pick(g, 0, 4)) {
        case 0:
          z[pick(g, 0, cols - 1)] = -inf;
          break;
        case 1:
          for (std::size_t k = 0; k < cols; ++k)
            if (chance(g, 0.3)) z[k] = -inf;
          break;
        case 2: {
          const std::size_t keep = pick(g, 0, cols - 1);
          for (std::size_t k = 0; k < cols; ++k)
            if (k != keep) z[k] = -inf;
          break;
        }
        case 3:
          if (chance(g, 0.3))
            for (std::size_t k = 0; k < cols; ++k) z[k] = -inf;
          break;
        default:
          z[cols - 1] = -inf;
      }
    }
    if (chance(g, 0.02))
      z[pick(g, 0, cols - 1)] = chance(g, 0.5) ? inf : std::numeric_limits<T>::quiet_NaN();
  }
  // Cross-entropy options.
  c.soft = chance(g, 0.4);
  c.reduction = static_cast<Reduction>(pick(g, 0, 2));
  const double smoothing_roll = uniform<double>(g, 0, 1);
  c.smoothing = smoothing_roll < 0.5    ? 0.0
                : smoothing_roll < 0.9  ? uniform<double>(g, 0, 1)
                : smoothing_roll < 0.95 ? 1.0
                                        : 1e-6;
  if (chance(g, 0.4)) {
    for (std::size_t k = 0; k < cols; ++k)
      c.class_weights.push_back(chance(g, 0.1) ? T(0) : uniform<T>(g, T(0.05), T(3)));
  }
  if (chance(g, 0.4)) {
    for (std::size_t i = 0; i < rows; ++i)
      c.sample_weights.push_back(chance(g, 0.1) ? T(0) : uniform<T>(g, T(0.05), T(3)));
  }
  c.labels.assign(rows, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    const T* z = &c.logits(i, 0);
    // Often the row's maximum (a confident, correct prediction), else any class.
    if (chance(g, 0.4)) {
      c.labels[i] = static_cast<std::int32_t>(std::max_element(z, z + cols) - z);
    } else {
      c.labels[i] = static_cast<std::int32_t>(pick(g, 0, cols - 1));
    }
  }
  if (!c.soft && chance(g, 0.3)) {
    c.ignore_index = chance(g, 0.5) ? -100 : static_cast<std::int32_t>(pick(g, 0, cols - 1));
    for (std::size_t i = 0; i < rows; ++i)
      if (chance(g, 0.2)) c.labels[i] = *c.ignore_index;
  }
  if (c.soft) {
    c.targets = Matrix<T>(rows, cols, pick(g, 0, 2));
    for (std::size_t i = 0; i < rows; ++i) {
      T* q = &c.targets(i, 0);
      const T* z = &c.logits(i, 0);
      std::fill(q, q + cols, T(0));
      const std::size_t kind = pick(g, 0, 4);
      if (kind == 0) {  // one-hot (on the label: often the maximum)
        q[c.labels[i]] = T(1);
        continue;
      }
      double total = 0;
      for (std::size_t k = 0; k < cols; ++k) {
        T value = T(0);
        if (kind == 1)
          value =
              chance(g, 0.05) || k == std::size_t(c.labels[i]) ? uniform<T>(g, T(0), T(1)) : T(0);
        if (kind == 2) value = uniform<T>(g, T(0), T(1));
        if (kind == 3) value = T(1);
        if (kind == 4)
          value = k == std::size_t(c.labels[i]) ? T(1000) : uniform<T>(g, T(0), T(1e-3));
        // Mostly no target mass on masked classes (that would make the loss +inf).
        if (z[k] == -inf && chance(g, 0.8)) value = T(0);
        q[k] = value;
        total += value;
      }
      if (total == 0) {
        q[c.labels[i]] = T(1);
        continue;
      }
      for (std::size_t k = 0; k < cols; ++k) q[k] = static_cast<T>(q[k] / total);
    }
  }
  c.in_place = chance(g, 0.2);
  c.want_gradient = !chance(g, 0.1);
  c.want_losses = c.reduction == Reduction::none || !chance(g, 0.2);
  what << (c.soft ? " soft" : " hard") << " reduction " << static_cast<int>(c.reduction)
       << " smoothing " << c.smoothing << (c.class_weights.empty() ? "" : " class_weights")
       << (c.sample_weights.empty() ? "" : " sample_weights")
       << (c.ignore_index ? " ignore_index " + std::to_string(*c.ignore_index) : std::string())
       << (c.in_place ? " in_place" : "");
  c.description = what.str();
  return c;
}

// ---- The long double oracle ----

struct RowTruth {
  bool poisoned = false;      // holds +inf or NaN
  bool all_masked = false;    // every entry -inf
  Real max = 0, log_sum = 0;  // log sum_k exp(z_k - max), formed as log1p((ties - 1) + rest)
  // The same with exp taken at z_k - max rounded to T (d_k), as cross_entropy's bounds are
  // stated (kernels.hpp); the other kernels' bounds hold for the exact differences.
  Real log_sum_rounded = 0;
  template <class T>
  Real softmax_rounded(T z) const {
    if (z == -std::numeric_limits<T>::infinity()) return 0;
    return std::exp(static_cast<Real>(static_cast<T>(z - static_cast<T>(max))) - log_sum_rounded);
  }
  Real logsumexp() const {
    return all_masked ? -std::numeric_limits<Real>::infinity() : max + log_sum;
  }
  Real log_softmax(Real z) const { return (z - max) - log_sum; }
  Real softmax(Real z) const {
    return z == -std::numeric_limits<Real>::infinity() ? 0 : std::exp((z - max) - log_sum);
  }
};

template <class T>
RowTruth row_truth(const T* z, std::size_t cols) {
  RowTruth r;
  r.max = -std::numeric_limits<Real>::infinity();
  for (std::size_t k = 0; k < cols; ++k) {
    if (std::isnan(z[k]) || z[k] == std::numeric_limits<T>::infinity()) r.poisoned = true;
    r.max = std::fmax(r.max, static_cast<Real>(z[k]));
  }
  if (r.poisoned) return r;
  if (r.max == -std::numeric_limits<Real>::infinity()) {
    r.all_masked = true;
    return r;
  }
  Real ties = 0, rest = 0, rest_rounded = 0;
  const T max = static_cast<T>(r.max);
  for (std::size_t k = 0; k < cols; ++k) {
    const Real value = z[k];
    if (value == r.max) {
      ties += 1;
    } else {
      rest += std::exp(value - r.max);
      rest_rounded += std::exp(static_cast<Real>(static_cast<T>(z[k] - max)));
    }
  }
  r.log_sum = std::log1p((ties - 1) + rest);
  r.log_sum_rounded = std::log1p((ties - 1) + rest_rounded);
  return r;
}

// Loss within e relative plus m absolute; beyond T's range, +inf is the right answer.
// |got - want| <= e max(|want|, floor) + absolute; error: the left side over max(|want|, floor).
template <class T>
bool loss_within(T got, Real want, Real floor, Real absolute, double& error) {
  error = 0;
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == static_cast<T>(want);
  const Real largest = std::numeric_limits<T>::max();
  if (std::fabs(want) > largest * (1 - 1e-6L) && std::isinf(got)) return true;
  const Real magnitude = std::fmax(std::fabs(want), floor);
  const Real difference = std::fabs(static_cast<Real>(got) - want);
  // Reported: the relative part of the error, beyond the absolute allowance.
  error = static_cast<double>(std::fmax(difference - absolute, Real(0)) /
                              std::fmax(magnitude, Real(1e-300)));
  return difference <= kCrossEntropyRelativeBound * magnitude + absolute;
}

template <class T>
std::string type_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

// Reports at most a few failures per test (the count is checked at the end).
struct Failures {
  std::size_t count = 0;
  std::map<std::string, std::size_t> kinds;  // by the message's first words
  void fail(const std::string& message) {
    std::string kind = message.substr(0, message.find(','));
    for (char& ch : kind)
      if ((ch >= '0' && ch <= '9') || ch == '.' || ch == '+' || ch == 'e') ch = '#';
    const std::size_t seen = ++kinds[kind.substr(0, 60)];
    if (++count <= 200 && seen <= 1) FAIL_CHECK(message);
  }
  ~Failures() {
    for (const auto& [kind, n] : kinds) MESSAGE("failures of kind '" << kind << "': " << n);
  }
};

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0 || (std::isnan(a) && std::isnan(b));
}

// ---- logsumexp, softmax, log_softmax ----

template <class T>
void check_row_kernels(const Case<T>& c, const std::vector<RowTruth>& truth, const std::string& tag,
                       Worst& worst, Failures& failures) {
  const auto& z = c.logits;
  const std::size_t rows = z.rows, cols = z.cols;
  std::vector<T> lse(rows), lse_parallel(rows);
  softmaxkit::logsumexp_rows(z.const_view(), std::span<T>(lse));
  softmaxkit::logsumexp_rows_parallel(z.const_view(), std::span<T>(lse_parallel));
  Matrix<T> p(rows, cols, 2), l(rows, cols, 1), pp(rows, cols, 2), lp(rows, cols, 1);
  if (c.in_place) {  // in place over copies
    p = z, l = z;
    softmaxkit::softmax_rows(p.view());
    softmaxkit::log_softmax_rows(l.view());
  } else {
    softmaxkit::softmax_rows(z.const_view(), p.view());
    softmaxkit::log_softmax_rows(z.const_view(), l.view());
  }
  softmaxkit::softmax_rows_parallel(z.const_view(), pp.view());
  softmaxkit::log_softmax_rows_parallel(z.const_view(), lp.view());
  for (std::size_t i = 0; i < rows; ++i) {
    const RowTruth& r = truth[i];
    const std::string where = tag + " row " + std::to_string(i);
    if (!same_bits(lse[i], lse_parallel[i]))
      failures.fail("logsumexp parallel != serial, " + where);
    // logsumexp
    if (r.poisoned) {
      if (!std::isnan(lse[i])) failures.fail("logsumexp of a +inf/NaN row is not NaN, " + where);
    } else if (r.all_masked) {
      if (lse[i] != -std::numeric_limits<T>::infinity())
        failures.fail("logsumexp of an all -inf row is not -inf, " + where);
    } else {
      const double error = ulp_error_floor_one(lse[i], r.logsumexp());
      worst.note("logsumexp ulp", error, where);
      if (!(error <= kLogSumExpUlpBound))
        failures.fail("logsumexp " + std::to_string(error) + " ULP, " + where);
    }
    Real sum = 0;
    double row_softmax = 0, row_log = 0;
    bool nan_row = true, parallel_same = true;
    for (std::size_t k = 0; k < cols; ++k) {
      parallel_same = parallel_same && same_bits(p(i, k), pp(i, k)) && same_bits(l(i, k), lp(i, k));
      nan_row = nan_row && std::isnan(p(i, k)) && std::isnan(l(i, k));
      if (r.poisoned || r.all_masked) continue;
      const Real zk = z(i, k);
      const double e_p = static_cast<double>(std::fabs(static_cast<Real>(p(i, k)) - r.softmax(zk)));
      const double e_l = ulp_error_floor_one(l(i, k), r.log_softmax(zk));
      row_softmax = std::fmax(row_softmax, std::isnan(e_p) ? 1e300 : e_p);
      row_log = std::fmax(row_log, e_l);
      sum += p(i, k);
    }
    if (!parallel_same) failures.fail("softmax/log_softmax parallel != serial, " + where);
    if (r.poisoned || r.all_masked) {
      if (!nan_row)
        failures.fail("softmax/log_softmax of a +inf/NaN/all -inf row not NaN, " + where);
      continue;
    }
    const double row_sum = static_cast<double>(std::fabs(sum - 1));
    worst.note("softmax abs", row_softmax, where);
    worst.note("log_softmax ulp", row_log, where);
    worst.note("softmax row sum", row_sum, where);
    if (!(row_softmax <= kSoftmaxAbsoluteBound<T>))
      failures.fail("softmax abs error " + std::to_string(row_softmax / kSoftmaxAbsoluteBound<T>) +
                    " x bound, " + where);
    if (!(row_log <= kLogSoftmaxUlpBound))
      failures.fail("log_softmax " + std::to_string(row_log) + " ULP, " + where);
    if (!(row_sum <= kSoftmaxRowSumBound<T>))
      failures.fail("softmax row sum off by " + std::to_string(row_sum) + ", " + where);
  }
}

// ---- cross_entropy ----

template <class T>
struct CrossEntropyTruth {
  std::vector<Real> losses;    // s_i * loss_i
  std::vector<Real> gradient;  // rows x cols
  std::vector<Real> terms;     // s_i sigma (A p + a)
  // Absolute allowances (kernels.hpp): exp results below about 1.5 x the smallest normal are
  // flushed to 0; mu = 2 x the smallest normal.
  std::vector<Real> gradient_absolute;  // mu (1 + s_i sigma A_i)
  std::vector<Real> loss_absolute;      // mu (1 + K s_i A_i)
  Real reduced_absolute = 0;            // sigma sum_i mu (1 + K s_i A_i)
  Real loss = 0, total_weight = 0;
};

template <class T>
CrossEntropyTruth<T> cross_entropy_truth(const Case<T>& c, const std::vector<RowTruth>& truth) {
  constexpr Real inf = std::numeric_limits<Real>::infinity();
  const auto& z = c.logits;
  const std::size_t rows = z.rows, cols = z.cols;
  const Real eps = c.smoothing;
  CrossEntropyTruth<T> o;
  o.losses.assign(rows, 0);
  o.gradient.assign(rows * cols, 0);
  o.terms.assign(rows * cols, 0);
  const Real m = 2 * static_cast<Real>(std::numeric_limits<T>::min());  // kernels.hpp's mu
  o.gradient_absolute.assign(rows, m);
  o.loss_absolute.assign(rows, m);
  auto ignored = [&](std::size_t i) {
    return !c.soft && c.ignore_index && c.labels[i] == *c.ignore_index;
  };
  auto sample = [&](std::size_t i) -> Real {
    return c.sample_weights.empty() ? 1 : c.sample_weights[i];
  };
  auto klass = [&](std::size_t k) -> Real {
    return c.class_weights.empty() ? 1 : c.class_weights[k];
  };
  for (std::size_t i = 0; i < rows; ++i) {
    if (ignored(i)) continue;
    o.total_weight += c.soft ? sample(i) : sample(i) * klass(c.labels[i]);
  }
  const Real sigma =
      c.reduction == Reduction::mean ? (o.total_weight > 0 ? 1 / o.total_weight : 0) : 1;
  std::vector<Real> a(cols);
  for (std::size_t i = 0; i < rows; ++i) {
    if (ignored(i)) continue;
    const RowTruth& r = truth[i];
    Real mass = 0;
    for (std::size_t k = 0; k < cols; ++k) {
      const Real q =
          c.soft ? static_cast<Real>(c.targets(i, k)) : (std::size_t(c.labels[i]) == k ? 1 : 0);
      a[k] = klass(k) * ((1 - eps) * q + eps / static_cast<Real>(cols));
      mass += a[k];
    }
    o.gradient_absolute[i] = m * (1 + sample(i) * sigma * mass);
    o.loss_absolute[i] = m * (1 + static_cast<Real>(cols) * sample(i) * mass);
    o.reduced_absolute += sigma * o.loss_absolute[i];
    if (r.poisoned) {
      o.losses[i] = std::numeric_limits<Real>::quiet_NaN();
      for (std::size_t k = 0; k < cols; ++k) o.gradient[i * cols + k] = o.losses[i];
      continue;
    }
    Real loss = 0;
    for (std::size_t k = 0; k < cols; ++k) {
      if (a[k] == 0) continue;
      // A target on a masked class, or any target in an all -inf row: +inf.
      loss += (r.all_masked || z(i, k) == -std::numeric_limits<T>::infinity())
                  ? inf
                  : a[k] * (r.log_sum_rounded + (r.max - static_cast<Real>(z(i, k))));
    }
    // double: the row's loss before its sample weight is a double too (beyond range: +inf).
    if (std::is_same_v<T, double> && loss > std::numeric_limits<double>::max()) loss = inf;
    o.losses[i] = sample(i) * loss;
    for (std::size_t k = 0; k < cols; ++k) {
      // all masked: no probability anywhere
      const Real pk = r.all_masked ? 0 : r.softmax_rounded(z(i, k));
      o.gradient[i * cols + k] = sample(i) * sigma * (mass * pk - a[k]);
      o.terms[i * cols + k] = sample(i) * sigma * (mass * pk + a[k]);
    }
  }
  for (Real value : o.losses) o.loss += value;
  // The sum is a double before the mean's scaling (beyond range: +inf).
  if (o.loss > std::numeric_limits<double>::max()) o.loss = inf;
  o.loss *= sigma;
  return o;
}

template <class T>
void check_cross_entropy(const Case<T>& c, const CrossEntropyTruth<T>& o, const std::string& tag,
                         Worst& worst, Failures& failures) {
  const auto& z = c.logits;
  const std::size_t rows = z.rows, cols = z.cols;
  CrossEntropyOptions<T> options;
  options.reduction = c.reduction;
  options.ignore_index = c.ignore_index;
  options.label_smoothing = c.smoothing;
  options.class_weights = c.class_weights;
  options.sample_weights = c.sample_weights;
  auto run = [&](bool parallel, Matrix<T>& gradient, std::vector<T>& losses) {
    MatrixView<const T> logits = z.const_view();
    MatrixView<T> g;
    if (c.in_place) {
      gradient = z;  // the gradient overwrites (a copy of) the logits
      logits = gradient.const_view();
    }
    if (c.want_gradient) g = gradient.view();
    std::span<T> l = c.want_losses ? std::span<T>(losses) : std::span<T>();
    if (c.soft) {
      return parallel
                 ? softmaxkit::cross_entropy_parallel(logits, c.targets.const_view(), options, g, l)
                 : softmaxkit::cross_entropy(logits, c.targets.const_view(), options, g, l);
    }
    return parallel ? softmaxkit::cross_entropy_parallel(
                          logits, std::span<const std::int32_t>(c.labels), options, g, l)
                    : softmaxkit::cross_entropy(logits, std::span<const std::int32_t>(c.labels),
                                                options, g, l);
  };
  Matrix<T> gradient(rows, cols, 1), gradient_parallel(rows, cols, 1);
  std::vector<T> losses(rows), losses_parallel(rows);
  const auto result = run(false, gradient, losses);
  const auto parallel = run(true, gradient_parallel, losses_parallel);
  if (!same_bits(result.loss, parallel.loss))
    failures.fail("cross_entropy parallel loss != serial, " + tag);
  bool parallel_same = true;
  for (std::size_t i = 0; i < rows; ++i) {
    parallel_same = parallel_same && (!c.want_losses || same_bits(losses[i], losses_parallel[i]));
    for (std::size_t k = 0; k < cols && c.want_gradient; ++k)
      parallel_same = parallel_same && same_bits(gradient(i, k), gradient_parallel(i, k));
  }
  if (!parallel_same) failures.fail("cross_entropy parallel != serial, " + tag);
  if (!(std::fabs(result.total_weight - static_cast<double>(o.total_weight)) <=
        1e-12 * static_cast<double>(o.total_weight)))
    failures.fail("cross_entropy total_weight " + std::to_string(result.total_weight) + ", " + tag);
  double error = 0;
  // The reduced loss (double): e relative (+ the rows' absolute allowances).
  if (!loss_within<double>(result.loss, o.loss, Real(0), o.reduced_absolute, error)) {
    std::ostringstream m;
    m << std::setprecision(17) << "cross_entropy loss " << result.loss << " want "
      << static_cast<double>(o.loss) << " (" << error << " relative), " << tag;
    failures.fail(m.str());
  }
  worst.note("cross_entropy loss", error, tag);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::string where = tag + " row " + std::to_string(i);
    if (c.want_losses) {
      if (!loss_within(losses[i], o.losses[i], Real(0), o.loss_absolute[i], error)) {
        std::ostringstream m;
        m << std::setprecision(std::numeric_limits<T>::max_digits10) << "cross_entropy row loss "
          << losses[i] << " want " << static_cast<double>(o.losses[i]) << " (" << error
          << " relative), " << where;
        failures.fail(m.str());
      }
      worst.note("cross_entropy row loss", error, where);
    }
    if (!c.want_gradient) continue;
    double row_worst = 0;
    for (std::size_t k = 0; k < cols; ++k) {
      const Real want = o.gradient[i * cols + k];
      const T got = gradient(i, k);
      if (std::isnan(want)) {
        if (!std::isnan(got)) failures.fail("cross_entropy gradient not NaN, " + where);
        continue;
      }
      const Real magnitude = std::fmax(std::fabs(want), o.terms[i * cols + k]);
      const Real difference = std::fabs(static_cast<Real>(got) - want);
      const double e =
          static_cast<double>(std::fmax(difference - o.gradient_absolute[i], Real(0)) /
                              std::fmax(magnitude, Real(std::numeric_limits<T>::min())));
      row_worst = std::fmax(row_worst, std::isnan(e) ? 1e300 : e);
      if (!(difference <= kCrossEntropyRelativeBound * magnitude + o.gradient_absolute[i])) {
        std::ostringstream m;
        m << "cross_entropy gradient[" << k << "] " << got << " want " << static_cast<double>(want)
          << " (terms " << static_cast<double>(o.terms[i * cols + k]) << "), " << where;
        failures.fail(m.str());
      }
    }
    worst.note("cross_entropy gradient", row_worst, where);
  }
}

// Runs `budget.cases` cases from `base_seed` for type T on every supported ISA.
template <class T>
void run_cases(std::uint64_t base_seed, const Budget& budget, Worst& worst_all,
               Failures& failures) {
  for (std::size_t index = 0; index < budget.cases; ++index) {
    const std::uint64_t seed = base_seed * 1000003ULL + index;
    const Case<T> c = make_case<T>(seed, budget);
    std::vector<RowTruth> truth(c.logits.rows);
    for (std::size_t i = 0; i < c.logits.rows; ++i)
      truth[i] = row_truth(&c.logits.data[i * c.logits.stride], c.logits.cols);
    const auto ce = cross_entropy_truth(c, truth);
    ++worst_all.cases;
    worst_all.rows += c.logits.rows;
    worst_all.elements += c.logits.rows * c.logits.cols;
    for (Isa isa : supported_isas()) {
      ScopedIsa scoped(isa);
      std::ostringstream tag;
      tag << type_name<T>() << " " << to_string(isa) << " base seed " << base_seed << " case "
          << index << " (" << c.description << ")";
      Worst& worst = worst_all;
      const std::string prefix = type_name<T>() + " " + std::string(to_string(isa)) + " ";
      Worst local;
      check_row_kernels(c, truth, tag.str(), local, failures);
      check_cross_entropy(c, ce, tag.str(), local, failures);
      for (const auto& [key, value] : local.value)
        worst.note(prefix + key, value, local.where[key]);
    }
  }
}

inline void report(const Worst& worst, const std::string& title) {
  std::ostringstream m;
  m << title << ": " << worst.cases << " cases (" << worst.rows << " rows, " << worst.elements
    << " logits) per ISA";
  for (const auto& [key, value] : worst.value)
    m << "\n  " << key << ": " << value << "  [" << worst.where.at(key) << "]";
  MESSAGE(m.str());
}

}  // namespace softmaxkit::testing::randomized
