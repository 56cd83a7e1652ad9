// Run with SOFTMAXKIT_ISA set: prints which ISA is active and which per-ISA kernel produced
// softmaxkit::exp's output (by comparing it bitwise with each instantiation), so ctest can prove
// the override reaches the kernels.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "softmaxkit/softmaxkit.hpp"

int main(int argc, char** argv) {
  try {
    // "best": the best ISA this CPU supports (SOFTMAXKIT_ISA unset or empty).
    const std::string wanted = argc > 1 ? argv[1] : "sse2";
    const softmaxkit::Isa expected =
        wanted == "best" ? softmaxkit::supported_isas().back() : softmaxkit::parse_isa(wanted);
    if (!softmaxkit::is_supported(expected)) {
      std::printf("%s not supported by this CPU\n", wanted.c_str());
      return 0;
    }
    const softmaxkit::Isa active = softmaxkit::active_isa();
    // Float inputs where FMA and non-FMA arithmetic round differently in some lanes, so the
    // output tells which family of kernels ran (avx2 and avx512 agree bitwise with each other).
    std::mt19937 generator(7);
    std::uniform_real_distribution<float> distribution(-80.0f, 80.0f);
    std::vector<float> input(1 << 16), output(input.size()), candidate(input.size());
    for (float& value : input) value = distribution(generator);
    softmaxkit::exp(input, output);
    using softmaxkit::Isa;
    std::string matches;
    for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
      if (!softmaxkit::is_supported(isa)) continue;
      softmaxkit::detail::kernel_table(isa).f32.exp(input.data(), candidate.data(), input.size());
      if (candidate == output) {
        matches += ' ';
        matches += softmaxkit::to_string(isa);
      }
    }
    std::printf("active=%s output matches:%s\n", softmaxkit::to_string(active).data(),
                matches.c_str());
    return active == expected ? 0 : 1;
  } catch (const softmaxkit::Error& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    std::printf("error: %s\n", error.what());
    return 2;
  }
}
