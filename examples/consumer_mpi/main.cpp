// Run with mpiexec -n P: every rank holds its rows of a small two-class set (rows_of_rank), the
// data-parallel fit runs on every rank, and rank 0 checks that the parameters equal a
// single-process fit on all the rows, bit for bit.
#include <cstdio>
#include <cstring>
#include <softmaxkit/mpi.hpp>
#include <softmaxkit/softmaxkit.hpp>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::size_t rows = 2000, cols = 3;
  std::vector<float> x(rows * cols);
  std::vector<std::int32_t> y(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j)
      x[i * cols + j] = static_cast<float>((i * 7 + j * 13) % 17) / 17.0f - 0.5f;
    y[i] = x[i * cols] + 0.3f * x[i * cols + 1] > 0 ? 1 : 0;
  }
  softmaxkit::FitOptions options;
  options.l2 = 1e-3;
  options.threads = 1;
  const softmaxkit::mpi::RowRange mine =
      softmaxkit::mpi::rows_of_rank(rows, cols, 2, sizeof(float), rank, ranks);
  const softmaxkit::mpi::DistributedFit fit = softmaxkit::mpi::fit(
      MPI_COMM_WORLD, options,
      softmaxkit::MatrixView<const float>(x.data() + mine.first * cols, mine.count, cols),
      std::span<const std::int32_t>(y).subspan(mine.first, mine.count), {}, mine.first);
  int status = 0;
  if (rank == 0) {
    softmaxkit::SoftmaxRegression single(options);
    single.fit(softmaxkit::MatrixView<const float>(x.data(), rows, cols), y);
    const bool same = std::memcmp(single.weights().data(), fit.weights.data(),
                                  fit.weights.size() * sizeof(double)) == 0 &&
                      std::memcmp(single.intercept().data(), fit.intercept.data(),
                                  fit.intercept.size() * sizeof(double)) == 0;
    std::printf("consumer_mpi: %d ranks, parameters %s\n", ranks, same ? "identical" : "DIFFER");
    status = same ? 0 : 1;
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
