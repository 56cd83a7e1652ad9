// IDX reader (the MNIST container format), plain or gzip-compressed.
//
// Contract: bytes 0-1 are zero, byte 2 is the element type (0x08 ubyte,
// 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64, all
// big-endian), byte 3 is the number of dimensions (>= 1), followed by that many
// big-endian uint32 dimensions (each >= 1) and exactly dim0 * ... * dimN
// elements: no truncation, no trailing bytes. rows = dim0, cols = product of
// the other dimensions. Floating-point data must be finite and fit in float;
// float labels must be integers in int32 range. scale_to_unit divides ubyte
// data by 255. A gzip file is inflated at most to the size its IDX header
// declares, so a gzip bomb cannot exhaust memory. Errors name the file and the
// byte offset (of the decompressed data for gzip files).
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "file_io.hpp"
#include "idx_header.hpp"
#include "number_text.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

namespace softmaxkit {
namespace {

using detail::IdxHeader;
using detail::kIdxMagicBytes;

enum ElementType : unsigned char {
  kUByte = 0x08,
  kSByte = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};

std::string at_offset(const std::string& name, std::size_t offset) {
  return name + ": byte offset " + std::to_string(offset) + ": ";
}

std::uint32_t load_be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint64_t load_be64(const unsigned char* p) {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

std::size_t element_size(unsigned char type) {
  switch (type) {
    case kUByte:
    case kSByte:
      return 1;
    case kInt16:
      return 2;
    case kInt32:
    case kFloat32:
      return 4;
    case kFloat64:
      return 8;
    default:
      return 0;
  }
}

std::string hex32(std::uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) text += digits[(value >> shift) & 0xF];
  return text;
}

// Returns the IDX bytes, inflating gzip input into `storage` no further than
// the size the IDX header declares.
std::string_view decompress_if_gzip(std::string_view raw, std::string& storage, std::string& name) {
  if (!detail::has_gzip_magic(raw)) return raw;
  const std::string gzip_name = name;
  name += " (decompressed)";
  const std::string prefix =
      detail::gunzip(raw, detail::kMaxIdxHeaderBytes, detail::GunzipLimit::kStopAtLimit, gzip_name);
  const IdxHeader header = detail::parse_idx_header(prefix, name);
  // The plain file's limit, in bytes: the header's 2^29 values are 4 GiB as float64, which a few
  // megabytes of gzip inflated in full.
  if (header.total_bytes() > detail::kMaxInputFileBytes) {
    throw Error(gzip_name + ": its header declares " + std::to_string(header.total_bytes()) +
                " bytes once inflated, beyond the limit of " +
                std::to_string(detail::kMaxInputFileBytes) + " bytes");
  }
  storage =
      detail::gunzip(raw, header.total_bytes(), detail::GunzipLimit::kThrowBeyondLimit, gzip_name);
  return storage;
}

// Parses and checks the header and that the data size matches it exactly.
IdxHeader parse_checked(std::string_view bytes, const std::string& name) {
  const IdxHeader header = detail::parse_idx_header(bytes, name);
  detail::check_idx_size(header, bytes.size(), name);
  return header;
}

// Reads element i as a double; exact for every IDX type.
double load_element(const unsigned char* data, unsigned char type, std::size_t i) {
  switch (type) {
    case kUByte:
      return data[i];
    case kSByte:
      return static_cast<std::int8_t>(data[i]);
    case kInt16:
      return static_cast<std::int16_t>(
          static_cast<std::uint16_t>((data[2 * i] << 8) | data[2 * i + 1]));
    case kInt32:
      return static_cast<std::int32_t>(load_be32(data + 4 * i));
    case kFloat32:
      return std::bit_cast<float>(load_be32(data + 4 * i));
    default:
      return std::bit_cast<double>(load_be64(data + 8 * i));
  }
}

Dataset parse_images(std::string_view raw, const IdxOptions& options, std::string name) {
  std::string storage;
  const std::string_view bytes = decompress_if_gzip(raw, storage, name);
  const IdxHeader header = parse_checked(bytes, name);
  Dataset result;
  result.rows = header.items;
  result.cols = header.values_per_item;
  const std::size_t count = result.rows * result.cols;
  result.features.resize(count);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data()) + header.header_bytes;
  if (header.type == kUByte) {
    const float scale = options.scale_to_unit ? 255.0f : 1.0f;
    for (std::size_t i = 0; i < count; ++i) result.features[i] = data[i] / scale;
    return result;
  }
  // Values from FLT_MAX up to (not including) FLT_MAX + half its ulp round to FLT_MAX, as the
  // text readers round them (3.4028235e38 was refused here); from there on they round to inf.
  constexpr double kFloatOverflow = 0x1.ffffffp+127;
  for (std::size_t i = 0; i < count; ++i) {
    const double value = load_element(data, header.type, i);
    if (!std::isfinite(value) || std::fabs(value) >= kFloatOverflow) {
      throw Error(at_offset(name, header.header_bytes + i * header.element_bytes) + "value " +
                  detail::shortest_number(value) + " is not a finite float");
    }
    result.features[i] = static_cast<float>(value);
  }
  return result;
}

std::vector<std::int32_t> parse_labels(std::string_view raw, std::string name) {
  std::string storage;
  const std::string_view bytes = decompress_if_gzip(raw, storage, name);
  const IdxHeader header = parse_checked(bytes, name);
  if (header.values_per_item != 1) {
    throw Error(at_offset(name, kIdxMagicBytes + 4) + "label file has " +
                std::to_string(header.values_per_item) +
                " values per item; expected one label per item");
  }
  std::vector<std::int32_t> labels(header.items);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data()) + header.header_bytes;
  for (std::size_t i = 0; i < header.items; ++i) {
    const double value = load_element(data, header.type, i);
    if (!(value == std::trunc(value) && value >= std::numeric_limits<std::int32_t>::min() &&
          value <= std::numeric_limits<std::int32_t>::max())) {
      throw Error(at_offset(name, header.header_bytes + i * header.element_bytes) + "label " +
                  detail::shortest_number(value) + " is not an integer in int32 range");
    }
    labels[i] = static_cast<std::int32_t>(value);
  }
  return labels;
}

Dataset combine(Dataset images, std::vector<std::int32_t> labels, const std::string& images_name,
                const std::string& labels_name) {
  if (labels.size() != images.rows) {
    throw Error(images_name + " has " + std::to_string(images.rows) + " items but " + labels_name +
                " has " + std::to_string(labels.size()) + " labels (byte offset 4: item count)");
  }
  images.labels = std::move(labels);
  return images;
}

}  // namespace

namespace detail {

IdxHeader parse_idx_header(std::string_view bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kIdxMagicBytes) {
    throw Error(at_offset(name, bytes.size()) + "truncated IDX header: file has " +
                std::to_string(bytes.size()) + " bytes, the magic number needs 4");
  }
  IdxHeader header;
  header.type = p[2];
  header.element_bytes = element_size(p[2]);
  if (p[0] != 0 || p[1] != 0 || header.element_bytes == 0) {
    throw Error(at_offset(name, 0) + "bad IDX magic number " + hex32(load_be32(p)) +
                " (expected 0x0000TTNN with type TT in 08 09 0b 0c 0d 0e)");
  }
  const std::size_t ndims = p[3];
  if (ndims == 0) {
    throw Error(at_offset(name, 3) + "IDX file declares zero dimensions");
  }
  header.header_bytes = kIdxMagicBytes + 4 * ndims;
  if (bytes.size() < header.header_bytes) {
    throw Error(at_offset(name, bytes.size()) + "truncated IDX header: " + std::to_string(ndims) +
                " dimensions need " + std::to_string(header.header_bytes) + " bytes, file has " +
                std::to_string(bytes.size()));
  }
  std::size_t values = 1;
  for (std::size_t d = 0; d < ndims; ++d) {
    const std::size_t offset = kIdxMagicBytes + 4 * d;
    const std::size_t dim = load_be32(p + offset);
    if (dim == 0) {
      throw Error(at_offset(name, offset) + "dimension " + std::to_string(d) + " is zero");
    }
    if (dim > kMaxIdxValues / values) {
      throw Error(at_offset(name, offset) + "dimensions multiply to more than " +
                  std::to_string(kMaxIdxValues) + " values (overflow guard)");
    }
    values *= dim;
    if (d == 0) header.items = dim;
  }
  header.values_per_item = values / header.items;
  header.data_bytes = values * header.element_bytes;  // <= 2^29 * 8: no overflow
  return header;
}

void check_idx_size(const IdxHeader& header, std::size_t size, const std::string& name) {
  if (size < header.total_bytes()) {
    throw Error(at_offset(name, size) + "truncated IDX data: header declares " +
                std::to_string(header.data_bytes) + " data bytes ending at byte offset " +
                std::to_string(header.total_bytes()) + ", file has " + std::to_string(size) +
                " bytes");
  }
  if (size > header.total_bytes()) {
    throw Error(at_offset(name, header.total_bytes()) +
                std::to_string(size - header.total_bytes()) + " trailing bytes after the IDX data");
  }
}

}  // namespace detail

Dataset parse_idx(std::string_view images_bytes, std::string_view labels_bytes,
                  const IdxOptions& options, const std::string& name_for_errors) {
  const std::string images_name = name_for_errors + " [images]";
  if (images_bytes.data() == nullptr && !images_bytes.empty()) {
    throw Error(name_for_errors + ": images_bytes is null but has " +
                std::to_string(images_bytes.size()) + " bytes");
  }
  if (labels_bytes.data() == nullptr && !labels_bytes.empty()) {
    throw Error(name_for_errors + ": labels_bytes is null but has " +
                std::to_string(labels_bytes.size()) + " bytes");
  }
  Dataset images = parse_images(images_bytes, options, images_name);
  if (labels_bytes.empty()) return images;
  const std::string labels_name = name_for_errors + " [labels]";
  return combine(std::move(images), parse_labels(labels_bytes, labels_name), images_name,
                 labels_name);
}

Dataset read_idx_images(const std::string& images_path, const IdxOptions& options) {
  return parse_images(detail::read_whole_file(images_path), options, images_path);
}

std::vector<std::int32_t> read_idx_labels(const std::string& labels_path) {
  return parse_labels(detail::read_whole_file(labels_path), labels_path);
}

Dataset read_idx(const std::string& images_path, const std::string& labels_path,
                 const IdxOptions& options) {
  // The images first (a function's arguments are evaluated in no set order): when both files are
  // malformed, the images' error is the one reported, as softmaxkit-mpi reports it.
  Dataset images = read_idx_images(images_path, options);
  return combine(std::move(images), read_idx_labels(labels_path), images_path, labels_path);
}

}  // namespace softmaxkit
