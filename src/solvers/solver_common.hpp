// Internal helpers shared by the solvers in src/solvers/ (not part of the public API).
//
// minimize() validates the options, evaluates the objective once at x0 and decides whether x0
// already satisfies the stopping rule; the solvers continue from that Start and never re-validate.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "softmaxkit/solvers.hpp"

namespace softmaxkit::solvers_detail {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0);

// Euclidean norm; NaN when any entry is NaN (so it never passes a `<=` test), inf with an inf.
double norm2(std::span<const double> v);
// norm2(v) given the largest |v_i| of each of v's vector_blocks (solvers/vector_blocks.hpp), or
// a NaN for a block holding one: for loops that find the maxima while they write v.
double norm2_given_block_max(std::span<const double> v, std::span<const double> block_max);
// True when an objective value or a tested gradient norm means the point is unusable: NaN or
// infinite (the solvers then stop with StopReason::nan).
inline bool not_finite(double objective, double gradient_norm) {
  return !std::isfinite(objective) || !std::isfinite(gradient_norm);
}
double dot(std::span<const double> a, std::span<const double> b);

// The L1 penalty of OWL-QN: weight * sum_{i in [begin, end)} |x_i|.
struct L1Penalty {
  double weight = 0;
  std::size_t begin = 0, end = 0;
  bool active() const { return weight > 0; }
  double value(std::span<const double> x) const;
  // Euclidean norm of the pseudo-gradient (minimum-norm subgradient) of f + penalty, given the
  // gradient g of f. Equals norm2(g) when the penalty is inactive.
  double pseudo_gradient_norm(std::span<const double> x, std::span<const double> g) const;
};

// The (s, y) pairs an L-BFGS run keeps: options.lbfgs_memory, but never more than the run can
// store (one pair per iteration, max_iterations + 1 at most), so an absurd lbfgs_memory on a
// short run does not allocate for pairs it never fills (2^24 took 1.6 GB on two variables). With
// fewer iterations than pairs the memory never wraps, so the iterates are the same bits.
inline int lbfgs_pairs(const SolverOptions& options) {
  const long long most = static_cast<long long>(options.max_iterations) + 1;
  return static_cast<int>(std::max(1LL, std::min<long long>(options.lbfgs_memory, most)));
}

// What minimize() knows after its first evaluation at x0.
struct Start {
  Clock::time_point t0;
  double objective = 0;                // full objective at x0 (L1 term included)
  double smooth_objective = 0;         // value_and_gradient's value at x0 (L1 term excluded)
  std::vector<double> gradient;        // gradient of the smooth part at x0
  double gradient_norm = 0;            // tested norm at x0
  double reference_gradient_norm = 0;  // options' reference, or gradient_norm without one
  double threshold = 0;                // tolerance * max(1, reference_gradient_norm)
  int evaluations = 0;                 // evaluations spent so far
  L1Penalty penalty;
};

SolverResult minimize_lbfgs(const Objective& objective, std::span<double> x,
                            const SolverOptions& options, Start start);
SolverResult minimize_newton_cg(const Objective& objective, std::span<double> x,
                                const SolverOptions& options, Start start);

}  // namespace softmaxkit::solvers_detail
