// softmaxkit: train, predict and evaluate softmax-regression models from the command line.
// Exit codes: 0 success; 2 bad usage or bad input (including non-finite data); 3 training stopped
// because the objective or its gradient became NaN or infinite on finite data (no model is
// written); 1 internal failure, out of memory, or output that could not be written. Errors: one
// line on stderr.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "address_space.hpp"
#include "commands.hpp"
#include "openblas_reexec.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"softmaxkit: multinomial logistic regression, trained fast and reproducibly"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "softmaxkit 0.1.0");

  softmaxkit::cli::TrainArguments train;
  softmaxkit::cli::PredictArguments predict;
  softmaxkit::cli::EvaluateArguments evaluate;
  CLI::App* train_command = softmaxkit::cli::add_train_command(app, train);
  CLI::App* predict_command = softmaxkit::cli::add_predict_command(app, predict);
  CLI::App* evaluate_command = softmaxkit::cli::add_evaluate_command(app, evaluate);

  // CLI11 would take an unknown first word for a stray argument and say only that a subcommand
  // is required.
  if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "train" &&
      std::string(argv[1]) != "predict" && std::string(argv[1]) != "evaluate") {
    softmaxkit::cli::print_error("unknown subcommand '" + std::string(argv[1]) +
                                 "' (expected train, predict or evaluate)");
    return softmaxkit::cli::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --version: CLI11 writes it with std::endl, whose flush failed before finish_output could
    // see errno, so a full or closed standard output was reported without its cause.
    if (error.get_name() == "CallForVersion") {
      std::printf("%s\n", error.what());
      return 0;
    }
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    softmaxkit::cli::print_error(error.what());
    return softmaxkit::cli::kExitBadInput;
  }

  try {
    // SOFTMAXKIT_ISA checked before any file is read, so its error is its own: it came wrapped
    // in the data's context ("--train t.csv (2000 rows x 784 features): SOFTMAXKIT_ISA=...").
    (void)softmaxkit::active_isa();
    if (*train_command) return softmaxkit::cli::run_train(train);
    if (*predict_command) return softmaxkit::cli::run_predict(predict);
    if (*evaluate_command) return softmaxkit::cli::run_evaluate(evaluate);
    return softmaxkit::cli::kExitBadInput;
  } catch (const softmaxkit::cli::TrainingFailed& error) {
    softmaxkit::cli::print_error(error.what());
    return softmaxkit::cli::kExitTrainingFailed;
  } catch (const softmaxkit::cli::OutputFailed& error) {
    softmaxkit::cli::print_error(error.what());
    return softmaxkit::cli::kExitInternal;
  } catch (const softmaxkit::Error& error) {
    softmaxkit::cli::print_error(error.what());
    return softmaxkit::cli::kExitBadInput;
  } catch (const softmaxkit::OutOfAddressSpace& error) {  // the library's or the start check's
    softmaxkit::cli::print_error(error.what(), "out of memory: ");
    return softmaxkit::cli::kExitInternal;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "softmaxkit: out of memory: the data, the model and the solver's state need "
                 "more memory than this process may use\n");
    return softmaxkit::cli::kExitInternal;
  } catch (const std::exception& error) {
    softmaxkit::cli::print_error(error.what(), "internal error: ");
    return softmaxkit::cli::kExitInternal;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Under a file-size limit (ulimit -f) a write past it raised SIGXFSZ, whose default action
  // killed the command mid-save with no message and its temporary file left behind; ignored, the
  // write fails with EFBIG, which the save reports (exit 1, the old model kept).
  std::signal(SIGXFSZ, SIG_IGN);
  softmaxkit::cli::use_suitable_openblas_core(argv);  // may run the command again
  const int code = softmaxkit::cli::finish_output(run(argc, argv));
  if (softmaxkit::cli::address_space_limited()) {
    // Under an address-space limit an OpenBLAS worker may be spinning on a buffer it cannot get
    // (address_space.hpp); returning would run OpenBLAS's exit handler, which waits for it forever.
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
