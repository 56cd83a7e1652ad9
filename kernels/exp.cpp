// softmaxkit::exp: argument checks, then the active ISA's kernel.
#include "common/validate.hpp"
#include "dispatch/kernel_table.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit {
namespace {

template <class T>
void exp_dispatched(std::span<const T> input, std::span<T> output) {
  detail::check_elementwise("exp", input, output);
  detail::active_kernels<T>().exp(input.data(), output.data(), input.size());
}

}  // namespace

void exp(std::span<const float> input, std::span<float> output) {
  exp_dispatched(input, output);
}
void exp(std::span<const double> input, std::span<double> output) {
  exp_dispatched(input, output);
}
void exp(std::span<float> values) {
  exp_dispatched<float>(values, values);
}
void exp(std::span<double> values) {
  exp_dispatched<double>(values, values);
}

}  // namespace softmaxkit
