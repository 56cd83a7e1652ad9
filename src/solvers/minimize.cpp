// minimize(): argument validation, the common first evaluation at x0, and dispatch.
//
// Contract: every bad argument throws softmaxkit::Error naming it before the objective is called.
// x0 is evaluated once; if it already satisfies the stopping rule the result is `converged` with
// 0 iterations, and with max_iterations == 0 it is `max_iterations` with 0 iterations. Otherwise
// the chosen solver continues from that evaluation (it is not repeated).
#include <climits>
#include <cmath>
#include <cstdio>
#include <string>

#include "io/number_text.hpp"
#include "loss/problem_checks.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/solvers.hpp"
#include "solver_common.hpp"
#include "solvers/structured_lbfgs.hpp"

namespace softmaxkit {

namespace {

using detail::shortest_number;  // "1e-320", "nan", "-0": io/number_text.hpp

// The pairs L-BFGS keeps (lbfgs_pairs: at most one per iteration) against this machine's memory,
// before anything is allocated: 2^26 pairs ended in std::bad_alloc, 2^24 took 1.6 GB.
void check_pair_memory(std::size_t size, const SolverOptions& options) {
  const int pairs = solvers_detail::lbfgs_pairs(options);
  // s and y in double, plus the per-pair bookkeeping (two vector headers, rho, alpha).
  const long double bytes =
      static_cast<long double>(pairs) * (2.0L * 8.0L * static_cast<long double>(size) + 64.0L);
  const long double physical = detail::physical_memory_bytes();
  if (physical > 0 && bytes > physical) {
    char text[320];
    std::snprintf(text, sizeof text,
                  "minimize: options.lbfgs_memory = %d keeps up to %d pairs of %zu-vectors (about "
                  "%.3Lg GiB), more than this machine's %.3Lg GiB of memory",
                  options.lbfgs_memory, pairs, size, bytes / 1073741824.0L,
                  physical / 1073741824.0L);
    throw Error(text);
  }
}

void validate(const Objective& objective, std::span<const double> x, const SolverOptions& options) {
  if (!objective.value_and_gradient) {
    throw Error("minimize: objective.value_and_gradient is empty");
  }
  if (x.data() == nullptr && !x.empty()) {
    throw Error("minimize: x is null but has " + std::to_string(x.size()) + " elements");
  }
  if (x.size() != objective.size) {
    throw Error("minimize: x has size " + std::to_string(x.size()) + " but objective.size is " +
                std::to_string(objective.size));
  }
  if (!(options.tolerance > 0) || !std::isfinite(options.tolerance)) {
    throw Error("minimize: options.tolerance must be positive and finite");
  }
  if (options.max_iterations < 0) {
    throw Error("minimize: options.max_iterations must be >= 0");
  }
  if (!(options.reference_gradient_norm >= 0) || !std::isfinite(options.reference_gradient_norm)) {
    throw Error("minimize: options.reference_gradient_norm must be >= 0 and finite");
  }
  if (!(options.l1 >= 0) || !std::isfinite(options.l1)) {
    throw Error("minimize: options.l1 must be >= 0 and finite");
  }
  const std::size_t end = options.l1_end == 0 ? x.size() : options.l1_end;
  if (end > x.size()) {
    throw Error("minimize: options.l1_end (" + std::to_string(options.l1_end) +
                ") exceeds the size of x (" + std::to_string(x.size()) + ")");
  }
  if (options.l1_begin > end) {
    throw Error("minimize: options.l1_begin (" + std::to_string(options.l1_begin) +
                ") is past options.l1_end");
  }
  if (!options.preconditioner.empty()) {
    if (options.preconditioner.size() != x.size()) {
      throw Error("minimize: options.preconditioner has size " +
                  std::to_string(options.preconditioner.size()) + " but objective.size is " +
                  std::to_string(x.size()) + " (leave it empty for none)");
    }
    for (std::size_t i = 0; i < options.preconditioner.size(); ++i) {
      const double m = options.preconditioner[i];
      if (!(m > 0) || !std::isfinite(m) || !std::isfinite(1 / m)) {
        throw Error("minimize: options.preconditioner[" + std::to_string(i) +
                    "] must be positive and finite with a finite reciprocal, not " +
                    shortest_number(m));
      }
    }
  }
  switch (options.kind) {
    case SolverKind::lbfgs:
      if (options.lbfgs_memory < 1) {
        throw Error("minimize: options.lbfgs_memory must be >= 1");
      }
      check_pair_memory(x.size(), options);
      if (x.size() > static_cast<std::size_t>(INT_MAX)) {
        throw Error("minimize: objective.size is too large for liblbfgs (int)");
      }
      break;
    case SolverKind::newton_cg:
      if (options.l1 > 0) {
        throw Error("minimize: options.l1 > 0 needs SolverKind::lbfgs (OWL-QN), not newton_cg");
      }
      if (!objective.hessian_vector) {
        throw Error("minimize: SolverKind::newton_cg needs objective.hessian_vector");
      }
      break;
    case SolverKind::structured:
      if (options.lbfgs_memory < 1) {
        throw Error("minimize: options.lbfgs_memory must be >= 1");
      }
      check_pair_memory(x.size(), options);
      if (options.l1 > 0) {
        throw Error("minimize: options.l1 > 0 needs SolverKind::lbfgs (OWL-QN), not structured");
      }
      break;
    default:
      throw Error("minimize: options.kind is not a SolverKind");
  }
}

}  // namespace

SolverResult minimize(const Objective& objective, std::span<double> x,
                      const SolverOptions& options) {
  using namespace solvers_detail;
  validate(objective, x, options);

  Start start;
  start.t0 = Clock::now();
  start.penalty.weight = options.l1;
  start.penalty.begin = options.l1_begin;
  start.penalty.end = options.l1_end == 0 ? x.size() : options.l1_end;
  start.gradient.assign(x.size(), 0.0);
  start.smooth_objective = objective.value_and_gradient(x, start.gradient);
  start.evaluations = 1;
  start.objective = start.smooth_objective + start.penalty.value(x);
  start.gradient_norm = start.penalty.pseudo_gradient_norm(x, start.gradient);
  start.reference_gradient_norm =
      options.reference_gradient_norm > 0 ? options.reference_gradient_norm : start.gradient_norm;
  start.threshold = options.tolerance * std::max(1.0, start.reference_gradient_norm);

  if (not_finite(start.objective, start.gradient_norm)) {
    return SolverResult{start.objective,   start.gradient_norm,     0,
                        start.evaluations, seconds_since(start.t0), StopReason::nan};
  }
  const bool converged = start.gradient_norm <= start.threshold;
  if (converged || options.max_iterations == 0) {
    return SolverResult{start.objective,
                        start.gradient_norm,
                        0,
                        start.evaluations,
                        seconds_since(start.t0),
                        converged ? StopReason::converged : StopReason::max_iterations};
  }
  if (options.kind == SolverKind::lbfgs) {
    return minimize_lbfgs(objective, x, options, std::move(start));
  }
  if (options.kind == SolverKind::structured) {
    return minimize_structured(objective, objective.metric.get(), x, options, std::move(start))
        .result;
  }
  return minimize_newton_cg(objective, x, options, std::move(start));
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::converged:
      return "converged";
    case StopReason::max_iterations:
      return "max_iterations";
    case StopReason::callback_stopped:
      return "callback_stopped";
    case StopReason::line_search_failed:
      return "line_search_failed";
    case StopReason::no_progress:
      return "no_progress";
    case StopReason::nan:
      return "nan";
    case StopReason::early_stopped:
      return "early_stopped";
  }
  return "unknown";
}

}  // namespace softmaxkit
