// Row primitives shared by the row kernels (logsumexp, softmax, cross-entropy): the row maximum
// and the row's sum of exp(z - max). Everything is a template on Arch so each ISA's copy is a
// distinct symbol.
//
// Determinism: a row's results depend only on its values and length — every row starts at its
// own first element, full batches then one masked tail batch, in a fixed order — never on where
// the row sits in a matrix or which thread runs it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "simd/exp.hpp"
#include "simd/partial.hpp"
#include "simd/streaming_store.hpp"

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

// The largest lane (NaN lanes are skipped unless lane 0 is NaN; the callers find NaN rows
// through the sum of exp instead, where NaN always propagates).
template <class T, class Arch>
T reduce_max(const xsimd::batch<T, Arch>& values) {
  using Batch = xsimd::batch<T, Arch>;
  alignas(64) T lanes[Batch::size];
  values.store_aligned(lanes);
  T largest = lanes[0];
  for (std::size_t lane = 1; lane < Batch::size; ++lane) {
    largest = lanes[lane] > largest ? lanes[lane] : largest;
  }
  return largest;
}

template <class T, class Arch>
T row_max(const T* row, std::size_t count) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  constexpr T minus_infinity = -std::numeric_limits<T>::infinity();
  // Four accumulators: max has a latency of several cycles and the loads are cheap.
  Batch m0(minus_infinity), m1(minus_infinity), m2(minus_infinity), m3(minus_infinity);
  std::size_t k = 0;
  for (; k + 4 * width <= count; k += 4 * width) {
    m0 = xsimd::max(m0, Batch::load_unaligned(row + k));
    m1 = xsimd::max(m1, Batch::load_unaligned(row + k + width));
    m2 = xsimd::max(m2, Batch::load_unaligned(row + k + 2 * width));
    m3 = xsimd::max(m3, Batch::load_unaligned(row + k + 3 * width));
  }
  for (; k + width <= count; k += width) m0 = xsimd::max(m0, Batch::load_unaligned(row + k));
  if (k < count) m1 = xsimd::max(m1, load_partial<T, Arch>(row + k, count - k, minus_infinity));
  return reduce_max(xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3)));
}

// Whether a row holds NaN. Only for rows whose maximum came out -inf (reduce_max skips NaN
// lanes), to tell a row of only -inf (every class masked) from one holding NaN: rare, so scalar.
template <class T>
bool row_has_nan(const T* row, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k)
    if (row[k] != row[k]) return true;
  return false;
}

// sum_k exp(z_k - max) split into the entries equal to the maximum (each contributes exactly 1)
// and the rest, so log(sum) = log1p((ties - 1) + rest) keeps full relative precision when the
// row is dominated by its maximum (a confident prediction: loss ~ rest, not ~ rounding of 1 +
// rest).
template <class T, class Arch>
struct RowExpSum {
  T max;
  T ties;  // how many entries equal the maximum
  T rest;  // sum of exp(z_k - max) over the others; NaN if the row holds NaN or +inf
};

// One batch of the ties / rest split: entries equal to the maximum count exactly into ties, the
// others' e = exp(z - max) into rest (NaN in z makes e, hence rest, NaN). Shared by row_exp_sum
// (lanes along a row) and the small-K cross-entropy (one row per lane), so both split alike.
template <class T, class Arch>
inline void add_exp_term(xsimd::batch<T, Arch>& ties, xsimd::batch<T, Arch>& rest,
                         const xsimd::batch<T, Arch>& z, const xsimd::batch<T, Arch>& max,
                         const xsimd::batch<T, Arch>& e) {
  const auto is_max = z == max;
  ties = add_where(ties, is_max, xsimd::batch<T, Arch>(T(1)));
  rest = add_where(rest, !is_max, e);
}

template <class T, class Arch>
T row_sum(const RowExpSum<T, Arch>& sums) {
  return sums.ties + sums.rest;
}

// log(sum_k exp(z_k - max)) in double.
template <class T, class Arch>
double row_log_sum(const RowExpSum<T, Arch>& sums) {
  return std::log1p((static_cast<double>(sums.ties) - 1.0) + static_cast<double>(sums.rest));
}

// Asks for the cache lines of row[begin, begin + count) (count elements of T), the next row. The
// exp pass over one row is long and issues no memory reads (the row is in L1 after the max pass),
// so without this the next row's read from DRAM waits for the next max pass: with two threads the
// row kernels then reached half the memory bandwidth a plain read gets.
template <class T>
inline void prefetch_span(const T* row, std::size_t begin, std::size_t count) {
  if (row == nullptr) return;
  constexpr std::size_t line = 64 / sizeof(T);
  for (std::size_t k = begin - begin % line; k < begin + count; k += line) {
    __builtin_prefetch(row + k, 0, 3);
  }
}

// Row i + 1 of a matrix, or null after the last row: the row to prefetch while working on row i.
template <class T>
const T* next_row(const T* matrix, std::size_t stride, std::size_t rows, std::size_t i) {
  return i + 1 < rows ? matrix + (i + 1) * stride : nullptr;
}

// One pass over the row computing exp(z_k - max); calls visit(k, z_batch, exp_batch, lanes) for
// each batch (lanes < width only for the tail, whose padding lanes hold z = -inf, exp = 0) so a
// kernel can store exp or accumulate target terms in the same pass. prefetch_row (may be null):
// the row the caller reads next, prefetched along the way.
//
// exact_shift: the sum, and visit, take each exp at the exact z - max, not at z - max rounded.
// The rounding is up to half an ULP of |z - max|, a relative error of that size in every term it
// touches, the same one for equal terms: 40000 runners-up 9.66 below the maximum moved log(sum)
// by 3.6 ULP in double. TwoSum gives the rounding r exactly and exp(d + r) = exp(d) (1 + r) to
// within r^2. logsumexp and log-softmax, whose results are the log of the sum, take it, and so
// does softmax: dividing by a sum of terms rounded alike cancels their errors in the other
// probabilities but not in the maximum's, 1 / (1 + rest): 1507 equal logits 8.48 below it put
// that one 2.06 ULP (1.03 times the 2^-23 bound) off in float on AVX2 (a rotating-seed case).
template <class T, class Arch, bool exact_shift = false, class Visit>
RowExpSum<T, Arch> row_exp_sum(const T* row, std::size_t count, T max, Visit&& visit,
                               const T* prefetch_row = nullptr) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  const Batch shift(max);
  // Four partial sums of the non-maximal terms: fewer terms per accumulator and independent add
  // chains. Counting ties is exact. Every flush_period iterations the four are added into a
  // compensated (TwoSum) per-lane total and restart: a plain accumulator summing K / (4 W) terms
  // erred systematically when the terms are alike (40000 equal runners-up: 2.4e-5 relative on
  // SSE2 float, 3 x 2^-23 in softmax); now each partial holds at most flush_period terms and
  // the total's rounding is compensated, for a few operations per 4 x flush_period batches.
  constexpr std::size_t flush_period = 8;
  Batch ties(T(0)), rest0(T(0)), rest1(T(0)), rest2(T(0)), rest3(T(0));
  Batch total(T(0)), compensation(T(0));
  auto flush = [&] {
    const Batch part = (rest0 + rest1) + (rest2 + rest3);
    const Batch sum = total + part;  // TwoSum: sum + error = total + part exactly
    const Batch part_rounded = sum - total;
    compensation += (total - (sum - part_rounded)) + (part - part_rounded);
    total = sum;
    rest0 = rest1 = rest2 = rest3 = Batch(T(0));
  };
  auto step = [&](std::size_t k, const Batch& z, std::size_t lanes, Batch& rest) {
    const Batch d = z - shift;
    Batch e = exp_nonpositive(d);
    if constexpr (exact_shift) {
      const Batch back = d - z;  // TwoSum of z and -max: z - max = d + r exactly
      const Batch r = (z - (d - back)) - (shift + back);
      // Only where e > 0 (d finite, so r is); a masked or NaN entry keeps its e (0 or NaN).
      e = xsimd::select(e > Batch(T(0)), xsimd::fma(e, r, e), e);
    }
    add_exp_term(ties, rest, z, shift, e);
    visit(k, z, e, lanes);
  };
  std::size_t k = 0;
  // Chunks of at most flush_period iterations (a plain counted loop inside), each then flushed.
  while (k + 4 * width <= count) {
    const std::size_t iterations = std::min(flush_period, (count - k) / (4 * width));
    const std::size_t chunk_end = k + iterations * 4 * width;
    for (; k < chunk_end; k += 4 * width) {
      prefetch_span(prefetch_row, k, 4 * width);
      step(k, Batch::load_unaligned(row + k), width, rest0);
      step(k + width, Batch::load_unaligned(row + k + width), width, rest1);
      step(k + 2 * width, Batch::load_unaligned(row + k + 2 * width), width, rest2);
      step(k + 3 * width, Batch::load_unaligned(row + k + 3 * width), width, rest3);
    }
    flush();
  }
  prefetch_span(prefetch_row, k, count - k);
  for (; k + width <= count; k += width) step(k, Batch::load_unaligned(row + k), width, rest0);
  if (k < count) {
    step(k, load_partial<T, Arch>(row + k, count - k, -std::numeric_limits<T>::infinity()),
         count - k, rest1);
  }
  flush();
  const Batch rest = total + compensation;
  RowExpSum<T, Arch> sums{max, xsimd::hadd(ties), xsimd::hadd(rest)};
  // A +inf entry is the maximum, so exp(z - max) never sees it as NaN: mark the row here.
  if (!(max < std::numeric_limits<T>::infinity())) sums.rest = std::numeric_limits<T>::quiet_NaN();
  return sums;
}

// Applies out = f(k, batch of `source` at k, lanes) over a row, tail included (lanes < width only
// for the tail, whose padding lanes read `fill`). Lanes map one to one to elements, so the
// values never depend on where the row is cut. streaming: the destination's aligned middle is
// written with streaming stores (common/streaming_store.hpp; the caller fences), its unaligned
// head and the tail with ordinary partial stores.
template <class T, class Arch, bool streaming = false, class Function>
void row_transform(const T* source, T* destination, std::size_t count, T fill, Function&& f) {
  using Batch = xsimd::batch<T, Arch>;
  constexpr std::size_t width = Batch::size;
  std::size_t k = 0;
  if constexpr (streaming) {
    constexpr std::size_t alignment = width * sizeof(T);
    const std::size_t misalignment = reinterpret_cast<std::uintptr_t>(destination) % alignment;
    const std::size_t head = misalignment == 0 ? 0 : (alignment - misalignment) / sizeof(T);
    k = head < count ? head : count;
    if (k > 0)
      store_partial<T, Arch>(destination, f(0, load_partial<T, Arch>(source, k, fill), k), k);
  }
  for (; k + width <= count; k += width) {
    const Batch value = f(k, Batch::load_unaligned(source + k), width);
    if constexpr (streaming) {
      store_streaming<T, Arch>(destination + k, value);
    } else {
      value.store_unaligned(destination + k);
    }
  }
  if (k < count) {
    store_partial<T, Arch>(destination + k,
                           f(k, load_partial<T, Arch>(source + k, count - k, fill), count - k),
                           count - k);
  }
}

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
