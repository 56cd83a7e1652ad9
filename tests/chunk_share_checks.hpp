// The fold of a ChunkShare in one process, shared by test_chunk_share.cpp (dense) and
// test_chunk_share_csr.cpp: shares run in threads and meet here in share order.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include "softmaxkit/regression.hpp"

namespace chunk_share_checks {

// A share of global_rows rows weighing global_weight_sum whose fold does nothing: for the
// constructor's checks, which run before any evaluation.
template <class T>
softmaxkit::ChunkShare<T> idle_share(std::size_t global_rows, double global_weight_sum) {
  softmaxkit::ChunkShare<T> share;
  share.global_rows = global_rows;
  share.global_weight_sum = global_weight_sum;
  share.fold = [](std::size_t, std::span<double>, std::span<T>, std::span<T>) {};
  return share;
}

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
  // Empty vectors may hold null pointers, which memcmp must not be given even for 0 bytes.
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// One random point (w, b: 0.1 N(0, 1); direction v, u: N(0, 1)) and the whole problem's J (with
// and without gradients), gradients and Hv there; check() runs the same three calls on every
// share, each share in its own thread and each call with a fresh Chain, and requires the whole
// problem's bits on every share.
template <class T>
struct WholeResults {
  std::vector<T> w, b, v, u;
  double j = 0, j_only = 0;
  std::vector<T> g, gb, h, hb;

  WholeResults(softmaxkit::LossGradient<T>& whole, std::size_t size, std::size_t classes,
               std::mt19937& random)
      : w(size), b(classes), v(size), u(classes), g(size), gb(classes), h(size), hb(classes) {
    std::normal_distribution<T> normal(T(0), T(1));
    for (T& e : w) e = T(0.1) * normal(random);
    for (T& e : b) e = T(0.1) * normal(random);
    for (T& e : v) e = normal(random);
    for (T& e : u) e = normal(random);
    j = whole.evaluate(w, b, g, gb);
    j_only = whole.evaluate(w, b, {}, {});
    whole.hessian_vector(w, b, v, u, h, hb);
  }

  // make_part(s, fold): share s's LossGradient, its ChunkShare's fold being `fold`.
  template <class MakePart>
  void check(std::size_t shares, const MakePart& make_part) const {
    using Fold = std::function<void(std::size_t, std::span<double>, std::span<T>, std::span<T>)>;
    for (int call = 0; call < 3; ++call) {
      Chain<T> chain;
      chain.shares = shares;
      std::vector<softmaxkit::LossGradient<T>> parts;
      for (std::size_t s = 0; s < shares; ++s) {
        Fold fold = [&chain, s](std::size_t chunks, std::span<double> l, std::span<T> ws,
                                std::span<T> is) { chain.fold(s, chunks, l, ws, is); };
        parts.push_back(make_part(s, std::move(fold)));
      }
      std::vector<double> values(shares);
      std::vector<std::vector<T>> out(shares, std::vector<T>(g.size())),
          out_b(shares, std::vector<T>(gb.size()));
      std::vector<std::thread> threads;
      for (std::size_t s = 0; s < shares; ++s) {
        threads.emplace_back([&, s] {
          if (call == 0) values[s] = parts[s].evaluate(w, b, out[s], out_b[s]);
          if (call == 1) values[s] = parts[s].evaluate(w, b, {}, {});
          if (call == 2) parts[s].hessian_vector(w, b, v, u, out[s], out_b[s]);
        });
      }
      for (std::thread& t : threads) t.join();
      for (std::size_t s = 0; s < shares; ++s) {
        CAPTURE(s);
        CAPTURE(call);
        if (call == 0) {
          CHECK(std::memcmp(&values[s], &j, sizeof j) == 0);
          CHECK(same_bits(out[s], g));
          CHECK(same_bits(out_b[s], gb));
        }
        if (call == 1) CHECK(std::memcmp(&values[s], &j_only, sizeof j) == 0);
        if (call == 2) {
          CHECK(same_bits(out[s], h));
          CHECK(same_bits(out_b[s], hb));
        }
      }
    }
  }
};

}  // namespace chunk_share_checks
