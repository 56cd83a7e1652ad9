// Model file format, version 1: serialization, validation and checked
// parsing. The byte layout is documented in include/softmaxkit/model_file.hpp.
#include "softmaxkit/model_file.hpp"

#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "atomic_write.hpp"
#include "file_io.hpp"
#include "softmaxkit/error.hpp"

namespace softmaxkit {
namespace {

constexpr char kMagic[8] = {'S', 'M', 'X', 'K', 'M', 'O', 'D', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kFixedHeaderBytes = 48;
constexpr std::size_t kChecksumBytes = 4;
constexpr std::uint8_t kDtypeFloat32 = 1;
constexpr std::uint8_t kDtypeFloat64 = 2;

std::uint32_t checksum(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (!bytes.empty()) {
    const std::size_t chunk = std::min<std::size_t>(bytes.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(chunk));
    bytes.remove_prefix(chunk);
  }
  return static_cast<std::uint32_t>(crc);
}

// --- writing -----------------------------------------------------------------

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void put_double(std::string& out, double value) {
  put_le(out, std::bit_cast<std::uint64_t>(value), 8);
}

// --- reading -----------------------------------------------------------------

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  std::size_t offset() const { return offset_; }
  // Callers have checked the total length, so reads stay in bounds.
  std::uint64_t le(std::size_t count) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(bytes_[offset_ + i])} << (8 * i);
    }
    offset_ += count;
    return value;
  }
  double f64() { return std::bit_cast<double>(le(8)); }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

std::string at(const std::string& name, std::size_t offset) {
  return name + ": byte offset " + std::to_string(offset) + ": ";
}

// Byte size of a file with these dimensions, or 0 if it would overflow.
std::size_t file_size_for(std::uint64_t classes, std::uint64_t features) {
  // Keeps 8 * weights + 12 * classes + 52 far below SIZE_MAX (classes <= weights).
  constexpr std::uint64_t kMax = std::numeric_limits<std::size_t>::max() / 32;
  if (classes == 0 || features == 0 || classes > kMax || features > kMax / classes) return 0;
  const std::uint64_t weights = classes * features;
  if (weights > kMax) return 0;
  return kFixedHeaderBytes + 4 * classes + 8 * weights + 8 * classes + kChecksumBytes;
}

void validate(const ModelFileContents& m, const std::string& context) {
  auto bad = [&](const std::string& why) { throw Error(context + ": invalid model: " + why); };
  if (m.dtype != "float32" && m.dtype != "float64") {
    bad("dtype '" + m.dtype + "' is not \"float32\" or \"float64\"");
  }
  if (m.num_classes == 0) bad("num_classes is 0");
  if (m.num_features == 0) bad("num_features is 0");
  if (file_size_for(m.num_classes, m.num_features) == 0) bad("dimensions are too large");
  if (m.class_labels.size() != m.num_classes) {
    bad(std::to_string(m.class_labels.size()) + " class labels for " +
        std::to_string(m.num_classes) + " classes");
  }
  for (std::size_t k = 1; k < m.class_labels.size(); ++k) {
    if (m.class_labels[k] <= m.class_labels[k - 1]) {
      bad("class labels are not strictly increasing at index " + std::to_string(k));
    }
  }
  if (m.weights.size() != m.num_classes * m.num_features) {
    bad(std::to_string(m.weights.size()) + " weights for " + std::to_string(m.num_classes) + " x " +
        std::to_string(m.num_features));
  }
  if (m.intercept.size() != m.num_classes) {
    bad(std::to_string(m.intercept.size()) + " intercepts for " + std::to_string(m.num_classes) +
        " classes");
  }
  if (!std::isfinite(m.l2) || m.l2 < 0) bad("l2 must be finite and >= 0");
  if (!std::isfinite(m.l1) || m.l1 < 0) bad("l1 must be finite and >= 0");
  for (std::size_t i = 0; i < m.weights.size(); ++i) {
    if (!std::isfinite(m.weights[i])) bad("weight " + std::to_string(i) + " is not finite");
  }
  for (std::size_t k = 0; k < m.intercept.size(); ++k) {
    if (!std::isfinite(m.intercept[k])) bad("intercept " + std::to_string(k) + " is not finite");
    if (!m.fit_intercept && m.intercept[k] != 0) {
      bad("intercept " + std::to_string(k) + " is non-zero but fit_intercept is false");
    }
  }
}

}  // namespace

std::string serialize_model(const ModelFileContents& m) {
  validate(m, "serialize_model");
  std::string out;
  out.reserve(file_size_for(m.num_classes, m.num_features));
  out.append(kMagic, sizeof kMagic);
  put_le(out, kVersion, 4);
  put_le(out, m.dtype == "float32" ? kDtypeFloat32 : kDtypeFloat64, 1);
  put_le(out, m.fit_intercept ? 1 : 0, 1);
  put_le(out, 0, 2);
  put_le(out, m.num_classes, 8);
  put_le(out, m.num_features, 8);
  put_double(out, m.l2);
  put_double(out, m.l1);
  for (const std::int32_t label : m.class_labels) put_le(out, static_cast<std::uint32_t>(label), 4);
  for (const double w : m.weights) put_double(out, w);
  for (const double b : m.intercept) put_double(out, b);
  put_le(out, checksum(out), 4);
  return out;
}

namespace {

// The checks of the fixed header against the file's total size, from its first bytes alone
// (`head`: at least min(total, kFixedHeaderBytes) of them): the magic, the minimum length, the
// version and the dimensions' size against `total`. Returns that size. load_model_file runs
// them before reading the rest, so a file's own header never makes it read more.
std::size_t check_header(std::string_view head, std::size_t total, const std::string& name) {
  const std::size_t magic_checked = std::min(total, sizeof kMagic);
  if (magic_checked == 0 || std::memcmp(head.data(), kMagic, magic_checked) != 0) {
    throw Error(at(name, 0) + "not a softmaxkit model file (bad magic)");
  }
  if (total < kFixedHeaderBytes + kChecksumBytes) {
    throw Error(at(name, total) + "truncated: " + std::to_string(total) +
                " bytes is shorter than the " + std::to_string(kFixedHeaderBytes + kChecksumBytes) +
                "-byte minimum");
  }
  ByteReader in(head);
  in.le(8);
  const std::uint64_t version = in.le(4);
  if (version != kVersion) {
    throw Error(at(name, 8) + "unsupported model file version " + std::to_string(version) +
                " (this library reads version " + std::to_string(kVersion) + ")");
  }
  in.le(4);  // dtype, fit_intercept, reserved: checked after the checksum
  const std::uint64_t classes = in.le(8);
  const std::uint64_t features = in.le(8);
  // Check the declared sizes against the real length before allocating anything.
  const std::size_t expected = file_size_for(classes, features);
  if (expected == 0) {
    throw Error(at(name, 16) + "invalid dimensions " + std::to_string(classes) + " classes x " +
                std::to_string(features) + " features");
  }
  if (total < expected) {
    throw Error(at(name, total) + "truncated: dimensions " + std::to_string(classes) + " x " +
                std::to_string(features) + " need " + std::to_string(expected) +
                " bytes, file has " + std::to_string(total));
  }
  if (total > expected) {
    throw Error(at(name, expected) + std::to_string(total - expected) +
                " trailing bytes after the checksum");
  }
  return expected;
}

}  // namespace

ModelFileContents deserialize_model(std::string_view bytes, const std::string& name) {
  if (bytes.data() == nullptr && !bytes.empty()) {
    throw Error(name + ": bytes is null but has " + std::to_string(bytes.size()) + " bytes");
  }
  const std::size_t expected = check_header(bytes, bytes.size(), name);
  ByteReader in(bytes);
  in.le(8);  // the magic and the version, checked
  in.le(4);
  const std::uint64_t dtype = in.le(1);
  const std::uint64_t fit_intercept = in.le(1);
  const std::uint64_t reserved = in.le(2);
  const std::uint64_t classes = in.le(8);
  const std::uint64_t features = in.le(8);
  const std::size_t crc_offset = expected - kChecksumBytes;
  ByteReader crc_in(bytes.substr(crc_offset));
  if (crc_in.le(4) != checksum(bytes.substr(0, crc_offset))) {
    throw Error(at(name, crc_offset) + "checksum mismatch: the file is corrupt");
  }
  if (dtype != kDtypeFloat32 && dtype != kDtypeFloat64) {
    throw Error(at(name, 12) + "unknown dtype code " + std::to_string(dtype));
  }
  if (fit_intercept > 1) {
    throw Error(at(name, 13) + "fit_intercept flag " + std::to_string(fit_intercept) +
                " is not 0 or 1");
  }
  if (reserved != 0) throw Error(at(name, 14) + "reserved field is not zero");
  ModelFileContents m;
  m.dtype = dtype == kDtypeFloat32 ? "float32" : "float64";
  m.fit_intercept = fit_intercept == 1;
  m.num_classes = static_cast<std::size_t>(classes);
  m.num_features = static_cast<std::size_t>(features);
  std::size_t offset = in.offset();
  m.l2 = in.f64();
  m.l1 = in.f64();
  if (!std::isfinite(m.l2) || m.l2 < 0) throw Error(at(name, offset) + "l2 is not finite and >= 0");
  if (!std::isfinite(m.l1) || m.l1 < 0) {
    throw Error(at(name, offset + 8) + "l1 is not finite and >= 0");
  }
  m.class_labels.resize(m.num_classes);
  for (std::size_t k = 0; k < m.num_classes; ++k) {
    offset = in.offset();
    m.class_labels[k] = static_cast<std::int32_t>(static_cast<std::uint32_t>(in.le(4)));
    if (k > 0 && m.class_labels[k] <= m.class_labels[k - 1]) {
      throw Error(at(name, offset) + "class labels are not strictly increasing");
    }
  }
  auto read_finite = [&](std::vector<double>& values, std::size_t count, const char* what) {
    values.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      offset = in.offset();
      values[i] = in.f64();
      if (!std::isfinite(values[i])) {
        throw Error(at(name, offset) + what + " " + std::to_string(i) + " is not finite");
      }
    }
  };
  read_finite(m.weights, m.num_classes * m.num_features, "weight");
  read_finite(m.intercept, m.num_classes, "intercept");
  if (!m.fit_intercept) {
    for (std::size_t k = 0; k < m.num_classes; ++k) {
      if (m.intercept[k] != 0) {
        throw Error(at(name, crc_offset - 8 * (m.num_classes - k)) + "intercept " +
                    std::to_string(k) + " is non-zero but fit_intercept is 0");
      }
    }
  }
  return m;
}

void save_model_file(const std::string& path, const ModelFileContents& contents) {
  std::string bytes;
  try {
    bytes = serialize_model(contents);
  } catch (const Error& e) {
    throw Error("cannot save '" + path + "': " + e.what());
  }
  detail::write_file_atomically(path, bytes);
}

ModelFileContents load_model_file(const std::string& path) {
  // The header is checked against the file's size before the rest is read: a large file that is
  // no model, or whose size disagrees with its dimensions, is refused having read 48 bytes.
  // A file the header agrees with is as large as the model it holds, so no other limit applies.
  detail::RegularFile file(path);
  const std::uint64_t size = file.size();
  if (size > std::numeric_limits<std::size_t>::max() / 2) {
    throw Error("cannot read '" + path + "': file size " + std::to_string(size) +
                " bytes is too large to load");
  }
  std::string bytes(static_cast<std::size_t>(std::min<std::uint64_t>(size, kFixedHeaderBytes)),
                    '\0');
  auto read_into = [&](std::size_t from) {
    while (from < bytes.size()) {
      const std::size_t got = file.read(bytes.data() + from, bytes.size() - from);
      if (got == 0) {
        throw Error(at(path, from) + "truncated: the file ended there, of the " +
                    std::to_string(size) + " bytes it had when opened (did it change while " +
                    "it was read?)");
      }
      from += got;
    }
  };
  read_into(0);
  const std::size_t expected = check_header(bytes, static_cast<std::size_t>(size), path);
  const std::size_t head = bytes.size();
  try {
    bytes.resize(expected);
    read_into(head);
    char extra = 0;
    if (file.read(&extra, 1) != 0) {
      throw Error(at(path, size) + "the file grew beyond the " + std::to_string(size) +
                  " bytes it had when opened (did it change while it was read?)");
    }
    return deserialize_model(bytes, path);
  } catch (const std::bad_alloc&) {
    // A header that agrees with the file's (apparent) size: a sparse file can claim any size.
    throw Error("cannot load '" + path + "': its model of " + std::to_string(expected) +
                " bytes (twice that while it is read) does not fit in memory");
  }
}

}  // namespace softmaxkit
