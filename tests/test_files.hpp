// Test helpers: a self-removing temporary directory, gzip compression, and
// capturing a softmaxkit::Error message.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxkit/error.hpp"

namespace softmaxkit::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    const auto base = std::filesystem::temp_directory_path();
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = base / ("softmaxkit-test-" + std::to_string(::getpid()) + "-" +
                      std::to_string(stamp) + "-" + std::to_string(counter++));
      if (std::filesystem::create_directory(path_)) return;
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, std::string_view bytes) const {
    const std::string full = file(name);
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write test file " + full);
    return full;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

// The message of the softmaxkit::Error that f throws, or "<no error>".
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const softmaxkit::Error& e) {
    return e.what();
  }
  return "<no error>";
}

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Calls check(cuts) for every way to cut `text` into two and three parts at its line starts (as
// softmaxkit-mpi's ranks cut a file: one cut, and two ascending cuts, equal ones making an empty
// part); returns how many calls it made.
template <class Check>
std::size_t for_each_cut_at_line_starts(std::string_view text, const Check& check) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  std::size_t calls = 0;
  for (const std::size_t a : starts) {
    for (const std::size_t b : starts) {
      if (b < a) continue;
      for (const auto& cuts : {std::vector<std::size_t>{a}, std::vector<std::size_t>{a, b}}) {
        check(cuts);
        ++calls;
      }
    }
  }
  return calls;
}

}  // namespace softmaxkit::test
