// Atomic file replacement: a new temporary in the target's directory, write, fsync, rename over
// the target, fsync the directory. See atomic_write.hpp.
#include "atomic_write.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <system_error>

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

constexpr char kSuffixAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// An open descriptor, closed when it goes.
struct Descriptor {
  int fd;
  explicit Descriptor(int f) : fd(f) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() { ::close(fd); }
};

Descriptor open_directory(const std::string& path, const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open directory '" + directory + "' to sync it", errno);
  return Descriptor(fd);
}

// After the rename: an error here is reported, but the file has been replaced by then.
void sync_directory(const std::string& path, const std::string& directory, int fd) {
  // Some file systems cannot fsync a directory (EINVAL); the rename is still done.
  if (::fsync(fd) != 0 && errno != EINVAL)
    fail(path, "fsync of directory '" + directory + "'", errno);
}

// Six characters of [0-9A-Za-z], different on every call (a counter mixed with the clock and the
// process id): a temporary's name "<pid>.XXXXXX", as mkstemp made them.
std::string random_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t x =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull) ^
      (static_cast<std::uint64_t>(::getpid()) << 32);
  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  std::string suffix(6, '0');
  for (char& c : suffix) {
    c = kSuffixAlphabet[x % 62];
    x /= 62;
  }
  return suffix;
}

// A temporary's name: ".<file name>.tmp.<pid>.<6 random characters>".
std::string temporary_prefix(const std::string& file_name) {
  return "." + file_name + ".tmp.";
}

bool process_is_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;  // EPERM: alive but another user's
}

}  // namespace

void remove_stale_temporaries_or_throw(const std::string& directory, const std::string& file_name);

void remove_stale_temporaries(const std::string& directory, const std::string& file_name) {
  try {  // cleaning is best effort; the save itself reports real problems
    remove_stale_temporaries_or_throw(directory, file_name);
  } catch (const std::exception&) {
  }
}

void remove_stale_temporaries_or_throw(const std::string& directory, const std::string& file_name) {
  const std::string prefix = temporary_prefix(file_name);
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) return;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // "<pid>.XXXXXX" as random_suffix writes them: a pid (1 to 7 digits, pid_max being at most
    // 2^22, no leading zero), a dot, six characters of [0-9A-Za-z]; nothing else is ours.
    const std::string rest = name.substr(prefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot > 7 || rest[0] == '0' ||
        rest.size() - dot - 1 != 6)
      continue;
    if (rest.find_first_not_of("0123456789") != dot) continue;
    if (rest.find_first_not_of(kSuffixAlphabet, dot + 1) != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    struct stat info {};
    if (::lstat(entry.path().c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
        info.st_uid != ::geteuid())
      continue;
    const auto modified = entry.last_write_time(error);
    if (error) continue;
    if (pid == ::getpid() || process_is_alive(pid) || now - modified < kStaleTemporaryAge) continue;
    ::unlink(entry.path().c_str());
  }
}

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
  // Never replace a device, directory, FIFO, socket or symbolic link by a regular file.
  struct stat existing {};
  const bool replacing = ::lstat(path.c_str(), &existing) == 0;
  if (replacing && !S_ISREG(existing.st_mode)) {
    throw Error("cannot save '" + path + "': it exists and is not a regular file");
  }
  remove_stale_temporaries(directory, file_name);
  // Created by open(2), so the umask applies as to any new file (mkstemp's 0600, then a fixed
  // 0644, made every saved model world-readable whatever the umask or the mode of the file it
  // replaced). Replacing, it starts with no more than the old file's read and write bits, and
  // gets them exactly below: created 0666 first, another user could open it between the open and
  // the fchmod and read (or, under a loose umask, write) the model that replaces a private file.
  const mode_t permissions = replacing ? existing.st_mode & 0777 : 0666;
  const std::string prefix =
      directory + "/" + temporary_prefix(file_name) + std::to_string(::getpid()) + ".";
  int fd = -1;
  std::string name;
  for (int attempt = 0; fd < 0; ++attempt) {
    name = prefix + random_suffix();
    fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                permissions & 0666);
    if (fd < 0 && (errno != EEXIST || attempt == 99))
      fail(path, "cannot create a temporary file in '" + directory + "'", errno);
  }
  TemporaryFile temporary(name, fd);
  // A file replaced keeps its permission bits (read, write and execute for the owner, the group
  // and others; not setuid, setgid or sticky, which would pass to this process's user).
  if (replacing && ::fchmod(fd, permissions) != 0)
    fail(path, "fchmod of '" + temporary.name() + "'", errno);
  write_all(path, fd, bytes);
  if (::fsync(fd) != 0) fail(path, "fsync of '" + temporary.name() + "'", errno);
  if (const int err = temporary.close(); err != 0) {
    fail(path, "close of '" + temporary.name() + "'", err);
  }
  // The directory is opened before the rename: when it cannot be (a directory one may write to
  // but not read), the save fails with the target untouched, not after replacing it.
  const Descriptor directory_fd = open_directory(path, directory);
  if (::rename(temporary.name().c_str(), path.c_str()) != 0) {
    fail(path, "rename from '" + temporary.name() + "'", errno);
  }
  temporary.mark_renamed();
  sync_directory(path, directory, directory_fd.fd);
}

}  // namespace softmaxkit::detail
