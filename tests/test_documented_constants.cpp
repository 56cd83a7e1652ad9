// The numbers the README and docs/guarantees.md promise, pinned to the constants the code and
// the accuracy tests use. Every accuracy test reads its bound from these constants, so a
// constant loosened in a header would weaken every such test at once without failing any (an
// audit found nothing pinned them): each is compared here with the value written in the docs.
#include <doctest/doctest.h>

#include <cstddef>

#include "loss/block_plan.hpp"
#include "loss/problem_checks.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/kernels.hpp"

TEST_CASE("documented accuracy bounds are the header constants") {
  // guarantees.md: "within 4 ULP", "2^-23 (float) / 2^-51 (double) absolute", "rows sum to 1
  // within 1e-6 (float) / 1e-14 (double)", "1e-6 relative".
  static_assert(softmaxkit::kLogSumExpUlpBound == 4.0);
  static_assert(softmaxkit::kLogSoftmaxUlpBound == 4.0);
  static_assert(softmaxkit::kSoftmaxAbsoluteBound<float> == 0x1p-23);
  static_assert(softmaxkit::kSoftmaxAbsoluteBound<double> == 0x1p-51);
  static_assert(softmaxkit::kSoftmaxRowSumBound<float> == 1e-6);
  static_assert(softmaxkit::kSoftmaxRowSumBound<double> == 1e-14);
  static_assert(softmaxkit::kCrossEntropyRelativeBound == 1e-6);
  CHECK(softmaxkit::kCrossEntropyRelativeBound == 1e-6);  // a test case needs a run-time check
}

TEST_CASE("documented grid and reader limits are the constants") {
  // README and guarantees.md: "at most max(4, nnz / 2^20) chunks"; LibSVM's dense limit
  // "max(64 MiB, 64 x the file's size)".
  static_assert(softmaxkit::detail::kMinChunks == 4);
  static_assert(softmaxkit::detail::kCsrChunkEntries == std::size_t{1} << 20);
  static_assert(softmaxkit::libsvm_dense_floor_bytes == std::size_t{64} << 20);
  static_assert(softmaxkit::libsvm_dense_bytes_per_input_byte == 64);
  CHECK(softmaxkit::libsvm_max_dense_bytes(std::size_t{1} << 30) == std::size_t{64} << 30);
  CHECK(softmaxkit::libsvm_max_dense_bytes(1) == std::size_t{64} << 20);
}
