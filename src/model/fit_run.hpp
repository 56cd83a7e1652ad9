// Problem setup, the solver run and the report of SoftmaxRegression::fit, on prepared data.
#pragma once

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "model/early_stopping.hpp"
#include "model/fit_data.hpp"
#include "model/redundant_directions.hpp"
#include "model/softmax_metric.hpp"
#include "model/training_objective.hpp"
#include "model/unused_columns.hpp"
#include "softmaxkit/model.hpp"
#include "solvers/solver_common.hpp"

namespace softmaxkit::detail {

struct FitOutcome {
  FitReport report;
  std::vector<double> parameters;  // x = [W, b]; use only when report.reason != StopReason::nan
  SolverKind solver = SolverKind::structured;
};

inline SolverOptions solver_options(const FitOptions& options, std::size_t classes,
                                    std::size_t features) {
  SolverOptions solver;
  solver.kind =
      options.solver.value_or(options.l1 > 0 ? SolverKind::lbfgs : SolverKind::structured);
  if (solver.kind == SolverKind::structured) {
    solver.lbfgs_memory = structured_memory((classes * features) + classes);
  }
  solver.tolerance = options.tolerance;
  solver.reference_gradient_norm = options.reference_gradient_norm;
  solver.max_iterations = options.max_iterations;
  solver.l1 = options.l1;
  solver.l1_begin = 0;
  solver.l1_end = classes * features;  // W only, not the intercept
  return solver;
}

inline FitReport report_of(const SolverResult& result, double initial_gradient_norm) {
  FitReport report;
  report.objective = result.objective;
  report.gradient_norm = result.gradient_norm;
  report.initial_gradient_norm = initial_gradient_norm;
  report.iterations = result.iterations;
  report.evaluations = result.evaluations;
  report.seconds = result.seconds;
  report.reason = result.reason;
  return report;
}

// An arena of `threads` (0: automatic), at most the process's TBB parallelism limit (the core
// count unless a tbb::global_control raises it): TBB cannot give a larger arena more workers,
// and asking for them printed a "TBB Warning" on stderr (the command's --threads 4 on 2 cores).
// Results do not depend on the arena's size.
inline tbb::task_arena fit_arena(int threads) {
  if (threads <= 0) return tbb::task_arena(tbb::task_arena::automatic);
  const std::size_t limit =
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  return tbb::task_arena(static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(threads), std::max<std::size_t>(limit, 1))));
}

// Centres, over the classes, the columns of a start's W (K x features, row-major, first in x)
// that the structured metric keeps centred (SoftmaxMetric::centred_columns: a penalty far below
// the column's second moment). Moving column j of W by c 1 leaves the loss unchanged and adds
// lambda K c^2 / 2 to the L2 penalty, so the penalised optimum has centred columns and this can
// only lower the objective; the metric projects those directions out of every step, so a warm
// start's excess there was never removed (a start shifted by 30 at lambda = 1e-7 ended 1e-3
// above the optimum). Other columns keep their bits: the solver reduces them itself.
inline void centre_start(std::vector<double>& x, std::span<const unsigned char> centred,
                         std::size_t classes) {
  const std::size_t features = centred.size();
  std::vector<double> shifts;
  column_means(x, classes, features, shifts);
  // The default zero start keeps its bits (a zero mean shifts nothing).
  for (std::size_t j = 0; j < features; ++j) shifts[j] = centred[j] ? -shifts[j] : 0.0;
  shift_columns(x, classes, features, shifts);
}

// run_fit over every column of data.
template <class T>
FitOutcome run_fit_all_columns(
    const FitOptions& options, const FitData<T>& data, std::size_t classes, double lambda,
    std::vector<double> start, std::shared_ptr<solvers_detail::GramFactorization>* gram_cache,
    const ChunkShare<T>* share,
    const std::function<std::shared_ptr<SoftmaxMetric<T>>()>& make_metric,
    solvers_detail::ScratchPool* scratch) {
  const std::size_t features = data.training.cols;
  RegressionProblem<T> problem;
  if (data.training.is_sparse) {
    problem.sparse_features = data.training.sparse_view();
  } else {
    problem.features = data.training.view();
  }
  problem.labels = data.training.labels;
  problem.sample_weights = data.training.weights;
  problem.num_classes = classes;
  problem.l2 = lambda;
  problem.fit_intercept = options.fit_intercept;
  TrainingObjective<T> objective(problem, share, data.grid_features);

  FitOutcome outcome;
  outcome.parameters = std::move(start);
  outcome.parameters.resize(objective.size(), 0.0);

  Objective solver_objective = objective.as_objective();
  SolverOptions solver = solver_options(options, classes, features);
  // Newton-CG and L-BFGS (model/redundant_directions.hpp). The structured solver's metric
  // already maps the gradient off them (centred columns, the intercepts' class-sum).
  const bool remove_redundant = solver.kind != SolverKind::structured;
  const bool weights_redundant = lambda == 0 && options.l1 == 0;
  std::vector<double> column_scratch;
  auto remove = [&](std::span<double> v) {
    if (remove_redundant)
      remove_redundant_directions(v, classes, features, options.fit_intercept, weights_redundant,
                                  column_scratch);
  };
  // OWL-QN's penalty on W (solver_options' l1 range); inactive without L1, where its
  // pseudo-gradient norm is norm2.
  const solvers_detail::L1Penalty penalty{options.l1, 0, classes * features};
  std::optional<double> initial_gradient_norm;
  int value_evaluations = 0, hessian_products = 0;
  solver_objective.hessian_vector = [&](std::span<const double> point, std::span<const double> v,
                                        std::span<double> hv) {
    ++hessian_products;
    objective.hessian_vector(point, v, hv);
    remove(hv);
  };
  // L-BFGS's points are held on the start's values along those directions too: removing them
  // from the gradients alone left OWL-QN's steps their rounding, which its pairs amplified
  // (intercepts drifting together to -1.1e9 on 200 unit-scale rows at C = 1000).
  if (remove_redundant && solver.kind == SolverKind::lbfgs) {
    solver_objective.project_point = RedundantDirectionsAt(
        outcome.parameters, classes, features, options.fit_intercept, weights_redundant);
  }
  solver_objective.value_and_gradient = [&](std::span<const double> point,
                                            std::span<double> gradient) {
    ++value_evaluations;
    const double value = objective.value_and_gradient(point, gradient);
    remove(gradient);
    // The norm the solver's rule tests, so that a warm fit given it as reference_gradient_norm
    // stops where a cold one does: with L1 the pseudo-gradient's (the smooth gradient's was
    // reported, 5e-7 where the rule's was 2.4), else the scaled norm2 (a plain sum of squares
    // overflowed for a feature of 1e200, and in range differed from gradient_norm by an ulp).
    if (!initial_gradient_norm)
      initial_gradient_norm = penalty.pseudo_gradient_norm(point, gradient);
    return value;
  };

  EarlyStopping<T> early_stopping(data.validation, classes, features, options.fit_intercept,
                                  options.patience);
  std::shared_ptr<SoftmaxMetric<T>> metric;
  auto passes_so_far = [&] {
    return value_evaluations + hessian_products + (metric ? metric->pass_equivalents() : 0.0);
  };
  // Which one stopped the solver (its reason is callback_stopped either way): the user's callback,
  // or early stopping alone (reported as early_stopped; it was callback_stopped with no callback).
  bool user_stopped = false;
  solver.callback = [&](const IterationReport& solver_report) {
    IterationReport report = solver_report;
    report.pass_equivalents = passes_so_far();
    const bool keep_going = !options.callback || options.callback(report);
    user_stopped = !keep_going;
    return early_stopping.observe(report.point) && keep_going;
  };

  tbb::task_arena arena = fit_arena(options.threads);
  SolverResult result;
  const auto setup_start = std::chrono::steady_clock::now();
  arena.execute([&] {
    if (solver.kind == SolverKind::structured) {
      // The factorisation of G is kept for the next fit on the same rows (a C search).
      metric = make_metric ? make_metric()
                           : std::make_shared<SoftmaxMetric<T>>(problem, SoftmaxMetricSettings{},
                                                                gram_cache, scratch);
      solver_objective.metric = metric;
      // Without a penalty every value along those directions is optimal: the start stays.
      if (lambda > 0) centre_start(outcome.parameters, metric->centred_columns(), classes);
    }
    // The start is a point reached: a warm start better on the held-out rows than every iterate
    // is the best one (it was never a candidate, and a fit that stopped at its start reported
    // no validation accuracy).
    early_stopping.observe(outcome.parameters);
    result = minimize(solver_objective, outcome.parameters, solver);
  });
  const double setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count() -
      result.seconds;
  outcome.solver = solver.kind;
  outcome.report = report_of(result, initial_gradient_norm.value_or(0.0));
  if (early_stopping.saw_nan()) {
    outcome.report.reason = StopReason::nan;  // a held-out row's probabilities were NaN
  } else if (outcome.report.reason == StopReason::callback_stopped && !user_stopped) {
    outcome.report.reason = StopReason::early_stopped;
  }
  outcome.report.evaluations = value_evaluations;
  outcome.report.hessian_products = hessian_products;
  if (metric) {
    outcome.report.setup_pass_equivalents = metric->setup_pass_equivalents();
    outcome.report.metric_pass_equivalents =
        metric->pass_equivalents() - outcome.report.setup_pass_equivalents;
    outcome.report.metric = metric->describe();
  }
  outcome.report.seconds = result.seconds + std::max(setup_seconds, 0.0);
  if (early_stopping.has_best() && outcome.report.reason != StopReason::nan) {
    // Keep the best validation point; its objective and gradient norm are evaluated again. When
    // it is an earlier iterate than the solver's converged one, the fit returns a point that did
    // not meet the stopping rule: its reason is early_stopped, not converged (which it kept, with
    // a gradient of 0.376 against a threshold of 1e-6). Other reasons already say the returned
    // point is not a solution.
    if (outcome.report.reason == StopReason::converged &&
        !std::ranges::equal(early_stopping.best_point(), outcome.parameters)) {
      outcome.report.reason = StopReason::early_stopped;
    }
    outcome.parameters = early_stopping.best_point();
    outcome.report.validation_accuracy = early_stopping.best_accuracy();
    std::vector<double> gradient(outcome.parameters.size());
    arena.execute([&] {
      outcome.report.objective = objective.value_and_gradient(outcome.parameters, gradient);
    });
    // The solver's own measures: with L1 the objective includes the penalty and the norm is the
    // pseudo-gradient's (they were the smooth part's), and the norm is scaled (solver_common).
    outcome.report.objective += penalty.value(outcome.parameters);
    outcome.report.gradient_norm = penalty.pseudo_gradient_norm(outcome.parameters, gradient);
    ++outcome.report.evaluations;
  }
  outcome.report.pass_equivalents = outcome.report.evaluations + outcome.report.hessian_products +
                                    outcome.report.setup_pass_equivalents +
                                    outcome.report.metric_pass_equivalents;
  return outcome;
}

// Trains on data.training from `start` (zeros, or the previous parameters for a warm start).
// gram_cache: the structured solver's factorisation of G, reused when the rows are the same.
// share: data.training is a share of a data-parallel problem (softmaxkit::mpi), or null; then
// make_metric builds the structured solver's metric (from rows gathered from every share).
// scratch: a C search's pool for the metric's buffers (solvers/scratch_pool.hpp), or null.
// CSR columns without entries in data are left out of the solve when that pays, unless a penalty
// would shrink a warm start's nonzero weights there (model/unused_columns.hpp; not for a share,
// whose caller, softmaxkit::mpi, leaves them out itself): their optimum is written in (0 with a
// penalty, else the start's value), and the callback still sees every column.
template <class T>
FitOutcome run_fit(const FitOptions& options, const FitData<T>& data, std::size_t classes,
                   double lambda, std::vector<double> start,
                   std::shared_ptr<solvers_detail::GramFactorization>* gram_cache,
                   const ChunkShare<T>* share = nullptr,
                   const std::function<std::shared_ptr<SoftmaxMetric<T>>()>& make_metric = {},
                   solvers_detail::ScratchPool* scratch = nullptr) {
  const std::unique_ptr<UsedColumns<T>> used =
      share == nullptr ? drop_unused_columns(data, start, classes, lambda > 0 || options.l1 > 0)
                       : nullptr;
  if (!used) {
    return run_fit_all_columns(options, data, classes, lambda, std::move(start), gram_cache, share,
                               make_metric, scratch);
  }
  // The full point: the unused columns' optimum (0 with a penalty, else the start), the used
  // ones overwritten by every point reached.
  const std::size_t size = classes * data.training.cols + (options.fit_intercept ? classes : 0);
  std::vector<double> full(size, 0.0);
  if (!start.empty()) start.resize(size, 0.0);  // as the full fit would take it
  if (lambda == 0 && options.l1 == 0 && !start.empty())
    std::copy(start.begin(), start.end(), full.begin());
  FitOptions inner = options;
  if (options.callback) {
    inner.callback = [&](const IterationReport& report) {
      used->scatter(report.point, classes, full);
      IterationReport whole = report;
      whole.point = full;
      return options.callback(whole);
    };
  }
  FitOutcome outcome =
      run_fit_all_columns(inner, used->data, classes, lambda, used->compress(start, classes),
                          gram_cache, share, make_metric, scratch);
  used->scatter(outcome.parameters, classes, full);
  outcome.parameters = std::move(full);
  return outcome;
}

}  // namespace softmaxkit::detail
