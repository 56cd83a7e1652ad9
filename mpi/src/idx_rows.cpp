// Reading a run of rows of an IDX file without reading the others: plain files are seeked, gzip
// files are inflated as a stream and the rows before the run skipped (zlib's gzseek), so a rank's
// memory holds only its rows. ubyte images and labels (the MNIST layout); other element types are
// read whole by read_idx and cut (same values, more memory).
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/mpi.hpp"

namespace softmaxkit::mpi {
namespace {

struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

GzFile open(const std::string& path) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw Error(path + ": cannot open");
  gzbuffer(file.get(), 1 << 17);
  return file;
}

void read_exactly(gzFile file, void* out, std::size_t bytes, const std::string& path,
                  std::size_t offset) {
  unsigned char* p = static_cast<unsigned char*>(out);
  while (bytes > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes, 1u << 30));
    const int got = gzread(file, p, chunk);
    if (got <= 0)
      throw Error(path + ": byte offset " + std::to_string(offset) +
                  ": the file ends early (truncated IDX data)");
    p += got;
    offset += static_cast<std::size_t>(got);
    bytes -= static_cast<std::size_t>(got);
  }
}

}  // namespace

IdxShape read_idx_shape(const std::string& path) {
  GzFile file = open(path);
  unsigned char magic[4];
  read_exactly(file.get(), magic, 4, path, 0);
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0)
    throw Error(path + ": byte offset 0: not an IDX file (bad magic number)");
  IdxShape shape;
  shape.type = magic[2];
  shape.header_bytes = 4 + 4 * std::size_t{magic[3]};
  shape.values_per_item = 1;
  for (unsigned d = 0; d < magic[3]; ++d) {
    unsigned char be[4];
    read_exactly(file.get(), be, 4, path, 4 + 4 * d);
    const std::size_t dim = (std::size_t{be[0]} << 24) | (std::size_t{be[1]} << 16) |
                            (std::size_t{be[2]} << 8) | std::size_t{be[3]};
    if (d == 0) {
      shape.items = dim;
    } else {
      shape.values_per_item *= dim;
    }
  }
  return shape;
}

Dataset read_idx_rows(const std::string& images_path, const std::string& labels_path, bool scale,
                      std::size_t first, std::size_t count) {
  const IdxShape images = read_idx_shape(images_path), labels = read_idx_shape(labels_path);
  if (images.items != labels.items)
    throw Error(images_path + " has " + std::to_string(images.items) + " items but " + labels_path +
                " has " + std::to_string(labels.items) + " labels (byte offset 4: item count)");
  if (first + count > images.items)
    throw Error(images_path + ": rows [" + std::to_string(first) + ", " +
                std::to_string(first + count) + ") beyond its " + std::to_string(images.items));
  Dataset data;
  if (images.type != 0x08 || labels.type != 0x08 || labels.values_per_item != 1) {
    IdxOptions options;
    options.scale_to_unit = scale;
    Dataset all = read_idx(images_path, labels_path, options);
    data.rows = count;
    data.cols = all.cols;
    data.features.assign(
        all.features.begin() + static_cast<std::ptrdiff_t>(first * all.cols),
        all.features.begin() + static_cast<std::ptrdiff_t>((first + count) * all.cols));
    data.labels.assign(all.labels.begin() + static_cast<std::ptrdiff_t>(first),
                       all.labels.begin() + static_cast<std::ptrdiff_t>(first + count));
    return data;
  }
  data.rows = count;
  data.cols = images.values_per_item;
  const std::size_t bytes = count * data.cols;
  std::vector<unsigned char> raw(bytes);
  {
    GzFile file = open(images_path);
    const std::size_t offset = images.header_bytes + first * data.cols;
    if (gzseek(file.get(), static_cast<z_off_t>(offset), SEEK_SET) < 0)
      throw Error(images_path + ": cannot seek to byte offset " + std::to_string(offset));
    read_exactly(file.get(), raw.data(), bytes, images_path, offset);
  }
  // As read_idx: ubyte / 255 in float (or the raw value).
  const float divisor = scale ? 255.0f : 1.0f;
  data.features.resize(bytes);
  for (std::size_t i = 0; i < bytes; ++i) data.features[i] = raw[i] / divisor;
  data.labels = read_idx_label_rows(labels_path, first, count);
  return data;
}

std::vector<std::int32_t> read_idx_label_rows(const std::string& labels_path, std::size_t first,
                                              std::size_t count) {
  const IdxShape labels = read_idx_shape(labels_path);
  if (first + count > labels.items)
    throw Error(labels_path + ": rows [" + std::to_string(first) + ", " +
                std::to_string(first + count) + ") beyond its " + std::to_string(labels.items));
  if (labels.type != 0x08 || labels.values_per_item != 1) {
    const std::vector<std::int32_t> all = read_idx_labels(labels_path);
    return {all.begin() + static_cast<std::ptrdiff_t>(first),
            all.begin() + static_cast<std::ptrdiff_t>(first + count)};
  }
  std::vector<unsigned char> raw(count);
  GzFile file = open(labels_path);
  const std::size_t offset = labels.header_bytes + first;
  if (gzseek(file.get(), static_cast<z_off_t>(offset), SEEK_SET) < 0)
    throw Error(labels_path + ": cannot seek to byte offset " + std::to_string(offset));
  read_exactly(file.get(), raw.data(), count, labels_path, offset);
  return {raw.begin(), raw.end()};
}

}  // namespace softmaxkit::mpi
