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
#include "softmaxkit/csr.hpp"
#include "softmaxkit/matrix.hpp"

namespace softmaxkit::detail {

// Some rows of a data set, dense or CSR: copied (`features` / `sparse`), or borrowed from the
// caller (`borrowed` / `sparse_borrowed`).
template <class T>
struct Rows {
  bool is_sparse = false;
  std::vector<T> features;
  MatrixView<const T> borrowed;
  CsrMatrix<T> sparse;
  CsrMatrixView<T> sparse_borrowed;
  bool sparse_is_borrowed = false;
  std::size_t rows = 0, cols = 0;
  std::vector<std::int32_t> labels;   // class indices
  std::vector<T> weights;             // empty: all 1
  MatrixView<const T> view() const {  // dense rows only
    return borrowed.rows() != 0 ? borrowed : MatrixView<const T>(features.data(), rows, cols);
  }
  const CsrMatrixView<T>& sparse_view() const {  // sparse rows only
    return sparse_is_borrowed ? sparse_borrowed : sparse.view();
  }
};

template <class T>
struct FitData {
  Rows<T> training, validation;
  // 0, or the width of the data these rows' columns were taken from (model/unused_columns.hpp):
  // the loss keeps that width's chunk grid (LossGradientOptions::grid_features).
  std::size_t grid_features = 0;
};

enum class RowSelection { all, training, held_out };

inline bool is_selected(std::size_t row, double fraction, RowSelection selection) {
  return selection == RowSelection::all ||
         is_held_out(row, fraction) == (selection == RowSelection::held_out);
}

template <class Out, class In>
Rows<Out> copy_rows(MatrixView<const In> features, std::span<const std::int32_t> labels,
                    std::span<const In> weights, double fraction, RowSelection selection) {
  Rows<Out> rows;
  rows.cols = features.cols();
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (!is_selected(i, fraction, selection)) continue;
    ++rows.rows;
  }
  rows.features.reserve(rows.rows * rows.cols);
  rows.labels.reserve(rows.rows);
  if (!weights.empty()) rows.weights.reserve(rows.rows);
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (!is_selected(i, fraction, selection)) continue;
    const In* row = features.row(i);
    for (std::size_t j = 0; j < rows.cols; ++j) rows.features.push_back(static_cast<Out>(row[j]));
    rows.labels.push_back(labels[i]);
    if (!weights.empty()) rows.weights.push_back(static_cast<Out>(weights[i]));
  }
  return rows;
}

// The CSR counterpart of copy_rows: the selected rows' entries, values converted to Out.
template <class Out, class In>
Rows<Out> copy_rows(const CsrMatrixView<In>& features, std::span<const std::int32_t> labels,
                    std::span<const In> weights, double fraction, RowSelection selection) {
  Rows<Out> rows;
  rows.is_sparse = true;
  rows.cols = features.cols();
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<Out> values;
  std::size_t entries = 0;
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (!is_selected(i, fraction, selection)) continue;
    ++rows.rows;
    entries += features.row_end(i) - features.row_begin(i);
  }
  offsets.reserve(rows.rows + 1);
  columns.reserve(entries);
  values.reserve(entries);
  rows.labels.reserve(rows.rows);
  if (!weights.empty()) rows.weights.reserve(rows.rows);
  for (std::size_t i = 0; i < features.rows(); ++i) {
    if (!is_selected(i, fraction, selection)) continue;
    for (std::size_t e = features.row_begin(i); e < features.row_end(i); ++e) {
      columns.push_back(features.column_indices()[e]);
      values.push_back(static_cast<Out>(features.values()[e]));
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
    rows.labels.push_back(labels[i]);
    if (!weights.empty()) rows.weights.push_back(static_cast<Out>(weights[i]));
  }
  rows.sparse = CsrMatrix<Out>(rows.rows, rows.cols, std::move(offsets), std::move(columns),
                               std::move(values));
  return rows;
}

// Out: the precision the fit computes in (In, or double for float data with use_double).
// Features: MatrixView<const In> or CsrMatrixView<In>.
template <class Out, class In, class Features>
FitData<Out> prepare_fit_data(const Features& features, std::span<const std::int32_t> indices,
                              std::span<const In> sample_weight, double validation_fraction) {
  FitData<Out> data;
  if (validation_fraction > 0) {
    data.training = copy_rows<Out>(features, indices, sample_weight, validation_fraction,
                                   RowSelection::training);
    data.validation = copy_rows<Out>(features, indices, sample_weight, validation_fraction,
                                     RowSelection::held_out);
  } else if constexpr (std::is_same_v<Out, In>) {
    // No split and no conversion: train on the caller's data without copying it.
    if constexpr (std::is_same_v<Features, CsrMatrixView<In>>) {
      data.training.is_sparse = true;
      data.training.sparse_borrowed = features;
      data.training.sparse_is_borrowed = true;
    } else {
      data.training.borrowed = features;
    }
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
