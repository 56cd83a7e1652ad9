// softmaxkit-mpi: `mpirun -np N softmaxkit-mpi train ...` trains data-parallel with the options of
// `softmaxkit train` (same parsing, same output; only rank 0 prints and writes the model).
// Difference (README "More than one machine"): --validation-fraction is refused. --threads applies
// per rank. LibSVM data train as CSR, as in softmaxkit train (the model file is byte-identical).
// Exit codes as softmaxkit's, on every rank: a bad input on any rank is agreed on, and every rank
// exits 2 with rank 0 printing the message.
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "commands.hpp"
#include "json_writer.hpp"
#include "openblas_reexec.hpp"
#include "progress.hpp"
#include "row_weights.hpp"
#include "search_command.hpp"
#include "softmaxkit/mpi.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using namespace softmaxkit;
using cli::TrainArguments;

int rank_of() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
int size_of() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// The fitted model as a SoftmaxRegression (for score): through a private temporary file, the one
// way the library builds a fitted model from parameters.
SoftmaxRegression model_of(const mpi::DistributedFit& fit) {
  const char* variable = std::getenv("TMPDIR");
  const std::string directory = variable != nullptr && *variable != '\0' ? variable : "/tmp";
  std::string path = directory + "/softmaxkit-mpi-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0)
    throw Error("cannot create a temporary file in " + directory + " (" + std::strerror(errno) +
                "): softmaxkit-mpi builds the model through one; set TMPDIR to a writable "
                "directory");
  ::close(fd);
  // Removed however this ends (a failed save or load left the file behind).
  struct Remover {
    const std::string& path;
    ~Remover() { std::remove(path.c_str()); }
  } remover{path};
  save_model_file(path, fit.contents());
  return SoftmaxRegression::load(path);
}

// The shortest decimal text that reads back as x.
std::string shortest(float x) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, x).ptr;
  return std::string(text, end);
}

unsigned long long size_of_file(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? ~0ULL : static_cast<unsigned long long>(size);
}

// IDX without a labels file read whole on every rank, dense (a CSV that is not a regular file
// comes here too, and the reader refuses it, as softmaxkit's does).
Dataset load_dense(const cli::DataSource& source) {
  return std::move(*cli::load_dataset(source).dense);
}

// Rows [first, first + count) of CSR rows with their labels (offsets rebased to 0).
SparseDataset sparse_rows(const SparseDataset& all, std::size_t first, std::size_t count) {
  const CsrMatrixView<float>& x = all.features.view();
  const std::size_t begin = x.row_begin(first), end = x.row_begin(first + count);
  std::vector<std::int64_t> offsets(count + 1);
  for (std::size_t i = 0; i <= count; ++i)
    offsets[i] = x.row_offsets()[first + i] - static_cast<std::int64_t>(begin);
  SparseDataset part;
  part.features = CsrMatrix<float>(
      count, x.cols(), std::move(offsets),
      std::vector<std::int32_t>(x.column_indices().begin() + static_cast<std::ptrdiff_t>(begin),
                                x.column_indices().begin() + static_cast<std::ptrdiff_t>(end)),
      std::vector<float>(x.values().begin() + static_cast<std::ptrdiff_t>(begin),
                         x.values().begin() + static_cast<std::ptrdiff_t>(end)));
  part.labels.assign(all.labels.begin() + static_cast<std::ptrdiff_t>(first),
                     all.labels.begin() + static_cast<std::ptrdiff_t>(first + count));
  return part;
}

// This rank's rows' weights (softmaxkit train's --sample-weights and --class-weight): every rank
// reads the whole weights file (one number per row: small beside the data) and keeps its rows';
// 'balanced' counts each class over every rank's rows. Empty without either option.
std::vector<float> rank_weights(MPI_Comm comm, const TrainArguments& a,
                                const std::vector<std::int32_t>& classes,
                                const std::vector<std::int32_t>& labels, std::size_t rows,
                                const mpi::RowRange& mine) {
  if (a.sample_weights_path.empty() && a.class_weight.empty()) return {};
  std::vector<unsigned long long> local_counts(classes.size(), 0), counts(classes.size(), 0);
  for (std::int32_t label : labels)
    ++local_counts[static_cast<std::size_t>(
        std::lower_bound(classes.begin(), classes.end(), label) - classes.begin())];
  MPI_Allreduce(local_counts.data(), counts.data(), static_cast<int>(counts.size()),
                MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  std::vector<float> sample, weights;
  mpi::collectively(comm, [&] {
    if (!a.sample_weights_path.empty())
      sample = cli::read_sample_weights(a.sample_weights_path, rows);
  });
  // Every rank reads the whole weights file: one that differs between ranks (with the same row
  // count) gave each rank's rows another file's weights. Compared with rank 0's, exactly.
  if (!a.sample_weights_path.empty()) {
    std::vector<float> first = sample;
    MPI_Bcast(first.data(), static_cast<int>(first.size()), MPI_FLOAT, 0, comm);
    mpi::collectively(comm, [&] {
      const auto [mine_at, first_at] =
          std::mismatch(sample.begin(), sample.end(), first.begin(),
                        [](float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; });
      if (mine_at == sample.end()) return;
      const auto row = static_cast<std::size_t>(mine_at - sample.begin());
      throw Error("--sample-weights " + a.sample_weights_path +
                  ": the ranks see different files (row " + std::to_string(row) + " weighs " +
                  shortest(*first_at) + " on rank 0, " + shortest(*mine_at) + " on rank " +
                  std::to_string(rank_of()) + "); every rank must read the same file");
    });
  }
  mpi::collectively(comm, [&] {
    if (!sample.empty()) {
      sample.erase(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(mine.first));
      sample.resize(mine.count);
    }
    std::vector<double> factors;
    if (!a.class_weight.empty())
      factors = cli::class_factors(a.class_weight, classes,
                                   std::vector<std::size_t>(counts.begin(), counts.end()));
    weights = cli::row_weights(sample, factors, classes, labels, false, mine.first);
  });
  // As softmaxkit train: no rank's rows weighing anything is its error, not the library's.
  int some = std::any_of(weights.begin(), weights.end(), [](float w) { return w > 0; }) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &some, 1, MPI_INT, MPI_LOR, comm);
  mpi::collectively(comm, [&] {
    if (some == 0) cli::refuse_weightless(!a.sample_weights_path.empty(), !a.class_weight.empty());
  });
  return weights;
}

int run(TrainArguments a) {
  const int rank = rank_of(), ranks = size_of();
  MPI_Comm comm = MPI_COMM_WORLD;
  a.train.scale = !a.no_scale;
  a.test.format = a.train.format;
  a.test.scale = a.train.scale;
  a.test.header = a.train.header;
  a.test.label_column = a.train.label_column;
  a.test.num_features = a.train.num_features;

  const bool search = cli::resolve_c(a);
  FitOptions options = cli::fit_options(a);
  const std::size_t element_size = a.use_double ? sizeof(double) : sizeof(float);

  // This rank's rows: CSV and LibSVM files by byte ranges (read_text_rows,
  // read_libsvm_csr_rows; of the inflated text for gzip files); IDX files by rows (the classes
  // first, from every rank's even share of the labels, since the chunk grid depends on their
  // count); a text source that is not a regular file goes to the single-process reader, which
  // refuses it (FIFOs, devices), as softmaxkit's does.
  // LibSVM rows are CSR (never densified), as softmaxkit train reads them.
  std::size_t rows = 0, cols = 0, stored_values = 0;  // stored_values: CSR entries, all ranks
  std::vector<std::int32_t> classes;
  mpi::RowRange mine;
  Dataset local;
  std::optional<SparseDataset> sparse_local;
  const bool sparse = a.train.format == "libsvm";
  const bool by_rows = a.train.format == "idx" && !a.train.labels_path.empty();
  bool by_bytes = false;
  mpi::collectively(comm, [&] {
    // softmaxkit train's checks before any work (rank 0 writes the model).
    if (rank == 0) cli::check_train_model_target(a);
    if (a.validation_fraction > 0)
      throw Error("--validation-fraction is not supported by softmaxkit-mpi");
    if (search)
      throw Error(
          "--C lists, --C-grid and --cv are not supported by softmaxkit-mpi (one C per run)");
    by_bytes = a.train.format != "idx" && a.train.labels_path.empty() &&
               std::filesystem::is_regular_file(a.train.path);
  });
  if (sparse) {
    if (by_bytes) {
      mpi::SparseTextRows text =
          mpi::read_libsvm_csr_rows(comm, a.train.path, a.train.num_features, element_size);
      rows = text.global_rows;
      cols = text.data.features.cols();
      stored_values = text.global_nnz;
      classes = std::move(text.classes);
      mine = text.mine;
      sparse_local = std::move(text.data);
    } else {
      SparseDataset all;
      mpi::collectively(comm, [&] {
        cli::LoadedData loaded = cli::load_dataset(a.train);
        if (!loaded.sparse) throw Error(a.train.path + ": LibSVM data were not read as CSR");
        all = std::move(*loaded.sparse);
      });
      rows = all.features.rows();
      cols = all.features.cols();
      stored_values = all.features.nnz();
      classes = mpi::global_classes(comm, all.labels);
      mine = mpi::csr_rows_of_rank(rows, all.features.nnz(), cols,
                                   std::max<std::size_t>(classes.size(), 1), element_size, rank,
                                   ranks);
      sparse_local = sparse_rows(all, mine.first, mine.count);
    }
  } else if (by_bytes) {
    CsvOptions csv;
    csv.label_column = a.train.label_column;
    csv.has_header = a.train.header;
    mpi::TextRows text = mpi::read_text_rows(comm, a.train.format, a.train.path, csv,
                                             a.train.num_features, element_size);
    rows = text.global_rows;
    cols = text.data.cols;
    classes = std::move(text.classes);
    mine = text.mine;
    local = std::move(text.data);
  } else {
    mpi::collectively(comm, [&] {
      if (by_rows) {
        const mpi::IdxShape shape = mpi::read_idx_shape(a.train.path);
        // Before reading this rank's labels: a shorter labels file was "rows [2000, 3000) beyond
        // its 2999" instead of softmaxkit train's message.
        mpi::check_idx_items(a.train.path, shape, a.train.labels_path,
                             mpi::read_idx_shape(a.train.labels_path));
        rows = shape.items;
        cols = shape.values_per_item;
        const std::size_t first =
            rows * static_cast<std::size_t>(rank) / static_cast<std::size_t>(ranks);
        const std::size_t last =
            rows * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(ranks);
        local.labels = mpi::read_idx_label_rows(a.train.labels_path, first, last - first);
      } else {
        local = load_dense(a.train);
        rows = local.rows;
        cols = local.cols;
      }
    });
    // Each rank reads its rows of the IDX files itself: ranks that see files of other sizes or
    // shapes read rows of different data and trained on the mix with exit 0 (an audit: a 7-row
    // file on rank 0, a 200-row one on rank 1, "train_accuracy": 12.4).
    if (by_rows) {
      const unsigned long long seen[4] = {size_of_file(a.train.path),
                                          size_of_file(a.train.labels_path), rows, cols};
      mpi::agree_on_files(comm, a.train.path + " and " + a.train.labels_path, seen,
                          [](std::span<const unsigned long long> v) {
                            return "images " + std::to_string(v[0]) + " bytes, labels " +
                                   std::to_string(v[1]) + " bytes, " + std::to_string(v[2]) +
                                   " items of " + std::to_string(v[3]) + " values";
                          });
    }
    classes = mpi::global_classes(comm, local.labels);
    mine = mpi::rows_of_rank(rows, cols, std::max<std::size_t>(classes.size(), 1), element_size,
                             rank, ranks);
    mpi::collectively(comm, [&] {
      if (by_rows) {
        local = mpi::read_idx_rows(a.train.path, a.train.labels_path, a.train.scale, mine.first,
                                   mine.count);
        for (std::size_t i = 0; i < local.features.size(); ++i) {
          if (!std::isfinite(local.features[i]))
            throw Error(a.train.path + ": feature " + std::to_string(i % cols) + " of row " +
                        std::to_string(mine.first + i / cols) +
                        " is not finite (the data must be finite)");
        }
      } else {
        Dataset all = std::move(local);
        local = Dataset{};
        local.rows = mine.count;
        local.cols = cols;
        local.features.assign(
            all.features.begin() + static_cast<std::ptrdiff_t>(mine.first * cols),
            all.features.begin() + static_cast<std::ptrdiff_t>((mine.first + mine.count) * cols));
        local.labels.assign(
            all.labels.begin() + static_cast<std::ptrdiff_t>(mine.first),
            all.labels.begin() + static_cast<std::ptrdiff_t>(mine.first + mine.count));
      }
    });
  }
  // The test set, on rank 0 (which scores it), checked as softmaxkit train checks it before the
  // fit: the training width, only labels of the training data.
  std::optional<cli::LoadedData> test;
  mpi::collectively(comm, [&] {
    if (rank != 0 || a.test.path.empty()) return;
    cli::DataSource source = a.test;
    if (source.num_features == 0) source.num_features = cols;
    test = cli::load_dataset(source);
    cli::check_test_set(source, *test, a.train, cols, classes);
  });
  const std::vector<float>& local_features = local.features;
  const std::vector<std::int32_t>& local_labels = local.labels;
  const std::vector<float> local_weights =
      rank_weights(comm, a, classes, sparse ? sparse_local->labels : local_labels, rows, mine);

  cli::Progress progress(rank != 0 || a.quiet || a.json);
  options.callback = [&progress](const IterationReport& report) {
    progress.report(report);
    return true;
  };
  mpi::DistributedFit fit;
  try {
    fit = sparse ? mpi::fit(comm, options, sparse_local->features.view(), sparse_local->labels,
                            local_weights, mine.first)
                 : mpi::fit(comm, options,
                            MatrixView<const float>(local_features.data(), mine.count, cols),
                            local_labels, local_weights, mine.first);
  } catch (const Error& error) {
    // The fit's refusals (agreed on every rank) name the data, as softmaxkit train's do.
    throw Error(
        "--train " +
        cli::describe_data(a.train, rows, cols,
                           sparse ? std::optional<std::size_t>(stored_values) : std::nullopt) +
        ": " + error.what());
  }
  progress.finish();
  if (fit.report.reason == StopReason::nan) {
    if (rank == 0)
      std::fprintf(stderr,
                   "softmaxkit: training stopped after %d iterations: the objective or its "
                   "gradient became NaN or infinite (stop_reason nan); no model written\n",
                   fit.report.iterations);
    return cli::kExitTrainingFailed;
  }
  // Accuracy: each rank scores its rows; the correct counts are summed (integers, exact).
  // Agreed: a rank that cannot build it (no usable TMPDIR) must not leave the others waiting.
  std::optional<SoftmaxRegression> fitted;
  mpi::collectively(comm, [&] { fitted.emplace(model_of(fit)); });
  const SoftmaxRegression& model = *fitted;
  long long correct = 0, total_correct = 0;
  if (mine.count != 0) {
    const std::vector<std::int32_t> predicted =
        sparse ? model.predict(sparse_local->features.view())
               : model.predict(MatrixView<const float>(local_features.data(), mine.count, cols));
    const std::vector<std::int32_t>& labels = sparse ? sparse_local->labels : local_labels;
    for (std::size_t i = 0; i < mine.count; ++i) correct += predicted[i] == labels[i];
  }
  MPI_Allreduce(&correct, &total_correct, 1, MPI_LONG_LONG, MPI_SUM, comm);
  const double train_accuracy = static_cast<double>(total_correct) / static_cast<double>(rows);
  std::optional<double> test_accuracy;
  mpi::collectively(comm, [&] {
    if (rank != 0) return;
    if (test) {
      test_accuracy = test->sparse
                          ? model.score(test->sparse->features.view(), test->sparse->labels)
                          : model.score(MatrixView<const float>(test->dense->features.data(),
                                                                test->rows(), test->cols()),
                                        test->dense->labels);
    }
  });
  // Rank 0 writes the model (its directory was checked before the fit); a failed write is exit 1
  // on every rank, as for softmaxkit (cli::OutputFailed), with rank 0's message.
  std::string write_failure;
  if (rank == 0 && !a.model_path.empty()) {
    try {
      cli::write_model(a.model_path, fit.contents());
    } catch (const cli::OutputFailed& error) {
      write_failure = error.what();
    }
  }
  int failed = write_failure.empty() ? 0 : 1;
  MPI_Bcast(&failed, 1, MPI_INT, 0, comm);
  if (failed != 0) throw cli::OutputFailed(write_failure);
  if (rank != 0) return 0;
  const FitReport& report = fit.report;
  if (a.json) {
    cli::JsonObject json;
    cli::add_fit_report(json, report);
    json.add("train_accuracy", train_accuracy);
    if (test_accuracy) json.add("test_accuracy", *test_accuracy);
    json.add_bool("converged", report.reason == StopReason::converged);
    json.add("stop_reason", std::string(to_string(report.reason)));
    json.add("solver", cli::solver_name(fit.solver));
    json.add("l2", fit.l2);
    json.add("rows", static_cast<long long>(rows));
    json.add("features", static_cast<long long>(cols));
    if (sparse) json.add("stored_values", static_cast<long long>(stored_values));
    json.add("classes", static_cast<long long>(classes.size()));
    cli::add_run_environment(json);
    json.add("ranks", static_cast<long long>(ranks));
    std::printf("%s\n", json.str().c_str());
  } else if (!a.quiet) {
    std::printf("trained on %zu rows x %zu features", rows, cols);
    if (sparse) std::printf(" (CSR, %zu stored values)", stored_values);
    std::printf(", %zu classes, l2 = %.6g, solver %s, %d ranks\n", classes.size(), fit.l2,
                cli::solver_name(fit.solver).c_str(), ranks);
    cli::print_fit_lines(report);
    std::printf("train accuracy %.4f\n", train_accuracy);
    if (test_accuracy) std::printf("test accuracy %.4f\n", *test_accuracy);
    if (!a.model_path.empty()) std::printf("model written to %s\n", a.model_path.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit: the save's EFBIG, not a kill (as softmaxkit)
  // Before MPI_Init: the same kernels as the softmaxkit command, so the same model bytes
  // (openblas_reexec.hpp; the exec keeps the pid the launcher watches).
  cli::use_suitable_openblas_core(argv);
  MPI_Init(&argc, &argv);
  const int rank = rank_of();
  CLI::App app{"softmaxkit-mpi: data-parallel softmaxkit train over MPI"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "softmaxkit-mpi 0.1.0");  // was "A subcommand is required"
  TrainArguments train;
  CLI::App* train_command = cli::add_train_command(app, train);
  int code = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_name() ==
        "CallForVersion") {  // as softmaxkit: printf, so finish_output sees errno
      if (rank == 0) std::printf("%s\n", error.what());
      code = cli::finish_output(0);
      MPI_Finalize();
      return code;
    }
    if (error.get_exit_code() == 0) {
      if (rank == 0) app.exit(error);
    } else {
      if (rank == 0) cli::print_error(error.what());
      code = cli::kExitBadInput;
    }
    MPI_Finalize();
    return code;
  }
  try {
    (void)active_isa();  // SOFTMAXKIT_ISA's error as its own, as softmaxkit's (every rank sees it)
    code = *train_command ? run(train) : cli::kExitBadInput;
  } catch (const cli::OutputFailed& error) {  // every rank: the model could not be written
    if (rank == 0) cli::print_error(error.what());
    code = cli::kExitInternal;
  } catch (const Error& error) {
    if (rank == 0) cli::print_error(error.what());
    code = cli::kExitBadInput;
  } catch (const std::exception& error) {
    // Only this rank failed (std::bad_alloc, say): the others may wait in a collective for it,
    // so end them all rather than finalise; the same message as softmaxkit::mpi's own abort.
    std::fprintf(stderr, "softmaxkit: rank %d: %s (aborting every rank)\n", rank, error.what());
    MPI_Abort(MPI_COMM_WORLD, cli::kExitInternal);
  }
  code = cli::finish_output(code);  // rank 0 prints; a lost write is not a success
  MPI_Finalize();
  return code;
}
