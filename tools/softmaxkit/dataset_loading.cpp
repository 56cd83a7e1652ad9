#include "dataset_loading.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "softmaxkit/error.hpp"

namespace softmaxkit::cli {

namespace {

Dataset load(const DataSource& source) {
  if (source.format == "idx") {
    IdxOptions options;
    options.scale_to_unit = source.scale;
    if (!source.labels_path.empty()) return read_idx(source.path, source.labels_path, options);
    if (!source.labels_needed) return read_idx_images(source.path, options);
    throw Error(
        "--format idx needs a labels file for " + source.path + " (" +
        (source.labels_option.empty() ? std::string("the labels option") : source.labels_option) +
        ")");
  }
  if (!source.labels_path.empty()) {
    throw Error("a separate labels file is only for --format idx (got " + source.labels_path + ")");
  }
  if (source.format == "csv") {
    CsvOptions options;
    options.label_column = source.label_column;
    options.has_labels = source.csv_labels;
    options.has_header = source.header;
    return read_csv(source.path, options);
  }
  throw Error("unknown --format '" + source.format + "' (expected idx, csv or libsvm)");
}

}  // namespace

LoadedData load_dataset(const DataSource& source) {
  // LibSVM: CSR, never densified (load refuses a labels file for it).
  if (source.format == "libsvm" && source.labels_path.empty()) {
    LibsvmOptions options;
    options.num_features = source.num_features;
    return {std::nullopt, read_libsvm_csr(source.path, options)};
  }
  Dataset data = load(source);
  // IDX float files can hold NaN or inf (and doubles can overflow float): the text readers
  // already refuse them. A fit on them could only stop with a NaN objective.
  for (std::size_t i = 0; i < data.features.size(); ++i) {
    if (!std::isfinite(data.features[i])) {
      throw Error(source.path + ": feature " + std::to_string(i % data.cols) + " of row " +
                  std::to_string(i / data.cols) + " is " + std::to_string(data.features[i]) +
                  " (the data must be finite)");
    }
  }
  return {std::move(data), std::nullopt};
}

std::optional<std::size_t> first_unknown_label(std::span<const std::int32_t> labels,
                                               std::span<const std::int32_t> classes) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (!std::binary_search(classes.begin(), classes.end(), labels[i])) return i;
  return std::nullopt;
}

std::string label_location(const DataSource& source, std::size_t row) {
  const std::string counted = std::to_string(row) + " (counted from 0)";
  if (source.format == "idx") return source.labels_path + ": item " + counted;
  try {
    if (source.format == "libsvm") return libsvm_label_location(source.path, row);
    CsvOptions options;
    options.label_column = source.label_column;
    options.has_header = source.header;
    return csv_label_location(source.path, row, options);
  } catch (const Error&) {
    return source.path + ": record " + counted;  // the file changed since it was read
  }
}

std::string describe_data(const DataSource& source, std::size_t rows, std::size_t cols,
                          std::optional<std::size_t> stored_values) {
  std::string text =
      source.path + " (" + std::to_string(rows) + " rows x " + std::to_string(cols) + " features";
  if (stored_values) {
    text += ", " + std::to_string(*stored_values) + " stored values, CSR";
    if (source.num_features != 0) text += ", --num-features " + std::to_string(source.num_features);
  }
  return text + ")";
}

}  // namespace softmaxkit::cli
