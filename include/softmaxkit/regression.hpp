// Softmax-regression loss, gradient and Hessian-vector product.
//
//   J = (1/sum w) sum_i w_i CE(softmax(W x_i + b), y_i) + (l2/2) ||W||_F^2   (b not penalised)
//   grad_W = (1/sum w) (P - Y)^T diag(w) X + l2 W,   grad_b = (1/sum w) (P - Y)^T w
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit {

template <class T>
struct RegressionProblem {
  MatrixView<const T> features{};          // m x n dense, or empty when sparse_features is given
  CsrMatrixView<T> sparse_features{};      // m x n CSR (validated by its constructor), or empty
  std::span<const std::int32_t> labels{};  // m class indices in [0, num_classes), or empty
  MatrixView<const T> target_probabilities{};  // m x num_classes soft targets, or empty
  // m finite non-negative weights, or empty (all 1); their sum W (in double) must have a normal
  // reciprocal in T: float 2.9e-39 <= W <= 8.5e37, double 5.6e-309 <= W <= 4.5e307 (the
  // gradient is scaled by 1/W rounded to T), else Error.
  std::span<const T> sample_weights{};
  std::size_t num_classes = 0;
  double l2 = 0;              // lambda >= 0
  bool fit_intercept = true;  // false: the intercept is fixed at 0
};

// How a block's two matrix products (logits X_blk W^T and gradient G^T X_blk) are computed.
// `blas`: OpenBLAS sgemm/dgemm, single-threaded inside each TBB task. `small_k`: softmaxkit's
// register-blocked SIMD kernel, faster for few classes because it keeps a tile of outputs in
// registers instead of packing panels sized for large matrices. `automatic`: small_k when
// num_classes <= small_k_product_max_classes, the crossover that bench/bench_loss_gradient.cpp
// (loss_grad_crossover) measures; README, "Design choices and their measurements".
// `csr`: CSR features (sparse_features); the only path for them, chosen by automatic.
enum class ProductPath { automatic, blas, small_k, csr };
inline constexpr std::size_t small_k_product_max_classes = 128;

// How the weights W, and every argument and result shaped like them, lie in memory.
// `classes_by_features`: K x n row-major, W as written in the formulas above (element (k, j) at
// k n + j). `features_by_classes`: n x K row-major, W transposed (element (k, j) at j K + k):
// scikit-learn's own layout for its lbfgs solver, coef[:, :n].ravel(order="F"), and the order a
// solver over sparse data can keep its parameters in. The results are the same bits in either
// layout (one layout's arrays are the other's transposed). CSR features without a share read the
// weights in place and sum the gradient into its output: no transposed copy per call, the reason
// for this layout (README, "Sparse features"). Other paths (dense features, a ChunkShare)
// transpose the arguments into K x n copies and the results back, holding up to 3 K n elements
// more.
enum class WeightLayout { classes_by_features, features_by_classes };

struct LossGradientOptions {
  ProductPath path = ProductPath::automatic;
  // Rows per block; 0 picks it from the shape (about 256 KiB of features, so a block stays in L2
  // between its two products; 1 MiB above 128 classes). Never depends on the thread count.
  // Results depend on it (bitwise), as on the path and the ISA. Above the row count it means one
  // block of every row (block_rows() reports the row count).
  std::size_t block_rows = 0;
  // The layout of weights, weights_gradient, direction_weights and product_weights (above).
  WeightLayout weight_layout = WeightLayout::classes_by_features;
  // 0: the chunk grid (and so the bits) is planned for the problem's feature count. Otherwise for
  // max(this, that count), at most kCsrMaxColumns (else an Error naming grid_features): the grid
  // of a wider CSR matrix whose columns without entries were dropped. SoftmaxRegression::fit
  // passes the data's width when it solves over the used columns only (model.hpp), so the grid is
  // the one softmaxkit::mpi::csr_rows_of_rank cuts the ranks' rows on.
  std::size_t grid_features = 0;
};

// One share of a data-parallel problem (softmaxkit::mpi builds these; include/softmaxkit/mpi.hpp).
// The problem given with it holds rows [first_row, first_row + its rows) of a dense problem of
// global_rows rows whose sample weights sum to global_weight_sum; those rows must be whole chunks
// of the chunk grid cut for global_rows (the constructor throws otherwise). Each evaluation runs
// the share's chunks, then calls `fold` with their partial sums, chunk by chunk in order:
// `chunks` of them (possibly 0), loss (max(1, chunks) entries), weight_sums (max(1, chunks) x
// K n, in the chunk accumulator's layout) and intercept_sums (max(1, chunks) x K), the last two
// empty when the call computes the loss only. fold must leave in the first entries the sums over
// all the grid's chunks as one process adds them: loss and intercept from 0 adding chunk 0, 1,
// ...; weights starting from chunk 0's, adding chunk 1, 2, ... Then J, the gradient and Hv are the
// whole problem's, bitwise.
// CSR features (sparse_features, every share with the same cols): column_entries holds each
// column's entry count over ALL the shares' rows (cols entries). Their sum, the global nnz, fixes
// the block size and the chunk count and so the grid (as for one process), and their order fixes
// the chunk accumulator's layout (features by entry count), so that every share's sums lie where
// the single process's do and the fold adds like elements. Empty for dense features.
// The constructor also refuses (Error) a global_rows above kMaxShareGlobalRows (the grid's
// arithmetic stays within size_t; it crashed with SIGFPE near SIZE_MAX), a column_entries value
// above global_rows, and a global_weight_sum below the share's own weights' sum by more than the
// relative kShareWeightSumSlack (which another order of summation may account for).
inline constexpr std::size_t kMaxShareGlobalRows = std::size_t{1} << 56;
inline constexpr double kShareWeightSumSlack = 1e-6;
template <class T>
struct ChunkShare {
  std::size_t global_rows = 0, first_row = 0;
  double global_weight_sum = 0;
  std::function<void(std::size_t chunks, std::span<double> loss, std::span<T> weight_sums,
                     std::span<T> intercept_sums)>
      fold{};
  std::vector<std::int64_t> column_entries{};  // CSR only (above); last: {rows, first, sum, fold}
};

// Parameters: weights K x n row-major (contiguous; n x K with WeightLayout::features_by_classes),
// intercept K (when fit_intercept is false the
// intercept spans may be empty; if given, the intercept is read as 0 and its gradient is 0).
//
// Validation at construction: labels length, soft-target shape, weights length, num_classes > 0,
// labels in range, weights finite and non-negative, not all zero, their sum W finite with 1/W
// finite in T (so at least 1/FLT_MAX or 1/DBL_MAX: the loss is a mean; rescaling all weights by
// one factor does not change it), no null data with a nonzero
// size (labels, sample_weights). Each call checks its spans' sizes and null pointers, and that
// every output (gradients, Hessian-vector products, logits) shares no memory with any input (the
// parameters, the direction, the problem's features, labels, targets and weights) or with the
// other output: an Error names both arguments. NaN or inf in the features is
// not checked: it propagates to a NaN loss and gradient.
//
// Accuracy: products in T (fused multiply-add where the ISA has it), each row's cross-entropy
// and the loss sum in double; against a plain double-precision reference the tests see relative
// errors below 1e-5 (float) and 1e-12 (double) on their data. That is an observation, not a
// bound. The Hessian-vector product's u - p.u is formed as (u - u_m) + sum over j != m of
// p_j (u_m - u_j), m the most probable class, so a nearly one-hot p does not cancel it (until
// 2026-12-07 it was u - p.u: logits +-20, K = 2, gave 0 for 4.2e-18 in float and double, and an
// audit measured 3.8e-4 max-abs relative in float on K = 200); products of X with V still round
// in T. The bounds are the kernels' (kernels.hpp).
// Results depend on the ISA, the path and
// block_rows, never on the thread count. The BLAS path runs OpenBLAS single-threaded inside its
// TBB tasks whatever openblas_set_num_threads or OPENBLAS_NUM_THREADS say (so neither changes a
// bit), and restores OpenBLAS's setting when the last concurrent pass ends; a caller must not
// change that setting from another thread while a pass or fit runs (OpenBLAS's setting is
// process-wide).
//
// Memory: besides views of the data, the object owns about
//   chunks * (K n + K) + tasks * block_rows * K' + K' n + block_rows * K  elements (K' = 2K,
//   K until a Hessian-vector product; tasks: the most chunks (or independent blocks) that have
//   run at once, at most min(threads, chunks); until 2026-12-07 a block of logits per chunk,
//   about m x 2K elements when chunks have one block each),
// where chunks = min(max(blocks / 4, min(blocks, 16)), 64, max(4, 64 MiB / (K n sizeof(T))))
// (for CSR features also at most max(4, nnz / 2^20)) depends only on the shape and, for CSR,
// the entry count (see kernels/loss/block_plan.hpp, kernels/loss/problem_checks.hpp):
// each chunk accumulates a fixed run of blocks and chunks are summed in order, which is what
// makes the result independent of the thread count. Never an m x K matrix for dense features.
// CSR features (without a share) hold no chunk accumulators: instead a column-major copy of the
// features cut by the chunks, nnz * (4 + sizeof(T)) bytes plus at most min(nnz, chunks n)
// segments of 13 bytes and n * 4 bytes, the features' running totals (n x K elements) and every
// row's gradient of the logits (m x K elements), all made at the first gradient or
// Hessian-vector product (a loss-only or prediction-only object never holds them; building the
// copy takes nnz * (8 + sizeof(T)) + 16 (n + 1) + m bytes more for a moment); the gradient is
// then summed chunk by chunk, each feature's entries in a chunk added to its total in chunk
// order, the same additions in the same order as the chunked sums, so the results are those bits
// (README, "Sparse features"). CSR features also keep every entry's slot (nnz int32) and n int32
// slots from construction; with WeightLayout::features_by_classes they hold neither the running
// totals nor the transposed weights of a loss and gradient (the Hessian-vector product still
// stacks W and V: 2 n K elements). The constructor refuses (Error naming the sizes) a copy that
// would not fit in the machine's memory.
// Validates the problem once at construction (throws Error naming what is wrong); keeps views,
// so the data must outlive the object. Reuses its workspace: no allocation per call in steady
// state (once each thread of the arena has worked on a call: a thread's first block of a CSR
// pass makes its logits buffer; tests/allocation_probe.cpp counts on one thread). Runs in the
// calling thread's TBB arena (use tbb::task_arena to limit threads); results are bitwise identical
// for any number of threads. Not thread-safe per object.
template <class T>
class LossGradient {
 public:
  explicit LossGradient(const RegressionProblem<T>& problem);
  LossGradient(const RegressionProblem<T>& problem, const LossGradientOptions& options);
  // A share of a data-parallel problem (ChunkShare above).
  LossGradient(const RegressionProblem<T>& problem, const LossGradientOptions& options,
               ChunkShare<T> share);
  ~LossGradient();
  LossGradient(LossGradient&&) noexcept;
  LossGradient& operator=(LossGradient&&) noexcept;

  // Returns J; writes the gradients unless the spans are empty.
  // Subnormal terms: the terms w_i (p_ik - y_ik) / sum of weights (and the Hessian's row terms)
  // whose magnitude is below std::numeric_limits<T>::min() (1.2e-38 in float, 2.2e-308 in
  // double) are taken as zero of the same sign before the products, so each gradient (or Hv)
  // entry moves by at most rows * max |x_ij| * min() from the exact sum (the loss is untouched).
  // Intel cores take a microcode assist for every multiply-add with a subnormal operand: a fit
  // that drives probabilities that low (Fashion-MNIST at C = 1e4) ran its gradient product 3
  // times slower.
  double evaluate(std::span<const T> weights, std::span<const T> intercept,
                  std::span<T> weights_gradient, std::span<T> intercept_gradient);
  // H(W, b) * (V, v): the Hessian of J at (weights, intercept) applied to a direction.
  void hessian_vector(std::span<const T> weights, std::span<const T> intercept,
                      std::span<const T> direction_weights, std::span<const T> direction_intercept,
                      std::span<T> product_weights, std::span<T> product_intercept);

  // For prediction: logits (m x K, any row stride) = X W^T + b, by the same block products and
  // threads; each row depends only on its own features, so the result is thread-independent.
  void predict_logits(std::span<const T> weights, std::span<const T> intercept,
                      MatrixView<T> logits);

  std::size_t num_samples() const;
  std::size_t num_features() const;
  std::size_t num_classes() const;
  // The path and block size in use (automatic resolved).
  ProductPath product_path() const;
  std::size_t block_rows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace softmaxkit
