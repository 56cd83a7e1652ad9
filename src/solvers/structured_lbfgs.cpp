// Structured L-BFGS with a strong-Wolfe line search (see the header).
#include "solvers/structured_lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "solvers/vector_blocks.hpp"

namespace softmaxkit::solvers_detail {
namespace {

constexpr double c1 = 1e-4, c2 = 0.9;
constexpr int max_trials = 20;
constexpr double max_step = 1e10;
constexpr double noise_level = 1e-7;  // relative rounding level of f assumed by the line search
// Iterations in a row that lower neither f nor the gradient norm below their lowest values so
// far, after which the fit ends as no_progress: near a float objective's optimum f and the slope
// are both rounding, and the approximate Wolfe test (and a too-short step's low end,
// descending_in_noise) then accept steps on noise indefinitely.
constexpr int max_stalled_iterations = 20;

void axpy_into(std::span<const double> x, double alpha, std::span<const double> d,
               FirstTouchVector<double>& out) {
  for_blocks(x.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) out[i] = x[i] + alpha * d[i];
  });
}

void copy_into(std::span<const double> from, std::span<double> to) {
  for_blocks(from.size(), [&](std::size_t begin, std::size_t end) {
    std::copy(from.begin() + begin, from.begin() + end, to.begin() + begin);
  });
}

// Minimiser of the cubic through (a, fa, da) and (b, fb, db), safeguarded to the middle 80 % of
// [min(a, b), max(a, b)]; bisection when the cubic has no usable minimiser.
double interpolate(double a, double fa, double da, double b, double fb, double db) {
  const double lo = std::min(a, b), hi = std::max(a, b), width = hi - lo;
  double t = 0.5 * (a + b);
  if (std::isfinite(fb) && std::isfinite(db)) {
    const double d1 = da + db - 3 * (fa - fb) / (a - b);
    const double disc = d1 * d1 - da * db;
    if (disc >= 0) {
      const double d2 = std::copysign(std::sqrt(disc), b - a);
      const double denom = db - da + 2 * d2;
      if (denom != 0) {
        const double c = b - (b - a) * (db + d2 - d1) / denom;
        if (std::isfinite(c)) t = c;
      }
    }
  } else {
    t = lo + 0.1 * width;  // the far end is non-finite: step back hard toward the good end
    return a < b ? t : hi - 0.1 * width;
  }
  return std::clamp(t, lo + 0.1 * width, hi - 0.1 * width);
}

// gamma = s'y / (y' M^{-1} y) for the newest pair, when its M^{-1} y is computed together with
// the direction's (Metric::apply_pair): y and my are the caller's, neither aliasing q or d.
struct PendingGamma {
  std::span<const double> y;
  std::span<double> my;
  double sy;
};

// The (s, y) pairs are stored as Pair: double, or float where the recursion is memory-bound
// (see float_pairs_above). s'y and the recursion's sums are computed in double either way.
template <class Pair>
class Memory {
 public:
  Memory(std::size_t size, int pairs)
      : size_(size),
        capacity_(static_cast<std::size_t>(pairs)),
        s_(capacity_),
        y_(capacity_),
        rho_(capacity_),
        alpha_(capacity_) {}
  std::size_t count() const { return count_; }
  void clear() { count_ = 0; }
  // Takes s and y by swapping them with the slot's vectors (no copy of two parameter-sized
  // vectors per iteration): the caller's s and y come back holding stale values (or empty).
  void push(FirstTouchVector<Pair>& s, FirstTouchVector<Pair>& y, double sy) {
    const std::size_t slot = (first_ + count_) % capacity_;
    if (count_ == capacity_) {
      first_ = (first_ + 1) % capacity_;
    } else {
      ++count_;
    }
    s_[slot].swap(s);
    y_[slot].swap(y);
    s.resize(size_);
    y.resize(size_);
    rho_[slot] = 1 / sy;
  }
  std::span<const Pair> s(std::size_t slot) const { return s_[slot]; }
  std::span<const Pair> y(std::size_t slot) const { return y_[slot]; }
  // slot of the i-th pair, 0 = oldest
  std::size_t slot(std::size_t i) const { return (first_ + i) % capacity_; }

  // d = -H g with H0 = gamma * M^{-1} (M = I without a metric); returns g'd. With pending,
  // gamma is first set from it (when y'M^{-1}y > 0), M^{-1} y coming from the same
  // apply_pair as the direction's M^{-1} q.
  double direction(std::span<const double> g, double& gamma, Metric* metric,
                   FirstTouchVector<double>& q, std::span<double> d,
                   const PendingGamma* pending = nullptr) {
    // The two-loop recursion over parameter-sized vectors (millions of entries on CSR data) is
    // memory-bound: each update of q (or d) is fused with the dot product the next pair needs,
    // and the last update with g'd, computing the same products and sums in the same order as
    // separate loops would (the same bits), with one pass over the vectors instead of two. q
    // starts as g without a copy: the first update reads g.
    q.resize(size_);
    // Each fused loop runs over the vector in blocks (solvers/vector_blocks.hpp): its dot product
    // is a block_sums reduction, the same bits for any thread count.
    std::span<const double> r = g;  // the recursion's current vector: g, then q
    double sum = 0;
    if (count_ > 0) {
      const auto sk = s(slot(count_ - 1));
      sum = sum_blocks([&](std::size_t j) { return sk[j] * g[j]; });
    }
    for (std::size_t i = count_; i-- > 0;) {
      const std::size_t k = slot(i);
      const double alpha = alpha_[k] = rho_[k] * sum;
      const auto yk = y(k);
      if (i == 0) {
        each_entry([&](std::size_t j) { q[j] = r[j] - alpha * yk[j]; });
        r = q;
        break;
      }
      const auto s_next = s(slot(i - 1));
      sum = sum_blocks([&](std::size_t j) {
        q[j] = r[j] - alpha * yk[j];
        return s_next[j] * q[j];
      });
      r = q;
    }
    if (metric && pending) {
      metric->apply_pair(r, d, pending->y, pending->my);
      const double ymy = dot(pending->y, pending->my);
      if (ymy > 0 && std::isfinite(ymy)) gamma = pending->sy / ymy;
    } else if (metric) {
      metric->apply(r, d);
    } else {
      copy_into(r, d);
    }
    if (count_ == 0) {
      return sum_blocks([&](std::size_t j) {
        d[j] = -(d[j] * gamma);
        return g[j] * d[j];
      });
    }
    const auto y_first = y(slot(0));
    sum = sum_blocks([&](std::size_t j) {
      d[j] *= gamma;
      return y_first[j] * d[j];
    });
    for (std::size_t i = 0;; ++i) {
      const std::size_t k = slot(i);
      const double step = alpha_[k] - rho_[k] * sum;
      const auto sk = s(k);
      if (i + 1 == count_) {
        return sum_blocks([&](std::size_t j) {
          d[j] = -(d[j] + sk[j] * step);
          return g[j] * d[j];
        });
      }
      const auto y_next = y(slot(i + 1));
      sum = sum_blocks([&](std::size_t j) {
        d[j] += sk[j] * step;
        return y_next[j] * d[j];
      });
    }
  }

 private:
  // Sum over j of term(j), which may also update entry j of a vector, in blocks.
  template <class Term>
  double sum_blocks(const Term& term) const {
    return block_sums<1>(size_, [&](std::size_t begin, std::size_t end, auto& sums) {
      double t = 0;
      for (std::size_t j = begin; j < end; ++j) t += term(j);
      sums[0] = t;
    })[0];
  }
  template <class Update>
  void each_entry(const Update& update) const {
    for_blocks(size_, [&](std::size_t begin, std::size_t end) {
      for (std::size_t j = begin; j < end; ++j) update(j);
    });
  }

  std::size_t size_, capacity_, first_ = 0, count_ = 0;
  std::vector<FirstTouchVector<Pair>> s_, y_;  // capacity_ pairs, allocated when first pushed
  std::vector<double> rho_, alpha_;
};

template <class Pair>
StructuredResult run(const Objective& objective, Metric* metric, std::span<double> x_out,
                     const SolverOptions& options, Start start) {
  const std::size_t size = x_out.size();
  // The accepted point lives in the caller's x_out (no copy of it per iteration): the s/y pass
  // below overwrites it in place with the new point, which also keeps solvers.hpp's contract.
  const std::span<double> x = x_out;
  std::vector<double> g = std::move(start.gradient);
  // xlo and glo (the line search's best Armijo point) are allocated when a search first keeps
  // one. Between the s/y pass and the next direction y unrounded and M^{-1} y need two vectors:
  // with double pairs (at most float_pairs_above parameters) they have their own, and M^{-1} y
  // is applied together with the direction's M^{-1} q (Metric::apply_pair: one sweep over a
  // dense metric's eigenbasis for both, 30 % less time at K = 10, n = 784); above, d and q hold
  // them and M^{-1} y is applied alone, since every parameter-sized vector is 20 MB on rcv1's
  // shape and fresh pages cost faults.
  // d, q, xt, s and y (and xlo, y_own) are written in full by blocked loops before they are read.
  const bool pair_apply =
      metric != nullptr && !metric->hessian_scaled() && std::is_same_v<Pair, double>;
  FirstTouchVector<double> d(size), q(size), xt(size), xlo;
  FirstTouchVector<double> y_own(pair_apply ? size : 0), my_own(pair_apply ? size : 0);
  std::vector<double> gt(size), glo, g_block_max(vector_blocks(size));
  FirstTouchVector<double>& y_full = pair_apply ? y_own : d;
  FirstTouchVector<double>& my = pair_apply ? my_own : q;
  PendingGamma pending{};
  bool have_pending = false;
  FirstTouchVector<Pair> s(size), y(size);
  double f = start.smooth_objective, gnorm = start.gradient_norm;
  int evaluations = start.evaluations, iterations = 0;
  Memory<Pair> memory(size, lbfgs_pairs(options));
  double gamma = 1;
  // The stall rule (max_stalled_iterations): the lowest f and gradient norm so far.
  double f_best = f, gnorm_best = gnorm;
  int stalled_iterations = 0;

  auto finish = [&](StopReason reason) {
    return StructuredResult{
        SolverResult{f, gnorm, iterations, evaluations, seconds_since(start.t0), reason},
        metric ? metric->pass_equivalents() : 0.0};
  };
  if (!std::isfinite(f) || !std::isfinite(gnorm)) return finish(StopReason::line_search_failed);
  const double gnorm0 = std::max(start.reference_gradient_norm, std::numeric_limits<double>::min());
  if (metric) metric->update(x, gnorm / gnorm0);

  // d = -H g for the next line search, and dphi0 = g'd < 0.
  double dphi0 = 0;
  auto next_direction = [&] {
    dphi0 = memory.direction(g, gamma, metric, q, d, have_pending ? &pending : nullptr);
    have_pending = false;
    if (!(dphi0 < 0)) {  // rounding in an ill-conditioned memory: restart from the metric alone
      memory.clear();
      dphi0 = memory.direction(g, gamma, metric, q, d);
      if (!(dphi0 < 0)) {
        for (std::size_t i = 0; i < size; ++i) d[i] = -g[i];
        dphi0 = -dot(g, g);
      }
    }
  };
  // The gap test: -g'd / 2 = g'Hg / 2 is the quasi-Newton model's estimate of f - f*.
  const double gap_floor = 1e-3 * std::abs(f);
  next_direction();

  while (true) {
    // Strong-Wolfe search along d from x.
    double lo = 0, f_lo = f, d_lo = dphi0;
    double hi = std::numeric_limits<double>::infinity(), f_hi = 0, d_hi = 0;
    double alpha = 1;
    bool accepted = false, have_lo = false;
    double f_new = f;
    for (int trial = 0; trial < max_trials; ++trial) {
      xt.resize(size);  // after a swap with a not yet allocated xlo
      gt.resize(size);
      axpy_into(x, alpha, d, xt);
      double ft = objective.value_and_gradient(xt, gt);
      ++evaluations;
      double dt = dot(gt, d);
      if (!std::isfinite(ft) || !std::isfinite(dt)) {
        ft = std::numeric_limits<double>::infinity();
        dt = std::numeric_limits<double>::quiet_NaN();
      }
      // Near the optimum of a float objective, rounding in f hides the decrease the Armijo
      // test looks for while the gradient still carries it: accept Hager and Zhang's
      // approximate Wolfe point (f within noise_level |f| of f(x), the slope reduced
      // from dphi0 to within [0.9 dphi0, -0.8 dphi0]), which keeps s'y > 0, wherever the
      // tests on f below would reject it. In double that includes f(x + alpha d) == f(x)
      // exactly (c1 alpha dphi0 below half an ulp of f): Armijo then holds in rounded
      // arithmetic, but "no lower than the best so far" does not, and the search used to
      // backtrack to line_search_failed (iris, no intercept, tol 1e-10: at 4.7e-9).
      if (ft <= f + noise_level * std::abs(f) && dt >= c2 * dphi0 && dt <= -0.8 * dphi0 &&
          (ft > f + c1 * alpha * dphi0 || ft >= f_lo)) {
        accepted = true;
        f_new = ft;
        break;
      }
      // The objective is convex: a slope still below c2 dphi0 at an alpha beyond the low end
      // means f(x + alpha d) < f_lo, so an f a few ulps above f_lo there is rounding, and the
      // step was too short. Backtracking on it ended double tol-1e-10 fits as
      // line_search_failed (a Zen 5 machine, C = 51, gradient 1.25e-10): take it as a low end
      // and extrapolate, as Hager and Zhang's update does (the stall rule ends a fit whose
      // slopes are only noise).
      const bool descending_in_noise =
          alpha > lo && dt < c2 * dphi0 && ft <= f_lo + noise_level * std::abs(f);
      if ((ft > f + c1 * alpha * dphi0 || ft >= f_lo) && !descending_in_noise) {
        hi = alpha, f_hi = ft, d_hi = dt;
      } else {
        if (std::abs(dt) <= -c2 * dphi0) {
          accepted = true;
          f_new = ft;
          break;
        }
        if (dt * (hi - lo) >= 0) hi = lo, f_hi = f_lo, d_hi = d_lo;
        lo = alpha, f_lo = ft, d_lo = dt;
        have_lo = true;
        std::swap(xt, xlo);
        std::swap(gt, glo);
      }
      if (std::isinf(hi)) {
        alpha = std::min(4 * lo, max_step);
        if (alpha == lo) break;
      } else {
        alpha = interpolate(lo, f_lo, d_lo, hi, f_hi, d_hi);
        if (!(std::abs(hi - lo) > 1e-16 * std::max(1.0, std::abs(lo)))) break;
      }
    }
    if (!accepted) {
      if (!have_lo) return finish(StopReason::line_search_failed);
      std::swap(xt, xlo);  // the best point meeting the Armijo condition
      std::swap(gt, glo);
      f_new = f_lo;
    }

    // One pass: the step s, the gradient change y (also unrounded, for gamma), their sums, the
    // new x over the old one in x_out, and the new gradient's largest entries for its norm
    // (exact in any order). With double pairs these are the bits of separate passes. s'y is the
    // stored pair's (a product of two floats is exact in double), so every stored pair has s'y > 0.
    const auto [step2,
                sy] = block_sums<2>(size, [&](std::size_t begin, std::size_t end, auto& sums) {
      double step2_block = 0, sy_block = 0, g_max = 0;
      bool g_nan = false;
      for (std::size_t i = begin; i < end; ++i) {
        const double step = xt[i] - x[i], change = gt[i] - g[i];
        s[i] = static_cast<Pair>(step);
        y[i] = static_cast<Pair>(change);
        y_full[i] = change;
        step2_block += step * step;
        sy_block += static_cast<double>(s[i]) * static_cast<double>(y[i]);
        x_out[i] = xt[i];
        g_max = std::max(g_max, std::abs(gt[i]));
        g_nan |= std::isnan(gt[i]);
      }
      sums = {step2_block, sy_block};
      g_block_max[begin / vector_block] = g_nan ? std::numeric_limits<double>::quiet_NaN() : g_max;
    });
    // The caller's x always holds the last accepted point, also when the objective, the metric
    // or the callback throws later (solvers.hpp's contract): x_out was written above.
    std::swap(g, gt);
    f = f_new;
    gnorm = norm2_given_block_max(g, g_block_max);
    if (f < f_best || gnorm < gnorm_best) {
      f_best = std::min(f_best, f);
      gnorm_best = std::min(gnorm_best, gnorm);
      stalled_iterations = 0;
    } else {
      ++stalled_iterations;
    }
    ++iterations;
    if (metric) metric->update(x, gnorm / gnorm0);
    if (sy > 0 && std::isfinite(sy)) {
      memory.push(s, y, sy);
      double ymy = 0;
      if (metric && metric->hessian_scaled()) {
        ymy = sy;  // gamma = 1
      } else if (pair_apply) {
        pending = {y_full, my, sy};  // gamma is set by next_direction()
        have_pending = true;
      } else if (metric) {
        metric->apply(y_full, my);
        ymy = dot(y_full, my);
      } else {
        ymy = dot(y_full, y_full);
      }
      if (ymy > 0 && std::isfinite(ymy)) gamma = sy / ymy;
    }

    next_direction();
    const bool converged =
        gnorm <= start.threshold &&
        -0.5 * dphi0 <= 0.01 * options.tolerance * std::max(std::abs(f), gap_floor);
    bool keep_going = true;
    if (options.callback) {
      const IterationReport report{
          iterations, f, gnorm, std::sqrt(step2), evaluations, seconds_since(start.t0), x};
      keep_going = options.callback(report);
    }
    if (converged) return finish(StopReason::converged);
    if (!keep_going) return finish(StopReason::callback_stopped);
    if (iterations >= options.max_iterations) return finish(StopReason::max_iterations);
    if (step2 == 0 || stalled_iterations >= max_stalled_iterations) {
      return finish(StopReason::no_progress);
    }
  }
}

}  // namespace

StructuredResult minimize_structured(const Objective& objective, Metric* metric,
                                     std::span<double> x, const SolverOptions& options,
                                     Start start) {
  static_assert(float_pairs_above == vector_block);
  if (x.size() > float_pairs_above) {
    return run<float>(objective, metric, x, options, std::move(start));
  }
  return run<double>(objective, metric, x, options, std::move(start));
}

}  // namespace softmaxkit::solvers_detail
