// L-BFGS and OWL-QN through liblbfgs.
//
// Contract: minimises f (or, with options.l1 > 0, f + l1 * |x[l1_begin, l1_end)|_1 via OWL-QN,
// which liblbfgs only supports with its backtracking line search). liblbfgs's own tests are
// switched off (epsilon = 0, past = 0); our progress callback applies our rule after every
// iteration instead:
//   converged         ||g||_2 (OWL-QN: ||pseudo-gradient||_2) <= tolerance * max(1, ||g0||_2)
//   callback_stopped  the user callback returned false (checked after convergence)
//   max_iterations    options.max_iterations iterations done
//   no_progress       an accepted step left x unchanged
//   nan               liblbfgs accepted a point whose value or gradient is NaN or infinite (x
//                     keeps the previous point)
//   line_search_failed liblbfgs gave up inside a line search (rounding error, minimum/maximum
//                     step, too many trials, ...). We stop as soon as the rule holds, so this is
//                     only reported when the last accepted point did NOT meet the tolerance; the
//                     result still carries that point, its objective and its gradient norm.
// x receives the last accepted point (we keep our own copy: liblbfgs may leave a rejected trial
// point, and the value it returns through ptr_fx may belong to one).
#include <lbfgs.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "solver_common.hpp"

static_assert(std::is_same_v<lbfgsfloatval_t, double>,
              "softmaxkit needs liblbfgs built with LBFGS_FLOAT == 64");

namespace softmaxkit::solvers_detail {

namespace {

struct Context {
  Context(const Objective& o, const SolverOptions& opt, const Start& s)
      : objective(o), options(opt), start(s) {}
  const Objective& objective;
  const SolverOptions& options;
  const Start& start;
  int evaluations = 0;
  bool first_evaluation_served = false;
  std::vector<double> x_accepted;  // last accepted point (x0 before the first iteration)
  double f_accepted = 0;
  double gnorm_accepted = 0;
  int iterations = 0;
  std::optional<StopReason> reason;
  std::exception_ptr error;
};

lbfgsfloatval_t evaluate(void* instance, const lbfgsfloatval_t* x, lbfgsfloatval_t* g, int n,
                         lbfgsfloatval_t /*step*/) {
  auto& c = *static_cast<Context*>(instance);
  const std::span<const double> xs(x, static_cast<std::size_t>(n));
  const std::span<double> gs(g, static_cast<std::size_t>(n));
  if (c.error) {  // an earlier call threw: make liblbfgs give up quickly without calling again
    std::fill(gs.begin(), gs.end(), 0.0);
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (!c.first_evaluation_served) {
    c.first_evaluation_served = true;
    // liblbfgs starts by evaluating x0, which minimize() has already done.
    if (std::equal(xs.begin(), xs.end(), c.x_accepted.begin())) {
      std::copy(c.start.gradient.begin(), c.start.gradient.end(), gs.begin());
      return c.start.smooth_objective;
    }
  }
  try {
    if (c.objective.project_point) {
      // liblbfgs's own x (the caller's work array, not const memory): the point it keeps, and
      // takes its next step from, is the projected one.
      c.objective.project_point(std::span<double>(const_cast<double*>(x), xs.size()));
    }
    ++c.evaluations;
    return c.objective.value_and_gradient(xs, gs);
  } catch (...) {
    c.error = std::current_exception();
    std::fill(gs.begin(), gs.end(), 0.0);
    return std::numeric_limits<double>::quiet_NaN();
  }
}

int progress(void* instance, const lbfgsfloatval_t* x, const lbfgsfloatval_t* g, lbfgsfloatval_t fx,
             lbfgsfloatval_t /*xnorm*/, lbfgsfloatval_t /*gnorm*/, lbfgsfloatval_t /*step*/, int n,
             int k, int /*ls*/) {
  auto& c = *static_cast<Context*>(instance);
  if (c.error) return LBFGSERR_CANCELED;
  const std::span<const double> xs(x, static_cast<std::size_t>(n));
  const std::span<const double> gs(g, static_cast<std::size_t>(n));
  if (not_finite(fx, c.start.penalty.pseudo_gradient_norm(xs, gs))) {
    // liblbfgs accepted a point whose value or gradient is NaN/inf: keep the previous point.
    c.reason = StopReason::nan;
    return LBFGS_STOP;
  }

  double step2 = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double d = xs[i] - c.x_accepted[i];
    step2 += d * d;
  }
  std::copy(xs.begin(), xs.end(), c.x_accepted.begin());
  c.f_accepted = fx;  // liblbfgs adds the L1 term for OWL-QN
  c.gnorm_accepted = c.start.penalty.pseudo_gradient_norm(xs, gs);
  c.iterations = k;

  const bool converged = c.gnorm_accepted <= c.start.threshold;
  bool keep_going = true;
  if (c.options.callback) {
    const IterationReport report{k,
                                 c.f_accepted,
                                 c.gnorm_accepted,
                                 std::sqrt(step2),
                                 c.evaluations,
                                 seconds_since(c.start.t0),
                                 xs};
    try {
      keep_going = c.options.callback(report);
    } catch (...) {
      c.error = std::current_exception();
      return LBFGSERR_CANCELED;
    }
  }
  if (converged) {
    c.reason = StopReason::converged;
    return LBFGS_STOP;
  }
  if (!keep_going) {
    c.reason = StopReason::callback_stopped;
    return LBFGSERR_CANCELED;
  }
  if (k >= c.options.max_iterations) {
    c.reason = StopReason::max_iterations;
    return LBFGS_STOP;
  }
  if (step2 == 0) {
    c.reason = StopReason::no_progress;
    return LBFGS_STOP;
  }
  return 0;
}

// Maps a liblbfgs status that our progress callback did not cause.
StopReason map_status(int status, bool gradient_converged) {
  switch (status) {
    case LBFGS_SUCCESS:
    case LBFGS_ALREADY_MINIMIZED:
      // Only reachable when ||g|| == 0 (epsilon is 0); trust our own rule, not the code.
      return gradient_converged ? StopReason::converged : StopReason::no_progress;
    case LBFGS_STOP:  // liblbfgs's relative-decrease test (disabled: past = 0)
      return StopReason::no_progress;
    case LBFGSERR_MAXIMUMITERATION:
      return StopReason::max_iterations;
    case LBFGSERR_CANCELED:
      return StopReason::callback_stopped;
    case LBFGSERR_ROUNDING_ERROR:
    case LBFGSERR_MINIMUMSTEP:
    case LBFGSERR_MAXIMUMSTEP:
    case LBFGSERR_MAXIMUMLINESEARCH:
    case LBFGSERR_WIDTHTOOSMALL:
    case LBFGSERR_OUTOFINTERVAL:
    case LBFGSERR_INCORRECT_TMINMAX:
    case LBFGSERR_INCREASEGRADIENT:
    case LBFGSERR_INVALIDPARAMETERS:  // raised by a line search for a non-positive step
      return StopReason::line_search_failed;
    case LBFGSERR_OUTOFMEMORY:
      throw std::bad_alloc();
    default:
      // LBFGSERR_INVALID_*, LBFGSERR_LOGICERROR, LBFGSERR_UNKNOWNERROR: our options were
      // validated before the call, so this is a bug in this wrapper, not bad input.
      throw std::logic_error("softmaxkit: liblbfgs failed with status " + std::to_string(status));
  }
}

struct LbfgsFree {
  void operator()(lbfgsfloatval_t* p) const { lbfgs_free(p); }
};

}  // namespace

SolverResult minimize_lbfgs(const Objective& objective, std::span<double> x,
                            const SolverOptions& options, Start start) {
  const int n = static_cast<int>(x.size());
  Context c(objective, options, start);
  c.evaluations = start.evaluations;
  c.x_accepted.assign(x.begin(), x.end());
  c.f_accepted = start.objective;
  c.gnorm_accepted = start.gradient_norm;

  lbfgs_parameter_t param;
  lbfgs_parameter_init(&param);
  param.m = lbfgs_pairs(options);  // liblbfgs allocates all m pairs up front
  param.epsilon = 0;  // liblbfgs tests ||g|| / max(1, ||x||); ours is applied in progress()
  param.past = 0;     // no relative-decrease test
  param.max_iterations = options.max_iterations;  // backstop; progress() stops first
  if (start.penalty.active()) {
    param.orthantwise_c = start.penalty.weight;
    param.orthantwise_start = static_cast<int>(start.penalty.begin);
    param.orthantwise_end = static_cast<int>(start.penalty.end);
    param.linesearch = LBFGS_LINESEARCH_BACKTRACKING;  // the only one liblbfgs allows for OWL-QN
  }

  // lbfgs_malloc gives the alignment/padding an SSE build of liblbfgs would need.
  std::unique_ptr<lbfgsfloatval_t, LbfgsFree> work(lbfgs_malloc(n));
  if (!work) throw std::bad_alloc();
  std::copy(x.begin(), x.end(), work.get());
  lbfgsfloatval_t fx = 0;
  const int status = lbfgs(n, work.get(), &fx, evaluate, progress, &c, &param);

  std::copy(c.x_accepted.begin(), c.x_accepted.end(), x.begin());
  if (c.error) std::rethrow_exception(c.error);
  const StopReason reason =
      c.reason ? *c.reason : map_status(status, c.gnorm_accepted <= start.threshold);
  return SolverResult{c.f_accepted,  c.gnorm_accepted,        c.iterations,
                      c.evaluations, seconds_since(start.t0), reason};
}

}  // namespace softmaxkit::solvers_detail
