// Whole-file reading and gzip inflation shared by the dataset and model readers.
//
// Contract:
//  - read_whole_file accepts only regular files. Directories, FIFOs, sockets and
//    devices are rejected without blocking (the file is opened with O_NONBLOCK
//    and checked with fstat before any read). Files larger than max_bytes are
//    rejected. Every failure throws softmaxkit::Error naming the path.
//  - gunzip inflates one or more concatenated gzip members and never produces
//    more than max_output bytes: either it stops there (GunzipLimit::kStopAtLimit)
//    or throws (GunzipLimit::kThrowBeyondLimit). Corrupt, truncated or trailing
//    non-gzip data throws Error naming the compressed byte offset.
//  - read_text_file is read_whole_file, gzip inflated (the same size limit after inflation).
//  - RegularFile opens and checks a file as read_whole_file does, without the size limit, for a
//    reader that streams it (read_libsvm_csr on a plain file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace softmaxkit::detail {

// Largest file the readers load into memory (2 GiB).
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{1} << 31;

std::string read_whole_file(const std::string& path, std::size_t max_bytes = kMaxInputFileBytes);

// A regular file open for reading, checked as read_whole_file checks (not a directory, FIFO,
// socket or device; errors name the path), without a size limit: for readers that stream.
class RegularFile {
 public:
  explicit RegularFile(const std::string& path);
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();
  // Reads up to `count` bytes into `buffer`; 0 at the end of the file. Throws Error on a failure.
  std::size_t read(char* buffer, std::size_t count);
  // Back to the first byte.
  void rewind();
  // The size when opened (the file may change afterwards).
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

bool has_gzip_magic(std::string_view bytes);

// A text dataset (CSV, LibSVM): read_whole_file, inflated when it starts with the gzip magic
// bytes. The inflated text has the same limit as a plain file (max_bytes); beyond it, an Error
// naming the path and the limit. Line and column numbers in parse errors are the inflated text's.
std::string read_text_file(const std::string& path, std::size_t max_bytes = kMaxInputFileBytes);

enum class GunzipLimit { kStopAtLimit, kThrowBeyondLimit };

std::string gunzip(std::string_view compressed, std::size_t max_output, GunzipLimit limit,
                   const std::string& name_for_errors);

}  // namespace softmaxkit::detail
