// Steihaug-Toint truncated conjugate gradient for the trust-region subproblem
//   minimise m(p) = g.p + 0.5 p.H p  subject to ||p||_M <= radius,  ||p||_M = sqrt(p.M p),
// with an optional fixed positive diagonal preconditioner M (identity when absent).
// (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.2, with the preconditioned CG
// recurrences of Algorithm 5.3; Steihaug 1983; Conn, Gould & Toint, Trust-Region Methods,
// Algorithm 7.5.1.)
//
// Why the M-norm: preconditioned CG started at p = 0 increases ||p_j||_M monotonically (not
// ||p_j||_2), which is what lets Steihaug stop at the first boundary crossing. Measuring the trust
// region in the M-norm is exactly plain Steihaug on the scaled problem y = M^{1/2} p, mapped back;
// we run the recurrences on p directly because M is diagonal and M-inner products cost O(n).
//
// Contract: H is only reached through hessian_vector(v, Hv). Starting from p = 0, CG runs until
// the residual r = g + H p satisfies ||r||_{M^{-1}} = sqrt(r.M^{-1}r) <= residual_tolerance, a step
// would leave the trust region, a direction of non-positive curvature appears (both end on the
// boundary ||p||_M == radius), or max_iterations products were used. The returned model_decrease
// = -m(p) is computed from the tracked residual, so it costs no extra Hessian-vector product; it
// is > 0 whenever g != 0 (up to rounding). With the identity metric every operation is the
// unpreconditioned one, bit for bit.
#pragma once

#include <cstddef>
#include <functional>
#include <span>

namespace softmaxkit::solvers_detail {

// A positive diagonal metric M, given by its diagonal and the elementwise inverse; both empty
// means the identity. Not owning.
struct DiagonalMetric {
  std::span<const double> m;
  std::span<const double> m_inv;
  bool identity() const { return m.empty(); }
  double dot(std::span<const double> a, std::span<const double> b) const;  // a.M b
  double norm(std::span<const double> v) const;                            // ||v||_M, overflow-safe
  double dual_norm(std::span<const double> v) const;  // ||v||_{M^{-1}}, overflow-safe
};

struct SteihaugResult {
  double model_decrease = 0;  // -(g.p + 0.5 p.H p)
  double step_norm = 0;       // ||p||_M
  int products = 0;           // Hessian-vector products used
  bool on_boundary = false;   // ||p||_M == radius (boundary step or negative curvature)
};

using HessianVectorProduct = std::function<void(std::span<const double>, std::span<double>)>;

// p (size n) receives the step. The spans g and p must not alias.
SteihaugResult steihaug_cg(const HessianVectorProduct& hessian_vector, std::span<const double> g,
                           const DiagonalMetric& metric, double radius, double residual_tolerance,
                           int max_iterations, std::span<double> p);

}  // namespace softmaxkit::solvers_detail
