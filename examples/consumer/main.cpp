// Uses the installed library as an outside project would, through the umbrella header only, and
// checks its answers against closed forms. Built with strict warnings as errors (CMakeLists.txt):
// the README's designated initializers must compile cleanly there (g++'s -Wextra warned about
// every member without a default initializer until 2026-12-07).
#include <cmath>
#include <cstdio>
#include <softmaxkit/softmaxkit.hpp>
#include <type_traits>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("consumer: %s wrong\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  std::vector<double> values = {0.0, 1.0, -1.0, 2.0};
  softmaxkit::exp(std::span<double>(values));
  const double expected[] = {1.0, std::exp(1.0), std::exp(-1.0), std::exp(2.0)};
  for (std::size_t i = 0; i < values.size(); ++i)
    check(std::fabs(values[i] - expected[i]) <= 1e-15 * expected[i], "exp");

  // The README's API tour: at W = 0 and b = 0 every probability is 1/K, so J = log K and
  // dJ/db_k = 1/K - (the fraction of rows labelled k).
  const std::vector<float> features = {1, 2, 3, 4, 5, 6};  // 3 rows x 2 features
  const std::vector<std::int32_t> y = {0, 1, 1};
  const softmaxkit::MatrixView<const float> X(features.data(), 3, 2);
  softmaxkit::RegressionProblem<float> problem{
      .features = X, .labels = y, .num_classes = 2, .l2 = 1e-4};
  softmaxkit::LossGradient<float> loss(problem);
  std::vector<float> W(4, 0.0f), b(2, 0.0f), grad_W(4), grad_b(2);
  const double J = loss.evaluate(W, b, grad_W, grad_b);
  check(std::fabs(J - std::log(2.0)) <= 1e-6, "the loss at zero");
  check(std::fabs(grad_b[0] - (0.5 - 1.0 / 3)) <= 1e-6, "the intercept gradient");

  const softmaxkit::CrossEntropyOptions<float> smoothing{.label_smoothing = 0.1};
  const std::vector<float> logits(6, 0.0f);
  const softmaxkit::CrossEntropyResult ce = softmaxkit::cross_entropy(
      softmaxkit::MatrixView<const float>(logits.data(), 3, 2), y, smoothing);
  check(std::fabs(ce.loss - std::log(2.0)) <= 1e-6, "cross_entropy at equal logits");

  const softmaxkit::SolverOptions solver{.kind = softmaxkit::SolverKind::newton_cg,
                                         .tolerance = 1e-8};
  check(solver.callback == nullptr && solver.preconditioner.empty(), "SolverOptions' defaults");
  // metric.hpp comes with the umbrella header: a custom metric is a complete type there.
  static_assert(std::is_abstract_v<softmaxkit::Metric>);

  softmaxkit::SoftmaxRegression model({.C = 1.0});
  const softmaxkit::FitReport report = model.fit(X, y);
  check(report.reason == softmaxkit::StopReason::converged, "the fit's stop reason");
  check(model.predict(X).size() == 3, "predict");

  if (failures == 0)
    std::printf("consumer: softmaxkit on %s works\n",
                softmaxkit::to_string(softmaxkit::active_isa()).data());
  return failures == 0 ? 0 : 1;
}
