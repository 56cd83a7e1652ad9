// Reading a run of rows of an IDX file without reading the others: plain files are seeked, gzip
// files are inflated as a stream and the rows before the run skipped (zlib's gzseek), so a rank's
// memory holds only its rows. ubyte images and labels (the MNIST layout); other element types are
// read whole by read_idx and cut (same values, more memory).
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/file_io.hpp"
#include "io/idx_header.hpp"
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
  // The checks read_idx makes on the whole file, without holding it: the header (none of its
  // dimensions zero, their product bounded), then the size of the data after it, which must be
  // exactly the header's (a header claiming 1.8 GB in a 1 KB file made every rank zero-fill its
  // share). A gzip file is inflated once for its size, no further than one byte beyond the
  // header's (with the gzip reader's checks: corrupt data, CRC, trailing bytes).
  const bool gzip = is_gzip_file(path);
  const std::string name = gzip ? path + " (decompressed)" : path;
  detail::StreamedTextFile file(path);
  const detail::TextSource source = file.source();
  std::string prefix(detail::kMaxIdxHeaderBytes, '\0');
  std::size_t size = 0;
  while (size < prefix.size()) {
    const std::size_t got = source.read(prefix.data() + size, prefix.size() - size);
    if (got == 0) break;
    size += got;
  }
  prefix.resize(size);
  const detail::IdxHeader header = detail::parse_idx_header(prefix, name);
  if (gzip) {
    std::vector<char> buffer(std::size_t{1} << 20);
    while (size <= header.total_bytes()) {
      const std::size_t got = source.read(buffer.data(), buffer.size());
      if (got == 0) break;
      size += got;
    }
    if (size > header.total_bytes()) {
      throw Error(path + ": decompressed data exceeds the expected " +
                  std::to_string(header.total_bytes()) +
                  " bytes (trailing data at decompressed byte offset " +
                  std::to_string(header.total_bytes()) + ")");
    }
  } else {
    size = static_cast<std::size_t>(std::filesystem::file_size(path));
  }
  detail::check_idx_size(header, size, name);
  IdxShape shape;
  shape.type = header.type;
  shape.header_bytes = header.header_bytes;
  shape.items = header.items;
  shape.values_per_item = header.values_per_item;
  return shape;
}

namespace {

// [first, first + count) within [0, items), without computing first + count (first = SIZE_MAX - 1
// wrapped it below items: header bytes came back as labels).
bool rows_within(std::size_t first, std::size_t count, std::size_t items) {
  return first <= items && count <= items - first;
}

std::string rows_text(std::size_t first, std::size_t count) {
  return "rows from " + std::to_string(first) + ", " + std::to_string(count) + " of them, are";
}

// Rows [first, first + count) of a labels file whose shape read_idx_shape gave (its checks, a
// gzip file's inflation among them, made once).
std::vector<std::int32_t> label_rows(const std::string& labels_path, const IdxShape& labels,
                                     std::size_t first, std::size_t count) {
  if (!rows_within(first, count, labels.items))
    throw Error(labels_path + ": " + rows_text(first, count) + " beyond its " +
                std::to_string(labels.items));
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

}  // namespace

Dataset read_idx_rows(const std::string& images_path, const std::string& labels_path, bool scale,
                      std::size_t first, std::size_t count) {
  const IdxShape images = read_idx_shape(images_path), labels = read_idx_shape(labels_path);
  check_idx_items(images_path, images, labels_path, labels);
  if (!rows_within(first, count, images.items))
    throw Error(images_path + ": " + rows_text(first, count) + " beyond its " +
                std::to_string(images.items));
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
  data.labels = label_rows(labels_path, labels, first, count);
  return data;
}

void check_idx_items(const std::string& images_path, const IdxShape& images,
                     const std::string& labels_path, const IdxShape& labels) {
  if (images.items != labels.items)
    throw Error(images_path + " has " + std::to_string(images.items) + " items but " + labels_path +
                " has " + std::to_string(labels.items) + " labels (byte offset 4: item count)");
}

std::vector<std::int32_t> read_idx_label_rows(const std::string& labels_path, std::size_t first,
                                              std::size_t count) {
  return label_rows(labels_path, read_idx_shape(labels_path), first, count);
}

}  // namespace softmaxkit::mpi
