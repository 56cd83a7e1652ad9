// Vector helpers and the L1 penalty / pseudo-gradient used by OWL-QN reporting.
#include "solver_common.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "solvers/vector_blocks.hpp"

namespace softmaxkit::solvers_detail {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double dot(std::span<const double> a, std::span<const double> b) {
  return block_sums<1>(a.size(), [&](std::size_t begin, std::size_t end, auto& sums) {
    double s = 0;
    for (std::size_t i = begin; i < end; ++i) s += a[i] * b[i];
    sums[0] = s;
  })[0];
}

double norm2(std::span<const double> v) {
  // Scaled to avoid overflow/underflow for extreme gradients. A NaN entry makes the norm NaN:
  // std::max would skip it and a NaN gradient would then look like a zero one (converged).
  // The maximum is exact in any order; a block that meets a NaN reports it as its maximum.
  std::vector<double> block_max(vector_blocks(v.size()), 0.0);
  for_blocks(v.size(), [&](std::size_t begin, std::size_t end) {
    double scale = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (std::isnan(v[i])) {
        scale = v[i];
        break;
      }
      scale = std::max(scale, std::abs(v[i]));
    }
    block_max[begin / vector_block] = scale;
  });
  return norm2_given_block_max(v, block_max);
}

double norm2_given_block_max(std::span<const double> v, std::span<const double> block_max) {
  double scale = 0;
  for (double m : block_max) {
    if (std::isnan(m)) return m;
    scale = std::max(scale, m);
  }
  if (scale == 0 || !std::isfinite(scale)) return scale;
  const double s = block_sums<1>(v.size(), [&](std::size_t begin, std::size_t end, auto& sums) {
    double t = 0;
    for (std::size_t i = begin; i < end; ++i) t += (v[i] / scale) * (v[i] / scale);
    sums[0] = t;
  })[0];
  return scale * std::sqrt(s);
}

double L1Penalty::value(std::span<const double> x) const {
  if (!active()) return 0;
  double s = 0;
  for (std::size_t i = begin; i < end; ++i) s += std::abs(x[i]);
  return weight * s;
}

double L1Penalty::pseudo_gradient_norm(std::span<const double> x, std::span<const double> g) const {
  if (!active()) return norm2(g);
  std::vector<double> pg(g.begin(), g.end());
  for (std::size_t i = begin; i < end; ++i) {
    if (std::isnan(g[i]) || std::isnan(x[i])) {
      pg[i] = std::numeric_limits<double>::quiet_NaN();  // never a zero subgradient
    } else if (x[i] > 0) {
      pg[i] = g[i] + weight;
    } else if (x[i] < 0) {
      pg[i] = g[i] - weight;
    } else if (g[i] + weight < 0) {
      pg[i] = g[i] + weight;  // moving right decreases the objective
    } else if (g[i] - weight > 0) {
      pg[i] = g[i] - weight;  // moving left decreases the objective
    } else {
      pg[i] = 0;  // 0 is in the subdifferential
    }
  }
  return norm2(pg);
}

}  // namespace softmaxkit::solvers_detail
