// The fold of a ChunkShare in one process, shared by test_chunk_share.cpp (dense) and
// test_chunk_share_csr.cpp: shares run in threads and meet here in share order.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <span>
#include <vector>

namespace chunk_share_checks {

// The fold of ChunkShare in one process: share r waits for its turn, adds its chunks to the
// running sums, and every share copies the totals once the last has added.
template <class T>
struct Chain {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t turn = 0, shares = 0;
  double loss = 0;
  bool started = false;
  std::vector<T> weights, intercept;

  void fold(std::size_t share, std::size_t chunks, std::span<double> chunk_loss,
            std::span<T> weight_sums, std::span<T> intercept_sums) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return turn == share; });
    const std::size_t slots = std::max<std::size_t>(chunks, 1);
    const std::size_t size = weight_sums.size() / slots, classes = intercept_sums.size() / slots;
    if (weights.empty()) {
      weights.assign(size, T(0));
      intercept.assign(classes, T(0));
    }
    for (std::size_t c = 0; c < chunks; ++c) {
      loss += chunk_loss[c];
      if (weight_sums.empty()) continue;
      for (std::size_t e = 0; e < size; ++e)
        weights[e] = started ? weights[e] + weight_sums[c * size + e] : weight_sums[c * size + e];
      for (std::size_t k = 0; k < classes; ++k) intercept[k] += intercept_sums[c * classes + k];
      started = true;
    }
    ++turn;
    changed.notify_all();
    changed.wait(lock, [&] { return turn == shares; });
    chunk_loss[0] = loss;
    std::copy(weights.begin(), weights.end(), weight_sums.begin());
    std::copy(intercept.begin(), intercept.end(), intercept_sums.begin());
  }
};

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace chunk_share_checks
