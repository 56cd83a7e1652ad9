// regression.hpp: "Reuses its workspace: no allocation per call in steady state." Counts
// operator new (replaced in this executable only) over calls after warm-up, for dense and CSR
// features, K = 3 (the small-K products) and K = 200 (OpenBLAS; more classes than the L2
// penalty's stack batch), both weight layouts, float and double: evaluate (whole, loss only,
// intercept gradient only), hessian_vector and predict_logits. An audit counted one allocation
// per dense evaluate at K = 200 (the penalty's tile sums on the heap) and two or three per CSR
// evaluate and Hessian-vector product (a pass's block buffers made per call). Exits 1 naming each
// case that allocated. One thread: with more, a thread TBB first hands a block to after the
// warm-up allocates its buffer then, once.
#include <tbb/task_arena.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"

namespace {
std::atomic<long> allocations{0};
}

// Every replaceable form, all on malloc/free (AddressSanitizer reports a new/free mismatch for
// a form left to the runtime, as std::stable_sort's nothrow buffer was).
namespace {
void* counted(std::size_t size, std::size_t alignment) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
void* counted_or_throw(std::size_t size, std::size_t alignment) {
  if (void* p = counted(size, alignment)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) {
  return counted_or_throw(size, 0);
}
void* operator new[](std::size_t size) {
  return counted_or_throw(size, 0);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted(size, 0);
}
void* operator new(std::size_t size, std::align_val_t a) {
  return counted_or_throw(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return counted_or_throw(size, static_cast<std::size_t>(a));
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(size, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

using namespace softmaxkit;

template <class T>
int run(bool sparse, WeightLayout layout, std::size_t classes) {
  const std::size_t rows = 3000, cols = 30;
  std::mt19937 random(3);
  std::normal_distribution<double> normal;
  std::vector<T> dense(rows * cols);
  for (std::size_t i = 0; i < dense.size(); ++i)
    dense[i] = (sparse && i % 4 != 0) ? T(0) : static_cast<T>(normal(random));
  std::vector<std::int32_t> labels(rows);
  for (auto& label : labels) label = static_cast<std::int32_t>(random() % classes);
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<T> values;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      if (dense[i * cols + j] != T(0)) {
        columns.push_back(static_cast<std::int32_t>(j));
        values.push_back(dense[i * cols + j]);
      }
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  RegressionProblem<T> problem;
  if (sparse) {
    problem.sparse_features = CsrMatrixView<T>(rows, cols, offsets, columns, values);
  } else {
    problem.features = MatrixView<const T>(dense.data(), rows, cols);
  }
  problem.labels = labels;
  problem.num_classes = classes;
  problem.l2 = 0.01;
  LossGradientOptions options;
  options.weight_layout = layout;
  int failures = 0;
  tbb::task_arena(1).execute([&] {
    LossGradient<T> objective(problem, options);
    std::vector<T> w(classes * cols, T(0.01)), b(classes), g(w.size()), gb(classes);
    std::vector<T> v(w.size(), T(1)), vb(classes, T(1)), hv(w.size()), hvb(classes);
    std::vector<T> logits(rows * classes);
    const char* names[] = {"evaluate", "evaluate (loss only)", "evaluate (intercept gradient)",
                           "hessian_vector", "predict_logits"};
    auto call = [&](int which) {
      switch (which) {
        case 0:
          objective.evaluate(w, b, g, gb);
          break;
        case 1:
          objective.evaluate(w, b, {}, {});
          break;
        case 2:
          objective.evaluate(w, b, {}, gb);
          break;
        case 3:
          objective.hessian_vector(w, b, v, vb, hv, hvb);
          break;
        default:
          objective.predict_logits(w, b, MatrixView<T>(logits.data(), rows, classes));
      }
    };
    for (int round = 0; round < 2; ++round)
      for (int which = 0; which < 5; ++which) call(which);
    for (int which = 0; which < 5; ++which) {
      const long before = allocations.load();
      for (int round = 0; round < 3; ++round) call(which);
      const long made = allocations.load() - before;
      if (made != 0) {
        std::printf("FAILED: %s, %s, %s, K = %zu, %s: %ld allocations in 3 calls\n",
                    sizeof(T) == 4 ? "float" : "double", sparse ? "CSR" : "dense",
                    layout == WeightLayout::features_by_classes ? "n x K" : "K x n", classes,
                    names[which], made);
        ++failures;
      }
    }
  });
  return failures;
}

}  // namespace

int main() {
  int failures = 0, cases = 0;
  for (const bool sparse : {false, true}) {
    for (const WeightLayout layout :
         {WeightLayout::classes_by_features, WeightLayout::features_by_classes}) {
      for (const std::size_t classes : {std::size_t{3}, std::size_t{200}}) {
        failures += run<float>(sparse, layout, classes) + run<double>(sparse, layout, classes);
        cases += 2 * 5;
      }
    }
  }
  std::printf("steady-state allocations: %d of %d cases allocated\n", failures, cases);
  return failures == 0 ? 0 : 1;
}
