// Tables for the table-driven float exp (simd/exp.hpp): 2^(j/N) for j in [0, N), N = 2^bits,
// held as a float `value[j]` (2^(j/N) correctly rounded) and the float `relative_remainder[j]`
// = (2^(j/N) - value[j]) / value[j] (rounded), so value * (1 + remainder) carries 2^(j/N) to
// about 2^-48 relative. Both fit in one vector register (16 floats on AVX-512, 8 on AVX2),
// so a lookup is a single in-register permute, not a gather.
//
// Generated with mpmath at 200 bits; tests/test_exp_table.cpp checks every entry against
// long double exp2l.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA {

template <int bits>
struct ExpTable;

template <>
struct ExpTable<3> {
  alignas(32) static constexpr float value[8] = {
      0x1.000000p+0f, 0x1.172b84p+0f, 0x1.306fe0p+0f, 0x1.4bfdaep+0f,
      0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f, 0x1.d5818ep+0f,
  };
  alignas(32) static constexpr float relative_remainder[8] = {
      0.0f,
      -0x1.9c0c22p-27f,
      0x1.125002p-25f,
      -0x1.0a3550p-25f,
      0x1.26055cp-26f,
      0x1.67a1cap-28f,
      -0x1.f9c304p-27f,
      -0x1.a5217cp-28f,
  };
};

template <>
struct ExpTable<4> {
  alignas(64) static constexpr float value[16] = {
      0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f,
      0x1.306fe0p+0f, 0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f,
      0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,
      0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f,
  };
  alignas(64) static constexpr float relative_remainder[16] = {
      0.0f,
      0x1.8d96d4p-25f,
      -0x1.9c0c22p-27f,
      0x1.964904p-25f,
      0x1.125002p-25f,
      0x1.370be4p-25f,
      -0x1.0a3550p-25f,
      -0x1.00d8acp-27f,
      0x1.26055cp-26f,
      -0x1.05cb44p-25f,
      0x1.67a1cap-28f,
      0x1.a3b5e4p-28f,
      -0x1.f9c304p-27f,
      -0x1.6961b4p-28f,
      -0x1.a5217cp-28f,
      0x1.61428ep-28f,
  };
};

// The bit pattern of value[j] minus j << (23 - bits). Adding k << (23 - bits) for
// k = q N + j (integer arithmetic, wrapping) gives the bits of value[j] * 2^q: the exponent
// field gains q and the low bits j cancel, so 2^(k/N) costs one integer add, no branch.
template <int bits>
struct ExpTableScaleBits {
  static constexpr int size = 1 << bits;
  alignas(4 * size) static constexpr std::array<std::int32_t, size> adjusted = [] {
    std::array<std::int32_t, size> result{};
    for (int j = 0; j < size; ++j)
      result[j] = std::bit_cast<std::int32_t>(ExpTable<bits>::value[j]) - (j << (23 - bits));
    return result;
  }();
};

}  // namespace softmaxkit::simd::SOFTMAXKIT_SIMD_ISA
