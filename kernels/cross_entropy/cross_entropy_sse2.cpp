#include "cross_entropy/cross_entropy_simd.hpp"
template struct softmaxkit::detail::CrossEntropyKernel<softmaxkit::Isa::sse2>;
