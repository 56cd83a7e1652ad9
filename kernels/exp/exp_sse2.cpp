#include "exp/exp_simd.hpp"
template struct softmaxkit::detail::ExpKernel<softmaxkit::Isa::sse2>;
