// CPU detection and the active-ISA switch. Built with baseline flags.
#include "softmaxkit/isa.hpp"

#include <atomic>
#include <cstdlib>
#include <iterator>
#include <string>

#include "softmaxkit/error.hpp"

namespace softmaxkit {
namespace {

// GCC's __builtin_cpu_supports checks both CPUID and that the OS saves the wider registers.
bool cpu_has(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::sse2:
      return __builtin_cpu_supports("sse2");
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
             cpu_has(Isa::avx2);
  }
  return false;
}

constexpr int kUnset = -1;
std::atomic<int> active_isa_value{kUnset};

Isa initial_isa() {
  if (const char* forced = std::getenv("SOFTMAXKIT_ISA"); forced != nullptr && *forced != '\0') {
    Isa isa{};
    try {
      isa = parse_isa(forced);
    } catch (const Error& error) {  // named as the variable the value came from
      throw Error("SOFTMAXKIT_ISA=" + std::string(forced) + ": " + error.what());
    }
    if (!is_supported(isa)) {
      throw Error("SOFTMAXKIT_ISA=" + std::string(forced) + ": this CPU does not support " +
                  std::string(to_string(isa)));
    }
    return isa;
  }
  return supported_isas().back();
}

}  // namespace

std::string_view to_string(Isa isa) {
  switch (isa) {
    case Isa::sse2:
      return "sse2";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

Isa parse_isa(std::string_view name) {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (name == to_string(isa)) return isa;
  }
  throw Error("unknown ISA '" + std::string(name) + "' (expected sse2, avx2 or avx512)");
}

bool is_supported(Isa isa) {
  static const bool supported[] = {cpu_has(Isa::sse2), cpu_has(Isa::avx2), cpu_has(Isa::avx512)};
  const auto index = static_cast<unsigned>(isa);  // a value outside the enum is not supported
  return index < std::size(supported) && supported[index];
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> result;
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (is_supported(isa)) result.push_back(isa);
  }
  return result;
}

Isa active_isa() {
  int value = active_isa_value.load(std::memory_order_relaxed);
  if (value == kUnset) {
    // Concurrent first calls compute the same answer; the first store wins.
    int expected = kUnset;
    active_isa_value.compare_exchange_strong(expected, static_cast<int>(initial_isa()));
    value = active_isa_value.load(std::memory_order_relaxed);
  }
  return static_cast<Isa>(value);
}

void set_active_isa(Isa isa) {
  if (!is_supported(isa)) {
    const std::string name(to_string(isa));
    // An integer cast to Isa that names none of its values read "does not support unknown".
    if (name == "unknown") {
      throw Error("set_active_isa: isa is " + std::to_string(static_cast<int>(isa)) +
                  ", not one of Isa's values");
    }
    throw Error("set_active_isa: this CPU does not support " + name);
  }
  active_isa_value.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace softmaxkit
