// softmaxkit::mpi — data-parallel training over MPI, bitwise identical to the single-process fit
// for any number of ranks (CMake: find_package(softmaxkit COMPONENTS mpi), target
// softmaxkit::mpi; README "More than one machine").
//
// How: the loss engine cuts the rows into a chunk grid that depends only on the global shape
// (rows, features, classes, precision), and one process adds the chunks' partial sums in chunk
// order. Here each rank holds whole chunks (rows_of_rank), evaluates them, and the partial sums
// are folded along the ranks in rank order (rank r receives the running sums of chunks before its
// own, adds its chunks in order, passes them on; the last rank broadcasts the totals). Every
// addition is the one a single process makes, in the same order, so J, the gradient and Hv, and
// therefore every solver iterate, are the single-process bits (same ISA, same build).
// Exchange per evaluation: (K n + K) elements of T plus 2 doubles on each of the P - 1 links of
// the chain, then one broadcast of as many.
//
// CSR features (CsrMatrixView) take the same fold. Their grid also depends on the global entry
// count (csr_rows_of_rank), and their chunk sums are laid out by the global column counts (one
// exact integer allreduce of n int64 counts before the fit; ChunkShare::column_entries), so a
// rank's partial sums are the single process's ones for its chunks, wherever they lie. The
// exchange per evaluation is the dense one (K n + K elements: the sums are dense K x n).
//
// Collective contract: every function here is collective over `comm` (every rank calls it, in the
// same order, with the same options). A softmaxkit::Error on any rank (bad input, mismatched
// shapes) is agreed on before any exchange that depends on it: every rank then throws an Error
// with the message of the lowest failing rank, so no rank waits for a peer that has given up.
#pragma once

// Only MPI's C API is used: OpenMPI's (and MPICH's) deprecated C++ bindings, which <mpi.h> pulls
// in otherwise, warn under -Wcast-function-type when MPI's headers come with -I (mpicxx).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/data.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_file.hpp"
#include "softmaxkit/regression.hpp"

namespace softmaxkit::mpi {

// Agreement on a status: local_error empty means this rank is fine. Returns when every rank is;
// otherwise every rank throws Error(message of the lowest failing rank).
void agree(MPI_Comm comm, const std::string& local_error);

// Agreement on what every rank saw of its input files (sizes, item counts): ranks that see
// different files under one path (another working directory, a copy per machine) must not train
// on the mix. Returns when every rank passes the same `seen` (the same count on every rank);
// otherwise every rank throws Error(files + ": the ranks see different files (" +
// describe(rank 0's) + " on rank 0, " + describe(rank r's) + " on rank r); every rank must read
// the same file"), r the lowest rank that differs. Collective.
void agree_on_files(
    MPI_Comm comm, const std::string& files, std::span<const unsigned long long> seen,
    const std::function<std::string(std::span<const unsigned long long>)>& describe);

// Runs f on every rank, then agrees: an Error (or any other exception, also one not derived
// from std::exception) thrown by f on any rank becomes the same Error on every rank.
template <class F>
void collectively(MPI_Comm comm, F&& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  } catch (...) {
    error = "an exception that is not a std::exception";
  }
  agree(comm, error);
}

// The rows [first, first + count) rank `rank` of `ranks` holds: a contiguous run of whole chunks
// of the grid for this shape (element_size: 4 to compute in float, 8 in double), the chunks split
// as evenly as their count allows (ranks beyond the chunk count hold none). An Error names the
// argument when ranks < 1, rank is outside [0, ranks), element_size is not 4 or 8, or
// global_rows is above kMaxShareGlobalRows (regression.hpp); csr_rows_of_rank also refuses
// features above kCsrMaxColumns and a global_nnz above global_rows x features.
struct RowRange {
  std::size_t first = 0, count = 0;
};
RowRange rows_of_rank(std::size_t global_rows, std::size_t features, std::size_t classes,
                      std::size_t element_size, int rank, int ranks);
// The same for CSR features, whose grid's block size comes from the mean entries per row:
// global_nnz is the entry count over all ranks' rows (the sum of global_column_entries).
RowRange csr_rows_of_rank(std::size_t global_rows, std::size_t global_nnz, std::size_t features,
                          std::size_t classes, std::size_t element_size, int rank, int ranks);

// Each column's entry count over every rank's rows (an exact integer sum, on every rank). Every
// rank's features must have the same cols (a rank without rows too).
template <class T>
std::vector<std::int64_t> global_column_entries(MPI_Comm comm, const CsrMatrixView<T>& features);

// The fold above as a ChunkShare for LossGradient (regression.hpp). Rows must be rows_of_rank's
// (dense) or csr_rows_of_rank's (CSR: then column_entries = global_column_entries).
template <class T>
ChunkShare<T> make_share(MPI_Comm comm, std::size_t global_rows, std::size_t first_row,
                         double global_weight_sum, std::vector<std::int64_t> column_entries = {});

// Bytes this rank sent and seconds it spent in the fold (waiting included) since the share was
// made, for the bench.
struct ExchangeCounters {
  double bytes_sent = 0, seconds = 0;
  long long folds = 0;
};
ExchangeCounters& exchange_counters();

// The sum, in row order, of every rank's weights (1 per row when `weights` is empty), as one
// process adds them (a double per row, from 0).
template <class T>
double global_weight_sum(MPI_Comm comm, std::span<const T> weights, std::size_t rows);

struct DistributedFit {
  FitReport report{};
  std::vector<std::int32_t> class_labels{};
  std::size_t num_features = 0;
  std::vector<double> weights{}, intercept{};  // K x n, K: identical on every rank
  double l2 = 0;                               // lambda used (C converted)
  SolverKind solver = SolverKind::lbfgs;
  bool in_double = false;
  FitOptions options{};
  // The model file contents (rank 0 writes them; save_model_file is atomic).
  ModelFileContents contents() const;
};

// SoftmaxRegression::fit over the rows of all ranks: this rank's rows are `features` (global rows
// [first_row, first_row + rows)), which must be rows_of_rank(global rows, n, classes, element
// size, rank, ranks) for the precision the fit computes in (float, or double with use_double);
// the rows of the ranks in rank order are the whole data set. Same options as fit except:
// validation_fraction and warm_start are refused; the options must be the same on every rank
// (all but threads and callback, compared bit for bit before any other exchange: an Error on
// every rank naming the first rank and option that differ, e.g. "rank 1's options differ from
// rank 0's (l2 0.2 against 0.1)"). The structured solver's metric reads a fixed
// sample of rows (chosen from the global shape only): those rows are gathered to every rank once
// (about 12,000 rows at most). options.callback runs on every rank (with identical reports) and the
// ranks agree on its answer: the fit stops (callback_stopped) when it returns false on any rank,
// and an exception it throws on any rank becomes an Error on every rank. Refused as fit refuses
// them, on every rank: a model whose solver memory exceeds the machine's (checked before anything
// of the feature count's size is allocated), a lambda beyond float's range in a float fit, a
// sum of every rank's sample weights that fit's checks refuse (beyond double's range, or a
// reciprocal that is not a normal number in the type computed in).
// Returns the same parameters and report values (seconds aside) on every rank, bitwise equal to
// SoftmaxRegression(options).fit on the concatenated rows with the same solver.
DistributedFit fit(MPI_Comm comm, const FitOptions& options, MatrixView<const float> features,
                   std::span<const std::int32_t> labels, std::span<const float> sample_weight,
                   std::size_t first_row);
DistributedFit fit(MPI_Comm comm, const FitOptions& options, MatrixView<const double> features,
                   std::span<const std::int32_t> labels, std::span<const double> sample_weight,
                   std::size_t first_row);
// CSR features (as SoftmaxRegression::fit takes them): the same contract, with this rank's rows
// csr_rows_of_rank(global rows, global nnz, n, classes, element size, rank, ranks) and every
// rank's features of the same cols (also a rank without rows). Bitwise equal to
// SoftmaxRegression(options).fit on the concatenated CSR rows. Extra work and memory: the column
// counts (n int64, summed once), and for the structured solver the sampled rows gathered as CSR
// (their entries only; about 12,000 rows at most, 10,000 more when n + 1 > 2048, where the
// single process's metric samples more rows for G's diagonal). Columns without an entry on any
// rank are left out of the solve as SoftmaxRegression::fit leaves them (model.hpp), with the same
// chunk grid: then also n int32 (a renumbering), this rank's nnz int32 (its renumbered indices)
// and, with a callback, the K x n (+ K) doubles of the point it is shown.
DistributedFit fit(MPI_Comm comm, const FitOptions& options, const CsrMatrixView<float>& features,
                   std::span<const std::int32_t> labels, std::span<const float> sample_weight,
                   std::size_t first_row);
DistributedFit fit(MPI_Comm comm, const FitOptions& options, const CsrMatrixView<double>& features,
                   std::span<const std::int32_t> labels, std::span<const double> sample_weight,
                   std::size_t first_row);

// IDX files read by rows (each rank only its own): the shape from the header, and rows
// [first, first + count) with their labels, the values read_idx would give (ubyte / 255 with
// scale). Plain files are seeked; gzip files are streamed and the earlier rows skipped.
// Rows beyond the file's item count are an Error naming the file (first + count is not formed,
// so first near SIZE_MAX cannot wrap into range). read_idx_shape refuses what read_idx refuses
// about the file's structure, with its messages: a bad header (a zero dimension, dimensions
// multiplying beyond 2^29 values), data shorter or longer than the header declares (a gzip file is
// inflated once for its size, with the gzip checks).
struct IdxShape {
  unsigned char type = 0;
  std::size_t header_bytes = 0, items = 0, values_per_item = 1;
};
IdxShape read_idx_shape(const std::string& path);
Dataset read_idx_rows(const std::string& images_path, const std::string& labels_path, bool scale,
                      std::size_t first, std::size_t count);
std::vector<std::int32_t> read_idx_label_rows(const std::string& labels_path, std::size_t first,
                                              std::size_t count);
// read_idx's Error (its message) when the labels file holds another item count than the images.
void check_idx_items(const std::string& images_path, const IdxShape& images,
                     const std::string& labels_path, const IdxShape& labels);

// CSV and LibSVM read by byte ranges: rank r parses the whole lines starting in its 1/P of the
// file (of a gzip-compressed file's inflated text), streamed twice (a count, then the parse in
// pieces), never held as text; a part whose values could outgrow the machine's memory is an
// Error naming the file, before anything is reserved. The ranks agree on the columns (LibSVM:
// the largest index, or libsvm_features when nonzero) and the classes; a format other than "csv"
// or "libsvm" is an Error; then the rows move to the
// ranks rows_of_rank names (element_size: of the precision computed in). Returns this rank's
// rows, their range, the global row count and the classes. The values are read_csv's /
// read_libsvm's (LibSVM within read_libsvm's limits on the whole file: indices up to 2^28, 2^28
// values, libsvm_max_dense_bytes of the text's size), and so are the messages, line numbers
// included: CSV errors that span parts (a blank line followed by records in a later part, a field
// count unlike the first record's or the header's) are decided over all parts as read_csv
// decides them, and the lowest rank's error is the file's first. A part of comment or blank
// lines only is no error.
struct TextRows {
  Dataset data{};
  RowRange mine{};
  std::size_t global_rows = 0;
  std::vector<std::int32_t> classes{};
};
TextRows read_text_rows(MPI_Comm comm, const std::string& format, const std::string& path,
                        const CsvOptions& csv, std::size_t libsvm_features,
                        std::size_t element_size);
// LibSVM (plain or gzip) read by byte ranges as CSR, never densified: as read_text_rows, but a
// rank never holds its part's text: it streams the part twice as read_libsvm_csr streams a file
// (a count, then the parse in pieces of 16 MiB; a gzip file is inflated once more before them,
// for its size), holds the part's entries, then its rows' (the rows move to the ranks
// csr_rows_of_rank names, after the ranks sum their row and entry counts). A part whose CSR
// arrays could outgrow the machine's memory is an Error naming the file, before anything is
// reserved; a part of comment lines only is no error. The columns are libsvm_features, or
// the largest index over the parts (read_libsvm_csr's inference on the whole file); the entries
// are read_libsvm_csr's, so a fit on them equals the single process's on read_libsvm_csr.
struct SparseTextRows {
  SparseDataset data{};  // this rank's rows (raw labels)
  RowRange mine{};
  std::size_t global_rows = 0, global_nnz = 0;
  std::vector<std::int32_t> classes{};
};
SparseTextRows read_libsvm_csr_rows(MPI_Comm comm, const std::string& path,
                                    std::size_t libsvm_features, std::size_t element_size);
bool is_gzip_file(const std::string& path);  // starts with gzip's magic bytes

// The class labels every rank agrees on: the sorted union of every rank's labels.
std::vector<std::int32_t> global_classes(MPI_Comm comm, std::span<const std::int32_t> labels);

}  // namespace softmaxkit::mpi
