// Fixed row blocks for the multithreaded entry points. Built at baseline (never in ISA units).
//
// The block size depends only on the row length, never on the number of threads, so any
// per-block partial result (the cross-entropy sum) is combined in the same order whatever the
// thread count: results are bitwise identical for 1, 2 or N threads.
#pragma once

#include <tbb/parallel_for.h>

#include <cstddef>

namespace softmaxkit::detail {

// About 32K elements (128 KiB of float) per block: big enough to amortise task overhead, small
// enough to keep both cores busy on a few hundred rows.
inline std::size_t rows_per_block(std::size_t cols) {
  constexpr std::size_t elements_per_block = 32768;
  const std::size_t rows = elements_per_block / (cols == 0 ? 1 : cols);
  return rows == 0 ? 1 : rows;
}

inline std::size_t block_count(std::size_t rows, std::size_t cols) {
  const std::size_t per_block = rows_per_block(cols);
  return (rows + per_block - 1) / per_block;
}

// Calls run(block_index, first_row, row_count) for every block, on the calling thread's TBB
// arena when `parallel`, otherwise in order on this thread.
template <class Run>
void for_each_row_block(std::size_t rows, std::size_t cols, bool parallel, const Run& run) {
  const std::size_t per_block = rows_per_block(cols);
  const std::size_t blocks = block_count(rows, cols);
  auto one = [&](std::size_t block) {
    const std::size_t first = block * per_block;
    run(block, first, first + per_block <= rows ? per_block : rows - first);
  };
  if (parallel && blocks > 1) {
    tbb::parallel_for(std::size_t{0}, blocks, one);
  } else {
    for (std::size_t block = 0; block < blocks; ++block) one(block);
  }
}

}  // namespace softmaxkit::detail
