#include "log/log_simd.hpp"
template struct softmaxkit::detail::LogKernel<softmaxkit::Isa::avx2>;
