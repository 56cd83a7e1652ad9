// Which OpenBLAS kernel family ("core") runs the matrix products, and whether it suits this CPU.
//
// Debian's OpenBLAS picks its kernels at load time from CPUID; on CPUs it does not recognise it
// falls back to generic "Prescott" kernels, about 2x slower. The first LossGradient checks this
// and, on a mismatch, says so once on stderr with the remedy (OPENBLAS_CORETYPE=SkylakeX, or
// Haswell on an AVX2 CPU, set before the program starts).
#pragma once

#include <cstddef>
#include <string>

namespace softmaxkit {

// openblas_get_corename(), e.g. "SkylakeX", "Cooperlake", "Haswell", "Prescott".
std::string openblas_core_name();
// False when the core is older than the CPU's widest vector ISA: an AVX-512 CPU running
// anything but SkylakeX/Cooperlake/SapphireRapids kernels, or an AVX2 CPU running pre-AVX2 ones.
bool openblas_core_suits_cpu();
// The OPENBLAS_CORETYPE value to set when the core does not suit the CPU ("" when it does).
std::string openblas_core_remedy();

// OpenBLAS 0.3.21's buffers: every thread that calls it while another call runs takes one of
// openblas_buffer_bytes, and so does each of its own worker threads (openblas_threads() - 1 of
// them, started when the library is loaded, whether or not softmaxkit uses them: it calls OpenBLAS
// single-threaded from its own threads); a buffer is kept until the process exits. When it cannot
// allocate one, OpenBLAS retries forever, so a process under an address-space limit (ulimit -v,
// RLIMIT_AS) too small for them hangs instead of failing. The softmaxkit command checks its limit
// against these before it starts (README, "The command").
inline constexpr std::size_t openblas_buffer_bytes = std::size_t{128} << 20;
// openblas_get_num_threads(): OpenBLAS's thread count (its workers plus the calling thread).
int openblas_threads();

}  // namespace softmaxkit
