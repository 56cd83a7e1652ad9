// CBLAS wrappers and the single-thread guard.
#include "loss/blas.hpp"

#include <cblas.h>

#include <cstdio>
#include <mutex>

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
