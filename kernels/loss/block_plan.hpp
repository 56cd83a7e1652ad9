// How the rows are cut: fixed-size blocks, and a fixed number of chunks that each own a
// contiguous run of blocks. Both depend only on the problem's shape, never on the thread count,
// which is what makes the loss and gradient bitwise reproducible under any TBB arena.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace softmaxkit::detail {

struct BlockPlan {
  std::size_t rows = 0, block_rows = 1, blocks = 0, chunks = 0;
  // The whole grid's chunks and blocks, and where this plan starts in it: a data-parallel share
  // (share_of_plan) is chunks [first_chunk, first_chunk + chunks) of a grid cut for all the rows,
  // its rows and blocks counted from that chunk's first. The whole plan: 0, chunks, blocks.
  std::size_t first_chunk = 0, grid_chunks = 0, grid_blocks = 0;

  // Chunk c owns blocks [first_block(c), first_block(c + 1)): an even split of the grid.
  std::size_t first_block(std::size_t chunk) const {
    return (first_chunk + chunk) * grid_blocks / grid_chunks -
           first_chunk * grid_blocks / grid_chunks;
  }
  std::size_t block_begin(std::size_t block) const { return block * block_rows; }
  std::size_t block_size(std::size_t block) const {
    return std::min(block_rows, rows - block_begin(block));
  }
};

// Each block's features are about this many bytes, so they stay in L2 (1 MiB per core here)
// between a block's logits product and its gradient product while the next block is prefetched
// (X is read from memory once per call). With many classes the products are compute-bound and
// taller blocks amortise OpenBLAS's panel packing, so above kManyClasses blocks are taller; with
// few classes short blocks were as fast or faster (README, "Design choices and their
// measurements").
inline constexpr std::size_t kBlockBytes = 256 * 1024;
inline constexpr std::size_t kManyClasses = 128, kManyClassesBlockBytes = 1024 * 1024;
// Upper bounds on the chunks: enough for load balance on many cores; their accumulators
// (K n elements each) limited to about kChunkBytes unless that leaves fewer than kMinChunks.
inline constexpr std::size_t kMaxChunks = 64, kMinChunks = 4;
inline constexpr std::size_t kChunkBytes = std::size_t{64} << 20;
inline constexpr std::size_t kBlocksPerChunk = 4, kBalancedChunks = 16;

inline BlockPlan make_block_plan(std::size_t rows, std::size_t features, std::size_t classes,
                                 std::size_t element_size, std::size_t requested_block_rows) {
  BlockPlan plan;
  plan.rows = rows;
  if (requested_block_rows != 0) {
    // More than `rows` is one block of every row, the same as `rows`; clamped so that the block
    // count below cannot overflow (SIZE_MAX gave 0 blocks: a loss of 0 and no gradient).
    plan.block_rows = std::min(requested_block_rows, std::max<std::size_t>(rows, 1));
  } else {
    const std::size_t bytes = classes > kManyClasses ? kManyClassesBlockBytes : kBlockBytes;
    const std::size_t fitting = bytes / std::max<std::size_t>(1, features * element_size);
    plan.block_rows = std::clamp<std::size_t>(fitting / 8 * 8, 16, 2048);
  }
  plan.blocks = (rows + plan.block_rows - 1) / plan.block_rows;
  const std::size_t accumulator_bytes = std::max<std::size_t>(1, classes * features * element_size);
  const std::size_t affordable = std::max(kMinChunks, kChunkBytes / accumulator_bytes);
  // About kBlocksPerChunk blocks per chunk, so most blocks have a successor in their chunk whose
  // features are prefetched during their gradient product (README, "Design choices and their
  // measurements"), but at least kBalancedChunks chunks (when there are as many blocks) to
  // balance load.
  const std::size_t grouped = (plan.blocks + kBlocksPerChunk - 1) / kBlocksPerChunk;
  const std::size_t wanted = std::max(grouped, std::min(plan.blocks, kBalancedChunks));
  plan.chunks = std::min({wanted, kMaxChunks, affordable});
  plan.grid_chunks = plan.chunks;
  plan.grid_blocks = plan.blocks;
  return plan;
}

// The first row of each of the grid's chunks, then the row count (chunks + 1 entries).
inline std::vector<std::size_t> chunk_row_starts(const BlockPlan& plan) {
  std::vector<std::size_t> starts(plan.grid_chunks + 1);
  for (std::size_t c = 0; c <= plan.grid_chunks; ++c)
    starts[c] = std::min(plan.rows, c * plan.grid_blocks / plan.grid_chunks * plan.block_rows);
  return starts;
}

// The share of `plan` (a whole plan) made of chunks [first, last): its rows counted from the
// first chunk's first row.
inline BlockPlan share_of_plan(const BlockPlan& plan, std::size_t first, std::size_t last) {
  const std::vector<std::size_t> starts = chunk_row_starts(plan);
  BlockPlan share = plan;
  share.first_chunk = first;
  share.chunks = last - first;
  share.rows = starts[last] - starts[first];
  share.blocks =
      last * plan.grid_blocks / plan.grid_chunks - first * plan.grid_blocks / plan.grid_chunks;
  return share;
}

}  // namespace softmaxkit::detail
