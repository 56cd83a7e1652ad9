// exp over all 2^32 float bit patterns on every supported ISA, against references exact to
// about 2^-29 float ULP (measured in double), and 10^8 random doubles against long double.
// Prints the worst input and its error; the kernel's contract records them.
#include <doctest/doctest.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <type_traits>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "softmaxkit/isa.hpp"
#include "ulp.hpp"

using softmaxkit::Isa;
using softmaxkit::testing::float_ulp_error;
using softmaxkit::testing::ulp_error;

namespace {

struct Worst {
  double error = 0;
  double input = 0;
  std::uint64_t failures = 0;
  Worst merge(const Worst& other) const {
    Worst merged = error >= other.error ? *this : other;
    merged.failures = failures + other.failures;
    return merged;
  }
};

template <class T>
using Kernel = void (*)(const T*, T*, std::size_t);

template <class T>
std::vector<std::pair<Isa, Kernel<T>>> supported_kernels() {
  std::vector<std::pair<Isa, Kernel<T>>> kernels;
  for (Isa isa : softmaxkit::supported_isas())
    kernels.emplace_back(isa, softmaxkit::detail::kernel_table(isa).typed<T>().exp);
  return kernels;
}

// Closed forms where no arithmetic is needed: below -104 the result is under half the smallest
// subnormal, above 89 it exceeds the largest float. Where the kernel's vector path runs
// ([-87, 88]) glibc's double exp (< 1 double ULP, 2^-29 float ULP) is an independent, precise
// enough oracle and three times faster than expl; elsewhere the kernel itself uses double exp,
// so the oracle there is long double expl.
long double float_exp_reference(float x) {
  if (x <= -104.0f) return 0.0L;
  if (x >= 89.0f) return std::numeric_limits<long double>::infinity();
  if (x >= -87.0f && x <= 88.0f) return std::exp(static_cast<double>(x));
  return std::exp(static_cast<long double>(x));
}

constexpr std::uint64_t kBlock = 1 << 16;
using PerIsaWorst = std::vector<Worst>;

// The float sweep keeps its references in double and measures with float_ulp_error (the same
// rules, exact to about 2^-29 ULP, six times faster); the double one in long double.
template <class T>
using Reference = std::conditional_t<std::is_same_v<T, float>, double, long double>;

double error_of(float result, double reference) {
  return float_ulp_error(result, reference);
}
double error_of(double result, long double reference) {
  return ulp_error(result, reference);
}

// Runs every supported ISA's kernel over `blocks` blocks of kBlock inputs made by
// fill(block_index, inputs, references). The reference is the expensive part, so it is computed
// once per block for all ISAs. A zero result must be +0 (exp is positive).
template <class T, class Fill>
PerIsaWorst sweep_every_isa(std::uint64_t blocks, const Fill& fill) {
  const auto kernels = supported_kernels<T>();
  PerIsaWorst worst = tbb::parallel_reduce(
      tbb::blocked_range<std::uint64_t>(0, blocks), PerIsaWorst(kernels.size()),
      [&](const tbb::blocked_range<std::uint64_t>& range, PerIsaWorst found) {
        std::vector<T> input(kBlock), output(kBlock);
        std::vector<Reference<T>> reference(kBlock);
        for (std::uint64_t b = range.begin(); b != range.end(); ++b) {
          fill(b, input, reference);
          for (std::size_t k = 0; k < kernels.size(); ++k) {
            kernels[k].second(input.data(), output.data(), kBlock);
            for (std::uint64_t i = 0; i < kBlock; ++i) {
              const double error = error_of(output[i], reference[i]);
              const bool wrong_zero_sign = output[i] == T(0) && std::signbit(output[i]);
              if (error > 1.0 || wrong_zero_sign) ++found[k].failures;
              if (error > found[k].error) {
                found[k] = Worst{error, static_cast<double>(input[i]), found[k].failures};
              }
            }
          }
        }
        return found;
      },
      [](const PerIsaWorst& a, const PerIsaWorst& b) {
        PerIsaWorst merged(a.size());
        for (std::size_t k = 0; k < a.size(); ++k) merged[k] = a[k].merge(b[k]);
        return merged;
      });
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    std::printf("exp %-6s %-6s max %.4f ULP at x = %.17g (%a); inputs over 1 ULP: %llu\n",
                sizeof(T) == 4 ? "float" : "double", softmaxkit::to_string(kernels[k].first).data(),
                worst[k].error, worst[k].input, worst[k].input,
                static_cast<unsigned long long>(worst[k].failures));
  }
  return worst;
}

}  // namespace

TEST_CASE("exp float: all 2^32 inputs within 1 ULP on every ISA") {
  const PerIsaWorst worst = sweep_every_isa<float>(
      (std::uint64_t{1} << 32) / kBlock,
      [](std::uint64_t b, std::vector<float>& input, std::vector<double>& reference) {
        for (std::uint64_t i = 0; i < kBlock; ++i) {
          input[i] = std::bit_cast<float>(static_cast<std::uint32_t>(b * kBlock + i));
          reference[i] = static_cast<double>(float_exp_reference(input[i]));
        }
      });
  for (const Worst& isa_worst : worst) {
    CHECK(isa_worst.failures == 0);
    CHECK(isa_worst.error <= 1.0);
  }
}

TEST_CASE("exp double: 10^8 random inputs over the whole range within 1 ULP on every ISA") {
  const PerIsaWorst worst = sweep_every_isa<double>(
      100'000'000 / kBlock + 1,
      [](std::uint64_t b, std::vector<double>& input, std::vector<long double>& reference) {
        // A seed per block: the same inputs whatever the thread split.
        std::mt19937_64 generator(b);
        std::uniform_real_distribution<double> wide(-746.0, 710.0);
        std::uniform_real_distribution<double> narrow(-1.0, 1.0);
        for (std::uint64_t i = 0; i < kBlock; ++i) {
          switch (i % 4) {
            case 0:
              input[i] = wide(generator);
              break;
            case 1:
              input[i] = narrow(generator);
              break;
            case 2:
              input[i] = std::bit_cast<double>(generator());
              break;  // any bit pattern
            default:
              input[i] = std::ldexp(narrow(generator), -static_cast<int>(i % 60));
              break;
          }
          reference[i] = std::exp(static_cast<long double>(input[i]));
        }
      });
  for (const Worst& isa_worst : worst) {
    CHECK(isa_worst.failures == 0);
    CHECK(isa_worst.error <= 1.0);
  }
}
