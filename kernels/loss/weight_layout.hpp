// Moving weights between WeightLayout's two layouts (regression.hpp), for the paths that read
// them as K x n and for the fit's conversions (src/model/training_objective.hpp), and stacking
// [W; V] by features for the CSR Hessian-vector product.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>

namespace softmaxkit::detail {

// out (cols x rows) = in (rows x cols) transposed, each element converted to Out (exact when the
// types are the same), in tiles of 64 x 64 so that both sides of a tile stay in cache.
template <class In, class Out>
void transpose(const In* in, std::size_t rows, std::size_t cols, Out* out) {
  constexpr std::size_t tile = 64;
  const std::size_t row_tiles = (rows + tile - 1) / tile, col_tiles = (cols + tile - 1) / tile;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, row_tiles * col_tiles, 1),
                    [&](const tbb::blocked_range<std::size_t>& tiles) {
                      for (std::size_t t = tiles.begin(); t != tiles.end(); ++t) {
                        const std::size_t r0 = (t / col_tiles) * tile, c0 = (t % col_tiles) * tile;
                        const std::size_t r1 = std::min(rows, r0 + tile);
                        const std::size_t c1 = std::min(cols, c0 + tile);
                        for (std::size_t c = c0; c < c1; ++c)
                          for (std::size_t r = r0; r < r1; ++r)
                            out[c * rows + r] = static_cast<Out>(in[r * cols + c]);
                      }
                    });
}

// out (features x 2 classes) = [weights | direction] row by row, both features x classes: the
// Hessian-vector product's stacked parameters in the layout the CSR logits read.
template <class T>
void stack_by_features(const T* weights, const T* direction, std::size_t features,
                       std::size_t classes, T* out) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, features, 1024),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t j = range.begin(); j != range.end(); ++j) {
                        T* row = out + j * 2 * classes;
                        std::copy(weights + j * classes, weights + (j + 1) * classes, row);
                        std::copy(direction + j * classes, direction + (j + 1) * classes,
                                  row + classes);
                      }
                    });
}

}  // namespace softmaxkit::detail
