// train with several values of C: --C a,b,c or --C-grid low:high:count, chosen by --cv K
// stratified folds (or --cv 0: the --test rows), a table of the scores, the refit at the best C.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dataset_loading.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/model.hpp"

namespace softmaxkit::cli {

// Validators for --C (one value or a comma-separated list, each finite and > 0) and --C-grid
// (low:high:count, low and high finite and > 0, count a whole number in [1, 10000]).
extern const CLI::Validator c_list;
extern const CLI::Validator c_grid;

// The values of --C (empty when not given).
std::vector<double> parse_c_list(const std::string& text);

// True when train must search over C rather than fit once: --C-grid, a list of several values
// of --C, or --cv. Throws Error for combinations that cannot work (--cv without C values, --cv 0
// without --test, --validation-fraction with a search).
bool search_requested(const TrainArguments& arguments);

// Without a search, a single --C value becomes arguments.C; returns search_requested.
bool resolve_c(TrainArguments& arguments);

// Runs the search, prints the table (or JSON), writes the refit at the best C. Returns the exit
// code. Dense data (IDX, CSV) are searched dense, LibSVM data as CSR (never densified; the memory
// is the data plus one fold's copy of its rows, or for --cv 0 one copy of train and test).
// weights: the training rows' (training_row_weights), or empty; they weigh the folds' fits, the
// folds' scores and the refit (cross_validate); with --cv 0 the --test rows weigh 1.
int run_search(const TrainArguments& arguments, const FitOptions& options, const LoadedData& train,
               const std::optional<LoadedData>& test, std::span<const float> weights);

}  // namespace softmaxkit::cli
