// Element-wise and row kernels. Each runs on the active ISA (see isa.hpp) and validates its
// arguments, throwing softmaxkit::Error that names the offending argument (and row).
//
// Row kernels take row-major matrices with a row stride (MatrixView). Each has a single-threaded
// form and a `_parallel` form that splits the rows into fixed blocks (their size depends on the
// row length only) run with TBB in the calling thread's arena (limit threads with
// tbb::task_arena). The two forms give bitwise identical results for any number of threads.
// Accuracy: the bounds below (every ISA, float and double, any finite logits whose exact result
// is within T's range: log_softmax of the row [-FLT_MAX, FLT_MAX] is -6.8e38 exactly, -inf in
// float), checked by
// tests/test_randomized_rows.cpp against long double; how each kernel gets there is in
// kernels/simd/<kernel>.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "softmaxkit/matrix.hpp"

namespace softmaxkit {

// ---- Accuracy bounds (the contracts as numbers; the tests assert these very constants). ----
// ULP: |result - exact| in units in the last place of the output type at max(|exact|, 1), so
// results near 0 are held to 4 ULP of 1 (a relative bound means nothing there).
inline constexpr double kLogSumExpUlpBound = 4.0;
inline constexpr double kLogSoftmaxUlpBound = 4.0;
// softmax: |p - exact| <= this, absolute: 2^-23 (float), 2^-51 (double). Double's former 2^-52
// did not hold (1.08 x 2^-52 seen): a probability in [0.5, 1) carries exp's error (up to 1 ULP)
// and the division's rounding (0.5 ULP) on top of the sum's. These bounds are checked by the
// randomized search, not proved: a worst-case analysis of the method allows up to about
// 3 x 2^-23 (float) and 3 x 2^-52 (double).
template <class T>
inline constexpr double kSoftmaxAbsoluteBound = std::is_same_v<T, float> ? 0x1p-23 : 0x1p-51;
// |sum_k softmax(z)_k - 1| <= this.
template <class T>
inline constexpr double kSoftmaxRowSumBound = std::is_same_v<T, float> ? 1e-6 : 1e-14;
// cross_entropy, float and double, with e = kCrossEntropyRelativeBound and
// mu = 2 std::numeric_limits<T>::min(): the row kernels flush exp results below exp(-87) (float) /
// exp(-708) (double), about 1.5 x the smallest normal, to 0, and values below the smallest normal
// are subnormal: hence the absolute parts below (negligible beside any normal value).
// "Exact" is the formulas of the cross-entropy section below with each exp taken at
// d_ik = z_ik - max_i as rounded to T, the difference any softmax in T evaluates exp at (every
// other quantity exact: max - z in the loss, A, the weights). The rounding of d moves exp(d) by
// up to half an ULP of d, relative: for float 4.8e-7 where |d| < 16, 9.5e-7 where |d| < 32. Over
// varied logits that averages out, well within e of the exact-logit values; where many classes
// share one logit 16 to 32 below the maximum it adds up, and against the exact logits the loss
// and gradient then reach 1.3e-6 (measured; double: 1e-13). Also taken as rounded to T in
// "exact", where one is subnormal in T (float: below 1.2e-38): a target mass
// a_ik = c_k ((1 - eps) q_ik + eps / K), eps / K, and on the dense path (soft targets, or label
// smoothing) a row's weight s_i sigma and the product A_i p_ik. T cannot hold them better, and
// the hard-label path alone forms its row weight s_i c_{y_i} sigma in a wider type. Measured:
// label smoothing 2.1e-44 at K = 2 put a float loss at logits +-3e38 6.6 % from the unrounded
// value, a_k = 0.3 x 1e-40 1.9e-5; float s sigma = 1e-42 with c_y = 1e33 and smoothing 0.1, a
// gradient entry 5.3e-4 off; A = 4.9e-28 with s = 1.3e29, 2.5e-5 off (2026-12-06 audit).
// - loss: each per-row loss within e relative + mu (1 + K s_i A_i) absolute, the reduced loss
//   within e relative + the sum of those (times sigma);
//   a per-row loss beyond T's range is +inf in `losses` while the (double) result stays finite.
// - gradient: the ONE definition of its error, for every path (hard or soft targets, any option),
//   in the notation of the cross-entropy section below (sigma: 1/W for mean, else 1):
//     |g_ik - exact_ik| <= e * max(|exact_ik|, t_ik) + mu (1 + s_i sigma A_i),
//     t_ik = s_i sigma (A_i p_ik + a_ik).
//   That is, relative to the entry, or to the two terms it is the difference of where those
//   cancel (a soft target close to p: T can only hold the terms). When all of a row's target mass
//   sits on a class holding the row maximum (a hard target, or a one-hot soft target, without
//   smoothing), that entry is formed without the cancellation of p - 1, so on a confident row it
//   is accurate relative to |exact| itself.
inline constexpr double kCrossEntropyRelativeBound = 1e-6;

// exp over an array: at most 1 ULP (float: every input checked; double: 10^8 random inputs),
// exact edges (overflow to +inf exactly where the true result exceeds the largest finite value,
// gradual underflow, exp(-inf) = 0, NaN -> NaN). Out of place (input and output the same length
// and disjoint) or in place. Thread-safe; deterministic.
void exp(std::span<const float> input, std::span<float> output);
void exp(std::span<const double> input, std::span<double> output);
void exp(std::span<float> values);
void exp(std::span<double> values);

// output[i] = log sum_k exp(logits(i, k)); output has logits.rows() elements, not overlapping the
// logits' extent (first to last element, strides included). Safe for any finite
// logits; -inf entries are masked classes; a row of only -inf gives -inf; a row holding +inf or
// NaN gives NaN.
void logsumexp_rows(MatrixView<const float> logits, std::span<float> output);
void logsumexp_rows(MatrixView<const double> logits, std::span<double> output);
void logsumexp_rows_parallel(MatrixView<const float> logits, std::span<float> output);
void logsumexp_rows_parallel(MatrixView<const double> logits, std::span<double> output);

// output(i, k) = exp(logits(i, k)) / sum_j exp(logits(i, j)), and its logarithm
// logits(i, k) - logsumexp(row i). Out of place (same shape; output is the same memory with the
// same stride, or disjoint: judged on the whole extents, first row's first element to the last
// row's last, so rows interleaved between the other's rows count as overlapping) or in place. A row
// holding +inf or NaN, or only -inf, becomes NaN.
void softmax_rows(MatrixView<const float> logits, MatrixView<float> output);
void softmax_rows(MatrixView<const double> logits, MatrixView<double> output);
void softmax_rows(MatrixView<float> values);
void softmax_rows(MatrixView<double> values);
void softmax_rows_parallel(MatrixView<const float> logits, MatrixView<float> output);
void softmax_rows_parallel(MatrixView<const double> logits, MatrixView<double> output);
void log_softmax_rows(MatrixView<const float> logits, MatrixView<float> output);
void log_softmax_rows(MatrixView<const double> logits, MatrixView<double> output);
void log_softmax_rows(MatrixView<float> values);
void log_softmax_rows(MatrixView<double> values);
void log_softmax_rows_parallel(MatrixView<const float> logits, MatrixView<float> output);
void log_softmax_rows_parallel(MatrixView<const double> logits, MatrixView<double> output);

// ---- Cross-entropy of logits Z (rows x K) against targets, with the gradient dL/dZ fused. ----
//
// Row i has target distribution q_i: the one-hot of label y_i, or the soft-target row; label
// smoothing eps makes it (1 - eps) q_i + eps / K (PyTorch). With class weights c (all 1 if none)
// and sample weight s_i (1 if none):
//   loss_i = -s_i sum_k c_k q_ik log softmax(Z_i)_k
//   dloss_i/dZ_i = s_i (A_i softmax(Z_i) - c * q_i),  A_i = sum_k c_k q_ik
// (A_i = 1 without class weights: the familiar s_i (softmax - q_i).) Terms with c_k q_ik = 0 are
// skipped, so a masked class (logit -inf) is fine unless it is a target (then loss_i = +inf).
// A row whose logits are all -inf has every class masked: no class has probability (p = 0), so
// loss_i = +inf if A_i > 0 (else 0) and the gradient row is -s_i a_i (times the mean's 1/W) —
// the same for hard and soft targets, on every ISA (zeros as -0: until 2026-12-07 the AVX-512
// small-K path wrote +0). (logsumexp gives -inf for it; softmax NaN.)
// A zero sample weight times an infinite loss is NaN, as IEEE says.
// Range: for float, each row's loss and the sums are formed in double, so no finite logits
// overflow them; a per-row loss beyond FLT_MAX (e.g. 2 * 3.4e38 from logits +-3.4e38) is +inf in
// `losses` while the returned loss, a double, holds it. For double, the row's loss before its
// sample weight, the weighted loss and their sum are doubles: any of them beyond DBL_MAX is +inf
// (a sample weight below 1, or the mean's 1/W, does not bring it back).
//
// Reductions: none (losses[i] = loss_i; returned loss is their sum), sum, or mean = sum / W with
// W = sum_i s_i c_{y_i} over rows whose label is not ignore_index (hard targets, as PyTorch) or
// W = sum_i s_i (soft targets). The gradient carries the same scaling (1/W for mean). Mean over
// W = 0 (no rows, or every row ignored or weighted 0) is defined as 0 with a zero gradient
// (PyTorch returns NaN); the result reports W so a caller can tell. A row whose loss is NaN
// still makes the loss NaN then: NaN wins over the definition (a NaN or +inf logit makes its
// gradient row NaN too; a zero weight times an infinite loss, e.g. a target logit of -inf,
// leaves its gradient row 0). W is summed in long double (products
// s_i c_k that underflow double still count), and a mean over W > 0 needs 1/W to be a normal T:
// 1/max(T) <= W <= 1/min(T) (float 2.9e-39 to 8.5e37, double 5.6e-309 to 4.5e307), otherwise
// Error (a W of 1e-320 gave an infinite loss, an overflowed one NaN, s = c = 1e-200 a W of 0 and
// loss 0, a float W of 1e40 a gradient of +-inf); scaling every weight by one factor leaves the
// mean unchanged.
// Rows whose label is ignore_index contribute nothing: loss 0 and a zero gradient row, whatever
// their logits. Any other row holding +inf or NaN gets a NaN loss and NaN gradient row.
enum class Reduction { none, sum, mean };

template <class T>
struct CrossEntropyOptions {
  Reduction reduction = Reduction::mean;
  std::optional<std::int32_t> ignore_index{};  // hard targets only
  double label_smoothing = 0;                  // eps in [0, 1]
  std::span<const T> class_weights{};          // K non-negative weights, or empty (all 1)
  std::span<const T> sample_weights{};         // rows non-negative weights, or empty (all 1)
};

struct CrossEntropyResult {
  double loss = 0;          // the reduced loss (sum of per-row losses for Reduction::none)
  double total_weight = 0;  // W above: the denominator of the mean
};

// Hard targets: labels[i] in [0, K), or ignore_index. Soft targets: rows x K, each row
// non-negative and summing to 1 within max(1e-5, 4 K epsilon). `gradient` (rows x K, may be the
// logits' own memory with the same stride for in place) is written when not empty; `losses`
// (rows) is required for Reduction::none and optional otherwise. Errors name the argument, and
// the row for bad labels, weights or target rows. `gradient` must not overlap the labels,
// targets, class or sample weights, nor `losses` any input or the gradient: overlap is judged on
// whole extents (a strided view's span from its first to its last element), so interleaving
// rows of two views within one buffer is refused too.
CrossEntropyResult cross_entropy(MatrixView<const float> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<float>& options = {},
                                 MatrixView<float> gradient = {}, std::span<float> losses = {});
CrossEntropyResult cross_entropy(MatrixView<const double> logits,
                                 std::span<const std::int32_t> labels,
                                 const CrossEntropyOptions<double>& options = {},
                                 MatrixView<double> gradient = {}, std::span<double> losses = {});
CrossEntropyResult cross_entropy(MatrixView<const float> logits, MatrixView<const float> targets,
                                 const CrossEntropyOptions<float>& options = {},
                                 MatrixView<float> gradient = {}, std::span<float> losses = {});
CrossEntropyResult cross_entropy(MatrixView<const double> logits, MatrixView<const double> targets,
                                 const CrossEntropyOptions<double>& options = {},
                                 MatrixView<double> gradient = {}, std::span<double> losses = {});
CrossEntropyResult cross_entropy_parallel(MatrixView<const float> logits,
                                          std::span<const std::int32_t> labels,
                                          const CrossEntropyOptions<float>& options = {},
                                          MatrixView<float> gradient = {},
                                          std::span<float> losses = {});
CrossEntropyResult cross_entropy_parallel(MatrixView<const double> logits,
                                          std::span<const std::int32_t> labels,
                                          const CrossEntropyOptions<double>& options = {},
                                          MatrixView<double> gradient = {},
                                          std::span<double> losses = {});
CrossEntropyResult cross_entropy_parallel(MatrixView<const float> logits,
                                          MatrixView<const float> targets,
                                          const CrossEntropyOptions<float>& options = {},
                                          MatrixView<float> gradient = {},
                                          std::span<float> losses = {});
CrossEntropyResult cross_entropy_parallel(MatrixView<const double> logits,
                                          MatrixView<const double> targets,
                                          const CrossEntropyOptions<double>& options = {},
                                          MatrixView<double> gradient = {},
                                          std::span<double> losses = {});

}  // namespace softmaxkit
