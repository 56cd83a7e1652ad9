// softmaxkit::softmax_rows and log_softmax_rows: argument checks, then the active ISA's kernel
// (on fixed row blocks for the parallel forms).
#include "common/row_blocks.hpp"
#include "common/streaming_policy.hpp"
#include "common/validate.hpp"
#include "dispatch/kernel_table.hpp"
#include "softmaxkit/kernels.hpp"

namespace softmaxkit {
namespace {

enum class Form { softmax, log_softmax };

template <class T>
void run_rows(const char* function, Form form, MatrixView<const T> input, MatrixView<T> output,
              bool parallel) {
  detail::check_shape(function, "output", output, input.rows(), input.cols());
  detail::check_same_or_disjoint(function, "logits", input, "output", output);
  const detail::TypedKernels<T>& kernels = detail::active_kernels<T>();
  const bool stream = detail::streams_output(input.rows(), input.cols(), sizeof(T));
  detail::for_each_row_block(
      input.rows(), input.cols(), parallel, [&](std::size_t, std::size_t first, std::size_t count) {
        if (form == Form::softmax) {
          kernels.softmax_rows(input.row(first), input.stride(), output.row(first), output.stride(),
                               count, input.cols());
        } else {
          kernels.log_softmax_rows(input.row(first), input.stride(), output.row(first),
                                   output.stride(), count, input.cols(), stream);
        }
      });
}

}  // namespace

void softmax_rows(MatrixView<const float> logits, MatrixView<float> output) {
  run_rows("softmax_rows", Form::softmax, logits, output, false);
}
void softmax_rows(MatrixView<const double> logits, MatrixView<double> output) {
  run_rows("softmax_rows", Form::softmax, logits, output, false);
}
void softmax_rows(MatrixView<float> values) {
  run_rows<float>("softmax_rows", Form::softmax, values, values, false);
}
void softmax_rows(MatrixView<double> values) {
  run_rows<double>("softmax_rows", Form::softmax, values, values, false);
}
void softmax_rows_parallel(MatrixView<const float> logits, MatrixView<float> output) {
  run_rows("softmax_rows_parallel", Form::softmax, logits, output, true);
}
void softmax_rows_parallel(MatrixView<const double> logits, MatrixView<double> output) {
  run_rows("softmax_rows_parallel", Form::softmax, logits, output, true);
}
void log_softmax_rows(MatrixView<const float> logits, MatrixView<float> output) {
  run_rows("log_softmax_rows", Form::log_softmax, logits, output, false);
}
void log_softmax_rows(MatrixView<const double> logits, MatrixView<double> output) {
  run_rows("log_softmax_rows", Form::log_softmax, logits, output, false);
}
void log_softmax_rows(MatrixView<float> values) {
  run_rows<float>("log_softmax_rows", Form::log_softmax, values, values, false);
}
void log_softmax_rows(MatrixView<double> values) {
  run_rows<double>("log_softmax_rows", Form::log_softmax, values, values, false);
}
void log_softmax_rows_parallel(MatrixView<const float> logits, MatrixView<float> output) {
  run_rows("log_softmax_rows_parallel", Form::log_softmax, logits, output, true);
}
void log_softmax_rows_parallel(MatrixView<const double> logits, MatrixView<double> output) {
  run_rows("log_softmax_rows_parallel", Form::log_softmax, logits, output, true);
}

}  // namespace softmaxkit
