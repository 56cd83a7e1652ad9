// The IDX header and its size checks, shared by read_idx and softmaxkit-mpi's row reader (which
// reads a rank's rows only, and must refuse exactly the files read_idx refuses, with its
// messages). The format's contract is at the top of idx.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace softmaxkit::detail {

inline constexpr std::size_t kIdxMagicBytes = 4;
inline constexpr std::size_t kMaxIdxHeaderBytes = kIdxMagicBytes + 4 * 255;
// Largest element count accepted: 2^29 values, 2 GiB as float.
inline constexpr std::size_t kMaxIdxValues = std::size_t{1} << 29;

struct IdxHeader {
  unsigned char type = 0;
  std::size_t element_bytes = 0;
  std::size_t header_bytes = 0;
  std::size_t items = 0;            // dim0
  std::size_t values_per_item = 1;  // product of the other dimensions
  std::size_t data_bytes = 0;
  std::size_t total_bytes() const { return header_bytes + data_bytes; }
};

// Parses the header at the start of `bytes` (the file's first bytes, of the inflated data for a
// gzip file): magic number, element type, dimensions (none zero, their product at most
// kMaxIdxValues). Errors name `name` and the byte offset.
IdxHeader parse_idx_header(std::string_view bytes, const std::string& name);

// The file (its inflated data for gzip) holds `size` bytes: an Error unless exactly the header's
// total_bytes() (truncated data, or trailing bytes after the IDX data).
void check_idx_size(const IdxHeader& header, std::size_t size, const std::string& name);

}  // namespace softmaxkit::detail
