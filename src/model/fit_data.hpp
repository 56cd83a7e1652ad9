// Data preparation for SoftmaxRegression::fit: the training rows and the rows held out for early
// stopping, in the precision the fit computes in.
//
// Invariant: the training rows are exactly the rows that is_held_out does not select (all rows
// when validation_fraction is 0), whatever the precision; converting float data to double copies
// those rows and changes nothing else. The validation rows are empty without early stopping.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "model/validation_split.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

template <class T>
struct Rows {  // some rows of a data set: copied into `features`, or borrowed through `borrowed`
  std::vector<T> features;
  MatrixView<const T> borrowed;
  std::size_t rows = 0, cols = 0;
  std::vector<std::int32_t> labels;  // class indices
  std::vector<T> weights;            // empty: all 1
  MatrixView<const T> view() const {
    return borrowed.rows() != 0 ? borrowed : MatrixView<const T>(features.data(), rows, cols);
  }
};

template <class T>
struct FitData {
  Rows<T> training, validation;
};

enum class RowSelection { all, training, held_out };

template <class Out, class In>
Rows<Out> copy_rows(MatrixView<const In> features, std::span<const std::int32_t> labels,
                    std::span<const In> weights, double fraction, RowSelection selection) {
  Rows<Out> rows;
  rows.cols = features.cols();
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (selection != RowSelection::all &&
        is_held_out(i, fraction) != (selection == RowSelection::held_out))
      continue;
    ++rows.rows;
  }
  rows.features.reserve(rows.rows * rows.cols);
  rows.labels.reserve(rows.rows);
  if (!weights.empty()) rows.weights.reserve(rows.rows);
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (selection != RowSelection::all &&
        is_held_out(i, fraction) != (selection == RowSelection::held_out))
      continue;
    const In* row = features.row(i);
    for (std::size_t j = 0; j < rows.cols; ++j) rows.features.push_back(static_cast<Out>(row[j]));
    rows.labels.push_back(labels[i]);
    if (!weights.empty()) rows.weights.push_back(static_cast<Out>(weights[i]));
  }
  return rows;
}

// Out: the precision the fit computes in (In, or double for float data with use_double).
template <class Out, class In>
FitData<Out> prepare_fit_data(MatrixView<const In> features, std::span<const std::int32_t> indices,
                              std::span<const In> sample_weight, double validation_fraction) {
  FitData<Out> data;
  if (validation_fraction > 0) {
    data.training = copy_rows<Out>(features, indices, sample_weight, validation_fraction,
                                   RowSelection::training);
    data.validation = copy_rows<Out>(features, indices, sample_weight, validation_fraction,
                                     RowSelection::held_out);
  } else if constexpr (std::is_same_v<Out, In>) {
    // No split and no conversion: train on the caller's data without copying it.
    data.training.borrowed = features;
    data.training.rows = features.rows();
    data.training.cols = features.cols();
    data.training.labels.assign(indices.begin(), indices.end());
    data.training.weights.assign(sample_weight.begin(), sample_weight.end());
  } else {
    data.training = copy_rows<Out>(features, indices, sample_weight, 0.0, RowSelection::all);
  }
  return data;
}

}  // namespace softmaxkit::detail
