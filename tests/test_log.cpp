// log_batch / log1p_nonnegative (kernels/simd/log.hpp) on every ISA against long double:
// log at most 1 ULP (log1p 1.5 ULP) over [1, 64] (the small-K cross-entropy's row sums), over all
// positive finite values (log-uniform, subnormals included), tiny log1p arguments, and the edges.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dispatch/kernel_table.hpp"
#include "softmaxkit/isa.hpp"
#include "ulp.hpp"

using softmaxkit::Isa;
using softmaxkit::testing::ulp_error;

namespace {

template <class T>
void run(Isa isa, const std::vector<T>& in, std::vector<T>& out, bool log1p) {
  out.assign(in.size(), T(0));
  softmaxkit::detail::kernel_table(isa).typed<T>().log(in.data(), out.data(), in.size(), log1p);
}

template <class T>
T from_bits(std::uint64_t bits) {
  if constexpr (sizeof(T) == 4) {
    const auto narrow = static_cast<std::uint32_t>(bits);
    T value;
    std::memcpy(&value, &narrow, 4);
    return value;
  } else {
    T value;
    std::memcpy(&value, &bits, 8);
    return value;
  }
}

// Worst ULP of log (or log1p) over `in`; the worst input goes to `where`.
template <class T>
double worst_ulp(Isa isa, const std::vector<T>& in, bool log1p, T& where) {
  std::vector<T> out;
  run(isa, in, out, log1p);
  double worst = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const long double x = in[i];
    const long double want = log1p ? std::log1p(x) : std::log(x);
    const double error = ulp_error(out[i], want);
    if (error > worst) worst = error, where = in[i];
  }
  return worst;
}

template <class T>
void check_isa(Isa isa) {
  std::mt19937_64 generator(17);
  const std::size_t count = 1000003;  // not a multiple of any batch size: the tail too
  std::vector<T> in(count);
  T where = 0;

  std::uniform_real_distribution<T> small_sums(T(1), T(64));
  for (T& x : in) x = small_sums(generator);
  double worst = worst_ulp(isa, in, false, where);
  MESSAGE(softmaxkit::to_string(isa)
          << " " << std::string(sizeof(T) == 4 ? "float" : "double")
          << " log over [1, 64]: " << worst << " ULP at " << static_cast<double>(where));
  CHECK(worst <= 1.0);

  // Every positive finite value, uniformly over the bit patterns (log-uniform, subnormals in).
  const std::uint64_t top = sizeof(T) == 4 ? 0x7f7fffffULL : 0x7fefffffffffffffULL;
  std::uniform_int_distribution<std::uint64_t> bits(1, top);
  for (T& x : in) x = from_bits<T>(bits(generator));
  worst = worst_ulp(isa, in, false, where);
  MESSAGE("  log over all positive finite: " << worst << " ULP at " << static_cast<double>(where));
  CHECK(worst <= 1.0);

  // log1p: the excess (sum - 1) of a row sum, from tiny to K - 1.
  std::uniform_real_distribution<T> exponent(T(-60), T(6));
  for (T& x : in) x = std::exp2(exponent(generator));
  worst = worst_ulp(isa, in, true, where);
  MESSAGE("  log1p over [2^-60, 64]: " << worst << " ULP at " << static_cast<double>(where));
  CHECK(worst <= 1.5);

  constexpr T inf = std::numeric_limits<T>::infinity();
  constexpr T nan = std::numeric_limits<T>::quiet_NaN();
  const std::vector<T> edges = {T(1),
                                T(2),
                                std::numeric_limits<T>::min(),
                                std::numeric_limits<T>::denorm_min(),
                                std::numeric_limits<T>::max(),
                                inf,
                                T(0),
                                -T(0),
                                T(-1),
                                -inf,
                                nan,
                                T(0.5),
                                std::sqrt(T(2))};
  std::vector<T> out;
  run(isa, edges, out, false);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    INFO("log(" << edges[i] << ") = " << out[i]);
    CHECK(ulp_error(out[i], std::log(static_cast<long double>(edges[i]))) <= 1.0);
  }
  CHECK(out[0] == T(0));
  const std::vector<T> edges1p = {T(0),
                                  -T(0),
                                  std::numeric_limits<T>::denorm_min(),
                                  std::numeric_limits<T>::min(),
                                  T(1e-30),
                                  T(1),
                                  inf,
                                  nan,
                                  std::numeric_limits<T>::max()};
  run(isa, edges1p, out, true);
  for (std::size_t i = 0; i < edges1p.size(); ++i) {
    INFO("log1p(" << edges1p[i] << ") = " << out[i]);
    CHECK(ulp_error(out[i], std::log1p(static_cast<long double>(edges1p[i]))) <= 1.0);
  }
  CHECK(out[0] == T(0));
}

}  // namespace

TEST_CASE("log_batch within 1 ULP, log1p_nonnegative within 1.5 ULP of long double, every ISA") {
  for (Isa isa : softmaxkit::supported_isas()) {
    check_isa<float>(isa);
    check_isa<double>(isa);
  }
}
