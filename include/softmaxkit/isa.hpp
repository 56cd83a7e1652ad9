// Instruction sets and run-time dispatch.
//
// Every SIMD kernel is compiled once per instruction set (ISA) and the best one the CPU supports
// is chosen at first use. The environment variable SOFTMAXKIT_ISA=sse2|avx2|avx512 forces one;
// naming an ISA this CPU lacks (or an unknown name) makes the first kernel call throw Error. Set
// to the empty string it counts as unset.
// set_active_isa() changes the choice at run time for every thread (tests and benchmarks use it
// to run each kernel on each ISA). Reading the active ISA is a relaxed atomic load per call.
#pragma once

#include <string_view>
#include <vector>

namespace softmaxkit {

enum class Isa {
  sse2,    // x86-64 baseline, 128-bit, no FMA
  avx2,    // 256-bit with FMA3
  avx512,  // 512-bit, AVX-512 F/BW/DQ/VL
};

std::string_view to_string(Isa isa);
// Parses "sse2", "avx2" or "avx512"; throws Error naming the text otherwise.
Isa parse_isa(std::string_view name);

// The ISAs this CPU and operating system support, from the oldest to the newest.
std::vector<Isa> supported_isas();
bool is_supported(Isa isa);

// The ISA kernels use now: SOFTMAXKIT_ISA if set and not empty (validated), otherwise the best
// supported.
Isa active_isa();
// Throws Error if the CPU does not support `isa`.
void set_active_isa(Isa isa);

// Sets the active ISA for a scope and restores the previous one after it.
class ScopedIsa {
 public:
  explicit ScopedIsa(Isa isa) : previous_(active_isa()) { set_active_isa(isa); }
  ~ScopedIsa() { set_active_isa(previous_); }
  ScopedIsa(const ScopedIsa&) = delete;
  ScopedIsa& operator=(const ScopedIsa&) = delete;

 private:
  Isa previous_;
};

}  // namespace softmaxkit
