// Versioned binary model file.
//
// Layout (version 1, all fields little-endian, no padding):
//   offset  size  field
//        0     8  magic "SMXKMODL"
//        8     4  uint32 version = 1
//       12     1  uint8 dtype: 1 = "float32", 2 = "float64"
//       13     1  uint8 fit_intercept: 0 or 1
//       14     2  uint16 reserved, 0
//       16     8  uint64 num_classes C (>= 1)
//       24     8  uint64 num_features F (>= 1)
//       32     8  float64 l2 (finite, >= 0)
//       40     8  float64 l1 (finite, >= 0)
//       48  4*C   int32 class_labels, strictly increasing
//            8*C*F float64 weights, class-major
//            8*C  float64 intercept (all zero when fit_intercept is 0)
//            4    uint32 CRC-32 (zlib crc32) of every byte before it
// Nothing may follow the checksum. Invalid contents throw softmaxkit::Error on
// save and on load (load errors name the file and the byte offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace softmaxkit {

struct ModelFileContents {
  std::string dtype{};  // "float32" or "float64": the data type the model was trained for
  std::size_t num_classes = 0, num_features = 0;
  double l2 = 0, l1 = 0;
  bool fit_intercept = true;
  std::vector<std::int32_t> class_labels{};  // num_classes entries, strictly increasing
  std::vector<double> weights{};             // num_classes * num_features, row-major (class-major)
  std::vector<double> intercept{};           // num_classes
};

// Writes atomically: a temporary file in the same directory is written,
// fsync'ed and renamed over `path`; on failure `path` is left untouched (but for an I/O error of
// the directory's fsync after the rename, reported with the new file in place). A new file has
// mode 0666 less the umask; a replaced one keeps its rwx bits (not setuid, setgid or sticky),
// and its temporary never has more than those read and write bits. Under a file-size limit
// the process should ignore SIGXFSZ, whose default action kills it mid-save.
void save_model_file(const std::string& path, const ModelFileContents& contents);
// Reads the 48-byte header first and refuses a file whose size disagrees with it before reading
// the rest (no other size limit: a file the header agrees with holds that model).
ModelFileContents load_model_file(const std::string& path);

std::string serialize_model(const ModelFileContents& contents);
ModelFileContents deserialize_model(std::string_view bytes, const std::string& name_for_errors);

}  // namespace softmaxkit
