// Vectorised cross-entropy with its fused gradient over a block of rows: the body behind
// softmaxkit::cross_entropy and the loss engine (formulas in common/cross_entropy_rows.hpp).
//
// Contract (every ISA, float and double): the bounds and the one definition of the gradient's
// error in include/softmaxkit/kernels.hpp (kCrossEntropyRelativeBound = 1e-6), checked by
// tests/test_randomized_rows.cpp against long double over the whole option space (worst measured:
// README, "Kernel contracts"). A target holding the row maximum gets p - 1 as -(sum of the others)
// / sum on the sparse path, and A p - a as
// ((A - a) - a (sum - 1)) / sum on the dense one, so a confident row's target entry keeps its
// relative accuracy with hard and one-hot soft targets alike.
// - Safe for any finite logits: max - z never overflows (float: in double; double: from halves),
//   and the dense path sums A and sum_k a_k (max - z_k) in double. A masked class (logit -inf) is
//   fine unless it carries target mass (then that row's loss is +inf); a row of only -inf gets
//   loss +inf (0 without target mass) and gradient -w a (all_masked_row, on both paths). A row
//   holding +inf or NaN gets NaN loss and NaN gradient; ignored rows get loss 0 and a zero
//   gradient whatever their logits hold (the row path does not read them; the small-K path
//   reads them into its tile and discards them).
// - Deterministic and allocation-free: each row's results depend only on that row and K (never
//   on its position, the block split or the thread count); the returned sum adds rows in order,
//   in double. Safe to call concurrently on disjoint blocks (a block reads and writes only its
//   own rows). Threading is the caller's (cross_entropy_parallel: fixed TBB row blocks).
//
// Dispatch by K: K <= small_k_tile_max_classes (32) runs cross_entropy_small_k.hpp — W rows at
// once, one per SIMD lane, vectorised log (simd/log.hpp) — everything else the row path below.
//
// Method (row path): per row, the max; then one pass computing e = exp(z - max) (stored in the
// gradient row), the row sum, and the target terms A and sum_k a_k (max - z_k) (in double,
// TargetSums); loss = that + A log(sum); then the gradient in place from the stored e:
// w (A e / sum - a). Two reads of the logits, the
// second from L1. Hard targets without smoothing take a sparse path: only z[label] is a target
// term, and the gradient pass is one multiply per element, e (w / sum), with the target's entry
// w (p - 1) written on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "common/cross_entropy_rows.hpp"
#include "simd/arch.hpp"
#include "simd/cross_entropy_small_k.hpp"
#include "simd/rows.hpp"
#include "simd/target_sums.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

using detail::CrossEntropyRows;

template <class T, class Arch>
xsimd::batch<T, Arch> lane_indices() {
  using Batch = xsimd::batch<T, Arch>;
  alignas(64) T lanes[Batch::size];
  for (std::size_t lane = 0; lane < Batch::size; ++lane) lanes[lane] = static_cast<T>(lane);
  return Batch::load_aligned(lanes);
}

template <class T, class Arch>
double ignored_row(const CrossEntropyRows<T>& block, std::size_t i) {
  using Batch = xsimd::batch<T, Arch>;
  if (block.gradient != nullptr) {
    T* g = block.gradient + i * block.gradient_stride;
    row_transform<T, Arch>(g, g, block.classes, T(0),
                           [](std::size_t, const Batch&, std::size_t) { return Batch(T(0)); });
  }
  if (block.losses != nullptr) block.losses[i] = T(0);
  return 0.0;
}

// A row whose logits are all -inf: every class is masked, so no class has probability (p = 0,
// the masked-class rule applied to every class). loss_i = +inf if the row carries target mass
// (A_i > 0; times the row weight, so a zero sample weight gives 0 * inf = NaN, as for any other
// +inf loss), else 0; gradient = w sigma (A p - a) = -w sigma a. exp(z - max) would be NaN here
// (-inf - -inf), so such rows are finished before the exp pass, alike on every path.
// target_mass(k, count): a_k for the batch at k (the sparse path: the one-hot of the label).
// The row weight is s (times c_y, class_weight, on the sparse path), kept apart: s c rounded to
// T could underflow to 0 and turn the +inf loss into 0 * inf = NaN (s = c = 1e-200).
template <class T, class Arch, class TargetMass>
double all_masked_row(const CrossEntropyRows<T>& block, std::size_t i, T sample, T class_weight,
                      bool has_mass, TargetMass&& target_mass) {
  using Batch = xsimd::batch<T, Arch>;
  if (block.gradient != nullptr) {
    T* g = block.gradient + i * block.gradient_stride;
    const Batch scale(-row_gradient_weight(sample, class_weight, block.gradient_scale));
    row_transform<T, Arch>(g, g, block.classes, T(0),
                           [&](std::size_t k, const Batch&, std::size_t count) {
                             return target_mass(k, count) * scale;
                           });
  }
  const double loss = has_mass ? std::numeric_limits<double>::infinity() : 0.0;
  const double weighted = static_cast<double>(sample) * loss;  // has_mass: class_weight > 0
  if (block.losses != nullptr) block.losses[i] = static_cast<T>(weighted);
  return weighted;
}

// Hard target, no smoothing: a = e_label, A = 1, class weight folded into the row weight.
template <class T, class Arch>
double cross_entropy_row_sparse(const CrossEntropyRows<T>& block, std::size_t i) {
  using Batch = xsimd::batch<T, Arch>;
  const std::int32_t label = block.labels[i];
  if (block.has_ignore_index && label == block.ignore_index) return ignored_row<T, Arch>(block, i);
  const T sample = block.sample_weights != nullptr ? block.sample_weights[i] : T(1);
  const T class_weight = block.class_weights != nullptr ? block.class_weights[label] : T(1);
  const T* z = block.logits + i * block.logits_stride;
  T* g = block.gradient != nullptr ? block.gradient + i * block.gradient_stride : nullptr;
  const std::size_t classes = block.classes;
  const T max = row_max<T, Arch>(z, classes);
  if (max == -std::numeric_limits<T>::infinity() && !row_has_nan(z, classes)) {
    const Batch lanes = lane_indices<T, Arch>();
    return all_masked_row<T, Arch>(
        block, i, sample, class_weight, class_weight != T(0), [&](std::size_t k, std::size_t) {
          return xsimd::select(lanes == Batch(static_cast<T>(label) - static_cast<T>(k)),
                               Batch(T(1)), Batch(T(0)));
        });
  }
  const T target_logit = z[label];  // read before g (possibly z itself) is overwritten
  const auto sums = row_exp_sum<T, Arch>(
      z, classes, max,
      [g](std::size_t k, const Batch&, const Batch& e, std::size_t lanes) {
        if (g != nullptr) store_lanes<T, Arch>(g + k, e, lanes);
      },
      next_row(block.logits, block.logits_stride, block.rows, i));
  if (g != nullptr) {
    // Every entry but the target's is w p_k = e_k (w / sum): one multiply per element; the
    // target's entry, w (p - 1), is written on its own afterwards.
    const T row_weight = row_gradient_weight(sample, class_weight, block.gradient_scale);
    const T sum = row_sum(sums);
    const T target_exp = g[label];
    const Batch factor(row_weight / sum);
    row_transform<T, Arch>(g, g, classes, T(0),
                           [&](std::size_t, const Batch& e, std::size_t) { return e * factor; });
    // When the target holds the maximum, p - 1 cancels: take it as -(sum of the others) / sum,
    // whose parts are known exactly apart from rest's rounding (a confident, correct prediction
    // then still gets a gradient accurate to a few ULP rather than to 2^-24 absolute).
    g[label] = target_logit == max ? -row_weight * (((sums.ties - T(1)) + sums.rest) / sum)
                                   : row_weight * (target_exp / sum - T(1));
  }
  const double weighted =
      sparse_row_loss(max, target_logit, row_log_sum(sums), sample, class_weight);
  if (block.losses != nullptr) block.losses[i] = static_cast<T>(weighted);
  return weighted;
}

// Soft targets, or hard targets with label smoothing: a = c * ((1 - eps) q + eps / K).
template <class T, class Arch>
double cross_entropy_row_dense(const CrossEntropyRows<T>& block, std::size_t i) {
  using Batch = xsimd::batch<T, Arch>;
  std::int32_t label = 0;
  const T* y = nullptr;
  if (block.labels != nullptr) {
    label = block.labels[i];
    if (block.has_ignore_index && label == block.ignore_index) {
      return ignored_row<T, Arch>(block, i);
    }
  } else {
    y = block.targets + i * block.targets_stride;
  }
  const T weight = block.sample_weights != nullptr ? block.sample_weights[i] : T(1);
  const T* z = block.logits + i * block.logits_stride;
  T* g = block.gradient != nullptr ? block.gradient + i * block.gradient_stride : nullptr;
  const std::size_t classes = block.classes;
  const Batch lanes = lane_indices<T, Arch>();
  const Batch keep(block.label_keep);
  const Batch spread(block.label_spread);
  const T label_value = static_cast<T>(label);
  // a_k for the batch at k (zero in padding lanes).
  auto target_mass = [&](std::size_t k, std::size_t count) {
    const Batch q = y != nullptr ? load_lanes<T, Arch>(y + k, count)
                                 : xsimd::select(lanes == Batch(label_value - static_cast<T>(k)),
                                                 Batch(T(1)), Batch(T(0)));
    Batch a = keep * q + spread;
    if (block.class_weights != nullptr) {
      a *= load_lanes<T, Arch>(block.class_weights + k, count);
    } else if (count < Batch::size) {
      a = xsimd::select(lanes < Batch(static_cast<T>(count)), a, Batch(T(0)));
    }
    return a;
  };
  const T max = row_max<T, Arch>(z, classes);
  if (max == -std::numeric_limits<T>::infinity() && !row_has_nan(z, classes)) {
    bool has_mass = false;  // any a_k > 0 (all a_k >= 0)
    for (std::size_t k = 0; k < classes && !has_mass; k += Batch::size) {
      const std::size_t count = classes - k < Batch::size ? classes - k : Batch::size;
      has_mass = xsimd::any(target_mass(k, count) != Batch(T(0)));
    }
    return all_masked_row<T, Arch>(block, i, weight, T(1), has_mass, target_mass);
  }
  TargetSums<T, Arch, TargetLanes::one_row> targets{Batch(max)};
  const auto sums = row_exp_sum<T, Arch>(
      z, classes, max,
      [&](std::size_t k, const Batch& x, const Batch& e, std::size_t count) {
        targets.add(target_mass(k, count), x);
        if (g != nullptr) store_lanes<T, Arch>(g + k, e, count);
      },
      next_row(block.logits, block.logits_stride, block.rows, i));
  const double mass = targets.total_mass();
  const double loss = targets.total_gap() + mass * row_log_sum(sums);
  if (g != nullptr) {
    const T total_mass = static_cast<T>(mass), sum = row_sum(sums);
    const Batch mass_over_sum(total_mass / sum), scale(weight * block.gradient_scale),
        inverse_sum(T(1) / sum), excess_share(((sums.ties - T(1)) + sums.rest) * inverse_sum),
        all_mass(total_mass);
    row_transform<T, Arch>(
        g, g, classes, T(0), [&](std::size_t k, const Batch& e, std::size_t count) {
          const Batch a = target_mass(k, count);
          // Where e = 1 (the row maximum, p = 1 / sum), A p - a = ((A - a) - a (sum - 1)) / sum:
          // no cancellation when the target mass sits there (a confident row: A - a is exactly 0
          // for a one-hot soft target, as p - 1 on the sparse path), where A e / sum - a would
          // round to 0. Each product is taken over sum first: a (sum - 1) overflowed for a
          // class weight of 1e37 at K = 40 (g = -inf where -9.75e36 is exact).
          const Batch at_max = (all_mass - a) * inverse_sum - a * excess_share;
          return xsimd::select(e == Batch(T(1)), at_max, e * mass_over_sum - a) * scale;
        });
  }
  const double weighted = static_cast<double>(weight) * loss;
  if (block.losses != nullptr) block.losses[i] = static_cast<T>(weighted);
  return weighted;
}

template <class T, class Arch>
double cross_entropy_rows_simd(const CrossEntropyRows<T>& block) {
  if (block.classes <= small_k_tile_max_classes) return cross_entropy_rows_small_k<T, Arch>(block);
  double total = 0;
  if (block.labels != nullptr && block.label_smoothing == T(0)) {
    for (std::size_t i = 0; i < block.rows; ++i)
      total += cross_entropy_row_sparse<T, Arch>(block, i);
  } else {
    for (std::size_t i = 0; i < block.rows; ++i)
      total += cross_entropy_row_dense<T, Arch>(block, i);
  }
  return total;
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
