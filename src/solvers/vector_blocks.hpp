// Loops of the solvers over parameter-sized vectors, split into fixed blocks that threads share.
//
// On CSR data the parameters number K x n (2.5 M on rcv1's shape) and the solvers' vector work
// (the two-loop recursion, dot products, norms, steps) is memory-bound and was about two thirds
// of a one-thread sparse fit. The blocks run on the calling task arena's threads.
//
// Determinism: a reduction sums each block serially from its first entry to its last, then adds
// the block sums in block order, starting from 0. The blocks are fixed by the vector's size
// alone (vector_block entries each), so every result has the same bits for any thread count;
// a vector of at most vector_block entries is summed exactly as one serial loop would sum it.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "common/sanitizer_build.hpp"

namespace softmaxkit::solvers_detail {

// Under ThreadSanitizer the blocks run serially: libtbb is not instrumented, so every entry a
// worker writes is a (suppressed) report, and symbolising those made the tests take minutes. The
// serial and parallel runs give the same bits (the reduction order above does not depend on
// them); the parallel_for pattern itself is covered by the loss kernels' TSan tests.
using detail::thread_sanitizer_build;

// 32768 doubles (256 KiB per vector): a block's work (tens of microseconds) dwarfs a task's
// overhead, and problems up to this size (dense Fashion-MNIST has 7850 parameters) keep the
// serial sums.
inline constexpr std::size_t vector_block = std::size_t{1} << 15;

inline std::size_t vector_blocks(std::size_t size) {
  return (size + vector_block - 1) / vector_block;
}

// body(begin, end) for every block [begin, end) of [0, size); blocks may run concurrently.
// body(0), ..., body(tasks - 1) as TBB tasks on the caller's arena (serially under
// ThreadSanitizer, see above). Each body must write only its own outputs: the bits are then a
// serial loop's, whatever the thread count.
template <class Body>
void for_each_task(std::size_t tasks, const Body& body) {
  if (tasks <= 1 || thread_sanitizer_build) {
    for (std::size_t task = 0; task < tasks; ++task) body(task);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tasks, 1), [&](const auto& range) {
    for (std::size_t task = range.begin(); task != range.end(); ++task) body(task);
  });
}

template <class Body>
void for_blocks(std::size_t size, const Body& body) {
  for_each_task(vector_blocks(size), [&](std::size_t block) {
    const std::size_t begin = block * vector_block;
    body(begin, std::min(size, begin + vector_block));
  });
}

// body(row) for every row of a rows x row_length matrix; rows may run concurrently when the
// matrix has more than vector_block entries.
template <class Body>
void for_rows(std::size_t rows, std::size_t row_length, const Body& body) {
  if (rows * row_length <= vector_block) {
    for (std::size_t row = 0; row < rows; ++row) body(row);
    return;
  }
  for_each_task(rows, body);
}

// N sums at once: body(begin, end, sums) adds block [begin, end)'s terms, in index order, to
// sums (which start at 0 for each block); the block sums are then added in block order.
template <std::size_t N, class Body>
std::array<double, N> block_sums(std::size_t size, const Body& body) {
  const std::size_t blocks = vector_blocks(size);
  if (blocks <= 1) {
    std::array<double, N> sums{};
    body(std::size_t{0}, size, sums);
    return sums;
  }
  std::vector<std::array<double, N>> partial(blocks);
  for_blocks(size, [&](std::size_t begin, std::size_t end) {
    std::array<double, N> sums{};
    body(begin, end, sums);
    partial[begin / vector_block] = sums;
  });
  std::array<double, N> total{};
  for (const auto& sums : partial)
    for (std::size_t i = 0; i < N; ++i) total[i] += sums[i];
  return total;
}

// For vectors that a blocked loop writes in full before anything reads them: resizing leaves
// the new doubles uninitialised instead of zeroing them in one serial memset, so their pages are
// first touched by the loop's threads. On CSR data these vectors are tens of megabytes each.
template <class T>
struct FirstTouchAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = FirstTouchAllocator<U>;
  };
  FirstTouchAllocator() = default;
  template <class U>
  FirstTouchAllocator(const FirstTouchAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
template <class T>
using FirstTouchVector = std::vector<T, FirstTouchAllocator<T>>;

}  // namespace softmaxkit::solvers_detail
