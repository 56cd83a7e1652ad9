// The sse2 kernel table: every kernels/simd/ body compiled with this ISA's flags (no flags beyond
// x86-64, cmake/IsaTargets.cmake) inside namespace softmaxkit::simd::sse2.
#define SOFTMAXKIT_SIMD_ISA sse2
#define SOFTMAXKIT_SIMD_ARCH xsimd::sse2
#include "simd/kernel_table_definition.hpp"
