// Steihaug-Toint CG; see steihaug_cg.hpp for the contract.
#include "steihaug_cg.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "solver_common.hpp"

namespace softmaxkit::solvers_detail {

namespace {

// The tau >= 0 with ||z + tau d|| = radius, given ||z|| <= radius (numerically stable root).
double to_boundary(std::span<const double> z, std::span<const double> d, double radius) {
  const double a = dot(d, d);
  const double b = 2 * dot(z, d);
  const double c = std::min(0.0, dot(z, z) - radius * radius);
  const double root = std::sqrt(std::max(0.0, b * b - 4 * a * c));
  if (a == 0) return 0;
  return b >= 0 ? (root + b == 0 ? 0 : -2 * c / (b + root)) : (-b + root) / (2 * a);
}

}  // namespace

SteihaugResult steihaug_cg(const HessianVectorProduct& hessian_vector, std::span<const double> g,
                           double radius, double residual_tolerance, int max_iterations,
                           std::span<double> p) {
  const std::size_t n = g.size();
  SteihaugResult result;
  std::fill(p.begin(), p.end(), 0.0);
  std::vector<double> r(g.begin(), g.end());  // r = g + H p
  std::vector<double> d(n), hd(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = -r[i];
  double rr = dot(r, r);

  // Moves p to p + tau d and keeps r = g + H p exact using the product H d already computed.
  auto advance = [&](double tau) {
    for (std::size_t i = 0; i < n; ++i) {
      p[i] += tau * d[i];
      r[i] += tau * hd[i];
    }
  };

  while (std::sqrt(rr) > residual_tolerance && result.products < max_iterations) {
    hessian_vector(d, hd);
    ++result.products;
    const double curvature = dot(d, hd);
    if (!(curvature > 0)) {  // non-positive (or NaN) curvature: go to the boundary along d
      advance(to_boundary(p, d, radius));
      result.on_boundary = true;
      break;
    }
    const double alpha = rr / curvature;
    double next2 = 0;
    for (std::size_t i = 0; i < n; ++i) next2 += (p[i] + alpha * d[i]) * (p[i] + alpha * d[i]);
    if (next2 >= radius * radius) {
      advance(to_boundary(p, d, radius));
      result.on_boundary = true;
      break;
    }
    advance(alpha);
    const double rr_next = dot(r, r);
    const double beta = rr_next / rr;
    rr = rr_next;
    for (std::size_t i = 0; i < n; ++i) d[i] = -r[i] + beta * d[i];
  }
  // m(p) = g.p + 0.5 p.Hp with Hp = r - g  =>  m(p) = 0.5 (g.p + r.p).
  result.model_decrease = -0.5 * (dot(g, p) + dot(r, p));
  return result;
}

}  // namespace softmaxkit::solvers_detail
