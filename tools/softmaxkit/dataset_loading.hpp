// Reads a data set in the format named on the command line.
#pragma once

#include <string>

#include "softmaxkit/data.hpp"

namespace softmaxkit::cli {

struct DataSource {
  std::string format;       // idx | csv | libsvm
  std::string path;         // images (idx) or the whole data set
  std::string labels_path;  // idx only
  bool scale = true;        // idx: uint8 / 255
  int label_column = 0;     // csv
  bool header = false;      // csv
  std::size_t num_features = 0;  // libsvm: 0 infers
};

// Throws Error naming the file when the data hold NaN or infinity (possible in IDX float files).
Dataset load_dataset(const DataSource& source);

}  // namespace softmaxkit::cli
