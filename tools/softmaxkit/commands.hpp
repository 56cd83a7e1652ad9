// The three subcommands: their options (one struct each), how they are declared to CLI11 and
// how they run.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dataset_loading.hpp"
#include "json_writer.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_file.hpp"

namespace softmaxkit::cli {

inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitTrainingFailed = 3;

// Flushes stdout; when any of it could not be written (a full disk, /dev/full, EIO) says so on
// stderr and returns kExitInternal in place of a success (it exited 0 with the output lost).
// `code`: the command's exit code so far.
int finish_output(int code);

// Prints "softmaxkit: <prefix><message>" and a line end on stderr, the message on one line:
// control characters (a file name with a line end in it) shown as \n, \r or \xNN, so that
// every error is exactly one line.
void print_error(std::string_view message, std::string_view prefix = "");

// The solver a fit ran: "structured", "lbfgs" or "newton" (--json's solver).
std::string solver_name(SolverKind kind);

// The --json keys every training run ends with: the ISA the kernels ran and OpenBLAS's kernels
// (a C search's JSON lacked them; the README promises openblas_core for --json).
void add_run_environment(JsonObject& json);

// The fit stopped with a non-finite objective or gradient on finite data (exit 3).
class TrainingFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Output that could not be written after the work was done: a model file on a full disk, past a
// file-size limit or on a failing device (exit 1, as for standard output; the target itself was
// checked before the work, check_train_model_target, and is an Error, exit 2).
class OutputFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// model.save(path) / save_model_file(path, contents) with their Error an OutputFailed: the model
// the command trained, written once the work is done.
void write_model(const std::string& path, const SoftmaxRegression& model);
void write_model(const std::string& path, const ModelFileContents& contents);

struct TrainArguments {
  DataSource train, test;
  bool no_scale = false;
  std::optional<double> l2, C;
  // Choosing C (search_command.hpp): --C as text (one value or a list), --C-grid, --cv, --cv-seed.
  std::string C_values, C_grid;
  std::optional<int> cv;
  std::optional<std::uint64_t> cv_seed;  // the folds' seed: 0 when not given
  double l1 = 0;
  std::string solver = "auto";
  double tolerance = 1e-6;
  int max_iterations = 1000;
  int threads = 0;
  double validation_fraction = 0;
  bool no_intercept = false, use_double = false, json = false, quiet = false;
  std::string model_path;
  // --sample-weights FILE and --class-weight (row_weights.hpp); empty when not given.
  std::string sample_weights_path, class_weight;
};

// The training rows' weights from --sample-weights and --class-weight, labels the training
// labels; empty when neither is given (every row weighs 1: the unweighted fit's bits).
std::vector<float> training_row_weights(const TrainArguments& arguments,
                                        std::span<const std::int32_t> labels);

// predict and evaluate read a model and one labelled (evaluate) or unlabelled data set.
struct DataArguments {
  std::string model_path;
  DataSource data;
  bool no_scale = false;
};
struct PredictArguments : DataArguments {
  bool probabilities = false;
  bool no_labels = false;  // --no-labels: a CSV file without a label column
};
struct EvaluateArguments : DataArguments {
  bool json = false;
  std::string sample_weights_path;  // --sample-weights: the accuracy's row weights
};

CLI::App* add_train_command(CLI::App& app, TrainArguments& arguments);
CLI::App* add_predict_command(CLI::App& app, PredictArguments& arguments);
CLI::App* add_evaluate_command(CLI::App& app, EvaluateArguments& arguments);

// The fit report's fields of train's --json output (shared with softmaxkit-mpi): objective,
// gradient norms, iterations, evaluations, Hessian products, pass-equivalents, metric, seconds.
void add_fit_report(JsonObject& json, const FitReport& report);
// The text output's stop, objective and metric lines (softmaxkit train and softmaxkit-mpi).
void print_fit_lines(const FitReport& report);

// The library's options from train's arguments (shared with softmaxkit-mpi).
FitOptions fit_options(const TrainArguments& arguments);

// train's checks before any work (shared with softmaxkit-mpi): --model is not an input file and
// is a file save can write; the --test set has the training data's width and only labels in
// train_classes (sorted).
void check_train_model_target(const TrainArguments& arguments);
void check_test_set(const DataSource& source, const LoadedData& test, const DataSource& train,
                    std::size_t train_cols, std::span<const std::int32_t> train_classes);

int run_train(TrainArguments arguments);
int run_predict(PredictArguments arguments);
int run_evaluate(EvaluateArguments arguments);

}  // namespace softmaxkit::cli
