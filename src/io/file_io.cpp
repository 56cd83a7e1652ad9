// Whole-file reading and streamed gzip inflation; see file_io.hpp for the contract.
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <utility>

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

struct GzipReader::Stream {
  explicit Stream(const std::string& name) {
    // 16 + MAX_WBITS: accept the gzip wrapper only.
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
      throw Error(name + ": cannot initialise gzip decompression");
    }
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { inflateEnd(&z); }
  z_stream z{};
};

GzipReader::GzipReader(std::string name, Source source)
    : name_(std::move(name)),
      source_(std::move(source)),
      stream_(std::make_unique<Stream>(name_)),
      input_(std::size_t{1} << 16) {}

GzipReader::~GzipReader() = default;

bool GzipReader::refill() {
  z_stream& zs = stream_->z;
  const std::size_t kept = zs.avail_in;
  if (kept != 0) std::memmove(input_.data(), zs.next_in, kept);
  const std::size_t got = source_(input_.data() + kept, input_.size() - kept);
  fed_ += got;
  zs.next_in = reinterpret_cast<Bytef*>(input_.data());
  zs.avail_in = static_cast<uInt>(kept + got);
  return got != 0;
}

std::size_t GzipReader::read(char* buffer, std::size_t count) {
  z_stream& zs = stream_->z;
  while (!finished_ && count != 0) {
    if (member_ended_) {
      // Another member or the end: the next two bytes tell.
      while (zs.avail_in < 2 && refill()) {
      }
      if (zs.avail_in == 0) {
        finished_ = true;
        break;
      }
      if (!has_gzip_magic(
              std::string_view(reinterpret_cast<const char*>(zs.next_in), zs.avail_in))) {
        throw Error(name_ + ": trailing bytes after gzip data at compressed byte offset " +
                    std::to_string(fed_ - zs.avail_in));
      }
      inflateReset(&zs);
      member_ended_ = false;
    }
    if (zs.avail_in == 0) refill();  // at the source's end zlib may still hold output
    const std::size_t asked = std::min<std::size_t>(count, std::size_t{1} << 30);
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = static_cast<uInt>(asked);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {  // no progress: the member needs more input
      throw Error(name_ + ": gzip data truncated at compressed byte offset " +
                  std::to_string(fed_));
    }
    if (rc != Z_OK && rc != Z_STREAM_END) {
      throw Error(name_ + ": corrupt gzip data near compressed byte offset " +
                  std::to_string(fed_ - zs.avail_in) + ": " + (zs.msg ? zs.msg : "inflate failed"));
    }
    member_ended_ = rc == Z_STREAM_END;
    const std::size_t produced = asked - zs.avail_out;
    if (produced != 0) return produced;
  }
  return 0;
}

GzipFile::GzipFile(RegularFile& file) : file_(file) {
  rewind();
}

StreamedTextFile::StreamedTextFile(const std::string& path) : file_(path) {
  char magic[2] = {};
  const std::size_t got = file_.read(magic, 1);
  const std::size_t more = got == 1 ? file_.read(magic + 1, 1) : 0;
  if (has_gzip_magic(std::string_view(magic, got + more))) gzip_.emplace(file_);
  file_.rewind();
  if (gzip_) gzip_->rewind();
}

TextSource StreamedTextFile::source() {
  if (gzip_) {
    return {[this](char* into, std::size_t count) { return gzip_->read(into, count); },
            [this] { gzip_->rewind(); }};
  }
  return {[this](char* into, std::size_t count) { return file_.read(into, count); },
          [this] { file_.rewind(); }};
}

std::uint64_t memory_for_reading() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0
             ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
             : UINT64_MAX;
}

void GzipFile::rewind() {
  file_.rewind();
  reader_ = std::make_unique<GzipReader>(
      file_.path(), [this](char* into, std::size_t count) { return file_.read(into, count); });
}

std::string gunzip(std::string_view compressed, std::size_t max_output, GunzipLimit limit,
                   const std::string& name_for_errors) {
  std::size_t position = 0;
  GzipReader reader(name_for_errors, [&](char* into, std::size_t count) {
    const std::size_t n = std::min(count, compressed.size() - position);
    if (n != 0) std::memcpy(into, compressed.data() + position, n);
    position += n;
    return n;
  });
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const std::size_t produced = reader.read(buffer, sizeof buffer);
    if (produced == 0) return out;
    if (produced > max_output - out.size()) {
      if (limit == GunzipLimit::kStopAtLimit) {
        out.append(buffer, max_output - out.size());
        return out;
      }
      throw Error(name_for_errors + ": decompressed data exceeds the expected " +
                  std::to_string(max_output) +
                  " bytes (trailing data at decompressed byte offset " +
                  std::to_string(max_output) + ")");
    }
    out.append(buffer, produced);
  }
}

}  // namespace softmaxkit::detail
