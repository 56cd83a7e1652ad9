// CBLAS wrappers and the single-thread guard.
#include "loss/blas.hpp"

#include <cblas.h>
#include <sys/resource.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include "softmaxkit/error.hpp"
#include "softmaxkit/openblas_core.hpp"

namespace softmaxkit::detail {
namespace {

CBLAS_TRANSPOSE op(bool transpose) {
  return transpose ? CblasTrans : CblasNoTrans;
}
blasint to_blas(std::size_t value) {
  return static_cast<blasint>(value);
}

// The guards alive in this process, and OpenBLAS's thread count before the first of them.
std::mutex guards_mutex;
int live_guards = 0;
int threads_before_guards = 1;
// How many threads a guard has let call OpenBLAS at once: their buffers exist and are reused.
std::size_t provisioned_callers = 0;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// What the process maps now (VmSize), or 0 when /proc cannot tell.
std::size_t mapped_bytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) return 0;
  unsigned long pages = 0;
  const bool read = std::fscanf(file, "%lu", &pages) == 1;
  std::fclose(file);
  const long page = sysconf(_SC_PAGESIZE);
  return read && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

// Under an address-space limit, OpenBLAS's buffers for the threads that may call it at once (the
// current arena's) must fit in what the limit leaves, or OpenBLAS would retry their allocation
// forever (openblas_core.hpp). Checked until that many callers have been let through once (their
// buffers then exist); without a limit nothing is read. Called under guards_mutex.
void check_room_for_buffers() {
  // Read once per process: guards run on every pass, and a limit is set before a program starts.
  static const rlimit limit = [] {
    rlimit value{};
    if (getrlimit(RLIMIT_AS, &value) != 0) value.rlim_cur = RLIM_INFINITY;
    return value;
  }();
  if (limit.rlim_cur == RLIM_INFINITY) return;
  const auto callers =
      static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  if (callers <= provisioned_callers) return;
  const std::size_t mapped = mapped_bytes();
  if (mapped != 0) {
    const auto bytes = static_cast<std::size_t>(limit.rlim_cur);
    const std::size_t left = bytes > mapped ? bytes - mapped : 0;
    const std::size_t need = (callers - provisioned_callers) * openblas_buffer_bytes + 64 * kMiB;
    if (left < need) {
      auto mib = [](std::size_t value) { return std::to_string(value / kMiB) + " MiB"; };
      throw OutOfAddressSpace(
          "the address-space limit (ulimit -v) of " + mib(bytes) + " leaves " + mib(left) +
          ", less than the " + mib(need) + " OpenBLAS needs for the buffers of " +
          std::to_string(callers - provisioned_callers) + " more threads calling it (" +
          mib(openblas_buffer_bytes) +
          " each; without them it would retry forever instead of failing): raise the limit, or "
          "use fewer threads");
    }
  }
  provisioned_callers = callers;
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
          float* c, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, op(transpose_a), op(transpose_b), to_blas(m), to_blas(n), to_blas(k),
              alpha, a, to_blas(lda), b, to_blas(ldb), beta, c, to_blas(ldc));
}

void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          double alpha, const double* a, std::size_t lda, const double* b, std::size_t ldb,
          double beta, double* c, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, op(transpose_a), op(transpose_b), to_blas(m), to_blas(n), to_blas(k),
              alpha, a, to_blas(lda), b, to_blas(ldb), beta, c, to_blas(ldc));
}

SingleThreadedBlas::SingleThreadedBlas() {
  const std::lock_guard<std::mutex> lock(guards_mutex);
  check_room_for_buffers();
  if (live_guards++ == 0) {
    threads_before_guards = openblas_get_num_threads();
    if (threads_before_guards != 1) openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  const std::lock_guard<std::mutex> lock(guards_mutex);
  if (--live_guards == 0 && threads_before_guards != 1)
    openblas_set_num_threads(threads_before_guards);
}

void warn_once_if_blas_core_is_slow() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (openblas_core_suits_cpu()) return;
    std::fprintf(stderr,
                 "softmaxkit: OpenBLAS uses its '%s' kernels, older than this CPU; matrix "
                 "products run about 2x slower. Remedy: set OPENBLAS_CORETYPE=%s before "
                 "starting the program.\n",
                 openblas_core_name().c_str(), openblas_core_remedy().c_str());
  });
}

}  // namespace softmaxkit::detail
