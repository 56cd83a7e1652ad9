// softmaxkit: train, predict and evaluate softmax-regression models from the command line.
// Exit codes: 0 success, 2 bad usage or bad input, 1 internal failure. Errors: one line on stderr.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "dataset_loading.hpp"
#include "json_writer.hpp"
#include "progress.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

// CLI11's range validators print the whole double range; these say what is expected.
const CLI::Validator positive(
    [](std::string& text) {
      double value = 0;
      return CLI::detail::lexical_cast(text, value) && value > 0 ? std::string()
                                                                  : "must be a number > 0";
    },
    "> 0");
const CLI::Validator non_negative(
    [](std::string& text) {
      double value = 0;
      return CLI::detail::lexical_cast(text, value) && value >= 0 ? std::string()
                                                                   : "must be a number >= 0";
    },
    ">= 0");

using softmaxkit::Dataset;
using softmaxkit::MatrixView;
using softmaxkit::SoftmaxRegression;
using softmaxkit::cli::DataSource;

MatrixView<const float> view_of(const Dataset& data) {
  return {data.features.data(), data.rows, data.cols};
}

struct TrainArguments {
  DataSource train, test;
  std::optional<double> l2, C;
  double l1 = 0;
  std::string solver = "auto";
  double tolerance = 1e-6;
  int max_iterations = 1000;
  int threads = 0;
  double validation_fraction = 0;
  bool no_intercept = false, use_double = false, json = false, quiet = false;
  std::string model_path;
};

std::string solver_name(softmaxkit::SolverKind kind) {
  switch (kind) {
    case softmaxkit::SolverKind::lbfgs:
      return "lbfgs";
    case softmaxkit::SolverKind::newton_cg:
      return "newton";
    case softmaxkit::SolverKind::structured:
      return "structured";
  }
  return "unknown";
}

int run_train(const TrainArguments& arguments) {
  const Dataset train = softmaxkit::cli::load_dataset(arguments.train);
  std::optional<Dataset> test;
  if (!arguments.test.path.empty()) {
    softmaxkit::cli::DataSource test_source = arguments.test;
    // Sparse files infer their width from the largest index; a test set must match training's.
    if (test_source.num_features == 0) test_source.num_features = train.cols;
    test = softmaxkit::cli::load_dataset(test_source);
  }

  softmaxkit::FitOptions options;
  if (arguments.l2) options.l2 = *arguments.l2;
  if (arguments.C) options.C = *arguments.C;
  options.l1 = arguments.l1;
  if (arguments.solver == "newton") options.solver = softmaxkit::SolverKind::newton_cg;
  if (arguments.solver == "lbfgs") options.solver = softmaxkit::SolverKind::lbfgs;
  if (arguments.solver == "structured") options.solver = softmaxkit::SolverKind::structured;
  options.tolerance = arguments.tolerance;
  options.max_iterations = arguments.max_iterations;
  options.threads = arguments.threads;
  options.fit_intercept = !arguments.no_intercept;
  options.use_double = arguments.use_double;
  options.validation_fraction = arguments.validation_fraction;
  softmaxkit::cli::Progress progress(arguments.quiet || arguments.json);
  options.callback = [&progress](const softmaxkit::IterationReport& report) {
    progress.report(report);
    return true;
  };

  SoftmaxRegression model(options);
  const softmaxkit::FitReport report = model.fit(view_of(train), train.labels);
  progress.finish();
  const double train_accuracy = model.score(view_of(train), train.labels);
  std::optional<double> test_accuracy;
  if (test) test_accuracy = model.score(view_of(*test), test->labels);
  if (!arguments.model_path.empty()) model.save(arguments.model_path);

  const bool converged = report.reason == softmaxkit::StopReason::converged;
  if (arguments.json) {
    softmaxkit::cli::JsonObject json;
    json.add("objective", report.objective);
    json.add("grad_norm", report.gradient_norm);
    json.add("initial_grad_norm", report.initial_gradient_norm);
    json.add("iterations", static_cast<long long>(report.iterations));
    json.add("evaluations", static_cast<long long>(report.evaluations));
    json.add("hessian_products", static_cast<long long>(report.hessian_products));
    json.add("setup_pass_equivalents", report.setup_pass_equivalents);
    json.add("metric_pass_equivalents", report.metric_pass_equivalents);
    json.add("pass_equivalents", report.pass_equivalents);
    if (!report.metric.empty()) json.add("metric", report.metric);
    json.add("fit_seconds", report.seconds);
    json.add("train_accuracy", train_accuracy);
    if (test_accuracy) json.add("test_accuracy", *test_accuracy);
    if (report.validation_accuracy) json.add("validation_accuracy", *report.validation_accuracy);
    json.add_bool("converged", converged);
    json.add("stop_reason", std::string(softmaxkit::to_string(report.reason)));
    json.add("solver", solver_name(model.solver_used()));
    json.add("l2", model.effective_l2());
    json.add("rows", static_cast<long long>(train.rows));
    json.add("features", static_cast<long long>(train.cols));
    json.add("classes", static_cast<long long>(model.num_classes()));
    json.add("isa", std::string(softmaxkit::to_string(softmaxkit::active_isa())));
    std::printf("%s\n", json.str().c_str());
  } else if (!arguments.quiet) {
    std::printf("trained on %zu rows x %zu features, %zu classes, l2 = %.6g, solver %s\n",
                train.rows, train.cols, model.num_classes(), model.effective_l2(),
                solver_name(model.solver_used()).c_str());
    std::printf("stop: %s; gradient norm %.3e (initial %.3e, relative %.2e)\n",
                std::string(softmaxkit::to_string(report.reason)).c_str(), report.gradient_norm,
                report.initial_gradient_norm,
                report.gradient_norm / std::max(1.0, report.initial_gradient_norm));
    std::printf("objective %.10g; %d iterations, %d evaluations, %d Hessian products, %.1f pass "
                "equivalents (setup %.2f, metric %.2f), %.2f s\n",
                report.objective, report.iterations, report.evaluations, report.hessian_products,
                report.pass_equivalents, report.setup_pass_equivalents,
                report.metric_pass_equivalents, report.seconds);
    if (!report.metric.empty()) std::printf("metric %s\n", report.metric.c_str());
    std::printf("train accuracy %.4f\n", train_accuracy);
    if (test_accuracy) std::printf("test accuracy %.4f\n", *test_accuracy);
    if (!arguments.model_path.empty()) std::printf("model written to %s\n", arguments.model_path.c_str());
  }
  return 0;
}

DataSource matching_model(DataSource source, const SoftmaxRegression& model) {
  if (source.num_features == 0) source.num_features = model.num_features();
  return source;
}

int run_predict(const std::string& model_path, const DataSource& source, bool probabilities) {
  const SoftmaxRegression model = SoftmaxRegression::load(model_path);
  const Dataset data = softmaxkit::cli::load_dataset(matching_model(source, model));
  if (probabilities) {
    const std::vector<double> p = model.predict_proba(view_of(data));
    for (std::size_t i = 0; i < data.rows; ++i) {
      for (std::size_t k = 0; k < model.num_classes(); ++k)
        std::printf(k == 0 ? "%.9g" : ",%.9g", p[i * model.num_classes() + k]);
      std::printf("\n");
    }
  } else {
    for (std::int32_t label : model.predict(view_of(data))) std::printf("%d\n", label);
  }
  return 0;
}

int run_evaluate(const std::string& model_path, const DataSource& source, bool json_output) {
  const SoftmaxRegression model = SoftmaxRegression::load(model_path);
  const Dataset data = softmaxkit::cli::load_dataset(matching_model(source, model));
  const double accuracy = model.score(view_of(data), data.labels);
  if (json_output) {
    softmaxkit::cli::JsonObject json;
    json.add("accuracy", accuracy);
    json.add("rows", static_cast<long long>(data.rows));
    std::printf("%s\n", json.str().c_str());
  } else {
    std::printf("accuracy %.4f on %zu rows\n", accuracy, data.rows);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"softmaxkit: multinomial logistic regression, trained fast and reproducibly"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "softmaxkit 0.1.0");

  TrainArguments train;
  CLI::App* train_command = app.add_subcommand("train", "fit a model");
  train_command->add_option("--format", train.train.format, "idx | csv | libsvm")
      ->required()
      ->check(CLI::IsMember({"idx", "csv", "libsvm"}));
  train_command->add_option("--train", train.train.path, "training data")->required();
  train_command->add_option("--train-labels", train.train.labels_path, "idx: training labels");
  auto* test_option = train_command->add_option("--test", train.test.path, "test data");
  train_command->add_option("--test-labels", train.test.labels_path, "idx: test labels")
      ->needs(test_option);
  auto* l2_option = train_command->add_option("--l2", train.l2, "L2 strength lambda")
                        ->check(non_negative);
  train_command->add_option("--C", train.C, "inverse regularisation, lambda = 1/(C m)")
      ->check(positive)
      ->excludes(l2_option);
  train_command->add_option("--l1", train.l1, "L1 strength (OWL-QN, lbfgs only)")
      ->check(non_negative);
  train_command->add_option("--solver", train.solver,
                            "auto (structured; lbfgs with --l1) | structured | lbfgs | newton")
      ->check(CLI::IsMember({"auto", "structured", "lbfgs", "newton"}));
  train_command->add_option("--tol", train.tolerance, "relative gradient-norm tolerance")
      ->check(positive);
  train_command->add_option("--max-iter", train.max_iterations, "iteration limit")
      ->check(non_negative);
  train_command->add_option("--threads", train.threads, "threads (0: all cores)")
      ->check(non_negative);
  train_command->add_option("--validation-fraction", train.validation_fraction,
                            "hold out this fraction for early stopping")
      ->check(CLI::Range(0.0, 0.99));
  train_command->add_flag("--no-intercept", train.no_intercept, "fit without an intercept");
  train_command->add_flag("--double", train.use_double, "compute in double precision");
  train_command->add_option("--model", train.model_path, "write the model here");
  train_command->add_flag("--json", train.json, "print one JSON object with the results");
  train_command->add_flag("--quiet", train.quiet, "print nothing but errors (and --json)");
  bool no_scale = false;
  train_command->add_flag("--no-scale", no_scale, "idx: keep raw uint8 values");
  train_command->add_flag("--header", train.train.header, "csv: skip a header line");
  train_command->add_option("--label-column", train.train.label_column,
                            "csv: label column, 0-based, -1 for the last");
  train_command->add_option("--num-features", train.train.num_features,
                            "libsvm: feature count (default: inferred)");

  std::string model_path, data_format, data_path, data_labels;
  bool probabilities = false, evaluate_json = false, data_no_scale = false, data_header = false;
  int data_label_column = 0;
  std::size_t data_num_features = 0;
  auto add_data_arguments = [&](CLI::App* command) {
    command->add_option("--model", model_path, "model file")->required();
    command->add_option("--format", data_format, "idx | csv | libsvm")
        ->required()
        ->check(CLI::IsMember({"idx", "csv", "libsvm"}));
    command->add_option("--data", data_path, "data file")->required();
    command->add_option("--data-labels", data_labels, "idx: labels file");
    command->add_flag("--no-scale", data_no_scale, "idx: keep raw uint8 values");
    command->add_flag("--header", data_header, "csv: skip a header line");
    command->add_option("--label-column", data_label_column, "csv: label column");
    command->add_option("--num-features", data_num_features, "libsvm: feature count");
  };
  CLI::App* predict_command = app.add_subcommand("predict", "print a label (or probabilities) per row");
  add_data_arguments(predict_command);
  predict_command->add_flag("--proba", probabilities, "print class probabilities");
  CLI::App* evaluate_command = app.add_subcommand("evaluate", "print the accuracy on labelled data");
  add_data_arguments(evaluate_command);
  evaluate_command->add_flag("--json", evaluate_json, "print one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::fprintf(stderr, "softmaxkit: %s\n", error.what());
    return 2;
  }

  try {
    if (*train_command) {
      train.train.scale = !no_scale;
      train.test.format = train.train.format;
      train.test.scale = train.train.scale;
      train.test.header = train.train.header;
      train.test.label_column = train.train.label_column;
      train.test.num_features = train.train.num_features;
      return run_train(train);
    }
    DataSource source{data_format, data_path, data_labels, !data_no_scale,
                      data_label_column, data_header, data_num_features};
    if (*predict_command) return run_predict(model_path, source, probabilities);
    return run_evaluate(model_path, source, evaluate_json);
  } catch (const softmaxkit::Error& error) {
    std::fprintf(stderr, "softmaxkit: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "softmaxkit: internal error: %s\n", error.what());
    return 1;
  }
}
