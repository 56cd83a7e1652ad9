// Which OpenBLAS kernel family ("core") runs the matrix products, and whether it suits this CPU.
//
// Debian's OpenBLAS picks its kernels at load time from CPUID; on CPUs it does not recognise it
// falls back to generic "Prescott" kernels, about 2x slower. The first LossGradient checks this
// and, on a mismatch, says so once on stderr with the remedy (OPENBLAS_CORETYPE=SkylakeX, or
// Haswell on an AVX2 CPU, set before the program starts).
#pragma once

#include <string>

namespace softmaxkit {

// openblas_get_corename(), e.g. "SkylakeX", "Cooperlake", "Haswell", "Prescott".
std::string openblas_core_name();
// False when the core is older than the CPU's widest vector ISA: an AVX-512 CPU running
// anything but SkylakeX/Cooperlake/SapphireRapids kernels, or an AVX2 CPU running pre-AVX2 ones.
bool openblas_core_suits_cpu();
// The OPENBLAS_CORETYPE value to set when the core does not suit the CPU ("" when it does).
std::string openblas_core_remedy();

}  // namespace softmaxkit
