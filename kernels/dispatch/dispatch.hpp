// Picks one of a kernel's per-ISA instantiations for the active ISA. Built at baseline.
#pragma once

#include "softmaxkit/isa.hpp"

namespace softmaxkit::detail {

template <class Function>
struct PerIsa {
  Function sse2;
  Function avx2;
  Function avx512;

  Function active() const {
    switch (active_isa()) {
      case Isa::avx512:
        return avx512;
      case Isa::avx2:
        return avx2;
      case Isa::sse2:
        break;
    }
    return sse2;
  }
};

// Instantiates `Kernel<Isa>::apply` for every ISA: per_isa<ExpKernel>(&K::apply) style helpers
// would need template-template gymnastics, so kernels list their three pointers explicitly.

}  // namespace softmaxkit::detail
