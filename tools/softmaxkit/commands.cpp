#include "commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "accuracy_text.hpp"
#include "address_space.hpp"
#include "json_writer.hpp"
#include "option_numbers.hpp"
#include "progress.hpp"
#include "row_weights.hpp"
#include "search_command.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace softmaxkit::cli {
namespace {

// CLI11's range validators print the whole double range and let NaN through; these say what is
// expected and refuse NaN and infinities.
CLI::Validator finite_number(bool (*accept)(double), const std::string& expected) {
  return CLI::Validator(
      [accept, expected](std::string& text) {
        double value = 0;
        return read_decimal(text, value) && std::isfinite(value) && accept(value)
                   ? std::string()
                   : "must be " + expected + ", not '" + text + "'";
      },
      expected);
}
const CLI::Validator positive =
    finite_number([](double v) { return v > 0; }, "a finite number > 0");
const CLI::Validator non_negative =
    finite_number([](double v) { return v >= 0; }, "a finite number >= 0");
const CLI::Validator fraction =
    finite_number([](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)");

// A path option given as '' (it used to write nothing and exit 0 for --model).
const CLI::Validator non_empty(
    [](std::string& text) { return text.empty() ? std::string("must not be empty") : ""; }, "PATH");

// A flag given twice is a mistake like an option given twice.
CLI::Option* once(CLI::Option* option) {
  return option->multi_option_policy(CLI::MultiOptionPolicy::Throw);
}

MatrixView<const float> view_of(const Dataset& data) {
  return {data.features.data(), data.rows, data.cols};
}

// Calls f with the data's features: the CSR view (LibSVM) or the dense matrix view.
template <class F>
decltype(auto) with_features(const LoadedData& data, F&& f) {
  if (data.sparse) return f(data.sparse->features.view());
  return f(view_of(*data.dense));
}

std::string describe(const DataSource& source, const LoadedData& data) {
  return describe_data(
      source, data.rows(), data.cols(),
      data.sparse ? std::optional<std::size_t>(data.sparse->features.nnz()) : std::nullopt);
}

// Fails before any work when --model names something save could not (or must not) replace: an
// existing non-regular file (device, directory, FIFO, symbolic link) or a missing directory.
// Nor a file the command reads (the model would overwrite the data it was trained on).
void check_model_target(const std::string& path, std::initializer_list<const std::string*> inputs) {
  if (path.empty()) return;
  for (const std::string* input : inputs) {
    std::error_code error;
    if (!input->empty() && std::filesystem::equivalent(path, *input, error)) {
      throw Error("--model '" + path + "' is the input file '" + *input +
                  "'; refusing to overwrite it");
    }
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    throw Error("--model '" + path + "' exists and is not a regular file; refusing to replace it");
  }
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  if (::stat(directory.c_str(), &info) != 0) {
    throw Error("--model '" + path + "': directory '" + directory + "' does not exist");
  }
  if (!S_ISDIR(info.st_mode)) {
    throw Error("--model '" + path + "': '" + directory + "' is not a directory");
  }
  // The model is written to ".<name>.tmp.<pid>.<6 characters>" and renamed: a name within 20
  // bytes of the directory's limit used to fail only after the fit.
  const std::string name = std::filesystem::path(path).filename().string();
  const long name_max = ::pathconf(directory.c_str(), _PC_NAME_MAX);
  // ".", ".tmp.", the pid (Linux's pid_max is at most 2^22: 7 digits), ".XXXXXX"
  constexpr std::size_t kTemporarySuffix = 20;
  if (name_max > 0 && name.size() + kTemporarySuffix > static_cast<std::size_t>(name_max)) {
    throw Error("--model '" + path + "': the file name is " + std::to_string(name.size()) +
                " bytes; with its temporary file's " + std::to_string(kTemporarySuffix) +
                " more it exceeds the limit of " + std::to_string(name_max) + " bytes in '" +
                directory + "'");
  }
  // A directory the command may not create files in (read-only, /sys, /proc) failed only at the
  // save, after the fit: the temporary file's kind is created there now and removed at once.
  std::string probe = directory + "/." + name + ".tmp." + std::to_string(::getpid()) + ".XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    throw Error("--model '" + path + "': cannot create a file in '" + directory +
                "': " + std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  // The save opens the directory to sync it: one that may be written but not read (mode 0333)
  // failed only at the save, after the fit.
  const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) {
    throw Error("--model '" + path + "': cannot open the directory '" + directory +
                "' to sync it after the save: " + std::strerror(errno));
  }
  ::close(directory_fd);
}

// A format's own option given with another format used to be ignored without a word (`--header`
// on a LibSVM file, `--label-column` on IDX): refused after parsing, naming the option.
void refuse_other_formats_options(const CLI::App& command) {
  const std::string format = command.get_option("--format")->as<std::string>();
  struct Owned {
    const char* option;
    const char* format;
  };
  constexpr Owned owned[] = {{"--no-scale", "idx"},
                             {"--header", "csv"},
                             {"--label-column", "csv"},
                             {"--no-labels", "csv"},
                             {"--num-features", "libsvm"}};
  for (const Owned& o : owned) {
    const CLI::Option* option = command.get_option_no_throw(o.option);  // --no-labels: predict's
    if (option != nullptr && option->count() > 0 && format != o.format) {
      throw CLI::ValidationError(o.option, std::string("applies to --format ") + o.format +
                                               " only, not --format " + format);
    }
  }
}

void add_data_source_options(CLI::App* command, DataArguments& arguments) {
  once(command->add_option("--model", arguments.model_path, "model file")->required());
  once(command->add_option("--format", arguments.data.format, "idx | csv | libsvm")
           ->required()
           ->check(CLI::IsMember({"idx", "csv", "libsvm"})));
  once(command->add_option("--data", arguments.data.path, "data file")->required());
  once(command->add_option("--data-labels", arguments.data.labels_path, "idx: labels file"));
  arguments.data.labels_option = "--data-labels";
  once(command->add_flag("--no-scale", arguments.no_scale, "idx: keep raw uint8 values"));
  once(command->add_flag("--header", arguments.data.header, "csv: skip a header line"));
  // Checked as train checks them: CLI11 read an empty value as 0.
  once(command
           ->add_option("--label-column", arguments.data.label_column,
                        "csv: label column, 0-based, -1 for the last")
           ->transform(whole_number));
  once(command
           ->add_option("--num-features", arguments.data.num_features,
                        "libsvm: feature count (default: the model's)")
           ->transform(count_number));
  command->callback([command] { refuse_other_formats_options(*command); });
}

// The model's width for sparse files that do not say theirs.
DataSource matching_model(DataSource source, const SoftmaxRegression& model) {
  if (source.num_features == 0) source.num_features = model.num_features();
  return source;
}

// predict / evaluate's data, refused when its width is not the model's (the message used to name
// neither file).
LoadedData load_model_data(const DataSource& given, const SoftmaxRegression& model,
                           const std::string& model_path) {
  const DataSource source = matching_model(given, model);
  LoadedData data = load_dataset(source);
  if (data.cols() != model.num_features()) {
    throw Error("--data " + describe(source, data) + ": not the width of the model " + model_path +
                " (" + std::to_string(model.num_features()) + " features)");
  }
  return data;
}

}  // namespace

void check_train_model_target(const TrainArguments& arguments) {
  // Every file train reads (the weights file was missing: --model naming it was overwritten).
  check_model_target(arguments.model_path,
                     {&arguments.train.path, &arguments.train.labels_path, &arguments.test.path,
                      &arguments.test.labels_path, &arguments.sample_weights_path});
}

void check_test_set(const DataSource& source, const LoadedData& test, const DataSource& train,
                    std::size_t train_cols, std::span<const std::int32_t> train_classes) {
  // Before any work: a narrower or wider test set was stacked under the training rows by the C
  // search (--cv 0) as if it had their width, read outside its rows.
  if (test.cols() != train_cols) {
    throw Error("--test " + describe(source, test) + ": not the width of --train " + train.path +
                " (" + std::to_string(train_cols) + " features)");
  }
  // A test label that never occurs in training cannot be predicted: refused before training
  // (score would refuse it after, exit 2 either way).
  const std::vector<std::int32_t>& labels = test.labels();
  if (const auto row = first_unknown_label(labels, train_classes)) {
    throw Error("--test " + label_location(source, *row) + ": label " +
                std::to_string(labels[*row]) + " does not occur in the training data");
  }
}

void add_fit_report(JsonObject& json, const FitReport& report) {
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
}

FitOptions fit_options(const TrainArguments& arguments) {
  FitOptions options;
  if (arguments.l2) options.l2 = *arguments.l2;
  if (arguments.C) options.C = *arguments.C;
  options.l1 = arguments.l1;
  if (arguments.solver == "newton") options.solver = SolverKind::newton_cg;
  if (arguments.solver == "lbfgs") options.solver = SolverKind::lbfgs;
  if (arguments.solver == "structured") options.solver = SolverKind::structured;
  options.tolerance = arguments.tolerance;
  options.max_iterations = arguments.max_iterations;
  options.threads = arguments.threads;
  options.fit_intercept = !arguments.no_intercept;
  options.use_double = arguments.use_double;
  options.validation_fraction = arguments.validation_fraction;
  return options;
}

namespace {

struct TrainResult {
  FitReport report;
  double train_accuracy = 0;
  std::optional<double> test_accuracy;
};

void print_json(const TrainResult& result, const SoftmaxRegression& model,
                const LoadedData& train) {
  const FitReport& report = result.report;
  JsonObject json;
  add_fit_report(json, report);
  json.add("train_accuracy", result.train_accuracy);
  if (result.test_accuracy) json.add("test_accuracy", *result.test_accuracy);
  if (report.validation_accuracy) json.add("validation_accuracy", *report.validation_accuracy);
  json.add_bool("converged", report.reason == StopReason::converged);
  json.add("stop_reason", std::string(to_string(report.reason)));
  json.add("solver", solver_name(model.solver_used()));
  json.add("l2", model.effective_l2());
  json.add("rows", static_cast<long long>(train.rows()));
  json.add("features", static_cast<long long>(train.cols()));
  if (train.sparse) json.add("stored_values", static_cast<long long>(train.sparse->features.nnz()));
  json.add("classes", static_cast<long long>(model.num_classes()));
  add_run_environment(json);
  std::printf("%s\n", json.str().c_str());
}

}  // namespace

std::string solver_name(SolverKind kind) {
  switch (kind) {
    case SolverKind::lbfgs:
      return "lbfgs";
    case SolverKind::newton_cg:
      return "newton";
    case SolverKind::structured:
      return "structured";
  }
  return "unknown";
}

void print_fit_lines(const FitReport& report) {
  std::printf("stop: %s; gradient norm %.3e (initial %.3e, relative %.2e)\n",
              std::string(to_string(report.reason)).c_str(), report.gradient_norm,
              report.initial_gradient_norm,
              report.gradient_norm / std::max(1.0, report.initial_gradient_norm));
  std::printf(
      "objective %.10g; %d iterations, %d evaluations, %d Hessian products, %.1f pass "
      "equivalents (setup %.2f, metric %.2f), %.2f s\n",
      report.objective, report.iterations, report.evaluations, report.hessian_products,
      report.pass_equivalents, report.setup_pass_equivalents, report.metric_pass_equivalents,
      report.seconds);
  if (!report.metric.empty()) std::printf("metric %s\n", report.metric.c_str());
}

namespace {

void print_text(const TrainResult& result, const SoftmaxRegression& model, const LoadedData& train,
                const std::string& model_path) {
  const FitReport& report = result.report;
  std::printf("trained on %zu rows x %zu features", train.rows(), train.cols());
  if (train.sparse) std::printf(" (CSR, %zu stored values)", train.sparse->features.nnz());
  std::printf(", %zu classes, l2 = %.6g, solver %s\n", model.num_classes(), model.effective_l2(),
              solver_name(model.solver_used()).c_str());
  print_fit_lines(report);
  std::printf("train accuracy %s\n", accuracy_text(result.train_accuracy).c_str());
  if (result.test_accuracy)
    std::printf("test accuracy %s\n", accuracy_text(*result.test_accuracy).c_str());
  if (!model_path.empty()) std::printf("model written to %s\n", model_path.c_str());
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainArguments& a) {
  CLI::App* c = app.add_subcommand("train", "fit a model");
  once(c->add_option("--format", a.train.format, "idx | csv | libsvm")
           ->required()
           ->check(CLI::IsMember({"idx", "csv", "libsvm"})));
  once(c->add_option("--train", a.train.path, "training data")->required());
  once(c->add_option("--train-labels", a.train.labels_path, "idx: training labels"));
  a.train.labels_option = "--train-labels";
  a.test.labels_option = "--test-labels";
  CLI::Option* test = once(c->add_option("--test", a.test.path, "test data"));
  once(c->add_option("--test-labels", a.test.labels_path, "idx: test labels")->needs(test));
  CLI::Option* l2 = once(c->add_option("--l2", a.l2, "L2 strength lambda")->check(non_negative));
  CLI::Option* c_values =
      once(c->add_option(
                "--C", a.C_values,
                "inverse regularisation, lambda = 1/(C W), W the sum of the row weights (m without "
                "weights); a list a,b,c searches over C")
               ->check(c_list)
               ->excludes(l2));
  once(c->add_option("--C-grid", a.C_grid, "search C over low:high:count log-spaced values")
           ->check(c_grid)
           ->excludes(l2)
           ->excludes(c_values));
  once(c->add_option("--cv", a.cv,
                     "folds for the C search (default 5; 0: validate on --test); LibSVM stays CSR")
           ->transform(whole_number)
           ->check(CLI::Range(0, 1000000)));
  once(c->add_option("--cv-seed", a.cv_seed, "seed of the stratified folds")
           ->transform(seed_number));
  once(c->add_option("--l1", a.l1, "L1 strength (OWL-QN, lbfgs only)")->check(non_negative));
  once(c->add_option("--solver", a.solver,
                     "auto (structured; lbfgs with --l1) | structured | lbfgs | newton")
           ->check(CLI::IsMember({"auto", "structured", "lbfgs", "newton"})));
  once(c->add_option("--tol", a.tolerance, "relative gradient-norm tolerance")->check(positive));
  once(c->add_option("--max-iter", a.max_iterations, "iteration limit")
           ->transform(whole_number)
           ->check(non_negative));
  once(c->add_option("--threads", a.threads,
                     "threads (0: all cores; at most " + std::to_string(max_threads) + ")")
           ->transform(whole_number)
           ->check(CLI::Range(0, max_threads)));
  once(c->add_option("--validation-fraction", a.validation_fraction,
                     "hold out this fraction for early stopping")
           ->check(fraction));
  once(c->add_flag("--no-intercept", a.no_intercept, "fit without an intercept"));
  once(c->add_flag("--double", a.use_double,
                   "compute in double precision (on the data as read: float values)"));
  once(c->add_option("--model", a.model_path, "write the model here")->check(non_empty));
  once(c->add_option("--sample-weights", a.sample_weights_path,
                     "a weight per training row, one per line (finite, >= 0)")
           ->check(non_empty));
  once(c->add_option("--class-weight", a.class_weight,
                     "balanced, or label:weight,... (multiplies the sample weights)")
           ->check(class_weight_text));
  once(c->add_flag("--json", a.json, "print one JSON object with the results"));
  once(c->add_flag("--quiet", a.quiet, "print nothing but errors (and --json)"));
  once(c->add_flag("--no-scale", a.no_scale, "idx: keep raw uint8 values"));
  once(c->add_flag("--header", a.train.header, "csv: skip a header line"));
  once(c->add_option("--label-column", a.train.label_column,
                     "csv: label column, 0-based, -1 for the last")
           ->transform(whole_number));
  once(c->add_option("--num-features", a.train.num_features,
                     "libsvm: feature count (default: inferred)")
           ->transform(count_number));
  c->callback([c] { refuse_other_formats_options(*c); });
  return c;
}

CLI::App* add_predict_command(CLI::App& app, PredictArguments& arguments) {
  CLI::App* c = app.add_subcommand("predict", "print a label (or probabilities) per row");
  add_data_source_options(c, arguments);
  once(c->add_flag("--proba", arguments.probabilities, "print class probabilities"));
  once(c->add_flag("--no-labels", arguments.no_labels,
                   "csv: the file has no label column, every field is a feature")
           ->excludes("--label-column"));
  return c;
}

CLI::App* add_evaluate_command(CLI::App& app, EvaluateArguments& arguments) {
  CLI::App* c = app.add_subcommand("evaluate", "print the accuracy on labelled data");
  add_data_source_options(c, arguments);
  once(c->add_option("--sample-weights", arguments.sample_weights_path,
                     "a weight per row, one per line: the weighted accuracy")
           ->check(non_empty));
  once(c->add_flag("--json", arguments.json, "print one JSON object"));
  return c;
}

std::vector<float> training_row_weights(const TrainArguments& arguments,
                                        std::span<const std::int32_t> labels) {
  if (arguments.sample_weights_path.empty() && arguments.class_weight.empty()) return {};
  std::vector<float> sample;
  if (!arguments.sample_weights_path.empty())
    sample = read_sample_weights(arguments.sample_weights_path, labels.size());
  std::vector<std::int32_t> classes;
  std::vector<std::size_t> counts;
  std::vector<double> factors;
  if (!arguments.class_weight.empty()) {
    std::map<std::int32_t, std::size_t> count_of;
    for (std::int32_t label : labels) ++count_of[label];
    for (const auto& [label, count] : count_of) {
      classes.push_back(label);
      counts.push_back(count);
    }
    factors = class_factors(arguments.class_weight, classes, counts);
  }
  return row_weights(sample, factors, classes, labels);
}

int run_train(TrainArguments arguments) {
  check_train_model_target(arguments);
  const bool search = resolve_c(arguments);
  check_address_space(arguments.threads);
  arguments.train.scale = !arguments.no_scale;
  // The test set is read like the training set.
  arguments.test.format = arguments.train.format;
  arguments.test.scale = arguments.train.scale;
  arguments.test.header = arguments.train.header;
  arguments.test.label_column = arguments.train.label_column;
  arguments.test.num_features = arguments.train.num_features;

  const LoadedData train = load_dataset(arguments.train);
  std::optional<LoadedData> test;
  if (!arguments.test.path.empty()) {
    DataSource source = arguments.test;
    // Sparse files infer their width from the largest index; a test set must match training's.
    if (source.num_features == 0) source.num_features = train.cols();
    test = load_dataset(source);
    std::vector<std::int32_t> classes = train.labels();
    std::sort(classes.begin(), classes.end());
    check_test_set(source, *test, arguments.train, train.cols(), classes);
  }

  const std::vector<float> weights = training_row_weights(arguments, train.labels());
  FitOptions options = fit_options(arguments);
  if (search) {
    return run_search(arguments, options, train, test, weights);
  }
  Progress progress(arguments.quiet || arguments.json);
  options.callback = [&progress](const IterationReport& report) {
    progress.report(report);
    return true;
  };
  SoftmaxRegression model(options);
  TrainResult result;
  try {
    result.report = with_features(
        train, [&](const auto& features) { return model.fit(features, train.labels(), weights); });
  } catch (const Error& error) {
    // The fit's refusals (a shape whose workspaces would not fit, one class, ...) name the data.
    throw Error("--train " + describe(arguments.train, train) + ": " + error.what());
  }
  progress.finish();
  if (result.report.reason == StopReason::nan) {
    // load_dataset refused non-finite data, so the fit itself overflowed.
    throw TrainingFailed("training stopped after " + std::to_string(result.report.iterations) +
                         " iterations: the objective or its gradient became NaN or infinite "
                         "(stop_reason nan; an extreme --l2 or --C in float? try --double); no "
                         "model written");
  }
  const auto score = [&model](const LoadedData& data) {
    return with_features(
        data, [&](const auto& features) { return model.score(features, data.labels()); });
  };
  result.train_accuracy = score(train);
  if (test) result.test_accuracy = score(*test);
  if (!arguments.model_path.empty()) write_model(arguments.model_path, model);

  if (arguments.json) {
    print_json(result, model, train);
  } else if (!arguments.quiet) {
    print_text(result, model, train, arguments.model_path);
  }
  return 0;
}

int run_predict(PredictArguments arguments) {
  arguments.data.scale = !arguments.no_scale;
  arguments.data.labels_needed = false;  // --data-labels is optional: predict uses none
  arguments.data.csv_labels = !arguments.no_labels;
  check_address_space(0);
  const SoftmaxRegression model = SoftmaxRegression::load(arguments.model_path);
  const LoadedData data = load_model_data(arguments.data, model, arguments.model_path);
  // The library's messages name a row; these name the files too.
  const std::string files =
      "--data " + arguments.data.path + " with the model " + arguments.model_path + ": ";
  if (arguments.probabilities) {
    const std::vector<double> p =
        with_features(data, [&](const auto& features) { return model.predict_proba(features); });
    // predict_proba gives a row NaN probabilities where its logits leave double's range (the
    // readers refuse non-finite data): printed, they were "nan" with exit 0. predict refuses it.
    const std::size_t classes = model.num_classes();
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (std::isnan(p[i])) {
        throw Error(files + "row " + std::to_string(i / classes) +
                    " (from 0) has NaN class probabilities: its logits are beyond double's "
                    "range");
      }
    }
    for (std::size_t i = 0; i < data.rows(); ++i) {
      for (std::size_t k = 0; k < classes; ++k)
        std::printf(k == 0 ? "%.17g" : ",%.17g", p[i * classes + k]);
      std::printf("\n");
    }
  } else {
    std::vector<std::int32_t> labels;
    try {
      labels = with_features(data, [&](const auto& features) { return model.predict(features); });
    } catch (const Error& error) {
      throw Error(files + error.what());
    }
    for (std::int32_t label : labels) std::printf("%d\n", label);
  }
  return 0;
}

int run_evaluate(EvaluateArguments arguments) {
  arguments.data.scale = !arguments.no_scale;
  check_address_space(0);
  const SoftmaxRegression model = SoftmaxRegression::load(arguments.model_path);
  const LoadedData data = load_model_data(arguments.data, model, arguments.model_path);
  // A label the model does not know: score would refuse it naming the row; named here by its
  // file, line and column. With --sample-weights the score is the weighted accuracy.
  if (const auto row = first_unknown_label(data.labels(), model.class_labels())) {
    throw Error("--data " + label_location(arguments.data, *row) + ": label " +
                std::to_string(data.labels()[*row]) + " is not one of the classes of the model " +
                arguments.model_path);
  }
  const std::vector<float> weights =
      arguments.sample_weights_path.empty()
          ? std::vector<float>()
          : read_sample_weights(arguments.sample_weights_path, data.rows());
  double accuracy = 0;
  try {
    accuracy = with_features(
        data, [&](const auto& features) { return model.score(features, data.labels(), weights); });
  } catch (const Error& error) {
    throw Error("--data " + arguments.data.path + " with the model " + arguments.model_path + ": " +
                error.what());
  }
  if (arguments.json) {
    JsonObject json;
    json.add("accuracy", accuracy);
    json.add("rows", static_cast<long long>(data.rows()));
    if (!weights.empty()) json.add_bool("weighted", true);
    std::printf("%s\n", json.str().c_str());
  } else {
    std::printf("accuracy %s on %zu rows%s\n", accuracy_text(accuracy).c_str(), data.rows(),
                weights.empty() ? "" : " (weighted by --sample-weights)");
  }
  return 0;
}

void add_run_environment(JsonObject& json) {
  json.add("isa", std::string(to_string(active_isa())));
  json.add("openblas_core", openblas_core_name());
  json.add_bool("openblas_core_suits_cpu", openblas_core_suits_cpu());
}

void print_error(std::string_view message, std::string_view prefix) {
  std::string text = "softmaxkit: ";
  text += prefix;
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      text += "\\n";
    } else if (c == '\r') {
      text += "\\r";
    } else if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);  // as the readers' tokens
      text += escaped;
    } else {
      text += c;
    }
  }
  text += '\n';
  std::fputs(text.c_str(), stderr);
}

void write_model(const std::string& path, const SoftmaxRegression& model) {
  try {
    model.save(path);
  } catch (const Error& error) {
    throw OutputFailed(error.what());
  }
}

void write_model(const std::string& path, const ModelFileContents& contents) {
  try {
    save_model_file(path, contents);
  } catch (const Error& error) {
    throw OutputFailed(error.what());
  }
}

int finish_output(int code) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && std::ferror(stdout) == 0) return code;
  std::fprintf(stderr, "softmaxkit: writing the output to standard output failed%s%s\n",
               !flushed && error != 0 ? ": " : "",
               !flushed && error != 0 ? std::strerror(error) : "");
  return code == 0 ? kExitInternal : code;
}

}  // namespace softmaxkit::cli
