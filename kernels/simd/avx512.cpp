// The avx512 kernel table: every kernels/simd/ body compiled with this ISA's flags (-mavx512f
// -mavx512bw -mavx512dq -mavx512vl, cmake/IsaTargets.cmake) inside namespace
// softmaxkit::simd::avx512.
#define SOFTMAXKIT_SIMD_ISA avx512
#define SOFTMAXKIT_SIMD_ARCH xsimd::avx512bw
#include "simd/kernel_table_definition.hpp"
