// The avx2 kernel table: every kernels/simd/ body compiled with this ISA's flags (-mavx2 -mfma,
// cmake/IsaTargets.cmake) inside namespace softmaxkit::simd::avx2.
#define SOFTMAXKIT_SIMD_ISA avx2
#define SOFTMAXKIT_SIMD_ARCH xsimd::fma3<xsimd::avx2>
#include "simd/kernel_table_definition.hpp"
