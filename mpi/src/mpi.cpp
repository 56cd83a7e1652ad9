// softmaxkit::mpi: the agreement, the chunk fold along the ranks and the distributed fit.
#include "softmaxkit/mpi.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <type_traits>

#include "comm.hpp"
#include "loss/block_plan.hpp"
#include "loss/problem_checks.hpp"
#include "model/class_labels.hpp"
#include "model/fit_checks.hpp"
#include "model/fit_data.hpp"
#include "model/fit_run.hpp"
#include "model/unused_columns.hpp"
#include "softmaxkit/error.hpp"

namespace softmaxkit::mpi {
namespace {

using mpi_detail::rank_of;
using mpi_detail::size_of;

template <class T>
MPI_Datatype datatype() {
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

// Counts in MPI calls are int: the fold sends K n + K elements at most, which the loss engine
// already bounds far below 2^31 for any model that fits in memory; checked anyway.
int count_of(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error("softmaxkit::mpi: a message of " + std::to_string(n) + " elements is too large");
  return static_cast<int>(n);
}

// The fold of ChunkShare (regression.hpp) along the ranks, rank order = chunk order.
template <class T>
struct ChainFold {
  MPI_Comm comm;
  std::vector<T> running;  // K n weight sums, then K intercept sums

  void operator()(std::size_t chunks, std::span<double> loss, std::span<T> weight_sums,
                  std::span<T> intercept_sums) {
    const auto start = std::chrono::steady_clock::now();
    const int rank = rank_of(comm), ranks = size_of(comm);
    const bool with_sums = !weight_sums.empty();
    const std::size_t slots = std::max<std::size_t>(chunks, 1);
    const std::size_t size = weight_sums.size() / slots, classes = intercept_sums.size() / slots;
    // header: the running loss, and whether the running weight sums hold a chunk yet.
    double header[2] = {0.0, 0.0};
    if (with_sums) running.assign(size + classes, T(0));
    T* weights = running.data();
    T* intercept = running.data() + size;
    ExchangeCounters& counters = exchange_counters();
    if (rank > 0) {
      MPI_Recv(header, 2, MPI_DOUBLE, rank - 1, 0, comm, MPI_STATUS_IGNORE);
      if (with_sums)
        MPI_Recv(running.data(), count_of(running.size()), datatype<T>(), rank - 1, 1, comm,
                 MPI_STATUS_IGNORE);
    }
    for (std::size_t c = 0; c < chunks; ++c) {
      header[0] += loss[c];
      if (!with_sums) continue;
      const T* chunk_weights = weight_sums.data() + c * size;
      if (header[1] == 0.0) {
        std::copy(chunk_weights, chunk_weights + size, weights);
      } else {
        for (std::size_t e = 0; e < size; ++e) weights[e] += chunk_weights[e];
      }
      const T* chunk_intercept = intercept_sums.data() + c * classes;
      for (std::size_t k = 0; k < classes; ++k) intercept[k] += chunk_intercept[k];
      header[1] = 1.0;
    }
    if (rank + 1 < ranks) {
      MPI_Send(header, 2, MPI_DOUBLE, rank + 1, 0, comm);
      counters.bytes_sent += static_cast<double>(sizeof(header));
      if (with_sums) {
        MPI_Send(running.data(), count_of(running.size()), datatype<T>(), rank + 1, 1, comm);
        counters.bytes_sent += static_cast<double>(running.size() * sizeof(T));
      }
    }
    MPI_Bcast(header, 2, MPI_DOUBLE, ranks - 1, comm);
    if (with_sums)
      MPI_Bcast(running.data(), count_of(running.size()), datatype<T>(), ranks - 1, comm);
    if (rank == ranks - 1)
      counters.bytes_sent +=
          static_cast<double>(sizeof(header) + (with_sums ? running.size() * sizeof(T) : 0));
    loss[0] = header[0];
    if (with_sums) {
      std::copy(weights, weights + size, weight_sums.data());
      std::copy(intercept, intercept + classes, intercept_sums.data());
    }
    counters.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++counters.folds;
  }
};

// Every rank's values, gathered on every rank in rank order. Each rank's values are broadcast
// from it in pieces of at most 2^30 bytes (MPI's counts are int: the structured metric's sampled
// rows of 140,000 doubles gathered as one message of 2.26 GB aborted the fit), and the space for
// all of them is agreed on before any moves (a rank out of memory is an Error on every rank).
template <class T>
std::vector<T> all_gather(MPI_Comm comm, const std::vector<T>& local) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  const unsigned long long mine = local.size();
  std::vector<unsigned long long> sizes(static_cast<std::size_t>(ranks));
  MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, sizes.data(), 1, MPI_UNSIGNED_LONG_LONG, comm);
  std::vector<T> all;
  collectively(comm, [&] {
    long double total = 0;
    for (const unsigned long long size : sizes) total += static_cast<long double>(size);
    if (total * sizeof(T) > static_cast<long double>(all.max_size()))
      throw Error("softmaxkit::mpi: gathering " + std::to_string(total) + " values is too large");
    std::size_t count = 0;
    for (const unsigned long long size : sizes) count += static_cast<std::size_t>(size);
    all.resize(count);
  });
  constexpr std::size_t kPiece = (std::size_t{1} << 30) / sizeof(T);
  std::size_t offset = 0;
  for (int r = 0; r < ranks; ++r) {
    const std::size_t size = static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)]);
    if (r == rank) std::copy(local.begin(), local.end(), all.begin() + offset);
    for (std::size_t done = 0; done < size; done += kPiece) {
      const std::size_t piece = std::min(kPiece, size - done);
      MPI_Bcast(all.data() + offset + done, count_of(piece * sizeof(T)), MPI_BYTE, r, comm);
    }
    offset += size;
  }
  return all;
}

// The fit's own communicator: its point-to-point tags never meet the caller's messages.
struct OwnComm {
  MPI_Comm comm = MPI_COMM_NULL;
  explicit OwnComm(MPI_Comm parent) { MPI_Comm_dup(parent, &comm); }
  ~OwnComm() { MPI_Comm_free(&comm); }
  OwnComm(const OwnComm&) = delete;
  OwnComm& operator=(const OwnComm&) = delete;
};

// The sampled rows of a CSR share that the structured metric reads (`wanted`, global indices),
// gathered from every rank in rank order (= row order), values in C.
template <class C, class T>
CsrMatrix<C> gather_sparse_rows(MPI_Comm comm, const CsrMatrixView<T>& features,
                                std::size_t first_row, const std::vector<std::size_t>& wanted) {
  std::vector<std::int64_t> lengths;
  std::vector<std::int32_t> columns;
  std::vector<C> values;
  for (std::size_t i : wanted) {
    if (i < first_row || i >= first_row + features.rows()) continue;
    const std::size_t row = i - first_row;
    lengths.push_back(static_cast<std::int64_t>(features.row_end(row) - features.row_begin(row)));
    for (std::size_t e = features.row_begin(row); e < features.row_end(row); ++e) {
      columns.push_back(features.column_indices()[e]);
      values.push_back(static_cast<C>(features.values()[e]));
    }
  }
  const std::vector<std::int64_t> all_lengths = all_gather(comm, lengths);
  std::vector<std::int64_t> offsets(all_lengths.size() + 1, 0);
  for (std::size_t r = 0; r < all_lengths.size(); ++r) offsets[r + 1] = offsets[r] + all_lengths[r];
  return CsrMatrix<C>(all_lengths.size(), features.cols(), std::move(offsets),
                      all_gather(comm, columns), all_gather(comm, values));
}

template <class T, class Features>
DistributedFit fit_impl(MPI_Comm comm, const FitOptions& options, const Features& features,
                        std::span<const std::int32_t> labels, std::span<const T> sample_weight,
                        std::size_t first_row) {
  constexpr bool sparse = std::is_same_v<Features, CsrMatrixView<T>>;
  const int rank = rank_of(comm), ranks = size_of(comm);
  DistributedFit result;
  result.options = options;
  // 1. Local checks, agreed.
  collectively(comm, [&] {
    detail::check_fit_options(options);
    if (options.validation_fraction > 0)
      detail::fit_fail("validation_fraction is not supported in a data-parallel fit");
    if (options.warm_start) detail::fit_fail("warm_start is not supported in a data-parallel fit");
    if (labels.size() != features.rows())
      detail::fit_fail("labels has " + std::to_string(labels.size()) +
                       " entries but features has " + std::to_string(features.rows()) + " rows");
    if (!sample_weight.empty() && sample_weight.size() != features.rows())
      detail::fit_fail("sample_weight has " + std::to_string(sample_weight.size()) +
                       " entries but features has " + std::to_string(features.rows()) + " rows");
    for (std::size_t i = 0; i < sample_weight.size(); ++i) {
      const double weight = static_cast<double>(sample_weight[i]);
      if (!std::isfinite(weight) || weight < 0)
        detail::fit_fail("sample_weight[" + std::to_string(first_row + i) + "] is " +
                         std::to_string(weight) + " (must be finite and >= 0)");
    }
  });
  // Every option that shapes the run, the same on every rank (one rank's other l2 or solver
  // left the ranks waiting for each other in different collectives: a hang). Not threads (the
  // bits do not depend on them) nor the callback (agreed on at each iteration).
  {
    const std::pair<const char*, double> fields[] = {
        {"l2", options.l2},
        {"C given", options.C ? 1.0 : 0.0},
        {"C", options.C.value_or(0.0)},
        {"l1", options.l1},
        {"fit_intercept", options.fit_intercept ? 1.0 : 0.0},
        {"solver given", options.solver ? 1.0 : 0.0},
        {"solver", options.solver ? static_cast<double>(*options.solver) : 0.0},
        {"tolerance", options.tolerance},
        {"max_iterations", static_cast<double>(options.max_iterations)},
        {"reference_gradient_norm", options.reference_gradient_norm},
        {"use_double", options.use_double ? 1.0 : 0.0},
        {"patience", static_cast<double>(options.patience)},
    };
    std::vector<double> mine;
    for (const auto& field : fields) mine.push_back(field.second);
    const std::vector<double> all = all_gather(comm, mine);
    const std::size_t count = mine.size();
    collectively(comm, [&] {
      for (int r = 1; r < ranks; ++r) {
        for (std::size_t f = 0; f < count; ++f) {
          const double here = all[static_cast<std::size_t>(r) * count + f], first = all[f];
          if (std::memcmp(&here, &first, sizeof(double)) != 0)
            throw Error("softmaxkit::mpi::fit: rank " + std::to_string(r) +
                        "'s options differ "
                        "from rank 0's (" +
                        fields[f].first + " " + detail::shortest_number(here) + " against " +
                        detail::shortest_number(first) + "); every rank must pass the same");
        }
      }
    });
  }
  // 2. The global shape: rows contiguous in rank order, one feature count.
  const std::vector<unsigned long long> shapes = all_gather<unsigned long long>(
      comm, {first_row, features.rows(), features.cols(), sample_weight.empty() ? 0ull : 1ull});
  std::size_t global_rows = 0;
  // The reference shape: the first rank with rows (ranks beyond the chunk count hold none, rank 0
  // among them when there are fewer chunks than ranks); for the cols of CSR features, rank 0:
  // every rank's cols count there (the column counts are summed).
  int with_rows = 0;
  while (with_rows + 1 < ranks && shapes[4 * static_cast<std::size_t>(with_rows) + 1] == 0)
    ++with_rows;
  const int reference = sparse ? 0 : with_rows;
  const unsigned long long* model_shape = shapes.data() + 4 * static_cast<std::size_t>(reference);
  const unsigned long long weighted = shapes[4 * static_cast<std::size_t>(with_rows) + 3];
  collectively(comm, [&] {
    for (int r = 0; r < ranks; ++r) {
      const unsigned long long* s = shapes.data() + 4 * r;
      if (s[0] != global_rows)
        throw Error("softmaxkit::mpi::fit: rank " + std::to_string(r) + " holds rows from " +
                    std::to_string(s[0]) + ", expected " + std::to_string(global_rows) +
                    " (the ranks' rows must follow each other in rank order)");
      if (s[2] != model_shape[2] && (s[1] != 0 || sparse))
        throw Error("softmaxkit::mpi::fit: rank " + std::to_string(r) + " has " +
                    std::to_string(s[2]) + " features, rank " + std::to_string(reference) +
                    " has " + std::to_string(model_shape[2]));
      if (s[3] != weighted && s[1] != 0)
        throw Error("softmaxkit::mpi::fit: some ranks give sample weights and others do not");
      global_rows += s[1];
    }
    if (global_rows == 0) detail::fit_fail("features are empty");
  });
  const std::size_t n = model_shape[2];
  // 3. Classes, then the solver's memory for them, before anything of n's size (the column
  // counts below: a 28-byte LibSVM file naming feature 2^31 - 1 ended in bad_alloc). Checked for
  // two classes before the classes were known, the message differed from softmaxkit train's.
  result.class_labels = global_classes(comm, labels);
  const std::size_t classes = result.class_labels.size();
  std::vector<std::int32_t> indices;
  collectively(comm, [&] {
    if (classes < 2) detail::fit_fail("labels hold fewer than 2 classes");
    detail::check_fit_memory(options, classes, n);
    indices = detail::to_class_indices(labels, result.class_labels, "fit");
  });
  // CSR: the entries per column over all ranks (the grid and the accumulator layout).
  std::vector<std::int64_t> column_entries;
  std::size_t global_nnz = 0;
  if constexpr (sparse) {
    column_entries = global_column_entries(comm, features);
    for (std::int64_t count : column_entries) global_nnz += static_cast<std::size_t>(count);
  }
  const double weight_total = global_weight_sum<T>(comm, sample_weight, features.rows());
  collectively(comm, [&] {
    if (!(weight_total > 0)) detail::fit_fail("all sample weights are zero");
    // fit's checks of the sum (within double's range, a normal reciprocal in the type computed
    // in): a sum of 1.8e38 in float passed here and failed in the loss engine, inside the
    // solver run, where it could only abort every rank.
    detail::check_weight_sum("SoftmaxRegression::fit", "sample_weight: the weights", weight_total,
                             0.0);
    detail::check_fit_weight_sum<T>("SoftmaxRegression::fit", "sample_weight: the weights",
                                    weight_total, detail::fits_in_double<T>(options));
    result.l2 = detail::regularization_strength(options, weight_total);
    if (!detail::fits_in_double<T>(options)) detail::check_lambda_in_float(options, result.l2);
  });
  result.in_double = detail::fits_in_double<T>(options);
  result.num_features = n;
  // CSR columns without an entry on any rank are left out of the solve, as softmaxkit's own fit
  // leaves them (model/unused_columns.hpp), so that the ranks' model is its bits: the solve runs
  // over `solve_features` (solve_n columns, renumbered) and the others are 0 (no warm start here).
  std::vector<std::int32_t> kept, renumbered;
  std::size_t solve_n = n;
  auto solve_features = features;
  std::vector<std::int64_t> solve_entries;
  if constexpr (sparse) {
    kept = detail::used_columns(std::span<const std::int64_t>(column_entries), classes, global_nnz);
    if (!kept.empty()) {
      renumbered =
          detail::renumber_columns(features.column_indices(), detail::renumbering(kept, n));
      solve_n = kept.size();
      solve_features = CsrMatrixView<T>(features.rows(), solve_n, features.row_offsets(),
                                        renumbered, features.values());
      for (std::int32_t j : kept)
        solve_entries.push_back(column_entries[static_cast<std::size_t>(j)]);
    } else {
      solve_entries = column_entries;
    }
  }
  // The callback's points over every column (the unused ones 0).
  std::vector<double> full_point;
  if (!kept.empty() && options.callback)
    full_point.assign(classes * n + (options.fit_intercept ? classes : 0), 0.0);
  // The callback runs on every rank and the ranks agree on its answer: one rank stopping alone
  // left the others waiting in the fold. Installed on every rank, also where this rank's options
  // hold none (a rank may give one and another none: the agreement is collective). An exception
  // in it on any rank becomes the same Error on every rank (agreed, so it may leave the solver
  // run without MPI_Abort).
  FitOptions run_options = options;
  bool callback_failed = false;
  run_options.callback = [comm, &callback_failed, &kept, &full_point, classes, n,
                          user = options.callback](const IterationReport& report) {
    int keep_going = 1, everywhere = 1;
    try {
      collectively(comm, [&] {
        if (!user) return;
        if (kept.empty()) {
          keep_going = user(report) ? 1 : 0;
          return;
        }
        detail::scatter_columns(report.point, classes, n, kept, full_point);
        IterationReport whole = report;
        whole.point = full_point;
        keep_going = user(whole) ? 1 : 0;
      });
    } catch (...) {
      callback_failed = true;
      throw;
    }
    MPI_Allreduce(&keep_going, &everywhere, 1, MPI_INT, MPI_MIN, comm);
    return everywhere != 0;
  };
  // 4. This rank's rows must be whole chunks of the grid of the precision computed in.
  const std::size_t element_size = result.in_double ? sizeof(double) : sizeof(T);
  collectively(comm, [&] {
    const RowRange expected =
        sparse ? csr_rows_of_rank(global_rows, global_nnz, n, classes, element_size, rank, ranks)
               : rows_of_rank(global_rows, n, classes, element_size, rank, ranks);
    if (expected.first != first_row || expected.count != features.rows())
      throw Error("softmaxkit::mpi::fit: rank " + std::to_string(rank) + " holds rows [" +
                  std::to_string(first_row) + ", " + std::to_string(first_row + features.rows()) +
                  "), not " + (sparse ? "csr_rows_of_rank" : "rows_of_rank") + "'s [" +
                  std::to_string(expected.first) + ", " +
                  std::to_string(expected.first + expected.count) + ")");
  });
  // 5. The solver run, identical on every rank. An exception inside it (none is expected once
  // the inputs are agreed) would leave peers waiting in the fold: MPI_Abort then ends the job.
  const bool structured =
      options.solver.value_or(options.l1 > 0 ? SolverKind::lbfgs : SolverKind::structured) ==
      SolverKind::structured;
  auto train_in = [&]<class C>(C) {
    const ChunkShare<C> share =
        make_share<C>(comm, global_rows, first_row, weight_total, solve_entries);
    // The structured metric reads sampled rows of the whole problem: gathered to every rank once
    // (rank order is row order, so they arrive sorted), in the precision computed in; CSR rows as
    // CSR, with the whole problem's nnz (what the single process's metric measures a pass by).
    std::vector<C> sampled_features, sampled_weights;
    CsrMatrix<C> sampled_sparse;
    if (structured) {
      const std::vector<std::size_t> wanted =
          detail::metric_rows(global_rows, solve_n, classes, options.fit_intercept,
                              detail::SoftmaxMetricSettings{}, sparse);
      std::vector<C> local_features, local_weights;
      for (std::size_t i : wanted) {
        if (i < first_row || i >= first_row + features.rows()) continue;
        if constexpr (!sparse) {
          const T* row = features.row(i - first_row);
          for (std::size_t j = 0; j < n; ++j) local_features.push_back(static_cast<C>(row[j]));
        }
        if (!sample_weight.empty())
          local_weights.push_back(static_cast<C>(sample_weight[i - first_row]));
      }
      if constexpr (sparse) {
        sampled_sparse = gather_sparse_rows<C>(comm, solve_features, first_row, wanted);
      } else {
        sampled_features = all_gather(comm, local_features);
      }
      sampled_weights = all_gather(comm, local_weights);
    }
    auto make_metric = [&] {
      RegressionProblem<C> sampled;
      if constexpr (sparse) {
        sampled.sparse_features = sampled_sparse.view();
      } else {
        sampled.features =
            MatrixView<const C>(sampled_features.data(), sampled_features.size() / n, n);
      }
      sampled.sample_weights = sampled_weights;
      sampled.num_classes = classes;
      sampled.l2 = result.l2;
      sampled.fit_intercept = options.fit_intercept;
      return std::make_shared<detail::SoftmaxMetric<C>>(
          sampled, global_rows, detail::SoftmaxMetricSettings{}, global_nnz);
    };
    const std::function<std::shared_ptr<detail::SoftmaxMetric<C>>()> factory = make_metric;
    if (features.rows() == 0) {
      detail::FitData<C> data;
      data.grid_features = n;  // the grid csr_rows_of_rank cut the rows on
      data.training.cols = solve_n;
      if constexpr (sparse) {
        data.training.is_sparse = true;
        data.training.sparse = CsrMatrix<C>(0, solve_n, {0}, {}, {});
      }
      return detail::run_fit(run_options, data, classes, result.l2, {}, nullptr, &share, factory);
    }
    detail::FitData<C> data =
        detail::prepare_fit_data<C>(solve_features, indices, sample_weight, 0.0);
    data.grid_features = n;
    return detail::run_fit(run_options, data, classes, result.l2, {}, nullptr, &share, factory);
  };
  detail::FitOutcome outcome;
  try {
    outcome = result.in_double ? train_in(double{}) : train_in(T{});
  } catch (const std::exception& e) {
    if (callback_failed) throw;  // agreed: every rank throws this Error
    std::fprintf(stderr, "softmaxkit: rank %d: %s (aborting every rank)\n", rank, e.what());
    MPI_Abort(comm, 1);
  }
  if (!kept.empty()) {
    std::vector<double> full(classes * n + (options.fit_intercept ? classes : 0), 0.0);
    detail::scatter_columns(outcome.parameters, classes, n, kept, full);
    outcome.parameters = std::move(full);
  }
  result.report = outcome.report;
  result.solver = outcome.solver;
  result.weights.assign(outcome.parameters.begin(),
                        outcome.parameters.begin() + static_cast<std::ptrdiff_t>(classes * n));
  if (options.fit_intercept) {
    result.intercept.assign(outcome.parameters.begin() + static_cast<std::ptrdiff_t>(classes * n),
                            outcome.parameters.end());
  } else {
    result.intercept.assign(classes, 0.0);
  }
  return result;
}

}  // namespace

ExchangeCounters& exchange_counters() {
  static ExchangeCounters counters;
  return counters;
}

void agree(MPI_Comm comm, const std::string& local_error) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  int failing = local_error.empty() ? ranks : rank;
  int lowest = ranks;
  MPI_Allreduce(&failing, &lowest, 1, MPI_INT, MPI_MIN, comm);
  if (lowest == ranks) return;
  int length = rank == lowest ? count_of(local_error.size()) : 0;
  MPI_Bcast(&length, 1, MPI_INT, lowest, comm);
  std::string message =
      rank == lowest ? local_error : std::string(static_cast<std::size_t>(length), ' ');
  MPI_Bcast(message.data(), length, MPI_CHAR, lowest, comm);
  throw Error(message);
}

void agree_on_files(
    MPI_Comm comm, const std::string& files, std::span<const unsigned long long> seen,
    const std::function<std::string(std::span<const unsigned long long>)>& describe) {
  const int ranks = size_of(comm);
  const std::size_t n = seen.size();
  std::vector<unsigned long long> all(n * static_cast<std::size_t>(ranks));
  MPI_Allgather(seen.data(), count_of(n), MPI_UNSIGNED_LONG_LONG, all.data(), count_of(n),
                MPI_UNSIGNED_LONG_LONG, comm);
  const std::span<const unsigned long long> first(all.data(), n);
  for (int r = 1; r < ranks; ++r) {
    const std::span<const unsigned long long> other(all.data() + n * static_cast<std::size_t>(r),
                                                    n);
    if (!std::equal(other.begin(), other.end(), first.begin())) {
      throw Error(files + ": the ranks see different files (" + describe(first) + " on rank 0, " +
                  describe(other) + " on rank " + std::to_string(r) +
                  "); every rank must read the same file");
    }
  }
}

namespace {
RowRange rows_of_plan(const detail::BlockPlan& plan, int rank, int ranks) {
  if (plan.rows == 0) return {};
  const std::vector<std::size_t> starts = detail::chunk_row_starts(plan);
  const std::size_t chunks = plan.grid_chunks, r = static_cast<std::size_t>(rank),
                    p = static_cast<std::size_t>(ranks);
  const std::size_t first = r * chunks / p, last = (r + 1) * chunks / p;
  return {starts[first], starts[last] - starts[first]};
}
}  // namespace

namespace {
// The arguments every grid can be cut for: a rank of the ranks, the engine's element sizes, and
// at most kMaxShareGlobalRows rows (SIZE_MAX rows overflowed the block count: SIGFPE).
void check_grid_arguments(const char* function, std::size_t global_rows, std::size_t element_size,
                          int rank, int ranks) {
  const std::string where = std::string("softmaxkit::mpi::") + function + ": ";
  if (ranks < 1) throw Error(where + "ranks is " + std::to_string(ranks) + " (must be >= 1)");
  if (rank < 0 || rank >= ranks)
    throw Error(where + "rank is " + std::to_string(rank) + ", outside [0, " +
                std::to_string(ranks) + ")");
  if (element_size != sizeof(float) && element_size != sizeof(double))
    throw Error(where + "element_size is " + std::to_string(element_size) +
                " (4 to compute in float, 8 in double)");
  if (global_rows > kMaxShareGlobalRows)
    throw Error(where + "global_rows is " + std::to_string(global_rows) + ", above " +
                std::to_string(kMaxShareGlobalRows));
}
}  // namespace

RowRange rows_of_rank(std::size_t global_rows, std::size_t features, std::size_t classes,
                      std::size_t element_size, int rank, int ranks) {
  check_grid_arguments("rows_of_rank", global_rows, element_size, rank, ranks);
  return rows_of_plan(detail::make_block_plan(global_rows, features, classes, element_size, 0),
                      rank, ranks);
}

RowRange csr_rows_of_rank(std::size_t global_rows, std::size_t global_nnz, std::size_t features,
                          std::size_t classes, std::size_t element_size, int rank, int ranks) {
  check_grid_arguments("csr_rows_of_rank", global_rows, element_size, rank, ranks);
  // CSR's widths and entry counts: every column holds at most global_rows entries.
  if (features > kCsrMaxColumns)
    throw Error("softmaxkit::mpi::csr_rows_of_rank: features is " + std::to_string(features) +
                ", above " + std::to_string(kCsrMaxColumns));
  if (static_cast<long double>(global_nnz) >
      static_cast<long double>(global_rows) * static_cast<long double>(features))
    throw Error("softmaxkit::mpi::csr_rows_of_rank: global_nnz is " + std::to_string(global_nnz) +
                ", more than global_rows x features (" + std::to_string(global_rows) + " x " +
                std::to_string(features) + ")");
  return rows_of_plan(
      detail::make_csr_block_plan(global_rows, global_nnz, features, classes, element_size, 0),
      rank, ranks);
}

template <class T>
std::vector<std::int64_t> global_column_entries(MPI_Comm comm, const CsrMatrixView<T>& features) {
  std::vector<std::int64_t> local(features.cols(), 0), global(features.cols(), 0);
  for (std::int32_t column : features.column_indices()) ++local[static_cast<std::size_t>(column)];
  if (!local.empty())
    MPI_Allreduce(local.data(), global.data(), count_of(local.size()), MPI_INT64_T, MPI_SUM, comm);
  return global;
}
template std::vector<std::int64_t> global_column_entries<float>(MPI_Comm,
                                                                const CsrMatrixView<float>&);
template std::vector<std::int64_t> global_column_entries<double>(MPI_Comm,
                                                                 const CsrMatrixView<double>&);

template <class T>
ChunkShare<T> make_share(MPI_Comm comm, std::size_t global_rows, std::size_t first_row,
                         double global_weight_sum, std::vector<std::int64_t> column_entries) {
  ChunkShare<T> share;
  share.column_entries = std::move(column_entries);
  share.global_rows = global_rows;
  share.first_row = first_row;
  share.global_weight_sum = global_weight_sum;
  share.fold = ChainFold<T>{comm, {}};
  return share;
}
template ChunkShare<float> make_share<float>(MPI_Comm, std::size_t, std::size_t, double,
                                             std::vector<std::int64_t>);
template ChunkShare<double> make_share<double>(MPI_Comm, std::size_t, std::size_t, double,
                                               std::vector<std::int64_t>);

template <class T>
double global_weight_sum(MPI_Comm comm, std::span<const T> weights, std::size_t rows) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  double running = 0;
  if (rank > 0) MPI_Recv(&running, 1, MPI_DOUBLE, rank - 1, 2, comm, MPI_STATUS_IGNORE);
  for (std::size_t i = 0; i < rows; ++i)
    running += weights.empty() ? 1.0 : static_cast<double>(weights[i]);
  if (rank + 1 < ranks) MPI_Send(&running, 1, MPI_DOUBLE, rank + 1, 2, comm);
  MPI_Bcast(&running, 1, MPI_DOUBLE, ranks - 1, comm);
  return running;
}
template double global_weight_sum<float>(MPI_Comm, std::span<const float>, std::size_t);
template double global_weight_sum<double>(MPI_Comm, std::span<const double>, std::size_t);

std::vector<std::int32_t> global_classes(MPI_Comm comm, std::span<const std::int32_t> labels) {
  const std::vector<std::int32_t> local = detail::distinct_sorted(labels);
  std::vector<std::int32_t> all = all_gather(comm, local);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

ModelFileContents DistributedFit::contents() const {
  ModelFileContents contents;
  contents.dtype = in_double ? "float64" : "float32";
  contents.num_classes = class_labels.size();
  contents.num_features = num_features;
  contents.l2 = l2;
  contents.l1 = options.l1;
  contents.fit_intercept = options.fit_intercept;
  contents.class_labels = class_labels;
  contents.weights = weights;
  contents.intercept = intercept;
  return contents;
}

DistributedFit fit(MPI_Comm comm, const FitOptions& options, MatrixView<const float> features,
                   std::span<const std::int32_t> labels, std::span<const float> sample_weight,
                   std::size_t first_row) {
  const OwnComm own(comm);
  return fit_impl<float>(own.comm, options, features, labels, sample_weight, first_row);
}
DistributedFit fit(MPI_Comm comm, const FitOptions& options, MatrixView<const double> features,
                   std::span<const std::int32_t> labels, std::span<const double> sample_weight,
                   std::size_t first_row) {
  const OwnComm own(comm);
  return fit_impl<double>(own.comm, options, features, labels, sample_weight, first_row);
}
DistributedFit fit(MPI_Comm comm, const FitOptions& options, const CsrMatrixView<float>& features,
                   std::span<const std::int32_t> labels, std::span<const float> sample_weight,
                   std::size_t first_row) {
  const OwnComm own(comm);
  return fit_impl<float>(own.comm, options, features, labels, sample_weight, first_row);
}
DistributedFit fit(MPI_Comm comm, const FitOptions& options, const CsrMatrixView<double>& features,
                   std::span<const std::int32_t> labels, std::span<const double> sample_weight,
                   std::size_t first_row) {
  const OwnComm own(comm);
  return fit_impl<double>(own.comm, options, features, labels, sample_weight, first_row);
}

}  // namespace softmaxkit::mpi
