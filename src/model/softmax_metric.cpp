// The softmax-regression Metric (see the header).
#include "model/softmax_metric.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "loss/blas.hpp"
#include "softmaxkit/error.hpp"
#include "solvers/vector_blocks.hpp"

namespace softmaxkit::detail {

double effective_rank(std::span<const double> gram, std::size_t n, std::size_t cols) {
  double trace = 0, frobenius = 0;
  for (std::size_t i = 0; i < n; ++i) {
    trace += gram[i * cols + i];
    for (std::size_t j = 0; j < n; ++j) frobenius += gram[i * cols + j] * gram[i * cols + j];
  }
  return frobenius > 0 ? trace * trace / frobenius : 0.0;
}

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

namespace {

// Above this ratio of G's largest to smallest positive diagonal entry the metric uses G's
// diagonal (setup()).
constexpr double max_gram_diagonal_span = 1e24;

// Largest over smallest positive diagonal entry of a dense cols x cols G (1 without one).
double gram_diagonal_span(const std::vector<double>& gram, std::size_t cols) {
  double largest = 0, smallest = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < cols; ++j) {
    const double g = gram[j * cols + j];
    if (g > 0) largest = std::max(largest, g), smallest = std::min(smallest, g);
  }
  return largest > 0 ? largest / smallest : 1;
}

// Sample sizes from the shape: G's rank-s update costs s n'^2 flops, so s is held to about
// 3 passes (12 m K / n' rows) but at least 2000 and at most settings.gram_rows; A's sample is
// m n / (16 (n + K)) rows (its 2 s K (n + K) flops per update stay near a thirty-second of a
// pass), at least 256, at most class_rows.
std::pair<std::size_t, std::size_t> sample_sizes(std::size_t m, std::size_t n, std::size_t k,
                                                 std::size_t cols,
                                                 const SoftmaxMetricSettings& settings) {
  const double md = static_cast<double>(m);
  const std::size_t gram_rows = std::min(
      settings.gram_rows,
      std::max<std::size_t>(2000, static_cast<std::size_t>(12 * md * static_cast<double>(k) /
                                                           static_cast<double>(cols))));
  const std::size_t class_rows =
      std::min(settings.class_rows,
               std::max<std::size_t>(256, m * std::max<std::size_t>(n, 1) / (16 * (n + k))));
  return {gram_rows, class_rows};
}

}  // namespace

std::vector<std::size_t> metric_rows(std::size_t rows, std::size_t features, std::size_t classes,
                                     bool intercept, const SoftmaxMetricSettings& settings,
                                     bool sparse) {
  const std::size_t cols = features + (intercept ? 1 : 0);
  const auto [shape_gram_rows, class_rows] = sample_sizes(rows, features, classes, cols, settings);
  // As setup() chooses: CSR data with G diagonal sample gram_rows rows.
  const std::size_t gram_rows = sparse && cols > solvers_detail::max_dense_features
                                    ? std::min(settings.gram_rows, rows)
                                    : shape_gram_rows;
  std::vector<std::size_t> gram = sample_rows(rows, gram_rows, settings.seed);
  const std::vector<std::size_t> more = sample_rows(rows, class_rows, settings.seed + 1);
  std::vector<std::size_t> all;
  std::set_union(gram.begin(), gram.end(), more.begin(), more.end(), std::back_inserter(all));
  return all;
}

template <class T>
SoftmaxMetric<T>::SoftmaxMetric(const RegressionProblem<T>& problem,
                                const SoftmaxMetricSettings& settings,
                                std::shared_ptr<solvers_detail::GramFactorization>* cache,
                                solvers_detail::ScratchPool* scratch)
    : scratch_(scratch) {
  setup(problem,
        problem.features.empty() ? problem.sparse_features.rows() : problem.features.rows(),
        settings, cache);
}

template <class T>
SoftmaxMetric<T>::SoftmaxMetric(const RegressionProblem<T>& sampled, std::size_t rows,
                                const SoftmaxMetricSettings& settings, std::size_t nnz) {
  const bool sparse = sampled.features.empty() && !sampled.sparse_features.empty();
  const std::size_t given = sparse ? sampled.sparse_features.rows() : sampled.features.rows();
  row_index_ = metric_rows(rows, sparse ? sampled.sparse_features.cols() : sampled.features.cols(),
                           sampled.num_classes, sampled.fit_intercept, settings, sparse);
  if (given != row_index_.size())
    throw Error("SoftmaxMetric: " + std::to_string(given) +
                " sampled rows given, metric_rows names " + std::to_string(row_index_.size()));
  whole_nnz_ = nnz;
  setup(sampled, rows, settings, nullptr);
}

template <class T>
SoftmaxMetric<T>::~SoftmaxMetric() {
  if (!sparse_) solvers_detail::give_scratch(scratch_, std::move(rows_));
  if (preconditioner_) solvers_detail::give_scratch(scratch_, preconditioner_->release_subspace());
}

template <class T>
std::size_t SoftmaxMetric<T>::at(std::size_t row) const {
  if (row_index_.empty()) return row;
  return static_cast<std::size_t>(std::lower_bound(row_index_.begin(), row_index_.end(), row) -
                                  row_index_.begin());
}

template <class T>
void SoftmaxMetric<T>::setup(const RegressionProblem<T>& problem, std::size_t m,
                             const SoftmaxMetricSettings& settings,
                             std::shared_ptr<solvers_detail::GramFactorization>* cache) {
  features_view_ = problem.features;
  sparse_view_ = problem.sparse_features;
  sparse_ = problem.features.empty() && !problem.sparse_features.empty();
  sample_weights_ = problem.sample_weights;
  settings_ = settings;
  classes_ = problem.num_classes;
  features_ = sparse_ ? problem.sparse_features.cols() : problem.features.cols();
  intercept_ = problem.fit_intercept;
  const std::size_t n = features_, k = classes_;
  const std::size_t cols = n + (intercept_ ? 1 : 0);
  // Above max_kronecker_classes G is still built (from the same sample), but kept only when it
  // is concentrated (see max_kronecker_classes); A is then replaced by its mean in update().
  class_scalar_ = k > max_kronecker_classes;
  // A pass reads every stored value once per class: 4 m n K flops dense, 4 nnz K for CSR.
  const double stored =
      sparse_ ? static_cast<double>(row_index_.empty() ? sparse_view_.nnz() : whole_nnz_)
              : static_cast<double>(m) * static_cast<double>(n);
  pass_flops_ =
      std::max(4.0 * std::max(stored, static_cast<double>(m)) * static_cast<double>(k), 1.0);
  auto weight_of = [&](std::size_t i) {
    return problem.sample_weights.empty() ? 1.0
                                          : static_cast<double>(problem.sample_weights[at(i)]);
  };
  auto all_zero = [&](const std::vector<std::size_t>& rows) {
    for (std::size_t i : rows)
      if (weight_of(i) > 0) return false;
    return true;
  };

  const auto [shape_gram_rows, class_rows] = sample_sizes(m, n, k, cols, settings_);
  // CSR data with G diagonal: the sample costs only its entries, so it takes gram_rows.
  const std::size_t gram_rows = sparse_ && cols > solvers_detail::max_dense_features
                                    ? std::min(settings_.gram_rows, m)
                                    : shape_gram_rows;
  // G over the sampled rows, in chunks of at most 1024 rows so the copy stays small.
  gram_sample_ = sample_rows(m, gram_rows, settings.seed);
  const std::vector<std::size_t>& gram_sample = gram_sample_;
  const bool unweighted = all_zero(gram_sample);  // then fall back to plain means
  gram_unweighted_ = unweighted;
  // G is sampled in full up to max_dense_features columns (dense_sample); it is factorised in
  // full (dense) unless its diagonal spans more than max_gram_diagonal_span (below).
  const bool dense_sample = cols <= solvers_detail::max_dense_features;
  bool dense = dense_sample;
  // The factorization depends only on the sampled rows, their weights and the shape: a fit on the
  // same data (a C search) finds it in the cache under the hash of exactly those values.
  std::uint64_t key = 0xcbf29ce484222325ULL;
  auto mix = [&key](std::uint64_t v) {
    key ^= v;
    key *= 0x100000001b3ULL;
  };
  mix(m);
  mix(n);
  mix(intercept_);
  mix(sizeof(T));
  mix(gram_sample.size());
  mix(sparse_);
  double sample_entries = 0;
  for (std::size_t i : gram_sample) {
    for_each_entry(i, [&](std::size_t j, double value) {
      if (sparse_) mix(j);
      mix(std::bit_cast<std::uint64_t>(value));
      ++sample_entries;
    });
    mix(std::bit_cast<std::uint64_t>(unweighted ? 1.0 : weight_of(i)));
  }
  const double s = static_cast<double>(gram_sample.size()), c = static_cast<double>(cols);
  setup_passes_ = sample_entries / pass_flops_;  // the reads of the hash
  std::shared_ptr<const solvers_detail::GramFactorization> factorization;
  // The factorisation depends on lambda through the intercept's ridge ratio only, which is the
  // same for every lambda <= 1 (C >= 1 / rows): a C search reuses it there.
  const double intercept_ratio = solvers_detail::intercept_ridge_ratio(problem.l2);
  if (cache != nullptr && *cache && (*cache)->key == key && (*cache)->cols == cols &&
      (*cache)->intercept_ratio == intercept_ratio) {
    factorization = *cache;
    reused_setup_ = true;
  }
  if (factorization) dense = factorization->dense;
  std::vector<double> gram(factorization ? 0 : dense_sample ? cols * cols : cols, 0.0);
  double total = 0;
  if (!factorization && dense_sample) {
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
        double* out = block.data() + r * cols;
        copy_row(i, out);
        for (std::size_t j = 0; j < n; ++j) out[j] *= root;
        if (intercept_) out[n] = root;
      }
      gemm(true, false, cols, cols, count, 1.0, block.data(), cols, block.data(), cols, 1.0,
           gram.data(), cols);
    }
  } else if (!factorization) {
    // The diagonal, row by row from the stored entries (a dense row's zeros would add 0).
    for (std::size_t i : gram_sample) {
      const double w = unweighted ? 1.0 : weight_of(i);
      total += w;
      const double root = std::sqrt(w);
      for_each_entry(i, [&](std::size_t j, double value) {
        const double scaled = root * value;
        gram[j] += scaled * scaled;
      });
      if (intercept_) gram[n] += root * root;
    }
  }
  for (double& g : gram) g /= total;
  for (double g : gram) {
    if (!std::isfinite(g)) {  // NaN or inf in the data: no metric (the loss will be NaN too)
      nonfinite_ = true;
      setup_passes_ += (dense_sample ? s * c * c : 2 * sample_entries) / pass_flops_;  // G's
      return;
    }
  }
  if (class_scalar_ && !factorization) {
    gram_effective_rank_ = dense ? effective_rank(gram, n, cols) : static_cast<double>(n);
    if (!(gram_effective_rank_ < static_cast<double>(n) / 4)) {  // identity: G work only
      setup_passes_ += (dense_sample ? s * c * c : 2 * sample_entries) / pass_flops_;
      identity_after_probe_ = true;
      return;
    }
  }
  if (!factorization && dense && gram_diagonal_span(gram, cols) > max_gram_diagonal_span) {
    // Features whose scales differ by more than 1e12 (or features of 1e12 beside the intercept's
    // 1): dsyevd's absolute error, about eps times the largest eigenvalue, then exceeds the
    // smallest ones, which carry the intercept's direction when the features are not centred
    // (3 uniform features on [0, 1e17): line_search_failed at the start, objective log 2). The
    // diagonal G is exact for what it models and converged there at every scale up to 1e19.
    std::vector<double> diagonal(cols);
    for (std::size_t j = 0; j < cols; ++j) diagonal[j] = gram[j * cols + j];
    gram = std::move(diagonal);
    dense = false;
  }
  if (!factorization) {
    auto fresh = solvers_detail::factorize_gram(gram, cols, intercept_, dense, intercept_ratio);
    fresh->key = key;
    setup_passes_ +=
        ((dense_sample ? s * c * c : 2 * sample_entries + 2 * s) + fresh->flops) / pass_flops_;
    const double common_ratio = solvers_detail::intercept_ridge_ratio(0);
    if (cache != nullptr && intercept_ratio == common_ratio) {
      *cache = fresh;
    } else if (cache != nullptr && !(*cache && (*cache)->key == key && (*cache)->cols == cols)) {
      // A penalty above 1 (C < 1 / rows) has its own intercept ratio, which no other C shares.
      // A C search goes on to larger C, all with the common ratio: factorise for it too while G
      // is at hand, so the rest of the search reuses one factorisation as before.
      auto common = solvers_detail::factorize_gram(gram, cols, intercept_, dense, common_ratio);
      common->key = key;
      setup_passes_ += common->flops / pass_flops_;
      *cache = std::move(common);
    }
    factorization = std::move(fresh);
  }
  // A dense A costs a K x K eigendecomposition per update and two K x K x n' products per
  // application: kept while each is under a twentieth of a pass. (For K = 1000, n = 512 the
  // first would cost about one pass per update below 100,000 rows; for CSR data a pass is cheap,
  // 4 nnz K flops: on the rcv1 shape the products alone cost a pass per application.)
  const double kd = static_cast<double>(k);
  const bool diagonal_classes = class_scalar_ || 9 * kd * kd * kd > pass_flops_ / 20 ||
                                4 * kd * kd * static_cast<double>(cols) > pass_flops_ / 20;
  preconditioner_ = std::make_unique<solvers_detail::KroneckerPreconditioner>(
      k, n, intercept_, problem.l2, std::move(factorization), diagonal_classes);

  // The rows A is estimated on.
  const std::vector<std::size_t> class_sample = sample_rows(m, class_rows, settings.seed + 1);
  const bool class_unweighted = all_zero(class_sample);
  row_weights_.resize(class_sample.size());
  for (std::size_t r = 0; r < class_sample.size(); ++r) {
    row_weights_[r] = class_unweighted ? 1.0 : weight_of(class_sample[r]);
    row_weight_total_ += row_weights_[r];
  }
  if (sparse_) {
    // Row by row, each entry's column as its slot among the sample's columns (ascending): the
    // logits then gather W's sampled columns once per update (gathered_) and run over the rows
    // with K-long contiguous operands, instead of K scattered values of W per entry.
    std::vector<std::int64_t> slot(n, -1);
    for (std::size_t r = 0; r < class_sample.size(); ++r)
      for_each_entry(class_sample[r], [&](std::size_t j, double) { slot[j] = 0; });
    for (std::size_t j = 0; j < n; ++j) {
      if (slot[j] < 0) continue;
      slot[j] = static_cast<std::int64_t>(sample_columns_.size());
      sample_columns_.push_back(static_cast<std::int32_t>(j));
    }
    sample_row_offsets_.assign(1, 0);
    for (std::size_t r = 0; r < class_sample.size(); ++r) {
      for_each_entry(class_sample[r], [&](std::size_t j, double value) {
        sample_row_slots_.push_back(static_cast<std::int32_t>(slot[j]));
        rows_.push_back(value);
      });
      sample_row_offsets_.push_back(rows_.size());
    }
  } else {
    rows_ = solvers_detail::take_scratch(scratch_, class_sample.size() * n);
    for (std::size_t r = 0; r < class_sample.size(); ++r) copy_row(class_sample[r], &rows_[r * n]);
  }
  setup_passes_ += static_cast<double>(sparse_ ? rows_.size() : class_sample.size() * n) /
                   pass_flops_;  // the copy
  logits_.resize(class_sample.size() * k);
  a_.resize(preconditioner_->dense_class_covariance() ? k * k : k);
}

template <class T>
void SoftmaxMetric<T>::update(std::span<const double> x, double relative_gradient_norm) {
  if (!preconditioner_) return;
  const std::size_t n = features_, k = classes_, s = row_weights_.size();
  // Phase 2 keeps A (and so M) fixed: measured on digits and Fashion-MNIST, a metric that stops
  // moving serves the L-BFGS pairs better (66 against 93 evaluations on digits).
  if (preconditioner_->subspace_rank() > 0) return;
  sample_logits(x);
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
    if (class_scalar_) {  // one value for all classes: the sample is too thin per class
      const double average = std::accumulate(a_.begin(), a_.end(), 0.0) / static_cast<double>(k);
      std::fill(a_.begin(), a_.end(), average);
    }
  }
  preconditioner_->set_class_covariance(a_);
  const double sd = static_cast<double>(s), kd = static_cast<double>(k);
  const double product = sparse_ ? static_cast<double>(rows_.size()) : sd * static_cast<double>(n);
  work_flops_ += 2 * product * kd + 2 * sd * kd * kd + preconditioner_->update_flops();
  if (!subspace_tried_ && relative_gradient_norm <= settings_.subspace_from) build_subspace(x);
}

template <class T>
void SoftmaxMetric<T>::copy_row(std::size_t i, double* out) const {
  if (sparse_) {
    std::fill(out, out + features_, 0.0);
    for_each_entry(i, [out](std::size_t j, double value) { out[j] = value; });
    return;
  }
  const T* row = features_view_.row(at(i));
  for (std::size_t j = 0; j < features_; ++j) out[j] = static_cast<double>(row[j]);
}

template <class T>
template <class F>
void SoftmaxMetric<T>::for_each_entry(std::size_t i, F&& f) const {
  if (sparse_) {
    const std::int32_t* columns = sparse_view_.column_indices().data();
    const T* values = sparse_view_.values().data();
    const std::size_t row = at(i);
    for (std::size_t e = sparse_view_.row_begin(row); e < sparse_view_.row_end(row); ++e)
      f(static_cast<std::size_t>(columns[e]), static_cast<double>(values[e]));
    return;
  }
  const T* row = features_view_.row(at(i));
  for (std::size_t j = 0; j < features_; ++j) f(j, static_cast<double>(row[j]));
}

template <class T>
void SoftmaxMetric<T>::sample_logits(std::span<const double> x) {
  const std::size_t n = features_, k = classes_, s = row_weights_.size();
  if (!sparse_) {
    SingleThreadedBlas single;
    if (n > 0) {
      // Two fixed halves of the rows, one OpenBLAS call each, on the caller's threads (for_rows:
      // in parallel when worth it): the split follows from s alone, so the bits do not depend on
      // the thread count. Each update reads the s x n sample (13 MB at Fashion-MNIST's shape).
      const std::size_t half = s / 2;
      solvers_detail::for_rows(2, half * n, [&](std::size_t part) {
        const std::size_t begin = part == 0 ? 0 : half, count = part == 0 ? half : s - half;
        if (count == 0) return;
        gemm(false, true, count, k, n, 1.0, rows_.data() + begin * n, n, x.data(), n, 0.0,
             logits_.data() + begin * k, k);
      });
    } else {
      std::fill(logits_.begin(), logits_.end(), 0.0);
    }
    return;
  }
  // W's sampled columns, column by column (K values each), then each row's logits: z starts at
  // +0 and adds value * w[c][column] over the row's entries in increasing column order, the
  // operations and order of a serial loop, whichever thread runs the row.
  const std::size_t used = sample_columns_.size();
  gathered_.resize(used * k);
  constexpr std::size_t gather_block = 256;
  solvers_detail::for_rows((used + gather_block - 1) / gather_block, gather_block * k,
                           [&](std::size_t block) {
                             for (std::size_t t = block * gather_block;
                                  t < std::min(used, (block + 1) * gather_block); ++t) {
                               const auto j = static_cast<std::size_t>(sample_columns_[t]);
                               for (std::size_t c = 0; c < k; ++c)
                                 gathered_[t * k + c] = x[c * n + j];
                             }
                           });
  solvers_detail::for_rows(
      s, std::max<std::size_t>(1, rows_.size() / std::max<std::size_t>(s, 1)) * k,
      [&](std::size_t r) {
        double* z = logits_.data() + r * k;
        std::fill(z, z + k, 0.0);
        for (std::size_t e = sample_row_offsets_[r]; e < sample_row_offsets_[r + 1]; ++e) {
          const double value = rows_[e];
          const double* w = gathered_.data() + static_cast<std::size_t>(sample_row_slots_[e]) * k;
          for (std::size_t c = 0; c < k; ++c) z[c] += value * w[c];
        }
      });
}

template <class T>
void SoftmaxMetric<T>::build_subspace(std::span<const double> x) {
  subspace_tried_ = true;
  const std::size_t n = features_, k = classes_, cols = n + (intercept_ ? 1 : 0);
  // r from the cost: the Cholesky factor's (K r)^3 / 3 flops are held to about 3 passes
  // (K r <= (36 m n K)^(1/3)), within the preconditioner's memory limit.
  const double budget =
      std::cbrt(9 * pass_flops_) / static_cast<double>(std::max<std::size_t>(k, 1));
  const std::size_t rank =
      std::min({settings_.subspace_rank, cols,
                solvers_detail::max_subspace_size / std::max<std::size_t>(k, 1),
                static_cast<std::size_t>(budget)});
  if (rank < 8 || !preconditioner_->subspace_possible(rank)) return;
  std::vector<double> basis = solvers_detail::take_scratch(scratch_, cols * rank);
  preconditioner_->basis(rank, basis);
  const std::size_t rows = gram_sample_.size();
  std::vector<double> z = solvers_detail::take_scratch(scratch_, rows * rank);
  std::vector<double> p = solvers_detail::take_scratch(scratch_, rows * k), w(rows);
  constexpr std::size_t chunk = 1024;
  std::vector<double> block = solvers_detail::take_scratch(scratch_, std::min(chunk, rows) * cols);
  double total = 0;
  SingleThreadedBlas single;
  for (std::size_t start = 0; start < rows; start += chunk) {
    const std::size_t count = std::min(chunk, rows - start);
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t i = gram_sample_[start + r];
      w[start + r] = gram_unweighted_ || sample_weights_.empty()
                         ? 1.0
                         : static_cast<double>(sample_weights_[at(i)]);
      total += w[start + r];
      copy_row(i, block.data() + r * cols);
      if (intercept_) block[r * cols + n] = 1;
    }
    gemm(false, false, count, rank, cols, 1.0, block.data(), cols, basis.data(), rank, 0.0,
         z.data() + start * rank, rank);
    double* logits = p.data() + start * k;
    if (n > 0) {
      gemm(false, true, count, k, n, 1.0, block.data(), cols, x.data(), n, 0.0, logits, k);
    } else {
      std::fill(logits, logits + count * k, 0.0);
    }
    for (std::size_t r = 0; r < count; ++r) {
      double* zr = logits + r * k;
      if (intercept_)
        for (std::size_t c = 0; c < k; ++c) zr[c] += x[k * n + c];
      const double top = *std::max_element(zr, zr + k);
      double sum = 0;
      for (std::size_t c = 0; c < k; ++c) sum += zr[c] = std::exp(zr[c] - top);
      for (std::size_t c = 0; c < k; ++c) zr[c] /= sum;
    }
  }
  for (double& e : w) e /= total;
  const std::size_t size = k * rank;
  const double flops =
      preconditioner_->set_subspace(z, p, w, rows, rank, settings_.subspace_drop,
                                    solvers_detail::take_scratch(scratch_, size * size));
  for (std::vector<double>* buffer : {&basis, &z, &p, &block})
    solvers_detail::give_scratch(scratch_, std::move(*buffer));
  const double sd = static_cast<double>(rows), r = static_cast<double>(rank);
  setup_passes_ += (2 * sd * static_cast<double>(cols) * r +
                    2 * sd * static_cast<double>(n) * static_cast<double>(k) + flops) /
                   pass_flops_;
}

template <class T>
void SoftmaxMetric<T>::apply(std::span<const double> in, std::span<double> out) {
  if (!preconditioner_) {
    std::copy(in.begin(), in.end(), out.begin());
    return;
  }
  preconditioner_->apply(in, out);
  work_flops_ += preconditioner_->apply_flops();
}

template <class T>
void SoftmaxMetric<T>::apply_pair(std::span<const double> in_a, std::span<double> out_a,
                                  std::span<const double> in_b, std::span<double> out_b) {
  if (!preconditioner_) {
    Metric::apply_pair(in_a, out_a, in_b, out_b);  // two copies through apply()
    return;
  }
  preconditioner_->apply_pair(in_a, out_a, in_b, out_b);
  work_flops_ += 2 * preconditioner_->apply_flops();
}

template <class T>
double SoftmaxMetric<T>::pass_equivalents() const {
  // Without a preconditioner (identity after the probe, or non-finite data) there is no work
  // after the setup; the setup's passes were spent either way (returning 0 made the report's
  // metric work, this minus the setup, negative).
  if (!preconditioner_) return setup_passes_;
  return setup_passes_ + work_flops_ / pass_flops_;
}

template class SoftmaxMetric<float>;
template class SoftmaxMetric<double>;

}  // namespace softmaxkit::detail
