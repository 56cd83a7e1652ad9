// The small-K path of the cross-entropy kernel (K <= small_k_tile_max_classes): one row per SIMD
// lane, a batch of W rows at once (W = the batch size: 16 floats / 8 doubles on AVX-512, 8 / 4 on
// AVX2, 4 / 2 on SSE2), so the row max, the sum of exp, the log and the target terms are all
// vertical (no horizontal reductions, one vector log per W rows instead of a scalar log1p per row).
//
// Per batch: the W x K logit tile is copied transposed into a stack tile (class k's lane vector
// holds z[row_lane][k]) by scalar loads — as fast as AVX2 / AVX-512 gathers (and AVX-512
// scatters for the gradient) when measured, simpler, and free of 32-bit offset limits — except
// for float on AVX-512 with K <= 16 and a full batch, where one masked load per row and a
// 16 x 16 in-register transpose do it (and the same backwards for the gradient), which measured
// faster (README, "Design choices and their measurements"). Then max over k,
// e_k = exp_nonpositive(z_k - max) with the ties / rest split of row_exp_sum,
// L = log1p_nonnegative((ties - 1) + rest), and the gradient copied back transposed by scalar
// stores (only the batch's real rows are written). The row tail (rows % W)
// runs the same vector code on a padded tile, so every row's results are bitwise the same
// wherever it sits — in a full batch or the tail, in any block split.
// Losses are then finished per row in double and added in row order (the dense paths' A and gap
// per lane in double, TargetSums in simd/target_sums.hpp, the gradient taking A rounded once
// to T). A lane whose logits are all -inf is finished as all_masked_row does. Semantics
// (edge cases, options, the confident-target gradient) are those of the row path in
// simd/cross_entropy.hpp; the bits may differ from it (class terms are summed in another order),
// which never mixes: the path is chosen by K alone, the same for every row and block of a matrix.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "common/cross_entropy_rows.hpp"
#include "simd/arch.hpp"
#include "simd/exp.hpp"
#include "simd/log.hpp"
#include "simd/rows.hpp"
#include "simd/target_sums.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// A hard-target row's gradient weight s c sigma, rounded once to T from a type whose range
// holds any product of T's (double for float, long double for double): s c rounded to a
// subnormal T first lost its bits (float s = 0.27, c = 1e-39: 2.6e-6 with a large 1/W), or to 0
// (double s = c = 1e-200 beside a row of 1e-150: a gradient of 0 where 1e-250 is exact).
// Without a class weight it is s sigma in T, the bits of the other rows. Here, not in common/:
// each ISA's copy is compiled with its own flags.
template <class T>
T row_gradient_weight(T sample, T class_weight, T scale) {
  if (class_weight == T(1)) return sample * scale;
  using Wide = std::conditional_t<std::is_same_v<T, float>, double, long double>;
  return static_cast<T>(static_cast<Wide>(sample) * static_cast<Wide>(class_weight) *
                        static_cast<Wide>(scale));
}

using detail::CrossEntropyRows;

// The sparse paths' weighted row loss s (c L), L = (max - target logit) + log_sum: the loss
// before the sample weight, c L, is what overflows (+inf) when beyond the range, whatever s.
// float: all in double, which float logits cannot overflow. double: from the halves max/2 -
// target/2 (exact), so a difference beyond the range (logits near +-DBL_MAX) does not overflow
// when c L does not. A zero class weight removes the target's term (terms with c_k q_k = 0 are
// skipped), even a masked target's (0 * inf); log_sum keeps a +inf / NaN row NaN.
template <class T>
double sparse_row_loss(T max, T target_logit, double log_sum, T sample_weight, T class_weight) {
  const double s = static_cast<double>(sample_weight), c = static_cast<double>(class_weight);
  if (class_weight == T(0)) return s * (0.0 * log_sum);
  if constexpr (sizeof(T) < sizeof(double)) {
    return s * (c * ((static_cast<double>(max) - static_cast<double>(target_logit)) + log_sum));
  } else {
    return s * ((c * ((0.5 * max - 0.5 * target_logit) + 0.5 * log_sum)) * 2.0);
  }
}

// Up to this many classes the batch-of-rows path runs: much faster than the row path at K = 10,
// slower at K = 100 (bench/bench_rows.cpp; README, "Design choices and their measurements"), so
// the crossover lies between; 32 is a conservative choice, not a measured optimum (the tiles are
// 2 x 32 x W on the stack).
inline constexpr std::size_t small_k_tile_max_classes = 32;

#if defined(__AVX512F__)
// rows[i] = column i of the 16 x 16 float matrix held in rows[0..15] (an in-register transpose:
// 64 shuffles instead of 256 scalar loads and stores).
template <class Arch>
void transpose_16x16(__m512 rows[16]) {
  __m512 pairs[16], quads[16];
  for (int i = 0; i < 16; i += 2) {
    pairs[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
    pairs[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    quads[i] = _mm512_shuffle_ps(pairs[i], pairs[i + 2], 0x44);
    quads[i + 1] = _mm512_shuffle_ps(pairs[i], pairs[i + 2], 0xee);
    quads[i + 2] = _mm512_shuffle_ps(pairs[i + 1], pairs[i + 3], 0x44);
    quads[i + 3] = _mm512_shuffle_ps(pairs[i + 1], pairs[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    pairs[i] = _mm512_shuffle_f32x4(quads[i], quads[i + 4], 0x88);
    pairs[i + 4] = _mm512_shuffle_f32x4(quads[i], quads[i + 4], 0xdd);
    pairs[i + 8] = _mm512_shuffle_f32x4(quads[i + 8], quads[i + 12], 0x88);
    pairs[i + 12] = _mm512_shuffle_f32x4(quads[i + 8], quads[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    rows[i] = _mm512_shuffle_f32x4(pairs[i], pairs[i + 8], 0x88);
    rows[i + 8] = _mm512_shuffle_f32x4(pairs[i], pairs[i + 8], 0xdd);
    rows[i + 4] = _mm512_shuffle_f32x4(pairs[i + 4], pairs[i + 12], 0x88);
    rows[i + 12] = _mm512_shuffle_f32x4(pairs[i + 4], pairs[i + 12], 0xdd);
  }
}
#endif

// Loads `lanes` rows x `classes` of `source` (row stride `stride`) into tile[k * W + lane];
// lanes >= `lanes` are `fill`. AVX-512 float with a full batch and at most 16 classes: one masked
// load per row and the in-register transpose above.
template <class T, class Arch>
void load_tile(const T* source, std::size_t stride, std::size_t classes, std::size_t lanes, T fill,
               T* tile) {
  constexpr std::size_t width = xsimd::batch<T, Arch>::size;
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch> && std::is_same_v<T, float>) {
    if (lanes == width && classes <= width) {
      const auto mask = static_cast<__mmask16>((1u << classes) - 1u);
      __m512 rows[16];
      for (std::size_t lane = 0; lane < 16; ++lane)
        rows[lane] = _mm512_maskz_loadu_ps(mask, source + lane * stride);
      transpose_16x16<Arch>(rows);
      for (std::size_t k = 0; k < classes; ++k) _mm512_store_ps(tile + k * 16, rows[k]);
      return;
    }
  }
#endif
  for (std::size_t lane = 0; lane < width; ++lane) {
    const T* row = source + lane * stride;
    for (std::size_t k = 0; k < classes; ++k) tile[k * width + lane] = lane < lanes ? row[k] : fill;
  }
}

// Writes tile[k * W + lane] to destination[lane * stride + k] for lanes < `lanes` (the same
// transpose as load_tile where it applies).
template <class T, class Arch>
void store_tile(const T* tile, std::size_t classes, std::size_t lanes, T* destination,
                std::size_t stride) {
  constexpr std::size_t width = xsimd::batch<T, Arch>::size;
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch> && std::is_same_v<T, float>) {
    if (lanes == width && classes <= width) {
      const auto mask = static_cast<__mmask16>((1u << classes) - 1u);
      __m512 columns[16];
      for (std::size_t k = 0; k < 16; ++k)
        columns[k] = k < classes ? _mm512_load_ps(tile + k * 16) : _mm512_setzero_ps();
      transpose_16x16<Arch>(columns);
      for (std::size_t lane = 0; lane < 16; ++lane)
        _mm512_mask_storeu_ps(destination + lane * stride, mask, columns[lane]);
      return;
    }
  }
#endif
  for (std::size_t lane = 0; lane < lanes; ++lane) {
    T* row = destination + lane * stride;
    for (std::size_t k = 0; k < classes; ++k) row[k] = tile[k * width + lane];
  }
}

template <class T, class Arch>
double cross_entropy_rows_small_k(const CrossEntropyRows<T>& block) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  constexpr T infinity = std::numeric_limits<T>::infinity();
  const std::size_t classes = block.classes;
  const bool sparse = block.labels != nullptr && block.label_smoothing == T(0);
  const Batch keep(block.label_keep);
  const Batch spread(block.label_spread);

  alignas(64) T tile[small_k_tile_max_classes * width];  // logits, then exp, then the gradient
  alignas(64) T target_tile[small_k_tile_max_classes * width];
  alignas(64) T label_lanes[width], weight_lanes[width], ignored_lanes[width], scale_lanes[width];
  alignas(64) T max_lanes[width], target_logit_lanes[width], log_lanes[width], mass_t_lanes[width];
  alignas(64) double gap_lanes[width], mass_lanes[width];
  bool zero_class_weight[width];  // sparse: the label's class weight is 0

  double total = 0;
  for (std::size_t first = 0; first < block.rows; first += width) {
    const std::size_t lanes = block.rows - first < width ? block.rows - first : width;
    // Per-row scalars: label, ignored, the row weight (sparse: sample x class weight).
    for (std::size_t lane = 0; lane < width; ++lane) {
      std::int32_t label = 0;
      bool ignored = false;
      T weight = T(1), class_weight = T(1);
      zero_class_weight[lane] = false;
      if (lane < lanes) {
        const std::size_t i = first + lane;
        if (block.labels != nullptr) {
          label = block.labels[i];
          if (block.has_ignore_index && label == block.ignore_index) ignored = true, label = 0;
        }
        if (block.sample_weights != nullptr) weight = block.sample_weights[i];
        if (sparse && block.class_weights != nullptr && !ignored) {
          class_weight = block.class_weights[label];
          zero_class_weight[lane] = class_weight == T(0);
        }
      }
      label_lanes[lane] = static_cast<T>(label);
      // s alone: the loss takes c apart (sparse_row_loss; an all-masked row's +inf must not
      // meet an s c rounded to 0), and dense lanes have no class weight here.
      weight_lanes[lane] = weight;
      scale_lanes[lane] = row_gradient_weight(weight, class_weight, block.gradient_scale);
      ignored_lanes[lane] = ignored ? T(1) : T(0);
    }
    load_tile<T, Arch>(block.logits + first * block.logits_stride, block.logits_stride, classes,
                       lanes, T(0), tile);
    if (block.targets != nullptr) {
      load_tile<T, Arch>(block.targets + first * block.targets_stride, block.targets_stride,
                         classes, lanes, T(0), target_tile);
    }
    const Batch label_batch = Batch::load_aligned(label_lanes);

    // a_k for the lanes (dense path; sparse: the one-hot of the label).
    auto target_mass = [&](std::size_t k) {
      const Batch one_hot =
          xsimd::select(label_batch == Batch(static_cast<T>(k)), Batch(T(1)), Batch(T(0)));
      if (sparse) return one_hot;
      const Batch q =
          block.targets != nullptr ? Batch::load_aligned(target_tile + k * width) : one_hot;
      Batch a = keep * q + spread;
      if (block.class_weights != nullptr) a *= Batch(block.class_weights[k]);
      return a;
    };

    Batch max(-infinity);
    for (std::size_t k = 0; k < classes; ++k)
      max = xsimd::max(max, Batch::load_aligned(tile + k * width));
    Batch ties(T(0)), rest(T(0)), target_logit(T(0));
    TargetSums<T, Arch, TargetLanes::row_per_lane> targets(max);
    for (std::size_t k = 0; k < classes; ++k) {
      const Batch z = Batch::load_aligned(tile + k * width);
      const Batch e = exp_nonpositive(z - max);
      add_exp_term(ties, rest, z, max, e);  // the row path's split (common/row_simd.hpp)
      if (sparse) {
        target_logit = xsimd::select(label_batch == Batch(static_cast<T>(k)), z, target_logit);
      } else {
        targets.add(target_mass(k), z);
      }
      e.store_aligned(tile + k * width);
    }
    // A +inf entry is the maximum, so exp(z - max) never sees it as NaN: mark the row here.
    rest = xsimd::select(max < Batch(infinity), rest, Batch(std::numeric_limits<T>::quiet_NaN()));
    const Batch excess = (ties - Batch(T(1))) + rest;  // sum - 1, exact part apart
    const Batch sum = ties + rest;
    log1p_nonnegative<T, Arch>(excess).store_aligned(log_lanes);
    max.store_aligned(max_lanes);

    // Losses per row in double, added in row order; before the gradient is stored, which may
    // overwrite the logits the rare gap recomputation reads.
    if (sparse) {
      target_logit.store_aligned(target_logit_lanes);
    } else {
      targets.store(mass_lanes, gap_lanes);
    }
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      double weighted = 0;
      if (ignored_lanes[lane] == T(0)) {
        const double log_sum = static_cast<double>(log_lanes[lane]);
        double loss;
        // All masked (see all_masked_row); log_sum is NaN if a NaN hid behind the -inf maximum.
        if (max_lanes[lane] == -infinity && log_sum == log_sum) {
          const bool has_mass = sparse ? !zero_class_weight[lane] : mass_lanes[lane] > 0.0;
          loss = has_mass ? std::numeric_limits<double>::infinity() : 0.0;
        } else if (sparse) {
          const std::size_t i = first + lane;
          weighted = sparse_row_loss(
              max_lanes[lane], target_logit_lanes[lane], log_sum,
              block.sample_weights != nullptr ? block.sample_weights[i] : T(1),
              block.class_weights != nullptr ? block.class_weights[block.labels[i]] : T(1));
          if (block.losses != nullptr) block.losses[i] = static_cast<T>(weighted);
          total += weighted;
          continue;
        } else {
          loss = gap_lanes[lane] + mass_lanes[lane] * log_sum;
        }
        weighted = static_cast<double>(weight_lanes[lane]) * loss;
      }
      if (block.losses != nullptr) block.losses[first + lane] = static_cast<T>(weighted);
      total += weighted;
    }

    if (block.gradient != nullptr) {
      const auto ignored = Batch::load_aligned(ignored_lanes) != Batch(T(0));
      const auto all_masked = max == Batch(-infinity) && excess == excess;
      const bool any_masked = xsimd::any(all_masked);  // rare: the common loop skips the select
      const Batch scale = Batch::load_aligned(scale_lanes);
      // -scale as a product: xsimd's unary minus is 0 - x on AVX-512, so -a * scale gave +0
      // where the other ISAs (and all_masked_row) give -s a = -0 for an all-masked row's zeros.
      const Batch negative_scale = scale * Batch(T(-1));
      const Batch inverse_sum = Batch(T(1)) / sum;
      if (sparse) {
        // When the target holds the maximum, p - 1 cancels: take it as -(sum of the others) / sum.
        const auto target_is_max = target_logit == max;
        const Batch target_value = -scale * (excess / sum);
        for (std::size_t k = 0; k < classes; ++k) {
          const Batch e = Batch::load_aligned(tile + k * width);
          const auto is_target = label_batch == Batch(static_cast<T>(k));
          const Batch one_hot = xsimd::select(is_target, Batch(T(1)), Batch(T(0)));
          Batch g = (e * inverse_sum - one_hot) * scale;
          g = xsimd::select(is_target && target_is_max, target_value, g);
          if (any_masked) g = xsimd::select(all_masked, one_hot * negative_scale, g);
          xsimd::select(ignored, Batch(T(0)), g).store_aligned(tile + k * width);
        }
      } else {
        for (std::size_t lane = 0; lane < width; ++lane)
          mass_t_lanes[lane] = static_cast<T>(mass_lanes[lane]);
        const Batch mass = Batch::load_aligned(mass_t_lanes);
        const Batch mass_over_sum = mass / sum;
        // Over sum before the class weight: a (sum - 1) overflows for a near T's maximum.
        const Batch excess_share = excess * inverse_sum;
        for (std::size_t k = 0; k < classes; ++k) {
          const Batch e = Batch::load_aligned(tile + k * width);
          const Batch a = target_mass(k);
          // At the row maximum (e = 1) without the cancellation of A p - a (row path's comment).
          const Batch at_max = (mass - a) * inverse_sum - a * excess_share;
          Batch g = xsimd::select(e == Batch(T(1)), at_max, e * mass_over_sum - a) * scale;
          if (any_masked) g = xsimd::select(all_masked, a * negative_scale, g);
          xsimd::select(ignored, Batch(T(0)), g).store_aligned(tile + k * width);
        }
      }
      store_tile<T, Arch>(tile, classes, lanes, block.gradient + first * block.gradient_stride,
                          block.gradient_stride);
    }
  }
  return total;
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
