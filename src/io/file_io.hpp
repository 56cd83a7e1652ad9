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
//  - RegularFile opens and checks a file as read_whole_file does, without the size limit, for a
//    reader that streams it (read_libsvm_csr).
//  - GzipReader inflates what a source of compressed bytes yields, piece by piece, with gunzip's
//    members and errors (gunzip is a GzipReader over a string); GzipFile is one over a
//    RegularFile, so a streaming reader holds neither the compressed nor the inflated text whole.
//  - StreamedTextFile is a RegularFile, or a GzipFile over it when it starts with gzip's magic
//    bytes, read as a TextSource: what the streaming readers (read_csv, read_libsvm,
//    read_libsvm_csr) read, twice (read_counted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text_pieces.hpp"

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

// Inflates one or more concatenated gzip members from `source` (source(buffer, count) gives up to
// count compressed bytes, 0 at the end). Errors name `name` and the compressed byte offset: data
// that ends inside a member ("truncated"), corrupt data, and bytes after a member that do not
// start another ("trailing bytes").
class GzipReader {
 public:
  using Source = std::function<std::size_t(char*, std::size_t)>;
  GzipReader(std::string name, Source source);
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;
  ~GzipReader();
  // Inflates up to `count` bytes into `buffer`; 0 only at the end of the last member.
  std::size_t read(char* buffer, std::size_t count);

 private:
  // Moves the unread compressed bytes to the front of input_ and appends what the source gives;
  // false when it gives nothing.
  bool refill();

  struct Stream;
  std::string name_;
  Source source_;
  std::unique_ptr<Stream> stream_;
  std::vector<char> input_;
  std::uint64_t fed_ = 0;  // compressed bytes taken from the source
  bool member_ended_ = false, finished_ = false;
};

// A gzip-compressed RegularFile, inflated piece by piece by a GzipReader from its first byte. The
// file is the caller's, already open (the reader that found the magic bytes reads the same file),
// and must outlive this.
class GzipFile {
 public:
  explicit GzipFile(RegularFile& file);
  // Inflated bytes, as GzipReader::read.
  std::size_t read(char* buffer, std::size_t count) { return reader_->read(buffer, count); }
  // Back to the first inflated byte (the file is read and inflated again).
  void rewind();
  const std::string& path() const { return file_.path(); }

 private:
  RegularFile& file_;
  std::unique_ptr<GzipReader> reader_;
};

// A text file read as a stream (the streaming readers read it twice): a RegularFile, inflated on
// the fly (a GzipFile) when it starts with gzip's magic bytes; line numbers are then the inflated
// text's. The source it gives reads this object, which must outlive it.
class StreamedTextFile {
 public:
  explicit StreamedTextFile(const std::string& path);
  StreamedTextFile(const StreamedTextFile&) = delete;
  StreamedTextFile& operator=(const StreamedTextFile&) = delete;
  TextSource source();

 private:
  RegularFile file_;
  std::optional<GzipFile> gzip_;  // over file_
};

// The streaming readers' two passes over a file: it is opened (StreamedTextFile), check() runs
// (the options, before a byte is read), the text is counted (count_text), then
// parse(source, counts) rewinds it and parses it in pieces. Neither pass holds the text whole.
template <class Check, class Parse>
auto read_counted(const std::string& path, Check&& check, Parse&& parse) {
  StreamedTextFile file(path);
  check();
  const TextSource source = file.source();
  const TextCounts counts = count_text(source.read);
  return parse(source, counts);
}

// The machine's physical memory in bytes (UINT64_MAX when unknown): what a streaming reader's
// values may take. (kernels/loss's physical_memory_bytes() reads the same; that layer stands on
// this one, so the io layer asks sysconf itself.)
std::uint64_t memory_for_reading();

enum class GunzipLimit { kStopAtLimit, kThrowBeyondLimit };

std::string gunzip(std::string_view compressed, std::size_t max_output, GunzipLimit limit,
                   const std::string& name_for_errors);

}  // namespace softmaxkit::detail
