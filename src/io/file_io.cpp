// Whole-file reading and gzip inflation; see file_io.hpp for the contract.
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "softmaxkit/error.hpp"

namespace softmaxkit::detail {
namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

class InflateStream {
 public:
  explicit InflateStream(const std::string& name) {
    // 16 + MAX_WBITS: accept the gzip wrapper only.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
      throw Error(name + ": cannot initialise gzip decompression");
    }
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  ~InflateStream() { inflateEnd(&stream_); }
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
};

}  // namespace

RegularFile::RegularFile(const std::string& path) : path_(path) {
  if (path.find('\0') != std::string::npos) {
    throw Error("cannot open '" + path + "': path contains a NUL character");
  }
  // O_NONBLOCK keeps open() from waiting for a writer when the path is a FIFO.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) {
    throw Error("cannot open '" + path + "': " + errno_text(errno));
  }
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int err = errno;
    ::close(fd_);
    throw Error("cannot stat '" + path + "': " + errno_text(err));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd_);
    throw Error("cannot read '" + path + "': it is " + file_kind(info.st_mode) +
                ", not a regular file");
  }
  size_ = info.st_size < 0 ? 0 : static_cast<std::uint64_t>(info.st_size);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t RegularFile::read(char* buffer, std::size_t count) {
  while (true) {
    const ssize_t got = ::read(fd_, buffer, count);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw Error("cannot read '" + path_ + "': " + errno_text(errno));
  }
}

void RegularFile::rewind() {
  if (::lseek(fd_, 0, SEEK_SET) != 0) {
    throw Error("cannot read '" + path_ + "': " + errno_text(errno));
  }
}

std::string read_whole_file(const std::string& path, std::size_t max_bytes) {
  RegularFile file(path);
  if (file.size() > max_bytes) {
    throw Error("cannot read '" + path + "': file size " + std::to_string(file.size()) +
                " bytes exceeds the limit of " + std::to_string(max_bytes) + " bytes");
  }
  std::string data;
  data.reserve(static_cast<std::size_t>(file.size()));
  char buffer[1 << 16];
  while (true) {
    const std::size_t got = file.read(buffer, sizeof buffer);
    if (got == 0) break;
    if (got > max_bytes - data.size()) {
      throw Error("cannot read '" + path + "': file grew beyond the limit of " +
                  std::to_string(max_bytes) + " bytes");
    }
    data.append(buffer, got);
  }
  return data;
}

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string read_text_file(const std::string& path, std::size_t max_bytes) {
  std::string raw = read_whole_file(path, max_bytes);
  if (!has_gzip_magic(raw)) return raw;
  // One byte past the limit tells a text of exactly max_bytes from a longer one.
  std::string text = gunzip(raw, max_bytes + 1, GunzipLimit::kStopAtLimit, path);
  if (text.size() > max_bytes) {
    throw Error(path + ": the gzip-compressed text inflates to more than " +
                std::to_string(max_bytes) + " bytes, the limit for an input file");
  }
  return text;
}

std::string gunzip(std::string_view compressed, std::size_t max_output, GunzipLimit limit,
                   const std::string& name_for_errors) {
  InflateStream inflater(name_for_errors);
  z_stream* zs = inflater.get();
  std::string out;
  std::size_t fed_until = 0;  // compressed bytes handed to zlib so far
  unsigned char buffer[1 << 16];
  while (true) {
    if (zs->avail_in == 0 && fed_until < compressed.size()) {
      const std::size_t chunk = std::min<std::size_t>(compressed.size() - fed_until, 1u << 30);
      zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + fed_until));
      zs->avail_in = static_cast<uInt>(chunk);
      fed_until += chunk;
    }
    zs->next_out = buffer;
    zs->avail_out = sizeof buffer;
    const int rc = inflate(zs, Z_NO_FLUSH);
    const std::size_t consumed = fed_until - zs->avail_in;
    if (rc != Z_OK && rc != Z_STREAM_END) {
      if (rc == Z_BUF_ERROR && consumed == compressed.size()) {
        throw Error(name_for_errors + ": gzip data truncated at compressed byte offset " +
                    std::to_string(consumed));
      }
      throw Error(name_for_errors + ": corrupt gzip data near compressed byte offset " +
                  std::to_string(consumed) + ": " + (zs->msg ? zs->msg : "inflate failed"));
    }
    const std::size_t produced = sizeof buffer - zs->avail_out;
    if (produced > max_output - out.size()) {
      if (limit == GunzipLimit::kStopAtLimit) {
        out.append(reinterpret_cast<const char*>(buffer), max_output - out.size());
        return out;
      }
      throw Error(name_for_errors + ": decompressed data exceeds the expected " +
                  std::to_string(max_output) +
                  " bytes (trailing data at decompressed byte offset " +
                  std::to_string(max_output) + ")");
    }
    out.append(reinterpret_cast<const char*>(buffer), produced);
    if (rc == Z_STREAM_END) {
      if (consumed == compressed.size()) return out;
      if (!has_gzip_magic(compressed.substr(consumed))) {
        throw Error(name_for_errors +
                    ": trailing bytes after gzip data at compressed byte offset " +
                    std::to_string(consumed));
      }
      inflateReset(zs);  // another concatenated gzip member follows
    }
  }
}

}  // namespace softmaxkit::detail
