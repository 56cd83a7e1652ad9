// Run under mpiexec -n P (one thread per rank): checks that the data-parallel loss, gradient,
// Hessian-vector product and fit equal the single-process ones bitwise (the reference is
// softmaxkit's own single-process LossGradient and SoftmaxRegression::fit on all rows, computed
// on rank 0 with one thread). Also the fault cases the ctest wrappers drive:
//   --bad-rank r       rank r passes a labels span one entry short (a malformed shard)
//   --kill-rank r      rank r kills itself (SIGKILL) at the third iteration
//   --stop-rank r      rank r's callback returns false from the third iteration (the others'
//                      return true): every rank must stop there, as one process with that callback
//   --throw-rank r     rank r's callback throws an Error at the third iteration (with
//                      --throw int: an int, not a std::exception)
//   --model path       rank 0 writes the model there (atomically) after the fit
//   --read path        only the byte-range LibSVM readers against the single-process ones
// --case sparse / sparse_narrow: CSR features (bag-of-words rows, tools/bag_of_words), through
// csr_rows_of_rank and the CSR overload of mpi::fit; sparse has n + 1 > 2048 (the metric's
// diagonal G, sampled from 10,000 of the 12,000 rows), sparse_narrow a dense G and sample weights;
// sparse_hashed 5.5 M entries in 50,000 of 2^22 columns (hashed_data), 3 iterations.
// Prints "mpi check passed ..." on rank 0 and exits 0, or the mismatches and exits 1; an agreed
// Error exits 2 on every rank.
#include <tbb/global_control.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bag_of_words.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/mpi.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using namespace softmaxkit;

Dataset make_data(const std::string& which) {
  if (which == "fashion") {
    Dataset all = read_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                           "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
    all.rows = 6000;  // a subset keeps the test short; the grid still has many chunks
    all.features.resize(all.rows * all.cols);
    all.labels.resize(all.rows);
    return all;
  }
  // Dense: 5000 rows x 100 features, 5 classes from a noisy linear model (8 chunks in float).
  Dataset data;
  data.rows = 5000;
  data.cols = 100;
  std::mt19937_64 random(15);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> truth(5 * data.cols);
  for (float& t : truth) t = normal(random);
  data.features.resize(data.rows * data.cols);
  data.labels.resize(data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) {
    float best = -1e30f;
    for (std::size_t j = 0; j < data.cols; ++j) data.features[i * data.cols + j] = normal(random);
    for (int k = 0; k < 5; ++k) {
      float z = 2.0f * normal(random);
      for (std::size_t j = 0; j < data.cols; ++j)
        z += truth[k * data.cols + j] * data.features[i * data.cols + j] * 0.3f;
      if (z > best) {
        best = z;
        data.labels[i] = 10 * k + 3;  // raw labels that are not 0..K-1
      }
    }
  }
  return data;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

// Mismatched bits between two objectives' J (with and without gradients), gradients and Hv at
// one random point and direction (size = K n parameters).
template <class T>
long long compare_evaluations(LossGradient<T>& reference, LossGradient<T>& shared, std::size_t size,
                              std::size_t classes) {
  std::mt19937 random(7);
  std::normal_distribution<T> normal(T(0), T(0.05));
  std::vector<T> w(size), b(classes), v(size), u(classes);
  for (T& x : w) x = normal(random);
  for (T& x : b) x = normal(random);
  for (T& x : v) x = normal(random);
  for (T& x : u) x = normal(random);
  std::vector<T> g1(size), c1(classes), g2(size), c2(classes);
  long long mismatches = 0;
  mismatches += !same_bits(reference.evaluate(w, b, g1, c1), shared.evaluate(w, b, g2, c2));
  for (std::size_t e = 0; e < size; ++e) mismatches += !same_bits(g1[e], g2[e]);
  for (std::size_t k = 0; k < classes; ++k) mismatches += !same_bits(c1[k], c2[k]);
  mismatches += !same_bits(reference.evaluate(w, b, {}, {}), shared.evaluate(w, b, {}, {}));
  reference.hessian_vector(w, b, v, u, g1, c1);
  shared.hessian_vector(w, b, v, u, g2, c2);
  for (std::size_t e = 0; e < size; ++e) mismatches += !same_bits(g1[e], g2[e]);
  for (std::size_t k = 0; k < classes; ++k) mismatches += !same_bits(c1[k], c2[k]);
  return mismatches;
}

// J, gradient and Hv of a share against the whole problem's, at a random point.
template <class T>
long long check_loss_gradient(MPI_Comm comm, const Dataset& data, std::size_t classes,
                              const std::vector<std::int32_t>& indices, int rank, int ranks) {
  std::vector<T> features(data.features.begin(), data.features.end());
  std::vector<T> weights_of_rows(data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) weights_of_rows[i] = T(0.5) + T(i % 7) / T(4);
  RegressionProblem<T> whole;
  whole.features = MatrixView<const T>(features.data(), data.rows, data.cols);
  whole.labels = indices;
  whole.sample_weights = weights_of_rows;
  whole.num_classes = classes;
  whole.l2 = 1e-3;
  const mpi::RowRange mine =
      mpi::rows_of_rank(data.rows, data.cols, classes, sizeof(T), rank, ranks);
  RegressionProblem<T> part = whole;
  part.features =
      MatrixView<const T>(features.data() + mine.first * data.cols, mine.count, data.cols);
  part.labels = std::span<const std::int32_t>(indices).subspan(mine.first, mine.count);
  part.sample_weights = std::span<const T>(weights_of_rows).subspan(mine.first, mine.count);
  const double total = mpi::global_weight_sum<T>(comm, part.sample_weights, mine.count);
  LossGradient<T> reference(whole);
  LossGradient<T> shared(part, {}, mpi::make_share<T>(comm, data.rows, mine.first, total));

  return compare_evaluations(reference, shared, classes * data.cols, classes);
}

// Rows [first, first + count) of a CSR matrix, values in T (offsets rebased to 0).
template <class T>
CsrMatrix<T> slice(const CsrMatrixView<float>& all, std::size_t first, std::size_t count) {
  const std::size_t begin = all.row_begin(first), end = all.row_begin(first + count);
  std::vector<std::int64_t> offsets(count + 1);
  for (std::size_t i = 0; i <= count; ++i)
    offsets[i] = all.row_offsets()[first + i] - static_cast<std::int64_t>(begin);
  return CsrMatrix<T>(
      count, all.cols(), std::move(offsets),
      std::vector<std::int32_t>(all.column_indices().begin() + static_cast<std::ptrdiff_t>(begin),
                                all.column_indices().begin() + static_cast<std::ptrdiff_t>(end)),
      std::vector<T>(all.values().begin() + static_cast<std::ptrdiff_t>(begin),
                     all.values().begin() + static_cast<std::ptrdiff_t>(end)));
}

// The CSR counterpart of check_loss_gradient: a share's J, gradient and Hv against the whole
// problem's, at a random point.
template <class T>
long long check_sparse_loss_gradient(MPI_Comm comm, const CsrMatrixView<float>& all,
                                     std::size_t classes, const std::vector<std::int32_t>& indices,
                                     int rank, int ranks) {
  const CsrMatrix<T> whole_features = slice<T>(all, 0, all.rows());
  std::vector<T> weights_of_rows(all.rows());
  for (std::size_t i = 0; i < all.rows(); ++i) weights_of_rows[i] = T(0.5) + T(i % 7) / T(4);
  RegressionProblem<T> whole;
  whole.sparse_features = whole_features.view();
  whole.labels = indices;
  whole.sample_weights = weights_of_rows;
  whole.num_classes = classes;
  whole.l2 = 1e-3;
  const mpi::RowRange mine =
      mpi::csr_rows_of_rank(all.rows(), all.nnz(), all.cols(), classes, sizeof(T), rank, ranks);
  const CsrMatrix<T> part_features = slice<T>(all, mine.first, mine.count);
  RegressionProblem<T> part = whole;
  part.sparse_features = part_features.view();
  part.labels = std::span<const std::int32_t>(indices).subspan(mine.first, mine.count);
  part.sample_weights = std::span<const T>(weights_of_rows).subspan(mine.first, mine.count);
  const double total = mpi::global_weight_sum<T>(comm, part.sample_weights, mine.count);
  LossGradient<T> reference(whole);
  LossGradient<T> shared(
      part, {},
      mpi::make_share<T>(comm, all.rows(), mine.first, total,
                         mpi::global_column_entries(comm, part.sparse_features)));
  return (shared.block_rows() != reference.block_rows()) +
         compare_evaluations(reference, shared, classes * all.cols(), classes);
}

// The CSR fit on csr_rows_of_rank's rows against SoftmaxRegression::fit on all rows (rank 0):
// every coefficient bit, the objective, the counts and the metric's report.
// stop_rank >= 0: that rank's callback stops at the third iteration (stop_at_third); every rank
// must stop there, with the single process's bits under the same callback.
bool stop_at_third(const IterationReport& report) {
  return report.iteration < 3;
}

// Hashed features: 172,000 rows of 32 entries (5.5 M, above 5 x 2^20) over 50,000 columns spread
// over 2^22, two classes. Solved over the used columns (model/unused_columns.hpp), whose width
// alone would plan 5 chunks; the ranks' rows are cut on the full width's grid (4 chunks of
// K n accumulators of 32 MiB), which the fit must keep (an audit: 3 ranks aborted, "not whole
// chunks of the grid").
bag_of_words::Data hashed_data() {
  bag_of_words::Data data;
  data.rows = 172000;
  data.features = std::size_t{1} << 22;
  data.classes = 2;
  std::mt19937_64 random(31);
  std::vector<std::int32_t> spots(50000);
  for (std::size_t j = 0; j < spots.size(); ++j)
    spots[j] = static_cast<std::int32_t>(j * 83 + random() % 83);
  std::vector<std::int32_t> row;
  for (std::size_t i = 0; i < data.rows; ++i) {
    row.clear();
    const std::size_t start = random() % (spots.size() - 32 * 1500);
    for (std::size_t e = 0; e < 32; ++e) row.push_back(spots[start + e * 1500 + random() % 1500]);
    float score = 0;
    for (std::int32_t column : row) {
      const float value = static_cast<float>(random() % 1000) / 1000.0f;
      data.column_indices.push_back(column);
      data.values.push_back(value);
      score += (column % 3 == 0 ? value : -value) / 4;
    }
    data.row_offsets.push_back(static_cast<std::int64_t>(data.values.size()));
    data.labels.push_back(score + static_cast<float>(random() % 100) / 100.0f > 0.5f ? 1 : 0);
  }
  return data;
}

long long check_sparse(MPI_Comm comm, const std::string& which, FitOptions options, int rank,
                       int ranks, int bad_rank, int stop_rank, const std::string& model_path) {
  const bool narrow = which == "sparse_narrow", hashed = which == "sparse_hashed";
  bag_of_words::Shape shape;
  shape = narrow ? bag_of_words::Shape{4000, 300, 5, 12, 21}
                 : bag_of_words::Shape{12000, 3000, 6, 20, 22};
  const bag_of_words::Data data = hashed ? hashed_data() : bag_of_words::generate(shape);
  const CsrMatrixView<float> all(data.rows, data.features, data.row_offsets, data.column_indices,
                                 data.values);
  std::vector<std::int32_t> labels(data.labels);
  for (std::int32_t& label : labels) label = 7 * label - 4;  // raw labels, not 0..K-1
  std::vector<float> weights;
  if (narrow)
    for (std::size_t i = 0; i < data.rows; ++i) weights.push_back(0.25f + float(i % 5) / 2.0f);
  long long mismatches = 0;
  if (bad_rank < 0 && stop_rank < 0 && !hashed)
    mismatches +=
        check_sparse_loss_gradient<float>(comm, all, data.classes, data.labels, rank, ranks) +
        check_sparse_loss_gradient<double>(comm, all, data.classes, data.labels, rank, ranks);
  const std::size_t element_size = options.use_double ? sizeof(double) : sizeof(float);
  const mpi::RowRange mine = mpi::csr_rows_of_rank(data.rows, all.nnz(), data.features,
                                                   data.classes, element_size, rank, ranks);
  const CsrMatrix<float> local = slice<float>(all, mine.first, mine.count);
  std::span<const std::int32_t> local_labels =
      std::span<const std::int32_t>(labels).subspan(mine.first, mine.count);
  if (rank == bad_rank) local_labels = local_labels.first(mine.count - 1);
  if (rank == stop_rank) options.callback = stop_at_third;
  const mpi::DistributedFit fit =
      mpi::fit(comm, options, local.view(), local_labels,
               narrow ? std::span<const float>(weights).subspan(mine.first, mine.count)
                      : std::span<const float>(),
               mine.first);
  if (rank == 0 && !model_path.empty()) save_model_file(model_path, fit.contents());
  if (stop_rank >= 0)
    mismatches += fit.report.reason != StopReason::callback_stopped || fit.report.iterations != 3;
  if (rank != 0) return mismatches;
  options.callback = stop_rank >= 0 ? IterationCallback(stop_at_third) : IterationCallback();
  SoftmaxRegression single(options);
  const FitReport report = single.fit(all, labels, weights);
  const FitReport& got = fit.report;
  mismatches += !same_bits(report.objective, got.objective);
  mismatches += !same_bits(report.gradient_norm, got.gradient_norm);
  mismatches += report.iterations != got.iterations;
  mismatches += report.evaluations != got.evaluations;
  mismatches += report.hessian_products != got.hessian_products;
  mismatches += report.metric != got.metric;
  mismatches += !same_bits(report.pass_equivalents, got.pass_equivalents);
  mismatches += report.reason != got.reason;
  mismatches += single.class_labels() != fit.class_labels;
  mismatches += !same_bits(single.effective_l2(), fit.l2);
  for (std::size_t e = 0; e < single.weights().size(); ++e)
    mismatches += !same_bits(single.weights()[e], fit.weights[e]);
  for (std::size_t k = 0; k < single.intercept().size(); ++k)
    mismatches += !same_bits(single.intercept()[k], fit.intercept[k]);
  std::printf(
      "%s ranks=%d rows=%zu nnz=%zu: objective %.17g (single %.17g), %d iterations, %d "
      "evaluations, %d Hv, metric '%s' (single '%s'), %lld mismatches\n",
      which.c_str(), ranks, data.rows, all.nnz(), got.objective, report.objective, got.iterations,
      got.evaluations, got.hessian_products, got.metric.c_str(), report.metric.c_str(), mismatches);
  return mismatches;
}

}  // namespace

// The message of the Error read(path) throws, "" when it reads.
template <class Read>
std::string error_of(Read&& read) {
  try {
    (void)read();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// --read PATH: mpi::read_text_rows (LibSVM, dense) and mpi::read_libsvm_csr_rows against
// read_libsvm / read_libsvm_csr of the whole file: each rank's rows, bit for bit, the global
// counts and the classes; for a file they refuse, the same message. Returns the mismatches on
// this rank.
long long check_reads(MPI_Comm comm, const std::string& path, int rank, int ranks) {
  const std::string dense_error = error_of([&] { return read_libsvm(path); });
  const std::string csr_error = error_of([&] { return read_libsvm_csr(path); });
  if (!dense_error.empty() || !csr_error.empty()) {
    const std::string dense_got =
        error_of([&] { return mpi::read_text_rows(comm, "libsvm", path, {}, 0, sizeof(float)); });
    const std::string csr_got =
        error_of([&] { return mpi::read_libsvm_csr_rows(comm, path, 0, sizeof(float)); });
    std::printf(
        "rank %d:\n  read_libsvm: %s\n  read_text_rows: %s\n  read_libsvm_csr: %s\n"
        "  read_libsvm_csr_rows: %s\n",
        rank, dense_error.c_str(), dense_got.c_str(), csr_error.c_str(), csr_got.c_str());
    return (dense_got != dense_error) + (csr_got != csr_error);
  }
  long long mismatches = 0;
  const Dataset dense = read_libsvm(path);
  const mpi::TextRows text = mpi::read_text_rows(comm, "libsvm", path, {}, 0, sizeof(float));
  const std::vector<std::int32_t> classes = mpi::global_classes(comm, dense.labels);
  mismatches += text.global_rows != dense.rows || text.data.cols != dense.cols;
  mismatches += text.classes != classes;
  const mpi::RowRange mine =
      mpi::rows_of_rank(dense.rows, dense.cols, classes.size(), sizeof(float), rank, ranks);
  mismatches += text.mine.first != mine.first || text.mine.count != mine.count;
  if (mismatches == 0) {
    for (std::size_t i = 0; i < mine.count; ++i) {
      mismatches += text.data.labels[i] != dense.labels[mine.first + i];
      for (std::size_t j = 0; j < dense.cols; ++j)
        mismatches += !same_bits(text.data.features[i * dense.cols + j],
                                 dense.features[(mine.first + i) * dense.cols + j]);
    }
  }
  const SparseDataset sparse = read_libsvm_csr(path);
  const mpi::SparseTextRows rows = mpi::read_libsvm_csr_rows(comm, path, 0, sizeof(float));
  const CsrMatrixView<float>& all = sparse.features.view();
  mismatches += rows.global_rows != all.rows() || rows.global_nnz != all.nnz();
  mismatches += rows.classes != classes || rows.data.features.cols() != all.cols();
  const CsrMatrixView<float>& part = rows.data.features.view();
  for (std::size_t i = 0; i < rows.mine.count && mismatches == 0; ++i) {
    const std::size_t row = rows.mine.first + i;
    mismatches += rows.data.labels[i] != sparse.labels[row];
    mismatches += part.row_end(i) - part.row_begin(i) != all.row_end(row) - all.row_begin(row);
    for (std::size_t e = 0; e < part.row_end(i) - part.row_begin(i) && mismatches == 0; ++e) {
      mismatches += part.column_indices()[part.row_begin(i) + e] !=
                    all.column_indices()[all.row_begin(row) + e];
      mismatches +=
          !same_bits(part.values()[part.row_begin(i) + e], all.values()[all.row_begin(row) + e]);
    }
  }
  std::printf("rank %d: rows [%zu, +%zu) dense, [%zu, +%zu) CSR of %zu: %lld mismatches\n", rank,
              text.mine.first, text.mine.count, rows.mine.first, rows.mine.count, dense.rows,
              mismatches);
  return mismatches;
}

// --case api_errors: the library's refusals an audit found missing (2026-12-07), each an Error on
// every rank naming what is wrong, where the old code hung, aborted every rank (MPI_Abort), read
// out of bounds, divided by zero or returned header bytes as labels. Returns the mismatches on
// this rank (each printed).
long long check_api_errors(MPI_Comm comm, int rank, int ranks) {
  long long mismatches = 0;
  auto expect = [&](const std::string& name, const std::string& message, const std::string& part) {
    if (message.find(part) == std::string::npos) {
      std::printf("rank %d: %s: expected an Error containing '%s', got '%s'\n", rank, name.c_str(),
                  part.c_str(), message.c_str());
      ++mismatches;
    }
  };
  // Grid helpers (local, no communication).
  expect("rows_of_rank rank beyond ranks",
         error_of([&] { return mpi::rows_of_rank(100000, 20, 3, 4, ranks + 4, ranks); }),
         "rank is " + std::to_string(ranks + 4) + ", outside [0, " + std::to_string(ranks) + ")");
  expect("rows_of_rank rank -1",
         error_of([&] { return mpi::rows_of_rank(100000, 20, 3, 4, -1, ranks); }),
         "rank is -1, outside");
  expect("rows_of_rank ranks 0",
         error_of([&] { return mpi::rows_of_rank(100000, 20, 3, 4, 0, 0); }),
         "ranks is 0 (must be >= 1)");
  expect("rows_of_rank SIZE_MAX rows",
         error_of([&] { return mpi::rows_of_rank(SIZE_MAX, 20, 3, 4, 0, ranks); }),
         "global_rows is " + std::to_string(SIZE_MAX) + ", above");
  expect("rows_of_rank element_size 3",
         error_of([&] { return mpi::rows_of_rank(1000, 20, 3, 3, 0, ranks); }),
         "element_size is 3");
  expect("csr_rows_of_rank SIZE_MAX rows",
         error_of([&] { return mpi::csr_rows_of_rank(SIZE_MAX, 1000, 20, 3, 4, 0, ranks); }),
         "global_rows is");
  expect("csr_rows_of_rank nnz beyond rows x features",
         error_of([&] { return mpi::csr_rows_of_rank(10, 201, 20, 3, 4, 0, ranks); }),
         "global_nnz is 201, more than global_rows x features (10 x 20)");
  // The largest legal arguments still cut a grid.
  const mpi::RowRange whole = mpi::rows_of_rank(kMaxShareGlobalRows, 20, 3, 8, ranks - 1, ranks);
  mismatches += whole.first + whole.count != kMaxShareGlobalRows;
  // An IDX labels file of 5 items: rows from SIZE_MAX - 1 wrapped first + count into range.
  const std::string labels_path =
      (std::filesystem::temp_directory_path() / ("mpi_api_errors_" + std::to_string(rank) + ".idx"))
          .string();
  {
    const unsigned char idx[] = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 0, 1, 2};
    std::FILE* file = std::fopen(labels_path.c_str(), "wb");
    std::fwrite(idx, 1, sizeof idx, file);
    std::fclose(file);
  }
  expect("read_idx_label_rows first SIZE_MAX - 1",
         error_of([&] { return mpi::read_idx_label_rows(labels_path, SIZE_MAX - 1, 5); }),
         "beyond its 5");
  mismatches += mpi::read_idx_label_rows(labels_path, 2, 3) != std::vector<std::int32_t>{0, 1, 2};
  std::filesystem::remove(labels_path);
  expect("read_text_rows format idx", error_of([&] {
           return mpi::read_text_rows(comm, "idx", "/nonexistent.csv", CsvOptions{}, 0, 4);
         }),
         "format 'idx' is neither 'csv' nor 'libsvm'");

  // Fits on 400 rows x 3 features, 3 classes (rows_of_rank's share of them on each rank).
  const std::size_t rows = 400, cols = 3;
  std::vector<float> features(rows * cols);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<std::int32_t>(i % 3);
    for (std::size_t j = 0; j < cols; ++j)
      features[i * cols + j] =
          static_cast<float>((i * 7 + j * 3) % 11) - 5.0f + static_cast<float>(labels[i]);
  }
  const mpi::RowRange mine = mpi::rows_of_rank(rows, cols, 3, sizeof(float), rank, ranks);
  const MatrixView<const float> local(features.data() + mine.first * cols, mine.count, cols);
  const std::span<const std::int32_t> local_labels =
      std::span<const std::int32_t>(labels).subspan(mine.first, mine.count);
  auto fit_with = [&](FitOptions options, std::span<const float> weights) {
    options.threads = 1;
    return error_of(
        [&] { return mpi::fit(comm, options, local, local_labels, weights, mine.first); });
  };
  // Weights summing beyond float's range (400 x 3e37 = 1.2e40): fit's message on every rank,
  // not the loss engine's inside the solver run (MPI_Abort).
  const std::vector<float> heavy(mine.count, 3e37f);
  expect("weights summing beyond float", fit_with(FitOptions{}, heavy),
         "SoftmaxRegression::fit: sample_weight: the weights sum to 1.2e+40, outside what a mean "
         "can divide by in float");
  const std::vector<float> light(mine.count, 1e-45f);
  expect("weights summing below float's normal reciprocal", fit_with(FitOptions{}, light),
         "sample_weight: the weights sum to");
  // Options that differ on the last rank: every rank gets the Error (it was a hang).
  if (ranks > 1) {
    FitOptions l2;
    l2.l2 = rank == ranks - 1 ? 0.2 : 0.1;
    expect("l2 differs", fit_with(l2, {}),
           "softmaxkit::mpi::fit: rank " + std::to_string(ranks - 1) +
               "'s options differ from rank 0's (l2 0.2 against 0.1); every rank must pass the "
               "same");
    FitOptions solver;
    if (rank == ranks - 1) solver.solver = SolverKind::newton_cg;
    expect("solver differs", fit_with(solver, {}),
           "'s options differ from rank 0's (solver given 1 against 0)");
    FitOptions iterations;
    iterations.max_iterations = rank == 0 ? 5 : 50;
    expect("max_iterations differs", fit_with(iterations, {}), "(max_iterations 50 against 5)");
    // Threads may differ: the bits do not depend on them.
    FitOptions threads;
    threads.threads = rank + 1;
    expect("threads differ",
           error_of([&] {
             return mpi::fit(comm, threads, local, local_labels, {}, mine.first);
           }).empty()
               ? std::string("fitted")
               : std::string("refused"),
           "fitted");
  }
  return mismatches;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
  const std::string which = arg(argc, argv, "--case", "dense");
  const std::string solver = arg(argc, argv, "--solver", "lbfgs");
  const int bad_rank = std::stoi(arg(argc, argv, "--bad-rank", "-1"));
  const int kill_rank = std::stoi(arg(argc, argv, "--kill-rank", "-1"));
  const int stop_rank = std::stoi(arg(argc, argv, "--stop-rank", "-1"));
  const int throw_rank = std::stoi(arg(argc, argv, "--throw-rank", "-1"));
  const std::string model_path = arg(argc, argv, "--model", "");
  const std::string read_path = arg(argc, argv, "--read", "");
  int status = 0;
  try {
    if (!read_path.empty()) {
      const long long mismatches = check_reads(MPI_COMM_WORLD, read_path, rank, ranks);
      long long total = 0;
      MPI_Allreduce(&mismatches, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0) std::printf(total == 0 ? "mpi check passed\n" : "mpi check FAILED\n");
      MPI_Finalize();
      return total == 0 ? 0 : 1;
    }
    if (which == "api_errors") {
      const long long mismatches = check_api_errors(MPI_COMM_WORLD, rank, ranks);
      long long total = 0;
      MPI_Allreduce(&mismatches, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0) std::printf(total == 0 ? "mpi check passed\n" : "mpi check FAILED\n");
      MPI_Finalize();
      return total == 0 ? 0 : 1;
    }
    if (which.rfind("sparse", 0) == 0) {
      FitOptions options;
      options.C = 10.0;
      options.threads = 1;
      options.max_iterations = which == "sparse_hashed" ? 3 : 200;
      options.use_double = arg(argc, argv, "--double", "0") == "1";
      if (solver == "newton") options.solver = SolverKind::newton_cg;
      if (solver == "lbfgs") options.solver = SolverKind::lbfgs;
      const long long mismatches = check_sparse(MPI_COMM_WORLD, which, options, rank, ranks,
                                                bad_rank, stop_rank, model_path);
      long long total = 0;
      MPI_Allreduce(&mismatches, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0) std::printf(total == 0 ? "mpi check passed\n" : "mpi check FAILED\n");
      MPI_Finalize();
      return total == 0 ? 0 : 1;
    }
    const Dataset data = make_data(which);
    const std::vector<std::int32_t> classes = mpi::global_classes(MPI_COMM_WORLD, data.labels);
    std::vector<std::int32_t> indices(data.rows);
    for (std::size_t i = 0; i < data.rows; ++i)
      indices[i] = static_cast<std::int32_t>(
          std::lower_bound(classes.begin(), classes.end(), data.labels[i]) - classes.begin());
    long long mismatches = 0;
    if (bad_rank < 0 && kill_rank < 0 && stop_rank < 0 && throw_rank < 0) {
      mismatches +=
          check_loss_gradient<float>(MPI_COMM_WORLD, data, classes.size(), indices, rank, ranks);
      mismatches +=
          check_loss_gradient<double>(MPI_COMM_WORLD, data, classes.size(), indices, rank, ranks);
    }

    FitOptions options;
    options.l2 = 1e-4;
    options.threads = 1;
    options.tolerance = 1e-6;
    options.max_iterations = which == "fashion" ? 60 : 200;
    // "structured": the default (FitOptions::solver empty).
    if (solver == "newton") options.solver = SolverKind::newton_cg;
    if (solver == "lbfgs") options.solver = SolverKind::lbfgs;
    const mpi::RowRange mine =
        mpi::rows_of_rank(data.rows, data.cols, classes.size(), sizeof(float), rank, ranks);
    if (kill_rank == rank) {
      options.callback = [](const IterationReport& report) {
        if (report.iteration == 3) std::raise(SIGKILL);
        return true;
      };
    }
    if (stop_rank == rank) options.callback = stop_at_third;
    if (throw_rank == rank) {
      const bool throw_int = arg(argc, argv, "--throw", "error") == "int";
      options.callback = [rank, throw_int](const IterationReport& report) -> bool {
        if (report.iteration == 3 && throw_int) throw 3;  // not a std::exception
        if (report.iteration == 3)
          throw Error("the callback on rank " + std::to_string(rank) + " threw at iteration 3");
        return true;
      };
    }
    const MatrixView<const float> local(data.features.data() + mine.first * data.cols, mine.count,
                                        data.cols);
    std::span<const std::int32_t> local_labels =
        std::span<const std::int32_t>(data.labels).subspan(mine.first, mine.count);
    if (rank == bad_rank) local_labels = local_labels.first(mine.count - 1);
    const mpi::DistributedFit fit =
        mpi::fit(MPI_COMM_WORLD, options, local, local_labels, {}, mine.first);
    if (rank == 0 && !model_path.empty()) save_model_file(model_path, fit.contents());
    // Every rank stopped where the stopping rank's callback said, not only that rank.
    if (stop_rank >= 0)
      mismatches += fit.report.reason != StopReason::callback_stopped || fit.report.iterations != 3;

    if (rank == 0) {
      SoftmaxRegression single(options);
      single.options().callback = nullptr;
      if (stop_rank >= 0) single.options().callback = stop_at_third;
      const FitReport report = single.fit(
          MatrixView<const float>(data.features.data(), data.rows, data.cols), data.labels);
      mismatches += !same_bits(report.objective, fit.report.objective);
      mismatches += report.iterations != fit.report.iterations;
      mismatches += report.evaluations != fit.report.evaluations;
      mismatches += single.class_labels() != fit.class_labels;
      for (std::size_t e = 0; e < single.weights().size(); ++e)
        mismatches += !same_bits(single.weights()[e], fit.weights[e]);
      for (std::size_t k = 0; k < single.intercept().size(); ++k)
        mismatches += !same_bits(single.intercept()[k], fit.intercept[k]);
      std::printf(
          "%s %s ranks=%d rows=%zu: objective %.17g (single %.17g), %d iterations, %lld "
          "mismatches\n",
          which.c_str(), solver.c_str(), ranks, data.rows, fit.report.objective, report.objective,
          fit.report.iterations, mismatches);
    }
    long long total = 0;
    MPI_Allreduce(&mismatches, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) std::printf(total == 0 ? "mpi check passed\n" : "mpi check FAILED\n");
    status = total == 0 ? 0 : 1;
  } catch (const Error& error) {
    std::fprintf(stderr, "rank %d: softmaxkit: %s\n", rank, error.what());
    MPI_Finalize();
    return 2;
  }
  MPI_Finalize();
  return status;
}
