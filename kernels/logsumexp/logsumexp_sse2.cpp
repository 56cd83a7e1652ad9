#include "logsumexp/logsumexp_simd.hpp"
template struct softmaxkit::detail::LogSumExpKernel<softmaxkit::Isa::sse2>;
