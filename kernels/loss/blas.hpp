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

// Runs OpenBLAS single-threaded while any guard lives and restores its thread count after the
// last one: our TBB tasks already use every core, and OpenBLAS's own threads inside them would
// oversubscribe. OpenBLAS's setting is process-wide, so the guards of concurrent evaluations
// (fits in several threads of one process) count together under a lock. Each guard used to save
// and restore the count itself: one fit's guard ending restored OpenBLAS's threads while another
// fit was inside its products, and 11 of 12 pairs of concurrent fits then differed from the same
// fits run one after the other (tests/test_concurrency.cpp).
// Under an address-space limit a guard first checks that OpenBLAS's buffers fit in what the limit
// leaves, and throws OutOfAddressSpace (error.hpp) if not: OpenBLAS would hang retrying.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

// Says once on stderr if OpenBLAS runs kernels older than the CPU (see openblas_core.hpp).
void warn_once_if_blas_core_is_slow();

}  // namespace softmaxkit::detail
