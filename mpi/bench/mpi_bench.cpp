// mpiexec -n P softmaxkit_mpi_bench [threads] [evaluations] [rows]: per-evaluation time of the
// data-parallel loss and gradient on Fashion-MNIST (float, K = 10, n = 784; the first `rows`
// rows, all by default), split into
//   compute   this rank's chunks (the same share with a fold that does nothing), max over ranks
//   exchange  the fold alone (after a barrier: no waiting for a slower rank)
//   total     a full evaluation (compute + waiting + fold)
// Rank 0 prints one line per run; times are medians over the evaluations.
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "softmaxkit/data.hpp"
#include "softmaxkit/mpi.hpp"
#include "softmaxkit/softmaxkit.hpp"

namespace {

using namespace softmaxkit;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int threads = argc > 1 ? std::stoi(argv[1]) : 1;
  const int evaluations = argc > 2 ? std::stoi(argv[2]) : 20;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  const std::string d = "/usr/share/datasets/fashion-mnist/";
  const mpi::IdxShape shape = mpi::read_idx_shape(d + "train-images-idx3-ubyte.gz");
  const std::size_t rows = argc > 3 ? std::stoul(argv[3]) : shape.items;
  const std::size_t n = shape.values_per_item, k = 10;
  const mpi::RowRange mine = mpi::rows_of_rank(rows, n, k, sizeof(float), rank, ranks);
  const Dataset data =
      mpi::read_idx_rows(d + "train-images-idx3-ubyte.gz", d + "train-labels-idx1-ubyte.gz", true,
                         mine.first, mine.count);
  RegressionProblem<float> problem;
  problem.features = MatrixView<const float>(data.features.data(), data.rows, data.cols);
  problem.labels = data.labels;
  problem.num_classes = k;
  problem.l2 = 1e-4;
  const double total_weight = static_cast<double>(rows);
  LossGradient<float> shared(
      problem, {}, mpi::make_share<float>(MPI_COMM_WORLD, rows, mine.first, total_weight));
  ChunkShare<float> local_only{rows, mine.first, total_weight, {}};
  std::size_t local_chunks = 0;
  local_only.fold = [&](std::size_t chunks, std::span<double>, std::span<float>, std::span<float>) {
    local_chunks = chunks;
  };
  LossGradient<float> compute_only(problem, {}, local_only);
  const ChunkShare<float> exchange =
      mpi::make_share<float>(MPI_COMM_WORLD, rows, mine.first, total_weight);
  std::vector<float> w(k * n, 0.001f), b(k, 0.0f), gw(k * n), gb(k);
  std::vector<double> exchange_loss(1);
  std::vector<float> exchange_w(k * n), exchange_b(k);

  std::vector<double> compute, fold, total;
  for (int e = 0; e <= evaluations; ++e) {  // e = 0 warms up
    MPI_Barrier(MPI_COMM_WORLD);
    auto start = Clock::now();
    compute_only.evaluate(w, b, gw, gb);
    double local = seconds_since(start), slowest = 0;
    MPI_Allreduce(&local, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    start = Clock::now();
    exchange.fold(0, exchange_loss, exchange_w, exchange_b);
    const double exchanged = seconds_since(start);
    MPI_Barrier(MPI_COMM_WORLD);
    start = Clock::now();
    shared.evaluate(w, b, gw, gb);
    const double whole = seconds_since(start);
    if (e == 0) continue;
    compute.push_back(slowest);
    fold.push_back(exchanged);
    total.push_back(whole);
  }
  std::size_t chunks_max = 0;
  MPI_Reduce(&local_chunks, &chunks_max, 1, MPI_UNSIGNED_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf(
        "ranks %d threads %d rows %zu: compute %.3f ms (%zu chunks on the busiest rank, %.3f ms "
        "per chunk), exchange %.3f ms (%zu bytes per link), total %.3f ms per evaluation\n",
        ranks, threads, rows, 1e3 * median(compute), chunks_max,
        1e3 * median(compute) / static_cast<double>(std::max<std::size_t>(chunks_max, 1)),
        1e3 * median(fold), (k * n + k) * sizeof(float) + 2 * sizeof(double), 1e3 * median(total));
  }
  MPI_Finalize();
  return 0;
}
