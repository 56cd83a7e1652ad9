// Adapts LossGradient<T> (parameters in T, W and b apart) to the solvers' flat double vector
// x = [W row-major (K*n), b (K, only with an intercept)]. On CSR features without a share the
// loss reads W as n x K (WeightLayout::features_by_classes, the same bits): the conversions
// between x and T, which every call makes anyway, transpose on the way, in place of the loss's
// own transpositions of W and of the gradient.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "loss/weight_layout.hpp"
#include "softmaxkit/regression.hpp"
#include "softmaxkit/solvers.hpp"
#include "solvers/vector_blocks.hpp"

namespace softmaxkit::detail {

template <class T>
class TrainingObjective {
 public:
  // share: a data-parallel share of the problem (ChunkShare in regression.hpp), or null.
  // grid_features: LossGradientOptions::grid_features (0: the problem's width).
  explicit TrainingObjective(const RegressionProblem<T>& problem,
                             const ChunkShare<T>* share = nullptr, std::size_t grid_features = 0)
      : loss_(share != nullptr ? LossGradient<T>(problem, share_options(grid_features), *share)
                               : LossGradient<T>(problem, options_for(problem, grid_features))),
        classes_(problem.num_classes),
        features_(loss_.num_features()),
        fit_intercept_(problem.fit_intercept),
        by_features_(share == nullptr && loss_.product_path() == ProductPath::csr),
        weights_(classes_ * features_),
        intercept_(classes_),
        weights_out_(classes_ * features_),
        intercept_out_(classes_) {}

  std::size_t size() const { return classes_ * features_ + (fit_intercept_ ? classes_ : 0); }

  double value_and_gradient(std::span<const double> x, std::span<double> gradient) {
    load(x, weights_, intercept_);
    const double value = loss_.evaluate(weights_, intercept_, weights_out_, intercept_out_);
    store(weights_out_, intercept_out_, gradient);
    return value;
  }

  void hessian_vector(std::span<const double> x, std::span<const double> v,
                      std::span<double> product) {
    load(x, weights_, intercept_);
    // The direction's buffers are sized at the first product: the structured and L-BFGS solvers
    // never ask for one, and on CSR data they are K x n floats (10 MB on rcv1's shape).
    direction_weights_.resize(classes_ * features_);
    direction_intercept_.resize(classes_);
    load(v, direction_weights_, direction_intercept_);
    loss_.hessian_vector(weights_, intercept_, direction_weights_, direction_intercept_,
                         weights_out_, intercept_out_);
    store(weights_out_, intercept_out_, product);
  }

  Objective as_objective() {
    Objective objective;
    objective.size = size();
    objective.value_and_gradient = [this](std::span<const double> x, std::span<double> g) {
      return value_and_gradient(x, g);
    };
    objective.hessian_vector = [this](std::span<const double> x, std::span<const double> v,
                                      std::span<double> hv) { hessian_vector(x, v, hv); };
    return objective;
  }

 private:
  static LossGradientOptions options_for(const RegressionProblem<T>& problem,
                                         std::size_t grid_features) {
    LossGradientOptions options;
    if (problem.sparse_features.rows() != 0 || problem.sparse_features.cols() != 0)
      options.weight_layout = WeightLayout::features_by_classes;
    options.grid_features = grid_features;
    return options;
  }
  static LossGradientOptions share_options(std::size_t grid_features) {
    LossGradientOptions options;
    options.grid_features = grid_features;
    return options;
  }
  void load(std::span<const double> x, std::vector<T>& weights, std::vector<T>& intercept) const {
    const std::size_t count = classes_ * features_;
    if (by_features_) {
      detail::transpose(x.data(), classes_, features_, weights.data());
    } else {
      // Entrywise conversions, in blocks on the fit's threads (K x n is millions on CSR data).
      solvers_detail::for_blocks(count, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) weights[i] = static_cast<T>(x[i]);
      });
    }
    for (std::size_t k = 0; k < classes_; ++k)
      intercept[k] = fit_intercept_ ? static_cast<T>(x[count + k]) : T(0);
  }
  void store(const std::vector<T>& weights, const std::vector<T>& intercept,
             std::span<double> out) const {
    const std::size_t count = classes_ * features_;
    if (by_features_) {
      detail::transpose(weights.data(), features_, classes_, out.data());
    } else {
      solvers_detail::for_blocks(count, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) out[i] = static_cast<double>(weights[i]);
      });
    }
    if (fit_intercept_)
      for (std::size_t k = 0; k < classes_; ++k) out[count + k] = static_cast<double>(intercept[k]);
  }

  LossGradient<T> loss_;
  std::size_t classes_, features_;
  bool fit_intercept_;
  bool by_features_;  // weights_ and the other T buffers n x K (features_by_classes)
  std::vector<T> weights_, intercept_, weights_out_, intercept_out_, direction_weights_,
      direction_intercept_;
};

}  // namespace softmaxkit::detail
