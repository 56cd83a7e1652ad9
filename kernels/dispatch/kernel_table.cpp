// kernel_table(): the per-ISA tables by Isa. Built at baseline.
#include "dispatch/kernel_table.hpp"

namespace softmaxkit::detail {

const KernelTable& kernel_table(Isa isa) {
  switch (isa) {
#define SOFTMAXKIT_TABLE_CASE(name) \
  case Isa::name:                   \
    return simd::name::kernel_table;
    SOFTMAXKIT_ISA_LIST(SOFTMAXKIT_TABLE_CASE)
#undef SOFTMAXKIT_TABLE_CASE
  }
  return simd::sse2::kernel_table;
}

}  // namespace softmaxkit::detail
