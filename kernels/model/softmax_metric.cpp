// The softmax-regression Metric (see the header).
#include "model/softmax_metric.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "regression/blas.hpp"

namespace softmaxkit::detail {

std::vector<std::size_t> sample_rows(std::size_t rows, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> index(rows);
  std::iota(index.begin(), index.end(), std::size_t{0});
  if (count >= rows) return index;
  std::uint64_t state = seed ^ (0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(rows) + 1)) ^
                        static_cast<std::uint64_t>(count);
  auto next = [&state] {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(next() % (rows - i));
    std::swap(index[i], index[j]);
  }
  index.resize(count);
  std::sort(index.begin(), index.end());
  return index;
}

template <class T>
SoftmaxMetric<T>::SoftmaxMetric(const RegressionProblem<T>& problem,
                                const SoftmaxMetricSettings& settings)
    : classes_(problem.num_classes),
      features_(problem.features.cols()),
      intercept_(problem.fit_intercept) {
  const std::size_t m = problem.features.rows(), n = features_, k = classes_;
  const std::size_t cols = n + (intercept_ ? 1 : 0);
  pass_flops_ =
      std::max(4.0 * static_cast<double>(m) * static_cast<double>(std::max<std::size_t>(n, 1)) *
                   static_cast<double>(k),
               1.0);
  auto weight_of = [&](std::size_t i) {
    return problem.sample_weights.empty() ? 1.0 : static_cast<double>(problem.sample_weights[i]);
  };
  auto all_zero = [&](const std::vector<std::size_t>& rows) {
    for (std::size_t i : rows)
      if (weight_of(i) > 0) return false;
    return true;
  };

  // G over the sampled rows, in chunks of at most 1024 rows so the copy stays small.
  const std::vector<std::size_t> gram_sample = sample_rows(m, settings.gram_rows, settings.seed);
  const bool unweighted = all_zero(gram_sample);  // then fall back to plain means
  const bool dense = cols <= solvers_detail::max_dense_features;
  std::vector<double> gram(dense ? cols * cols : cols, 0.0);
  double total = 0;
  {
    constexpr std::size_t chunk = 1024;
    std::vector<double> block(std::min(chunk, gram_sample.size()) * cols);
    SingleThreadedBlas single;
    for (std::size_t start = 0; start < gram_sample.size(); start += chunk) {
      const std::size_t count = std::min(chunk, gram_sample.size() - start);
      for (std::size_t r = 0; r < count; ++r) {
        const std::size_t i = gram_sample[start + r];
        const double w = unweighted ? 1.0 : weight_of(i);
        total += w;
        const double root = std::sqrt(w);
        const T* row = problem.features.row(i);
        double* out = block.data() + r * cols;
        for (std::size_t j = 0; j < n; ++j) out[j] = root * static_cast<double>(row[j]);
        if (intercept_) out[n] = root;
      }
      if (dense) {
        gemm(true, false, cols, cols, count, 1.0, block.data(), cols, block.data(), cols, 1.0,
             gram.data(), cols);
      } else {
        for (std::size_t r = 0; r < count; ++r)
          for (std::size_t j = 0; j < cols; ++j)
            gram[j] += block[r * cols + j] * block[r * cols + j];
      }
    }
  }
  for (double& g : gram) g /= total;
  preconditioner_ = std::make_unique<solvers_detail::KroneckerPreconditioner>(
      k, n, intercept_, problem.l2, gram, !dense);
  const double s = static_cast<double>(gram_sample.size()), c = static_cast<double>(cols);
  setup_passes_ = ((dense ? s * c * c : 2 * s * c) + preconditioner_->setup_flops()) / pass_flops_;

  // The rows A is estimated on.
  const std::vector<std::size_t> class_sample =
      sample_rows(m, settings.class_rows, settings.seed + 1);
  const bool class_unweighted = all_zero(class_sample);
  rows_.resize(class_sample.size() * n);
  row_weights_.resize(class_sample.size());
  for (std::size_t r = 0; r < class_sample.size(); ++r) {
    const T* row = problem.features.row(class_sample[r]);
    for (std::size_t j = 0; j < n; ++j) rows_[r * n + j] = static_cast<double>(row[j]);
    row_weights_[r] = class_unweighted ? 1.0 : weight_of(class_sample[r]);
    row_weight_total_ += row_weights_[r];
  }
  setup_passes_ += static_cast<double>(class_sample.size() * n) / pass_flops_;  // the copy
  logits_.resize(class_sample.size() * k);
  a_.resize(preconditioner_->dense_class_covariance() ? k * k : k);
}

template <class T>
void SoftmaxMetric<T>::update(std::span<const double> x) {
  const std::size_t n = features_, k = classes_, s = row_weights_.size();
  SingleThreadedBlas single;
  if (n > 0) {
    gemm(false, true, s, k, n, 1.0, rows_.data(), n, x.data(), n, 0.0, logits_.data(), k);
  } else {
    std::fill(logits_.begin(), logits_.end(), 0.0);
  }
  // Probabilities in place, then A = diag(sum w p) - sum w p p^T, divided by sum w.
  std::vector<double>& mean = weights_scratch_;
  mean.assign(k, 0.0);
  for (std::size_t r = 0; r < s; ++r) {
    double* z = logits_.data() + r * k;
    if (intercept_)
      for (std::size_t c = 0; c < k; ++c) z[c] += x[k * n + c];
    const double top = *std::max_element(z, z + k);
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += z[c] = std::exp(z[c] - top);
    const double root = std::sqrt(row_weights_[r] / row_weight_total_);
    for (std::size_t c = 0; c < k; ++c) {
      z[c] /= sum;
      mean[c] += row_weights_[r] / row_weight_total_ * z[c];
      z[c] *= root;  // sqrt(w / W) p, for the outer products
    }
  }
  if (preconditioner_->dense_class_covariance()) {
    gemm(true, false, k, k, s, -1.0, logits_.data(), k, logits_.data(), k, 0.0, a_.data(), k);
    for (std::size_t c = 0; c < k; ++c) a_[c * k + c] += mean[c];
  } else {
    for (std::size_t c = 0; c < k; ++c) a_[c] = mean[c];
    for (std::size_t r = 0; r < s; ++r)
      for (std::size_t c = 0; c < k; ++c) a_[c] -= logits_[r * k + c] * logits_[r * k + c];
  }
  preconditioner_->set_class_covariance(a_);
  const double sd = static_cast<double>(s), kd = static_cast<double>(k);
  work_flops_ +=
      2 * sd * static_cast<double>(n) * kd + 2 * sd * kd * kd + preconditioner_->update_flops();
}

template <class T>
void SoftmaxMetric<T>::apply(std::span<const double> in, std::span<double> out) {
  preconditioner_->apply(in, out);
  work_flops_ += preconditioner_->apply_flops();
}

template <class T>
double SoftmaxMetric<T>::pass_equivalents() const {
  return setup_passes_ + work_flops_ / pass_flops_;
}

template class SoftmaxMetric<float>;
template class SoftmaxMetric<double>;

}  // namespace softmaxkit::detail
