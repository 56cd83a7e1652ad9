#include "model/fit_checks.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "io/number_text.hpp"
#include "loss/problem_checks.hpp"

namespace softmaxkit::detail {
void check_fit_options(const FitOptions& options, std::string_view where, std::string_view name) {
  const std::string n(name);
  if (!(options.l1 >= 0) || !std::isfinite(options.l1))
    fail(where, n + "l1 must be finite and >= 0");
  if (options.l1 > 0 && options.solver && *options.solver != SolverKind::lbfgs)
    fail(where, n + "l1 needs the lbfgs solver (OWL-QN)");
  if (options.solver && *options.solver != SolverKind::lbfgs &&
      *options.solver != SolverKind::newton_cg && *options.solver != SolverKind::structured)
    fail(where, n + "solver is not a SolverKind");
  if (!(options.tolerance > 0) || !std::isfinite(options.tolerance))
    fail(where, n + "tolerance must be finite and > 0");
  if (!(options.reference_gradient_norm >= 0) || !std::isfinite(options.reference_gradient_norm))
    fail(where, n + "reference_gradient_norm must be finite and >= 0");
  if (options.max_iterations < 0) fail(where, n + "max_iterations must be >= 0");
  if (options.threads < 0 || options.threads > max_threads)
    fail(where, n + "threads is " + std::to_string(options.threads) + " (must be in [0, " +
                    std::to_string(max_threads) + "])");
  if (!(options.validation_fraction >= 0 && options.validation_fraction < 1))
    fail(where, n + "validation_fraction is " + shortest_number(options.validation_fraction) +
                    " (must be in [0, 1))");
  if (options.patience < 1) fail(where, n + "patience must be >= 1");
}

void check_fit_memory(const FitOptions& options, std::size_t classes, std::size_t features) {
  const SolverKind kind =
      options.solver.value_or(options.l1 > 0 ? SolverKind::lbfgs : SolverKind::structured);
  const long double per_parameter = kind == SolverKind::lbfgs       ? kLbfgsBytesPerParameter
                                    : kind == SolverKind::newton_cg ? kNewtonBytesPerParameter
                                                                    : kStructuredBytesPerParameter;
  const long double parameters =
      static_cast<long double>(classes) * (static_cast<long double>(features) + 1.0L);
  const long double bytes = parameters * per_parameter;
  const long double physical = physical_memory_bytes();
  if (physical > 0 && bytes > physical) {
    char text[320];
    std::snprintf(text, sizeof text,
                  "%zu classes x %zu features (%.0Lf parameters) would need about %.3Lg GiB for "
                  "the solver (%.0Lf bytes per parameter), more than this machine's %.3Lg GiB of "
                  "memory",
                  classes, features, parameters, bytes / 1073741824.0L, per_parameter,
                  physical / 1073741824.0L);
    fit_fail(text);
  }
}

double regularization_strength(const FitOptions& options, double weight_total,
                               std::string_view where) {
  if (!options.C) {
    if (!(options.l2 >= 0) || !std::isfinite(options.l2)) {
      fail(where, "l2 is " + shortest_number(options.l2) + " (must be finite and >= 0)");
    }
    return options.l2;
  }
  const double C = *options.C;
  if (!(C > 0) || !std::isfinite(C)) {
    fail(where, "C is " + shortest_number(C) + " (must be finite and > 0)");
  }
  // C * weight_total overflows for C near DBL_MAX (C = 1e306 with 300 rows): 1 / inf would make
  // lambda 0, an unregularised fit, where (1 / C) / weight_total is a representable (subnormal)
  // lambda. The plain form is kept wherever it is finite (the same bits as before).
  const double product = C * weight_total;
  const double lambda = std::isfinite(product) ? 1.0 / product : (1.0 / C) / weight_total;
  if (!std::isfinite(lambda)) {
    fail(where, "C = " + shortest_number(C) + " with sample weights summing to " +
                    shortest_number(weight_total) +
                    " (1 per row without sample weights) gives lambda = 1 / (C * sum w) = inf");
  }
  return lambda;
}

void check_lambda_in_float(const FitOptions& options, double lambda, std::string_view where) {
  if (std::isfinite(static_cast<float>(lambda))) return;
  const std::string source =
      options.C ? "C = " + shortest_number(*options.C) + " gives lambda = " : std::string("l2 = ");
  fail(where, source + shortest_number(lambda) +
                  ", beyond float's range (3.4e38) in a fit computing in float: compute in double "
                  "(use_double; the command's --double; float64 X in Python)");
}

}  // namespace softmaxkit::detail
