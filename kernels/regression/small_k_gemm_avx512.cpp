#include "regression/small_k_gemm_simd.hpp"
template struct softmaxkit::detail::SmallKGemmKernel<softmaxkit::Isa::avx512>;
