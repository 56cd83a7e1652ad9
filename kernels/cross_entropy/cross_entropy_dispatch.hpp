// The active ISA's cross-entropy kernel. Built at baseline.
#pragma once

#include "cross_entropy/cross_entropy_kernel.hpp"
#include "dispatch/dispatch.hpp"

namespace softmaxkit::detail {

template <class T>
double cross_entropy_rows(const CrossEntropyRows<T>& rows) {
  using Function = double (*)(const CrossEntropyRows<T>&);
  static constexpr PerIsa<Function> kernels{&CrossEntropyKernel<Isa::sse2>::apply,
                                            &CrossEntropyKernel<Isa::avx2>::apply,
                                            &CrossEntropyKernel<Isa::avx512>::apply};
  return kernels.active()(rows);
}

}  // namespace softmaxkit::detail
