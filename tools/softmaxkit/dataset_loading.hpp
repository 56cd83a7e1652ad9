// Reads a data set in the format named on the command line: LibSVM files as CSR (never
// densified, memory by stored entries), IDX and CSV dense.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/data.hpp"

namespace softmaxkit::cli {

struct DataSource {
  std::string format;            // idx | csv | libsvm
  std::string path;              // images (idx) or the whole data set
  std::string labels_path;       // idx only
  bool labels_needed = true;     // idx: false for predict, which reads the images alone
  bool scale = true;             // idx: uint8 / 255
  int label_column = 0;          // csv
  bool csv_labels = true;        // csv: false for predict --no-labels (every field a feature)
  bool header = false;           // csv
  std::size_t num_features = 0;  // libsvm: 0 infers
  std::string labels_option;     // idx: the option naming labels_path, for messages
};

// Exactly one of dense and sparse is set.
struct LoadedData {
  std::optional<Dataset> dense;
  std::optional<SparseDataset> sparse;

  std::size_t rows() const { return sparse ? sparse->features.rows() : dense->rows; }
  std::size_t cols() const { return sparse ? sparse->features.cols() : dense->cols; }
  const std::vector<std::int32_t>& labels() const {
    return sparse ? sparse->labels : dense->labels;
  }
};

// Throws Error naming the file when the data hold NaN or infinity (possible in IDX float files;
// the text readers refuse them).
LoadedData load_dataset(const DataSource& source);

// The first row whose label is not one of `classes` (sorted ascending), if any.
std::optional<std::size_t> first_unknown_label(std::span<const std::int32_t> labels,
                                               std::span<const std::int32_t> classes);

// Where row `row`'s label is, for messages: "FILE:LINE:COLUMN" in a CSV or LibSVM file (read
// again up to that record: the rows the readers return skip blank, comment and header lines),
// "LABELS_FILE: item R (counted from 0)" for IDX.
std::string label_location(const DataSource& source, std::size_t row);

// "FILE (R rows x C features[, N stored values, CSR[, --num-features F]])": how the commands'
// messages about a whole data set name it (stored_values: CSR data's entry count).
std::string describe_data(const DataSource& source, std::size_t rows, std::size_t cols,
                          std::optional<std::size_t> stored_values);

}  // namespace softmaxkit::cli
