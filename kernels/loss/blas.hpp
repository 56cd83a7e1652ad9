// The OpenBLAS calls the loss uses, behind float/double overloads, and the thread-count guard.
// Internal: shapes are assumed valid.
#pragma once

#include <cstddef>

namespace softmaxkit::detail {

// C (m x n, ldc) = alpha * op(A) * op(B) + beta * C, row-major. transpose_a: A is k x m.
// transpose_b: B is n x k.
void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
          float* c, std::size_t ldc);
void gemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k,
          double alpha, const double* a, std::size_t lda, const double* b, std::size_t ldb,
          double beta, double* c, std::size_t ldc);

// Runs OpenBLAS single-threaded for its lifetime and restores the previous thread count after:
// our TBB tasks already use every core, and OpenBLAS's own threads inside them would
// oversubscribe. OpenBLAS's setting is process-wide, so concurrent evaluations share it.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

// Says once on stderr if OpenBLAS runs kernels older than the CPU (see openblas_core.hpp).
void warn_once_if_blas_core_is_slow();

}  // namespace softmaxkit::detail
