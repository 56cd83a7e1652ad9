// The dense cross-entropy paths' target sums, A = sum_k a_k and gap = sum_k a_k (max - z_k), in
// double: float accumulators lost up to 3.6e-6 relative at K in the thousands on the row path
// (SSE2: K / W terms per lane), and up to 31 x 2^-24 = 1.8e-6 over the small-K path's 32 classes
// (seen: 1.008e-6 at K = 32, every logit equal, label smoothing 0.47), both beyond
// kCrossEntropyRelativeBound; and a_k (max - z_k) overflows float for logits near +-FLT_MAX.
// float lanes are widened to double; double keeps its lanes and takes the halves max/2 - z/2
// (exact, and never beyond the range), doubling the sum at the end (+inf only when the true value
// is beyond it). Terms with a_k = 0 are skipped (a masked class without target mass).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <xsimd/xsimd.hpp>

#include "simd/arch.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// float x as two batches of double (lanes 0..W/2-1, then W/2..W-1).
template <class Arch>
std::pair<xsimd::batch<double, Arch>, xsimd::batch<double, Arch>> widen(
    const xsimd::batch<float, Arch>& x) {
  if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
    const __m128 v = x;
    return {_mm_cvtps_pd(v), _mm_cvtps_pd(_mm_movehl_ps(v, v))};
  }
#if defined(__AVX2__) && defined(__FMA__)
  else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    const __m256 v = x;
    return {_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
            _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))};
  }
#endif
#if defined(__AVX512F__)
  else if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
    const __m512 v = x;
    return {_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))};
  }
#endif
}

// What the lanes of the batches given to TargetSums::add hold.
enum class TargetLanes {
  one_row,       // the row path: W classes of one row, max that row's maximum in every lane;
                 // float's two halves share one accumulator (fewer registers: SSE2 spilled with
                 // one per half; README, "Kernel contracts"), read by the totals
  row_per_lane,  // the small-K path: lane j holds row j's class k, max each row's maximum;
                 // float's halves kept apart, read by store
};

// Each lane's terms are added in the order given.
template <class T, class Arch, TargetLanes lanes>
struct TargetSums {
  using Batch = xsimd::batch<T, Arch>;
  using Wide = xsimd::batch<double, Arch>;
  static constexpr std::size_t halves = sizeof(double) / sizeof(T);  // float: 2 halves of W lanes
  static constexpr std::size_t parts = lanes == TargetLanes::one_row ? 1 : halves;
  Wide mass[parts], gap[parts], shift[parts];
  explicit TargetSums(const Batch& max) {
    if constexpr (std::is_same_v<T, float>) {
      const auto [low, high] = widen<Arch>(max);
      shift[0] = low;
      if constexpr (parts == 2) shift[1] = high;
    } else {
      shift[0] = max * Batch(0.5);
    }
    for (std::size_t p = 0; p < parts; ++p) mass[p] = Wide(0.0), gap[p] = Wide(0.0);
  }
  void add(const Batch& a, const Batch& z) {
    if constexpr (std::is_same_v<T, float>) {
      const auto [a0, a1] = widen<Arch>(a);
      const auto [z0, z1] = widen<Arch>(z);
      add_part(0, a0, z0);
      add_part(parts - 1, a1, z1);
    } else {
      add_part(0, a, z * Batch(0.5));
    }
  }
  // Lane j's A and gap to mass_out[j] and gap_out[j] (W doubles each, aligned as a Wide).
  void store(double* mass_out, double* gap_out) const requires(lanes == TargetLanes::row_per_lane) {
    for (std::size_t p = 0; p < parts; ++p) {
      mass[p].store_aligned(mass_out + p * Wide::size);
      (gap[p] * Wide(gap_scale)).store_aligned(gap_out + p * Wide::size);
    }
  }
  // A and gap over all lanes.
  double total_mass() const {
    double total = 0;
    for (std::size_t p = 0; p < parts; ++p) total += xsimd::hadd(mass[p]);
    return total;
  }
  double total_gap() const {
    double total = 0;
    for (std::size_t p = 0; p < parts; ++p) total += xsimd::hadd(gap[p]);
    return gap_scale * total;
  }

 private:
  static constexpr double gap_scale = std::is_same_v<T, float> ? 1.0 : 2.0;  // undoes the halves
  void add_part(std::size_t p, const Wide& a, const Wide& z) {
    mass[p] += a;
    gap[p] += xsimd::select(a != Wide(0.0), a * (shift[p] - z), Wide(0.0));
  }
};

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
