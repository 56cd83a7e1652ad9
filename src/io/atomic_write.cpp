// Atomic file replacement: mkstemp in the target's directory, write, fsync,
// rename over the target, fsync the directory. See atomic_write.hpp.
#include "atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "softmaxkit/error.hpp"

namespace softmaxkit::detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw Error("cannot save '" + path + "': " + what + ": " + std::generic_category().message(err));
}

// Owns the temporary file until it has been renamed into place.
class TemporaryFile {
 public:
  TemporaryFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(name_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  // Closes the descriptor; returns 0 or an errno value.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void mark_renamed() { renamed_ = true; }

 private:
  std::string name_;
  int fd_;
  bool renamed_ = false;
};

void write_all(const std::string& path, int fd, std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write failed after " + std::to_string(written) + " bytes", errno);
    }
    written += static_cast<std::size_t>(n);
  }
}

void sync_directory(const std::string& path, const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open directory '" + directory + "' to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL); the rename is still done.
  if (rc != 0 && err != EINVAL) fail(path, "fsync of directory '" + directory + "'", err);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Error("cannot save '" + path + "': invalid path");
  }
  const std::filesystem::path target(path);
  const std::string file_name = target.filename().string();
  if (file_name.empty() || file_name == "." || file_name == "..") {
    throw Error("cannot save '" + path + "': path does not name a file");
  }
  std::string directory = target.parent_path().string();
  if (directory.empty()) directory = ".";
  std::string pattern = directory + "/." + file_name + ".tmp.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) fail(path, "cannot create a temporary file in '" + directory + "'", errno);
  TemporaryFile temporary(name.data(), fd);
  if (::fchmod(fd, 0644) != 0) fail(path, "fchmod of '" + temporary.name() + "'", errno);
  write_all(path, fd, bytes);
  if (::fsync(fd) != 0) fail(path, "fsync of '" + temporary.name() + "'", errno);
  if (const int err = temporary.close(); err != 0) {
    fail(path, "close of '" + temporary.name() + "'", err);
  }
  if (::rename(temporary.name().c_str(), path.c_str()) != 0) {
    fail(path, "rename from '" + temporary.name() + "'", errno);
  }
  temporary.mark_renamed();
  sync_directory(path, directory);
}

}  // namespace softmaxkit::detail
