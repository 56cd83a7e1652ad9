#include "search_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <type_traits>

#include "accuracy_text.hpp"
#include "json_writer.hpp"
#include "option_numbers.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace softmaxkit::cli {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

bool positive_number(const std::string& text, double& value) {
  return read_decimal(text, value) && std::isfinite(value) && value > 0;
}

struct Grid {
  double low = 0, high = 0;
  int count = 0;
};

// Empty string on success, else what is wrong.
std::string read_grid(const std::string& text, Grid& grid) {
  const std::vector<std::string> parts = split(text, ':');
  if (parts.size() != 3) return "must be low:high:count, not '" + text + "'";
  if (!positive_number(parts[0], grid.low) || !positive_number(parts[1], grid.high)) {
    return "low and high must be finite numbers > 0, not '" + text + "'";
  }
  const std::string& count = parts[2];
  std::uint64_t value = 0;
  if (!read_count(count, value) || value < 1 || value > 10000) {
    return "count must be a whole number in [1, 10000], not '" + count + "'";
  }
  grid.count = static_cast<int>(value);
  return {};
}

std::string format_duration(double seconds) {
  char text[32];
  if (seconds < 120) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  } else {
    std::snprintf(text, sizeof text, "%.1f min", seconds / 60);
  }
  return text;
}

std::string json_array(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", values[i]);
    out += (i ? ", " : "") + std::string(std::isfinite(values[i]) ? text : "null");
  }
  return out + "]";
}

MatrixView<const float> view_of(const Dataset& data) {
  return {data.features.data(), data.rows, data.cols};
}
const CsrMatrixView<float>& view_of(const CsrMatrix<float>& data) {
  return data.view();
}
std::size_t stored_values(MatrixView<const float> data) {
  return data.rows() * data.cols();
}
std::size_t stored_values(const CsrMatrixView<float>& data) {
  return data.nnz();
}

// The rows of `first` then those of `second` (same width), for --cv 0: dense stays dense, CSR
// stays CSR (the entries of both, never densified).
Dataset stack_rows(MatrixView<const float> first, MatrixView<const float> second) {
  Dataset out;
  out.rows = first.rows() + second.rows();
  out.cols = first.cols();
  for (const MatrixView<const float>& part : {first, second}) {
    for (std::size_t i = 0; i < part.rows(); ++i) {
      out.features.insert(out.features.end(), part.row(i), part.row(i) + part.cols());
    }
  }
  return out;
}
CsrMatrix<float> stack_rows(const CsrMatrixView<float>& first, const CsrMatrixView<float>& second) {
  std::vector<std::int64_t> offsets(first.row_offsets().begin(), first.row_offsets().end());
  for (std::size_t i = 1; i <= second.rows(); ++i) {
    offsets.push_back(static_cast<std::int64_t>(first.nnz()) + second.row_offsets()[i]);
  }
  std::vector<std::int32_t> columns(first.column_indices().begin(), first.column_indices().end());
  columns.insert(columns.end(), second.column_indices().begin(), second.column_indices().end());
  std::vector<float> values(first.values().begin(), first.values().end());
  values.insert(values.end(), second.values().begin(), second.values().end());
  return {first.rows() + second.rows(), first.cols(), std::move(offsets), std::move(columns),
          std::move(values)};
}

}  // namespace

const CLI::Validator c_list(
    [](std::string& text) {
      for (const std::string& part : split(text, ',')) {
        double value = 0;
        if (!positive_number(part, value)) {
          return "must be a finite number > 0 or a comma-separated list of them, not '" + text +
                 "'";
        }
      }
      return std::string();
    },
    "C[,C...]");

const CLI::Validator c_grid(
    [](std::string& text) {
      Grid grid;
      return read_grid(text, grid);
    },
    "LOW:HIGH:COUNT");

std::vector<double> parse_c_list(const std::string& text) {
  std::vector<double> values;
  if (text.empty()) return values;
  for (const std::string& part : split(text, ',')) {
    double value = 0;
    if (!positive_number(part, value)) throw Error("--C: '" + part + "' is not a number > 0");
    values.push_back(value);
  }
  return values;
}

bool resolve_c(TrainArguments& arguments) {
  const std::vector<double> c_values = parse_c_list(arguments.C_values);
  const bool search = search_requested(arguments);
  if (!search && !c_values.empty()) arguments.C = c_values.front();
  return search;
}

bool search_requested(const TrainArguments& arguments) {
  const bool several = arguments.C_values.find(',') != std::string::npos;
  const bool search = several || !arguments.C_grid.empty() || arguments.cv.has_value();
  // The seed used to be ignored without a word where there are no folds to draw.
  if (arguments.cv_seed && (!search || (arguments.cv && *arguments.cv == 0))) {
    throw Error(
        "--cv-seed draws the folds of a search over C (--C a,b,c or --C-grid, with --cv 2 or "
        "more): there are no folds here");
  }
  if (!search) return false;
  if (arguments.C_values.empty() && arguments.C_grid.empty()) {
    throw Error("--cv needs the values of C to compare: --C a,b,c or --C-grid low:high:count");
  }
  if (arguments.cv && *arguments.cv == 1) {
    throw Error("--cv is 1 (must be 0 to validate on --test, or >= 2 folds)");
  }
  if (arguments.cv && *arguments.cv == 0 && arguments.test.path.empty()) {
    throw Error("--cv 0 validates on the --test rows: give --test");
  }
  if (arguments.validation_fraction > 0) {
    throw Error(
        "--validation-fraction cannot be combined with a search over C (--C list, "
        "--C-grid or --cv): the folds decide which rows train");
  }
  return true;
}

namespace {

std::string weighting_options(const TrainArguments& arguments) {
  if (arguments.class_weight.empty()) return "--sample-weights";
  return arguments.sample_weights_path.empty() ? "--class-weight"
                                               : "--sample-weights and --class-weight";
}

// Features: MatrixView<const float> (IDX, CSV) or CsrMatrixView<float> (LibSVM); the search and
// the refit run on it as read. test is null without --test.
template <class Features>
int search(const TrainArguments& arguments, const FitOptions& options, const Features& train,
           const std::vector<std::int32_t>& train_labels, const Features* test,
           const std::vector<std::int32_t>* test_labels, std::span<const float> weights) {
  constexpr bool sparse = !std::is_same_v<Features, MatrixView<const float>>;
  std::vector<double> Cs = parse_c_list(arguments.C_values);
  if (!arguments.C_grid.empty()) {
    Grid grid;
    const std::string problem = read_grid(arguments.C_grid, grid);
    if (!problem.empty()) throw Error("--C-grid " + problem);
    Cs = log_grid(grid.low, grid.high, grid.count);
  }
  const int folds = arguments.cv.value_or(5);
  const bool on_test = folds == 0;
  if (!on_test) {
    std::map<std::int32_t, std::size_t> counts;
    for (std::int32_t label : train_labels) ++counts[label];
    for (const auto& [label, count] : counts) {
      if (count < static_cast<std::size_t>(folds)) {
        throw Error("--cv " + std::to_string(folds) + ": class " + std::to_string(label) +
                    " has only " + std::to_string(count) +
                    " training rows (--cv must not exceed the smallest class count)");
      }
    }
  }

  const bool quiet = arguments.quiet || arguments.json;
  const bool terminal = isatty(STDERR_FILENO) == 1;
  CvOptions cv;
  cv.folds = folds;
  cv.seed = arguments.cv_seed.value_or(0);
  cv.refit = !on_test;
  if (!quiet) {
    cv.progress = [&](const CvProgress& p) {
      const double left =
          p.seconds / static_cast<double>(p.done) * static_cast<double>(p.total - p.done);
      std::fprintf(stderr, "%s%s %zu/%zu  C %-10.4g (%zu/%zu)  fits %zu/%zu  %s, about %s left%s",
                   terminal ? "\r\033[K" : "", on_test ? "validation" : "fold", p.fold + 1, p.folds,
                   p.C, p.c_index + 1, Cs.size(), p.done, p.total,
                   format_duration(p.seconds).c_str(), format_duration(left).c_str(),
                   terminal ? "" : "\n");
      std::fflush(stderr);
    };
  }

  CvResult result;
  std::optional<SoftmaxRegression> model;
  FitReport refit_report;
  if (on_test) {
    // The training rows then the --test rows; one fold: train on the first, score the second.
    const auto features = stack_rows(train, *test);
    std::vector<std::int32_t> labels = train_labels;
    labels.insert(labels.end(), test_labels->begin(), test_labels->end());
    Fold fold;
    for (std::size_t i = 0; i < train.rows(); ++i) fold.train.push_back(i);
    for (std::size_t i = 0; i < test->rows(); ++i) fold.test.push_back(train.rows() + i);
    const std::vector<Fold> single{fold};
    // The --test rows weigh 1: the validation score is a plain mean over them.
    std::vector<float> stacked_weights;
    if (!weights.empty()) {
      stacked_weights.assign(weights.begin(), weights.end());
      stacked_weights.resize(labels.size(), 1.0f);
    }
    try {
      result = cross_validate(view_of(features), labels, Cs, single, options, cv, stacked_weights);
    } catch (const Error& error) {
      if (weights.empty()) throw;
      throw Error("--cv 0 with " + weighting_options(arguments) + ": " + error.what());
    }
    FitOptions refit = options;
    refit.C = result.best_C;
    model.emplace(refit);
    refit_report = model->fit(train, train_labels, weights);
  } else {
    try {
      result = cross_validate(train, train_labels, Cs, options, cv, weights);
    } catch (const Error& error) {
      // The library names its folds (folds[f]): say which option made a fold weightless.
      if (weights.empty()) throw;
      throw Error("--cv " + std::to_string(folds) + " with " + weighting_options(arguments) + ": " +
                  error.what());
    }
    model = std::move(result.model);
    refit_report = *result.refit_report;
  }
  if (!quiet && terminal) std::fputc('\n', stderr);
  if (refit_report.reason == StopReason::nan) {
    throw TrainingFailed("the refit at C = " + std::to_string(result.best_C) +
                         " became NaN or infinite; no model written");
  }
  const double train_accuracy = model->score(train, train_labels);
  std::optional<double> test_accuracy;
  if (test) test_accuracy = model->score(*test, *test_labels);
  if (!arguments.model_path.empty()) write_model(arguments.model_path, *model);

  const char* validation = on_test ? "--test rows" : "folds";
  if (arguments.json) {
    JsonObject json;
    json.add("best_C", result.best_C);
    json.add("best_index", static_cast<long long>(result.best_index));
    json.add("cv", static_cast<long long>(folds));
    json.add("scoring", std::string("accuracy"));
    json.add_raw("C", json_array(result.Cs));
    json.add_raw("mean_accuracy", json_array(result.mean_accuracy));
    json.add_raw("std_accuracy", json_array(result.std_accuracy));
    json.add_raw("mean_log_loss", json_array(result.mean_log_loss));
    json.add_raw("std_log_loss", json_array(result.std_log_loss));
    json.add_raw("pass_equivalents", json_array(result.pass_equivalents));
    json.add_raw("seconds", json_array(result.seconds));
    json.add("objective", refit_report.objective);
    json.add("grad_norm", refit_report.gradient_norm);
    json.add("initial_grad_norm", refit_report.initial_gradient_norm);
    json.add("iterations", static_cast<long long>(refit_report.iterations));
    json.add("evaluations", static_cast<long long>(refit_report.evaluations));
    json.add("hessian_products", static_cast<long long>(refit_report.hessian_products));
    json.add("setup_pass_equivalents", refit_report.setup_pass_equivalents);
    json.add("metric_pass_equivalents", refit_report.metric_pass_equivalents);
    if (!refit_report.metric.empty()) json.add("metric", refit_report.metric);
    json.add("pass_equivalents_refit", refit_report.pass_equivalents);
    json.add("fit_seconds", refit_report.seconds);
    json.add("train_accuracy", train_accuracy);
    if (test_accuracy) json.add("test_accuracy", *test_accuracy);
    json.add_bool("converged", refit_report.reason == StopReason::converged);
    json.add("stop_reason", std::string(to_string(refit_report.reason)));
    json.add("solver", solver_name(model->solver_used()));
    json.add("l2", model->effective_l2());
    json.add("rows", static_cast<long long>(train.rows()));
    json.add("features", static_cast<long long>(train.cols()));
    if (sparse) json.add("stored_values", static_cast<long long>(stored_values(train)));
    json.add("classes", static_cast<long long>(model->num_classes()));
    add_run_environment(json);
    std::printf("%s\n", json.str().c_str());
    return 0;
  }
  if (arguments.quiet) return 0;
  std::printf(
      "C search on %zu rows x %zu features%s, %zu classes; validation: %s%s\n", train.rows(),
      train.cols(),
      sparse ? (" (CSR, " + std::to_string(stored_values(train)) + " stored values)").c_str() : "",
      model->num_classes(),
      on_test ? "the --test rows" : (std::to_string(folds) + " stratified folds").c_str(),
      on_test ? "" : (", seed " + std::to_string(arguments.cv_seed.value_or(0))).c_str());
  std::printf("%12s  %-19s  %-19s  %9s  %8s\n", "C", "accuracy", "log-loss", "passes", "seconds");
  for (std::size_t c = 0; c < Cs.size(); ++c) {
    std::printf("%12.6g  %s +- %.4f     %.4f +- %.4f     %9.1f  %8.2f%s\n", Cs[c],
                accuracy_text(result.mean_accuracy[c]).c_str(), result.std_accuracy[c],
                result.mean_log_loss[c], result.std_log_loss[c], result.pass_equivalents[c],
                result.seconds[c], c == result.best_index ? "  <- best" : "");
  }
  std::printf("best C = %.6g (mean accuracy %s on the %s; ties go to the smaller C)\n",
              result.best_C, accuracy_text(result.mean_accuracy[result.best_index]).c_str(),
              validation);
  std::printf(
      "refit at C = %.6g on all %zu training rows: %s, %d iterations, %.1f pass "
      "equivalents, %.2f s\n",
      result.best_C, train.rows(), std::string(to_string(refit_report.reason)).c_str(),
      refit_report.iterations, refit_report.pass_equivalents, refit_report.seconds);
  std::printf("train accuracy %s\n", accuracy_text(train_accuracy).c_str());
  if (test_accuracy) {
    std::printf("test accuracy %s%s\n", accuracy_text(*test_accuracy).c_str(),
                on_test ? " (the rows that chose C: optimistic)" : "");
  }
  if (!arguments.model_path.empty()) {
    std::printf("model written to %s\n", arguments.model_path.c_str());
  }
  return 0;
}

}  // namespace

int run_search(const TrainArguments& arguments, const FitOptions& options, const LoadedData& train,
               const std::optional<LoadedData>& test, std::span<const float> weights) {
  const std::vector<std::int32_t>* test_labels = test ? &test->labels() : nullptr;
  if (train.sparse) {
    return search(arguments, options, train.sparse->features.view(), train.labels(),
                  test ? &test->sparse->features.view() : nullptr, test_labels, weights);
  }
  const MatrixView<const float> dense = view_of(*train.dense);
  std::optional<MatrixView<const float>> dense_test;
  if (test) dense_test = view_of(*test->dense);
  return search(arguments, options, dense, train.labels(), dense_test ? &*dense_test : nullptr,
                test_labels, weights);
}

}  // namespace softmaxkit::cli
