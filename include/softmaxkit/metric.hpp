// softmaxkit::Metric — the one hook through which SolverKind::structured sees a problem's
// structure: an approximate Hessian M (a metric) that the solver refreshes at every accepted point
// and applies as M^{-1}. SoftmaxRegression builds a Kronecker-factored one from the data (a row
// sample for the one-time setup) and the class probabilities at the point; any other objective may
// supply its own, or none (M = I: plain L-BFGS with its own line search).
#pragma once

#include <span>

namespace softmaxkit {

class Metric {
 public:
  virtual ~Metric() = default;
  // At an accepted point x whose value and gradient the solver has just evaluated;
  // relative_gradient_norm = ||g(x)|| / ||g(x0)|| (a metric may change form near the optimum).
  virtual void update(std::span<const double> x, double relative_gradient_norm) = 0;
  // out = M^{-1} in, both of the objective's size (they do not alias). M must be symmetric
  // positive definite on the directions the objective can move along.
  virtual void apply(std::span<const double> in, std::span<double> out) = 0;
  // out_a = M^{-1} in_a and out_b = M^{-1} in_b with the same M (no two of the four spans
  // alias). The structured solver applies M^{-1} to two vectors per iteration (the search
  // direction's and gamma's); a metric whose application streams a large operand can do both
  // in one sweep. The default calls apply() twice.
  virtual void apply_pair(std::span<const double> in_a, std::span<double> out_a,
                          std::span<const double> in_b, std::span<double> out_b) {
    apply(in_a, out_a);
    apply(in_b, out_b);
  }
  // True when M is scaled like the Hessian itself (e.g. it holds an exact Hessian block): the
  // solver then uses gamma = 1 and skips the extra application that gamma = s'y / (y' M^{-1} y)
  // costs.
  virtual bool hessian_scaled() const { return false; }
  // The metric's own work so far (setup, updates, applications), in pass equivalents: one pass
  // costs as much as one value-and-gradient evaluation.
  virtual double pass_equivalents() const = 0;
};

}  // namespace softmaxkit
