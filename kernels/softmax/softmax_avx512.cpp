#include "softmax/softmax_simd.hpp"
template struct softmaxkit::detail::SoftmaxKernel<softmaxkit::Isa::avx512>;
