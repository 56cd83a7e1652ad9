// Uses the installed library and checks one answer against a closed form.
#include <cmath>
#include <cstdio>
#include <softmaxkit/softmaxkit.hpp>
#include <vector>

int main() {
  std::vector<double> values = {0.0, 1.0, -1.0, 2.0};
  softmaxkit::exp(std::span<double>(values));
  const double expected[] = {1.0, std::exp(1.0), std::exp(-1.0), std::exp(2.0)};
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::fabs(values[i] - expected[i]) > 1e-15 * expected[i]) {
      std::printf("consumer: exp(%zu) wrong\n", i);
      return 1;
    }
  }
  std::printf("consumer: softmaxkit on %s works\n",
              softmaxkit::to_string(softmaxkit::active_isa()).data());
  return 0;
}
