// Steihaug-Toint truncated conjugate gradient for the trust-region subproblem
//   minimise m(p) = g.p + 0.5 p.H p  subject to ||p||_2 <= radius
// (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.2).
//
// Contract: H is only reached through hessian_vector(v, Hv). Starting from p = 0, CG runs until
// the residual ||g + H p|| <= residual_tolerance, a step would leave the trust region, a direction
// of non-positive curvature appears (both end on the boundary), or max_iterations products were
// used. The returned model_decrease = -m(p) is computed from the tracked residual, so it costs no
// extra Hessian-vector product; it is > 0 whenever g != 0 (up to rounding).
#pragma once

#include <cstddef>
#include <functional>
#include <span>

namespace softmaxkit::solvers_detail {

struct SteihaugResult {
  double model_decrease = 0;  // -(g.p + 0.5 p.H p)
  int products = 0;           // Hessian-vector products used
  bool on_boundary = false;   // ||p|| == radius (boundary step or negative curvature)
};

using HessianVectorProduct = std::function<void(std::span<const double>, std::span<double>)>;

// p (size n) receives the step. The spans g and p must not alias.
SteihaugResult steihaug_cg(const HessianVectorProduct& hessian_vector, std::span<const double> g,
                           double radius, double residual_tolerance, int max_iterations,
                           std::span<double> p);

}  // namespace softmaxkit::solvers_detail
