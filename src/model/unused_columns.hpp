// CSR columns without a single entry in the rows a fit sees (training and held-out) leave the
// loss unchanged whatever their weights are: their gradient is the penalty's alone, so their
// optimum is 0 with a penalty (L2 or L1) and their start without one. Hashed features
// (scikit-learn's HashingVectorizer declares 2^20 columns) leave most columns empty: news20's
// rows spread over 2^20 columns took a fit 11 times as long and 9 times the memory as over its
// 62,061 columns, all of it in the solver's and the metric's K n-long vectors. So such a fit
// solves over the used columns only (renumbered in order, the caller's offsets and values
// borrowed) and writes those optima into the unused columns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "model/fit_checks.hpp"
#include "model/fit_data.hpp"
#include "softmaxkit/csr.hpp"

namespace softmaxkit::detail {

// The columns to keep (ascending) among those counted by `entries` (an entry count or flag per
// column): those with entries. Empty when that is every column, none, or when leaving the rest
// out would not pay for `classes` classes over `nnz` entries: it pays when their solver state
// (kStructuredBytesPerParameter per parameter, the least of the three solvers'; fit_checks.hpp)
// outweighs the renumbered copy of the column indices (4 bytes per entry; one empty column among
// 1000 over 9 M entries had made the peak 5 % higher, an audit). The fit then runs over every
// column.
template <class Count>
std::vector<std::int32_t> used_columns(std::span<const Count> entries, std::size_t classes,
                                       std::size_t nnz) {
  std::vector<std::int32_t> kept;
  for (std::size_t j = 0; j < entries.size(); ++j)
    if (entries[j] > 0) kept.push_back(static_cast<std::int32_t>(j));
  const long double left_out = static_cast<long double>(entries.size() - kept.size()) *
                               static_cast<long double>(classes) * kStructuredBytesPerParameter;
  if (kept.empty() || left_out < static_cast<long double>(nnz) * sizeof(std::int32_t)) kept.clear();
  return kept;
}

// x = [W (classes x features, row-major), b] -> the same over the `kept` columns.
inline std::vector<double> compress_columns(std::span<const double> x, std::size_t classes,
                                            std::size_t features,
                                            std::span<const std::int32_t> kept) {
  if (x.empty()) return {};
  const std::size_t used = kept.size();
  std::vector<double> out(classes * used + (x.size() - classes * features));
  for (std::size_t k = 0; k < classes; ++k) {
    const double* row = x.data() + k * features;
    double* to = out.data() + k * used;
    for (std::size_t j = 0; j < used; ++j) to[j] = row[static_cast<std::size_t>(kept[j])];
  }
  std::copy(x.begin() + static_cast<std::ptrdiff_t>(classes * features), x.end(),
            out.begin() + static_cast<std::ptrdiff_t>(classes * used));
  return out;
}

// The kept columns' values (and b) of a compressed x into a full one whose other columns already
// hold what they should.
inline void scatter_columns(std::span<const double> compressed, std::size_t classes,
                            std::size_t features, std::span<const std::int32_t> kept,
                            std::span<double> full) {
  const std::size_t used = kept.size();
  for (std::size_t k = 0; k < classes; ++k) {
    const double* from = compressed.data() + k * used;
    double* row = full.data() + k * features;
    for (std::size_t j = 0; j < used; ++j) row[static_cast<std::size_t>(kept[j])] = from[j];
  }
  std::copy(compressed.begin() + static_cast<std::ptrdiff_t>(classes * used), compressed.end(),
            full.begin() + static_cast<std::ptrdiff_t>(classes * features));
}

// Each of `features` columns' number among the `kept` ones (ascending), -1 if not kept.
inline std::vector<std::int32_t> renumbering(std::span<const std::int32_t> kept,
                                             std::size_t features) {
  std::vector<std::int32_t> renumber(features, -1);
  for (std::size_t j = 0; j < kept.size(); ++j)
    renumber[static_cast<std::size_t>(kept[j])] = static_cast<std::int32_t>(j);
  return renumber;
}

// CSR column indices (each of a kept column) through a renumbering.
inline std::vector<std::int32_t> renumber_columns(std::span<const std::int32_t> columns,
                                                  std::span<const std::int32_t> renumber) {
  std::vector<std::int32_t> out(columns.size());
  for (std::size_t e = 0; e < columns.size(); ++e)
    out[e] = renumber[static_cast<std::size_t>(columns[e])];
  return out;
}

template <class T>
struct UsedColumns {
  std::size_t features = 0;                                        // the data's columns
  std::vector<std::int32_t> kept;                                  // the used ones, ascending
  std::vector<std::int32_t> training_columns, validation_columns;  // renumbered entries
  FitData<T> data;  // the rows over the used columns only

  std::vector<double> compress(std::span<const double> x, std::size_t classes) const {
    return compress_columns(x, classes, features, kept);
  }
  void scatter(std::span<const double> compressed, std::size_t classes,
               std::span<double> full) const {
    scatter_columns(compressed, classes, features, kept, full);
  }
};

// `rows` over `used` columns through a renumbering, borrowing their offsets and values (`rows`
// must outlive the result); `columns` receives the renumbered indices.
template <class T>
Rows<T> renumbered_rows(const Rows<T>& rows, std::span<const std::int32_t> renumber,
                        std::size_t used, std::vector<std::int32_t>& columns) {
  const CsrMatrixView<T>& view = rows.sparse_view();
  columns = renumber_columns(view.column_indices(), renumber);
  Rows<T> out;
  out.is_sparse = true;
  out.rows = rows.rows;
  out.cols = used;
  out.sparse_borrowed =
      CsrMatrixView<T>(rows.rows, used, view.row_offsets(), columns, view.values());
  out.sparse_is_borrowed = true;
  out.labels = rows.labels;
  out.weights = rows.weights;
  return out;
}

// Null when every column is kept (or none is: the fit then runs as it is), else the rows over
// the kept columns: those with entries in data's rows and, with a penalty, those a warm start
// (x = [W, b], or empty) gives a nonzero weight, which the full fit would shrink step by step
// (a short warm fit must not zero them at once). data must outlive the result.
template <class T>
std::unique_ptr<UsedColumns<T>> drop_unused_columns(const FitData<T>& data,
                                                    std::span<const double> start,
                                                    std::size_t classes, bool penalised) {
  if (!data.training.is_sparse) return nullptr;
  const std::size_t features = data.training.cols;
  std::vector<std::uint8_t> entries(features, 0);  // 1: the column is kept
  std::size_t nnz = 0;
  for (const Rows<T>* rows : {&data.training, &data.validation}) {
    if (!rows->is_sparse || rows->rows == 0) continue;
    for (std::int32_t column : rows->sparse_view().column_indices())
      entries[static_cast<std::size_t>(column)] = 1;
    nnz += rows->sparse_view().column_indices().size();
  }
  if (penalised && start.size() >= classes * features) {
    for (std::size_t k = 0; k < classes; ++k)
      for (std::size_t j = 0; j < features; ++j)
        if (start[k * features + j] != 0) entries[j] = 1;
  }
  std::vector<std::int32_t> kept =
      used_columns(std::span<const std::uint8_t>(entries), classes, nnz);
  if (kept.empty()) return nullptr;
  auto result = std::make_unique<UsedColumns<T>>();
  result->features = features;
  result->kept = std::move(kept);
  result->data.grid_features = std::max(features, data.grid_features);
  const std::vector<std::int32_t> renumber = renumbering(result->kept, features);
  const std::size_t used = result->kept.size();
  result->data.training = renumbered_rows(data.training, renumber, used, result->training_columns);
  if (data.validation.is_sparse && data.validation.rows != 0) {
    result->data.validation =
        renumbered_rows(data.validation, renumber, used, result->validation_columns);
  }
  return result;
}

}  // namespace softmaxkit::detail
