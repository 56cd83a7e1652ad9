// Newton-CG: truncated Newton in a trust region, subproblems solved by Steihaug-Toint CG
// (Nocedal & Wright, Algorithms 4.1 and 7.2).
//
// Why a trust region rather than the line-search Newton-CG of scikit-learn: Steihaug CG copes
// with indefinite or singular Hessians (Rosenbrock away from its minimum; an unregularised softmax
// model, whose Hessian is singular along the redundant class direction) by stopping on the
// boundary along the offending direction, and the radius bounds every step. A line-search variant
// has to abandon CG at the first non-positive curvature and can propose huge steps along nearly
// flat directions, which the line search must then backtrack through.
//
// Preconditioning (options.preconditioner, a fixed positive diagonal M ~ diag(H); empty = none):
// the subproblems are solved by preconditioned Steihaug CG and the trust region is the ellipsoid
// ||p||_M = sqrt(p.M p) <= radius, equivalently plain Steihaug on the scaled variables M^{1/2} p.
// Every radius quantity uses that one norm: the initial radius max(1, ||x0||_M), the shrink
// min(radius, ||p||_M) after a poor step, the boundary test for growth. So M should approximate the
// Hessian diagonal in scale, not only in shape (||p||_M^2 ~ p.H p, twice the model change). The
// no_progress test asks whether the longest axis of the ellipsoid, radius * max_i m_i^{-1/2}, is
// below rounding level of x. Without a preconditioner M = I and all of this is the plain method.
//
// Contract: needs objective.hessian_vector. Each outer iteration solves one subproblem to the
// relative residual ||r||_{M^{-1}} <= eta ||g||_{M^{-1}}, eta = min(0.5, sqrt(||g||_2)) (forcing
// sequence, N&W 7.1; residuals in the M^{-1}-norm, the norm preconditioned CG monitors for free
// as sqrt(r.M^{-1}r), and in which the ratio is invariant to rescaling M), at most
// min(max(2n, 10), 200) products, evaluates the trial point, and accepts it when the
// actual/predicted reduction ratio exceeds 1e-4 (or, once the predicted reduction is below
// rounding level of f, when the gradient norm decreases).
// Hessian-vector products are only requested at the current point right after value_and_gradient
// was called there; after a rejected trial the current point is re-evaluated (and counted) first.
// Every outer iteration counts, accepted or not (a rejected one reports step 0).
// Stopping rule, checked after each iteration: converged (||g|| <= tolerance * max(1, ||g0||)),
// then callback_stopped, then no_progress (radius below rounding level of x, or the stall rule
// below), then max_iterations.
// The stall rule: max_stalled_iterations accepted steps in a row that neither lower f below its
// lowest value so far nor halve ||g|| since the last step that did (with the exception below).
// Below rounding level of f a step is accepted when it lowers ||g|| at all, and on raw 0..16
// digit pixels with an intercept (tol 1e-12, double) such steps took ||g|| from 8.2e-11 to
// 2.5e-11 by about 1 % each, f unchanged to the last ulp, until max_iterations (3000 iterations);
// an accepted step above rounding level lowers f. Rejected steps are the radius rule's, and a
// step that grows the radius above every radius since the last progress (the region doubling
// towards a distant minimum while a large f hides the decrease: f = 1e30 + (x - 1e9)^2 / 2e6
// from x = 0) neither counts nor resets; in the creep the radius rises and falls, rejected
// steps shrinking it 4x, and rarely reaches a new high.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "solver_common.hpp"
#include "steihaug_cg.hpp"

namespace softmaxkit::solvers_detail {

namespace {
constexpr double kAcceptRatio = 1e-4;
constexpr double kShrinkRatio = 0.25, kGrowRatio = 0.75;
constexpr int kMaxCgIterations = 200;  // per subproblem, as scikit-learn's maxinner
constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr int max_stalled_iterations = 20;
}  // namespace

SolverResult minimize_newton_cg(const Objective& objective, std::span<double> x,
                                const SolverOptions& options, Start start) {
  const std::size_t n = x.size();
  std::vector<double> g = std::move(start.gradient), p(n), x_trial(n), g_trial(n);
  double f = start.objective;
  double gnorm = start.gradient_norm;
  int evaluations = start.evaluations;
  std::vector<double> m_inv(options.preconditioner.size());
  // max_i m_i^{-1/2}: the Euclidean length of the longest semi-axis of the unit M-ball.
  double max_axis = m_inv.empty() ? 1.0 : 0.0;
  for (std::size_t i = 0; i < m_inv.size(); ++i) {
    m_inv[i] = 1 / options.preconditioner[i];
    max_axis = std::max(max_axis, std::sqrt(m_inv[i]));
  }
  const DiagonalMetric metric{options.preconditioner, m_inv};
  double radius = std::max(1.0, metric.norm(x));
  const double max_radius = 1e10 * radius;
  const int max_cg =
      static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(2 * n, 10), kMaxCgIterations));
  bool evaluated_at_x = true;  // was the last value_and_gradient call at x?
  const HessianVectorProduct hessian_vector = [&](std::span<const double> v, std::span<double> hv) {
    objective.hessian_vector(x, v, hv);
  };

  int iteration = 0;
  StopReason reason = StopReason::max_iterations;
  // The stall rule's marks: the lowest f so far, ||g|| when f or ||g|| last made progress.
  double f_best = f, gnorm_mark = gnorm, radius_high = radius;
  int stalled_iterations = 0;
  while (iteration < options.max_iterations) {
    if (!evaluated_at_x) {
      f = objective.value_and_gradient(x, g);
      ++evaluations;
      gnorm = norm2(g);
      evaluated_at_x = true;
    }
    ++iteration;
    const double eta = std::min(0.5, std::sqrt(gnorm));
    const double g_dual = metric.identity() ? gnorm : metric.dual_norm(g);  // ||g||_{M^{-1}}
    const SteihaugResult sub =
        steihaug_cg(hessian_vector, g, metric, radius, eta * g_dual, max_cg, p);
    evaluations += sub.products;
    const double step_norm = norm2(p);  // Euclidean, for the report
    if (!std::isfinite(step_norm)) {
      // A NaN/inf Hessian-vector product: no trust radius can make the model usable.
      reason = StopReason::nan;
      break;
    }

    for (std::size_t i = 0; i < n; ++i) x_trial[i] = x[i] + p[i];
    const double f_trial = objective.value_and_gradient(x_trial, g_trial);
    ++evaluations;
    evaluated_at_x = false;
    const double gnorm_trial = norm2(g_trial);

    bool accept = false;
    double rho = -std::numeric_limits<double>::infinity();
    if (std::isfinite(f_trial) && std::isfinite(gnorm_trial) && sub.model_decrease > 0) {
      rho = (f - f_trial) / sub.model_decrease;
      const bool below_rounding = sub.model_decrease <= 10 * kEps * std::max(1.0, std::abs(f));
      accept = below_rounding
                   ? (f_trial <= f + 10 * kEps * std::max(1.0, std::abs(f)) && gnorm_trial < gnorm)
                   : rho > kAcceptRatio;
      // Below rounding level of f, rho is noise: an accepted step counts as a model-quality step,
      // a rejected one as a failure. (Keeping the noisy rho for a rejected step could leave the
      // radius unchanged or even grow it, so the same trial was rejected until max_iterations.)
      if (below_rounding) rho = accept ? 1.0 : 0.0;
    }
    if (rho < kShrinkRatio) {
      radius = kShrinkRatio * std::min(radius, sub.step_norm);
    } else if (rho > kGrowRatio && sub.on_boundary) {
      radius = std::min(2 * radius, max_radius);
    }
    if (accept) {
      std::swap(g, g_trial);
      std::copy(x_trial.begin(), x_trial.end(), x.begin());
      f = f_trial;
      gnorm = gnorm_trial;
      evaluated_at_x = true;
    }
    if (accept && (f < f_best || gnorm <= 0.5 * gnorm_mark)) {
      f_best = std::min(f_best, f);
      gnorm_mark = gnorm;
      radius_high = radius;
      stalled_iterations = 0;
    } else if (accept && radius > radius_high) {
      radius_high = radius;  // the region still growing: neither counted nor a reset
    } else if (accept) {
      ++stalled_iterations;
    }

    const bool converged = gnorm <= start.threshold;
    bool keep_going = true;
    if (options.callback) {
      keep_going = options.callback(IterationReport{iteration, f, gnorm, accept ? step_norm : 0.0,
                                                    evaluations, seconds_since(start.t0),
                                                    std::span<const double>(x)});
    }
    if (converged) {
      reason = StopReason::converged;
      break;
    }
    if (!keep_going) {
      reason = StopReason::callback_stopped;
      break;
    }
    if (radius * max_axis <= kEps * std::max(1.0, norm2(x)) ||
        stalled_iterations >= max_stalled_iterations) {
      reason = StopReason::no_progress;
      break;
    }
  }
  return SolverResult{f, gnorm, iteration, evaluations, seconds_since(start.t0), reason};
}

}  // namespace softmaxkit::solvers_detail
