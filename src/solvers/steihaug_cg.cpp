// Preconditioned Steihaug-Toint CG; see steihaug_cg.hpp for the contract.
#include "steihaug_cg.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "solver_common.hpp"

namespace softmaxkit::solvers_detail {

namespace {

// sqrt(sum w_i v_i^2), scaled like norm2 so that it neither overflows nor underflows early.
double weighted_norm(std::span<const double> v, std::span<const double> w) {
  double scale = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    scale = std::max(scale, std::abs(v[i]) * std::sqrt(w[i]));
  if (scale == 0 || !std::isfinite(scale)) return scale;
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double t = std::abs(v[i]) * std::sqrt(w[i]) / scale;
    s += t * t;
  }
  return scale * std::sqrt(s);
}

// The tau >= 0 with ||z + tau d||_M = radius, given ||z||_M <= radius (numerically stable root).
double to_boundary(const DiagonalMetric& metric, std::span<const double> z,
                   std::span<const double> d, double radius) {
  const double a = metric.dot(d, d);
  const double b = 2 * metric.dot(z, d);
  const double c = std::min(0.0, metric.dot(z, z) - radius * radius);
  const double root = std::sqrt(std::max(0.0, b * b - 4 * a * c));
  if (a == 0) return 0;
  return b >= 0 ? (root + b == 0 ? 0 : -2 * c / (b + root)) : (-b + root) / (2 * a);
}

}  // namespace

double DiagonalMetric::dot(std::span<const double> a, std::span<const double> b) const {
  if (identity()) return solvers_detail::dot(a, b);
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += m[i] * a[i] * b[i];
  return s;
}

double DiagonalMetric::norm(std::span<const double> v) const {
  return identity() ? norm2(v) : weighted_norm(v, m);
}

double DiagonalMetric::dual_norm(std::span<const double> v) const {
  return identity() ? norm2(v) : weighted_norm(v, m_inv);
}

SteihaugResult steihaug_cg(const HessianVectorProduct& hessian_vector, std::span<const double> g,
                           const DiagonalMetric& metric, double radius, double residual_tolerance,
                           int max_iterations, std::span<double> p) {
  const std::size_t n = g.size();
  SteihaugResult result;
  std::fill(p.begin(), p.end(), 0.0);
  std::vector<double> r(g.begin(), g.end());  // r = g + H p
  std::vector<double> d(n), hd(n);
  // z = M^{-1} r, the preconditioned residual (r itself for the identity metric).
  std::vector<double> z_storage(metric.identity() ? 0 : n);
  const std::span<double> z =
      metric.identity() ? std::span<double>(r) : std::span<double>(z_storage);
  auto precondition = [&] {
    if (!metric.identity())
      for (std::size_t i = 0; i < n; ++i) z[i] = metric.m_inv[i] * r[i];
  };
  precondition();
  for (std::size_t i = 0; i < n; ++i) d[i] = -z[i];
  double rz = dot(r, z);  // ||r||_{M^{-1}}^2

  // Moves p to p + tau d and keeps r = g + H p exact using the product H d already computed.
  auto advance = [&](double tau) {
    for (std::size_t i = 0; i < n; ++i) {
      p[i] += tau * d[i];
      r[i] += tau * hd[i];
    }
  };

  while (std::sqrt(rz) > residual_tolerance && result.products < max_iterations) {
    hessian_vector(d, hd);
    ++result.products;
    const double curvature = dot(d, hd);
    if (!(curvature > 0)) {  // non-positive (or NaN) curvature: go to the boundary along d
      advance(to_boundary(metric, p, d, radius));
      result.on_boundary = true;
      break;
    }
    const double alpha = rz / curvature;
    double next2 = 0;  // ||p + alpha d||_M^2
    if (metric.identity()) {
      for (std::size_t i = 0; i < n; ++i) next2 += (p[i] + alpha * d[i]) * (p[i] + alpha * d[i]);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        next2 += metric.m[i] * (p[i] + alpha * d[i]) * (p[i] + alpha * d[i]);
    }
    if (next2 >= radius * radius) {
      advance(to_boundary(metric, p, d, radius));
      result.on_boundary = true;
      break;
    }
    advance(alpha);
    precondition();
    const double rz_next = dot(r, z);
    const double beta = rz_next / rz;
    rz = rz_next;
    for (std::size_t i = 0; i < n; ++i) d[i] = -z[i] + beta * d[i];
  }
  // m(p) = g.p + 0.5 p.Hp with Hp = r - g  =>  m(p) = 0.5 (g.p + r.p).
  result.model_decrease = -0.5 * (dot(g, p) + dot(r, p));
  result.step_norm = metric.norm(p);
  return result;
}

}  // namespace softmaxkit::solvers_detail
