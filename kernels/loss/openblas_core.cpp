// OpenBLAS core detection: compares openblas_get_corename() with the CPU's widest vector ISA.
#include "softmaxkit/openblas_core.hpp"

#include <cblas.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "softmaxkit/isa.hpp"

namespace softmaxkit {
namespace {

bool contains_ignoring_case(std::string text, std::string_view word) {
  std::string lowered(word);
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  };
  lower(text);
  lower(lowered);
  return text.find(lowered) != std::string::npos;
}

bool any_of_words(const std::string& name, std::initializer_list<std::string_view> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view word) { return contains_ignoring_case(name, word); });
}

}  // namespace

int openblas_threads() {
  return openblas_get_num_threads();
}

std::string openblas_core_name() {
  const char* name = openblas_get_corename();
  return name == nullptr ? std::string() : std::string(name);
}

bool openblas_core_suits_cpu() {
  const std::string name = openblas_core_name();
  if (is_supported(Isa::avx512)) {
    return any_of_words(name, {"SkylakeX", "Cooperlake", "SapphireRapids"});
  }
  if (is_supported(Isa::avx2)) {
    // Kernels from before AVX2 (and Sandybridge's AVX-only ones) leave FMA unused.
    return !any_of_words(name, {"Prescott", "Nehalem", "Core2", "Penryn", "Dunnington", "Atom",
                                "Katmai", "Coppermine", "Northwood", "Banias", "Opteron",
                                "Barcelona", "Bobcat", "Sandybridge", "Bulldozer", "Generic"});
  }
  return true;
}

std::string openblas_core_remedy() {
  if (openblas_core_suits_cpu()) return "";
  return is_supported(Isa::avx512) ? "SkylakeX" : "Haswell";
}

}  // namespace softmaxkit
