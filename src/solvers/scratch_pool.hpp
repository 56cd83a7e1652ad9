// Large double buffers kept from one fit to the next within a C search (fit_path,
// cross_validate: 10 to 50 fits on the same rows). Each fit of the structured solver sets up its
// metric with tens of MB of buffers (the class sample, the subspace's rows and its Hessian:
// 22 MB at K r = 1651); freed between fits, that memory may go back to the system and be faulted
// in again page by page at the next fit. Under CPython's allocation pattern it did: a 5-fold CV on
// 20000 Fashion-MNIST rows ran 20-25 % slower from Python than from C++ (bench/c_path.py cv).
// A pool belongs to one search on one thread; single fits do not use one (a model kept for
// predictions holds no scratch).
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace softmaxkit::solvers_detail {

class ScratchPool {
 public:
  // Smaller buffers are left to malloc, which keeps them itself (a small request taking a large
  // kept buffer would send the next large request to the system); at most kMaxKept are held
  // (the largest), each one a fit had in use.
  static constexpr std::size_t kMinElements = (std::size_t{64} << 10) / sizeof(double);
  static constexpr std::size_t kMaxKept = 8;

  // `size` zeros, in the memory of the smallest kept buffer that holds them, or new (always new
  // below kMinElements).
  std::vector<double> take(std::size_t size) {
    if (size < kMinElements) return std::vector<double>(size, 0.0);
    auto best = kept_.end();
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->capacity() >= size && (best == kept_.end() || it->capacity() < best->capacity()))
        best = it;
    }
    std::vector<double> out;
    if (best != kept_.end()) {
      out = std::move(*best);
      kept_.erase(best);
    }
    out.assign(size, 0.0);
    return out;
  }

  ScratchPool() { kept_.reserve(kMaxKept + 1); }

  // Keeps `buffer`'s memory for a later take (its contents are not kept). Never throws (the
  // metric gives its buffers back from its destructor, also while an exception unwinds): the
  // room for one more was reserved.
  void give(std::vector<double>&& buffer) noexcept {
    if (buffer.capacity() < kMinElements) return;
    kept_.push_back(std::move(buffer));
    if (kept_.size() > kMaxKept) {
      kept_.erase(std::min_element(kept_.begin(), kept_.end(), [](const auto& a, const auto& b) {
        return a.capacity() < b.capacity();
      }));
    }
  }

  std::size_t kept() const { return kept_.size(); }

 private:
  std::vector<std::vector<double>> kept_;
};

// take / give through an optional pool: without one, a new buffer / nothing kept.
inline std::vector<double> take_scratch(ScratchPool* pool, std::size_t size) {
  return pool != nullptr ? pool->take(size) : std::vector<double>(size, 0.0);
}
inline void give_scratch(ScratchPool* pool, std::vector<double>&& buffer) noexcept {
  if (pool != nullptr) pool->give(std::move(buffer));
}

}  // namespace softmaxkit::solvers_detail
