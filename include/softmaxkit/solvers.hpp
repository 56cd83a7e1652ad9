// softmaxkit::minimize — generic optimisers over a flat vector of doubles.
//
// Two solvers share one interface:
//   * SolverKind::lbfgs      L-BFGS through liblbfgs; with l1 > 0 it becomes OWL-QN and minimises
//                            f(x) + l1 * sum_{i in [l1_begin, l1_end)} |x_i|.
//   * SolverKind::newton_cg  trust-region Newton-CG (Steihaug-Toint); needs hessian_vector.
//                            Optionally preconditioned by a fixed positive diagonal M
//                            (SolverOptions::preconditioner): preconditioned Steihaug CG with the
//                            trust region measured in ||p||_M = sqrt(p' M p).
//   * SolverKind::structured L-BFGS (memory lbfgs_memory, 40 is a good value) whose initial inverse
//                            Hessian is gamma * M^{-1} for objective.metric (softmaxkit/metric.hpp;
//                            none: M = I), with its own strong-Wolfe line search; no L1.
//                            Above 32768 variables it stores the pairs (s, y) in float (its
//                            recursion is memory-bound there; s'y and every sum stay double).
//                            See src/solvers/structured_lbfgs.hpp.
//
// Non-finite values: if the objective or the gradient norm at x0 is NaN or infinite, minimize
// returns StopReason::nan after that one evaluation. A later trial point whose values are not
// finite is never accepted: the line searches shorten the step (liblbfgs's cannot step back from
// a NaN and gives up), Newton-CG rejects it and shrinks its radius. A solver that finds no finite
// point lowering f ends with StopReason::line_search_failed (Newton-CG: no_progress) and x at the
// last accepted point, as for any stalled search; features of 1e200, whose every step overflows,
// end so at x0. StopReason::nan after x0 only when liblbfgs itself accepted such a point.
//
// Stopping rule (both): ||g(x)||_2 <= tolerance * max(1, ||g(x0)||_2), where g is the gradient, or,
// with OWL-QN, the pseudo-gradient (the minimum-norm subgradient of the penalised objective).
// SolverResult::objective is the value of the full objective (including the L1 term) at the
// returned x, and gradient_norm the norm that the stopping rule tests, at the same x.
//
// Threads: dot products and norms over x-sized vectors, and the structured solver's two-loop
// recursion and steps, run in the calling thread's TBB arena in fixed blocks of 32768 entries;
// each sum adds its blocks serially and the block sums in block order, so results never depend
// on the thread count, and for n <= 32768 equal one serial loop's. Newton-CG's M-weighted inner
// products and liblbfgs's own loops stay serial.
//
// Bad arguments throw softmaxkit::Error naming the argument. Exceptions thrown by the objective's
// functions propagate out of minimize (x then holds the last accepted point).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace softmaxkit {

// Objective: value and gradient at x (sizes n). Hessian-vector product optional (needed by
// Newton-CG): hessian_vector(x, v, Hv) computes H(x) v; the solver always calls value_and_gradient
// at x before asking for H(x) v at that same x, so an objective may cache per-point quantities.
class Metric;  // softmaxkit/metric.hpp

struct Objective {
  std::size_t size = 0;
  std::function<double(std::span<const double> x, std::span<double> gradient)> value_and_gradient;
  std::function<void(std::span<const double> x, std::span<const double> v, std::span<double> hv)>
      hessian_vector{};  // may be empty
  // Optional structure for SolverKind::structured (ignored by the other kinds).
  std::shared_ptr<Metric> metric{};
  // Optional, SolverKind::lbfgs only (OWL-QN included): applied in place to every trial point
  // before it is evaluated (not to x0), and the point kept is the projected one. For directions
  // along which the objective is flat: the rounding along them in each step otherwise enters
  // L-BFGS's pairs with no curvature to bound it and can grow step by step (the fit's OWL-QN
  // intercepts reached a common -1.1e9). It must leave the value unchanged up to rounding.
  std::function<void(std::span<double> x)> project_point{};
};

struct IterationReport {
  int iteration{};           // 1-based outer iteration
  double objective{};        // objective at the current (accepted) point, L1 term included
  double gradient_norm{};    // norm tested by the stopping rule, at the current point
  double step{};             // ||x_k - x_{k-1}||_2; 0 for a rejected trust-region step
  int evaluations{};         // cumulative: value+gradient evaluations + Hessian-vector products
  double elapsed_seconds{};  // since minimize() was entered (steady clock)
  std::span<const double> point{};  // the current (accepted) point; valid during the callback
  // Filled by SoftmaxRegression::fit (0 from minimize()): evaluations + Hessian-vector products +
  // the structured metric's setup and work, in passes over the data (see FitReport).
  double pass_equivalents = 0;
};
using IterationCallback = std::function<bool(const IterationReport&)>;  // return false to stop

enum class SolverKind { lbfgs, newton_cg, structured };

struct SolverOptions {
  SolverKind kind = SolverKind::lbfgs;
  double tolerance = 1e-5;  // stop when ||g||_2 <= tolerance * max(1, ||g0||_2)
  // > 0: used instead of ||g0||_2 in the stopping rule above and in the structured metric's
  // relative phase switch. A warm start inside a path begins with a small gradient, which would
  // make both relative tests far stricter than a cold fit's: passing the cold start's norm
  // solves every point to the accuracy an independent cold fit reaches. 0: ||g(x0)||_2.
  double reference_gradient_norm = 0;
  int max_iterations = 1000;
  // (s, y) pairs L-BFGS keeps, >= 1. Storage for at most max_iterations + 1 of them is made (a
  // run stores one per iteration, so the iterates do not change); an Error naming lbfgs_memory
  // when those pairs of x-sized double vectors exceed this machine's physical memory.
  int lbfgs_memory = 10;
  double l1 = 0;  // > 0: OWL-QN (L-BFGS only; newton_cg with l1 > 0 -> Error)
  // Range of x that the L1 penalty applies to (e.g. weights but not the intercept);
  // l1_end == 0 means the end of the vector.
  std::size_t l1_begin = 0, l1_end = 0;
  // Optional fixed diagonal preconditioner for newton_cg: empty = none; otherwise objective.size
  // entries, each finite and > 0 (with a finite reciprocal), approximating the diagonal of the
  // Hessian in scale as well as shape (e.g. diag(X'WX)/m + lambda for a GLM), since the trust
  // region is measured in the norm sqrt(p' M p). Only the inner CG iterations and the
  // trust-region geometry change; the stopping rule, the reports and the evaluation count do
  // not. Validated for both kinds, but L-BFGS ignores it.
  std::vector<double> preconditioner{};
  IterationCallback callback{};  // optional
};

enum class StopReason {
  converged,
  max_iterations,
  callback_stopped,
  line_search_failed,  // no step along the direction met the line search's conditions
  // The step was zero, or (structured) 20 iterations in a row lowered neither the objective nor
  // the gradient norm below their lowest values so far: f and the slope are rounding there (a
  // float objective near its optimum with a tolerance it cannot reach). Newton-CG: its trust
  // radius fell below rounding level of x, or 20 accepted steps in a row neither lowered the
  // objective below its lowest value so far nor halved the gradient norm since the last one that
  // did (below rounding level of f it accepts steps that lower the gradient norm at all, which
  // rounding lets it do by ~1 % a step indefinitely); a step that grows the trust radius above
  // every radius since then neither counts nor resets (the region still growing towards a
  // distant minimum whose decrease a large f hides).
  no_progress,
  // The objective or the tested gradient norm is NaN or infinite (NaN or inf in the data, or an
  // overflow such as an absurd penalty in float). Never reported as converged: a NaN norm does
  // not pass the stopping rule. The result carries the last point whose values were finite
  // (x0 itself when x0 is already non-finite); callers must not use it as a solution.
  nan,
  // SoftmaxRegression::fit only (minimize never returns it): early stopping's patience ran out
  // (FitOptions::validation_fraction), or the solver converged at a point after the best
  // validation point; the fit returns the best validation point (not a solution of the
  // objective: its gradient norm is reported as it is).
  early_stopped
};

struct SolverResult {
  double objective{};
  double gradient_norm{};
  int iterations{};
  int evaluations{};
  double seconds{};
  StopReason reason{};
};

// x: in, the starting point; out, the final (best accepted) point. During the call x holds the
// solver's current accepted point (the structured solver iterates in it): the objective, the
// metric and the callback must not write to it.
SolverResult minimize(const Objective& objective, std::span<double> x,
                      const SolverOptions& options);

std::string_view to_string(StopReason reason);

}  // namespace softmaxkit
