// Structured L-BFGS: L-BFGS whose initial inverse Hessian is gamma * M^{-1} for a metric M that
// knows the problem's structure (for softmax regression the Kronecker factors of
// kronecker_preconditioner.hpp), with its own strong-Wolfe line search (liblbfgs takes no
// custom initial Hessian).
//
//   direction  d = -H g by the two-loop recursion over the last `memory` pairs (s, y), whose
//              middle step is r = gamma M^{-1} q, gamma = s'y / (y' M^{-1} y) for the newest
//              pair: the metric gives the shape, gamma the scale, so the unit step is accepted
//              almost always and few evaluations go to the line search.
//   metric     refreshed at every accepted point through Metric::update (for softmax regression:
//              A from the probabilities on a fixed row sample); without a metric M = I and this
//              is plain L-BFGS with Shanno-Phua scaling.
//   line search strong Wolfe (c1 = 1e-4, c2 = 0.9), unit first trial, extrapolation by 4,
//              safeguarded cubic interpolation, at most 20 trials. A non-finite value or gradient
//              at a trial is treated as "too far". If no trial meets both conditions but one
//              decreased f (Armijo), that point is taken; a pair with s'y <= 0 is skipped.
//              A trial that fails Armijo only by rounding (f within 1e-7 |f| of f(x)) but
//              meets Hager and Zhang's approximate Wolfe slope test is accepted: the float
//              objective's rounding would otherwise stall the search before the gradient test.
//              A trial beyond the low end whose slope is still below c2 g'd and whose f is
//              within 1e-7 |f| of the low end's is a low end (convexity makes its f lower; the
//              rise is rounding) and the search extrapolates from it.
//
// Stopping: converged when ||g|| <= tolerance * max(1, ||g0||) (the other solvers' rule) and
// the model's estimate of the gap to the optimum, g'Hg / 2 with the L-BFGS inverse Hessian H, is
// at most 0.01 tolerance max(|f|, 1e-3 |f(x0)|): a gradient test alone stopped 2e-6 above the
// optimum on nearly separable problems whose f* is small, and H underestimates the gap about
// tenfold on features spread over 6 decades with C = 1e4;
// line_search_failed when no trial decreased f (a stalled line search, never "converged");
// no_progress when an accepted step left x unchanged or 20 iterations in a row lowered neither f
// nor ||g|| below their lowest values so far (steps on rounding near a float optimum, which the
// two rules above accept); max_iterations; callback_stopped. A NaN
// objective or gradient at an accepted point cannot happen (trials with one are rejected), and a
// NaN at x0 is reported as line_search_failed, never converged.
//
// Accounting: `evaluations` counts value+gradient calls; metric_pass_equivalents the metric's
// own work (updates and applications) in passes (one pass = one value+gradient evaluation),
// as the metric reports it.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "softmaxkit/metric.hpp"
#include "solver_common.hpp"

namespace softmaxkit::solvers_detail {

struct StructuredResult {
  SolverResult result;
  double metric_pass_equivalents = 0;
};

inline constexpr int structured_default_memory = 40;

// Above this many parameters (one vector block, solvers/vector_blocks.hpp) the pairs (s, y) are
// stored in float: there the two-loop recursion is memory-bound (2.5 M parameters on rcv1's
// shape, where it was a third of a two-thread fit), and a pair's rounding (relative 6e-8) only
// shapes the search direction, never the gradient the stopping rule tests. s'y is that of the
// stored pair, so H stays positive definite. Smaller problems keep double pairs.
inline constexpr std::size_t float_pairs_above = std::size_t{1} << 15;

// Continues from minimize()'s Start. metric may be null (M = I). options.lbfgs_memory is the
// number of pairs kept.
StructuredResult minimize_structured(const Objective& objective, Metric* metric,
                                     std::span<double> x, const SolverOptions& options,
                                     Start start);

}  // namespace softmaxkit::solvers_detail
