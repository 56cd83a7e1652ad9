// softmaxkit::logsumexp_rows: argument checks, then the active ISA's kernel (on fixed row blocks
// for the parallel form).
#include "common/row_blocks.hpp"
#include "common/validate.hpp"
#include "dispatch/kernel_table.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit {
namespace {

template <class T>
void logsumexp_dispatched(const char* function, MatrixView<const T> logits, std::span<T> output,
                          bool parallel) {
  detail::check_length(function, "output", output, logits.rows());
  // The output is a vector of row results, never the logits' own memory (a span over another
  // row of the logits was accepted and gave wrong values).
  detail::check_disjoint(function, "output", output.data(), output.size_bytes(), "logits",
                         logits.data(), detail::view_extent(logits) * sizeof(T));
  const auto kernel = detail::active_kernels<T>().logsumexp_rows;
  detail::for_each_row_block(logits.rows(), logits.cols(), parallel,
                             [&](std::size_t, std::size_t first, std::size_t count) {
                               kernel(logits.row(first), logits.stride(), count, logits.cols(),
                                      output.data() + first);
                             });
}

}  // namespace

void logsumexp_rows(MatrixView<const float> logits, std::span<float> output) {
  logsumexp_dispatched("logsumexp_rows", logits, output, false);
}
void logsumexp_rows(MatrixView<const double> logits, std::span<double> output) {
  logsumexp_dispatched("logsumexp_rows", logits, output, false);
}
void logsumexp_rows_parallel(MatrixView<const float> logits, std::span<float> output) {
  logsumexp_dispatched("logsumexp_rows_parallel", logits, output, true);
}
void logsumexp_rows_parallel(MatrixView<const double> logits, std::span<double> output) {
  logsumexp_dispatched("logsumexp_rows_parallel", logits, output, true);
}

}  // namespace softmaxkit
