// Model file format: bitwise round trip, validation on save, every kind of
// corrupt file on load, and atomic replacement under write failures.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "softmaxkit/model_file.hpp"
#include "test_files.hpp"

using softmaxkit::ModelFileContents;
using softmaxkit::test::contains;
using softmaxkit::test::error_message;
using softmaxkit::test::read_bytes;
using softmaxkit::test::TempDir;

namespace {

ModelFileContents sample_model(std::size_t classes = 3, std::size_t features = 4) {
  ModelFileContents m;
  m.dtype = "float32";
  m.num_classes = classes;
  m.num_features = features;
  m.l2 = 0.125;
  m.l1 = 1e-300;
  m.fit_intercept = true;
  for (std::size_t k = 0; k < classes; ++k) m.class_labels.push_back(static_cast<int>(3 * k) - 2);
  const double specials[] = {-0.0, 5e-324, std::numeric_limits<double>::max(), 0.1, -1.0 / 3};
  for (std::size_t i = 0; i < classes * features; ++i) {
    m.weights.push_back(specials[i % 5] * (i < 5 ? 1.0 : 0.5));
  }
  for (std::size_t k = 0; k < classes; ++k)
    m.intercept.push_back(1.0 / (static_cast<double>(k) + 7.0));
  return m;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  }
  return true;
}

void check_equal(const ModelFileContents& a, const ModelFileContents& b) {
  CHECK(a.dtype == b.dtype);
  CHECK(a.num_classes == b.num_classes);
  CHECK(a.num_features == b.num_features);
  CHECK(std::bit_cast<std::uint64_t>(a.l2) == std::bit_cast<std::uint64_t>(b.l2));
  CHECK(std::bit_cast<std::uint64_t>(a.l1) == std::bit_cast<std::uint64_t>(b.l1));
  CHECK(a.fit_intercept == b.fit_intercept);
  CHECK(a.class_labels == b.class_labels);
  CHECK(same_bits(a.weights, b.weights));
  CHECK(same_bits(a.intercept, b.intercept));
}

void put_le(std::string& bytes, std::size_t offset, std::uint64_t value, int count) {
  for (int i = 0; i < count; ++i) bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

// Recomputes the trailing CRC so that a test reaches the check after it.
void fix_checksum(std::string& bytes) {
  const std::size_t n = bytes.size() - 4;
  put_le(bytes, n, crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n)), 4);
}

std::vector<std::string> directory_entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace

TEST_CASE("model file round-trips bitwise") {
  TempDir dir;
  const std::string path = dir.file("model.smx");
  for (const bool fit : {true, false}) {
    ModelFileContents m = sample_model();
    m.fit_intercept = fit;
    m.dtype = fit ? "float32" : "float64";
    if (!fit) m.intercept.assign(m.num_classes, 0.0);
    softmaxkit::save_model_file(path, m);
    check_equal(softmaxkit::load_model_file(path), m);
    const std::string bytes = softmaxkit::serialize_model(m);
    CHECK(read_bytes(path) == bytes);
    CHECK(bytes.size() == 48 + 4 * 3 + 8 * 12 + 8 * 3 + 4);
    CHECK(bytes.substr(0, 8) == "SMXKMODL");
    check_equal(softmaxkit::deserialize_model(bytes, "mem"), m);
  }
  CHECK(directory_entries(dir.path()) == std::vector<std::string>{"model.smx"});
}

TEST_CASE("invalid contents are rejected before anything is written") {
  TempDir dir;
  const std::string path = dir.file("model.smx");
  auto save_error = [&](const ModelFileContents& m) {
    return error_message([&] { softmaxkit::save_model_file(path, m); });
  };
  ModelFileContents m = sample_model();
  m.dtype = "float16";
  CHECK(contains(save_error(m), "dtype 'float16'"));
  m = sample_model();
  m.class_labels[2] = m.class_labels[1];
  CHECK(contains(save_error(m), "not strictly increasing"));
  m = sample_model();
  m.class_labels.pop_back();
  CHECK(contains(save_error(m), "2 class labels for 3 classes"));
  m = sample_model();
  m.weights.pop_back();
  CHECK(contains(save_error(m), "11 weights for 3 x 4"));
  m = sample_model();
  m.intercept.push_back(0);
  CHECK(contains(save_error(m), "4 intercepts"));
  m = sample_model();
  m.weights[5] = std::numeric_limits<double>::quiet_NaN();
  CHECK(contains(save_error(m), "weight 5 is not finite"));
  m = sample_model();
  m.intercept[1] = std::numeric_limits<double>::infinity();
  CHECK(contains(save_error(m), "intercept 1 is not finite"));
  m = sample_model();
  m.l2 = -1;
  CHECK(contains(save_error(m), "l2"));
  m = sample_model();
  m.fit_intercept = false;
  CHECK(contains(save_error(m), "fit_intercept is false"));
  m = sample_model();
  m.num_features = 0;
  m.weights.clear();
  CHECK(contains(save_error(m), "num_features is 0"));
  m = sample_model();
  m.num_classes = std::numeric_limits<std::size_t>::max();
  CHECK(contains(save_error(m), "too large"));
  CHECK(contains(save_error(m), path));
  CHECK(directory_entries(dir.path()).empty());
}

TEST_CASE("corrupt model files name the file and the byte offset") {
  TempDir dir;
  const std::string good = softmaxkit::serialize_model(sample_model());
  auto load_error = [&](const std::string& bytes) {
    return error_message([&] { softmaxkit::load_model_file(dir.write("bad.smx", bytes)); });
  };
  CHECK(contains(load_error("SMXKMODX" + good.substr(8)),
                 "bad.smx: byte offset 0: not a softmaxkit model"));
  CHECK(contains(load_error(""), "bad.smx: byte offset 0: not a softmaxkit model"));
  CHECK(contains(load_error("SMXK"), "bad.smx: byte offset 4: truncated"));
  std::string bytes = good;
  put_le(bytes, 8, 2, 4);
  CHECK(contains(load_error(bytes), "bad.smx: byte offset 8: unsupported model file version 2"));
  CHECK(contains(load_error(good.substr(0, good.size() - 1)), "truncated"));
  CHECK(contains(load_error(good + '\0'), "bad.smx: byte offset 184: 1 trailing bytes"));
  bytes = good;
  bytes[100] = static_cast<char>(bytes[100] ^ 1);
  CHECK(contains(load_error(bytes), "bad.smx: byte offset 180: checksum mismatch"));
  SUBCASE("size fields are checked against the length before allocating") {
    bytes = good;
    put_le(bytes, 16, std::uint64_t{1} << 40, 8);
    CHECK(contains(load_error(bytes),
                   "bad.smx: byte offset 184: truncated: dimensions 1099511627776 x 4"));
    put_le(bytes, 16, std::numeric_limits<std::uint64_t>::max(), 8);
    CHECK(contains(load_error(bytes), "bad.smx: byte offset 16: invalid dimensions"));
    put_le(bytes, 16, 0, 8);
    CHECK(contains(load_error(bytes), "bad.smx: byte offset 16: invalid dimensions"));
  }
  SUBCASE("contents with a valid checksum are still validated") {
    bytes = good;
    bytes[12] = 9;
    fix_checksum(bytes);
    CHECK(contains(load_error(bytes), "bad.smx: byte offset 12: unknown dtype code 9"));
    bytes = good;
    put_le(bytes, 48 + 4, static_cast<std::uint32_t>(-10), 4);
    fix_checksum(bytes);
    CHECK(contains(load_error(bytes),
                   "bad.smx: byte offset 52: class labels are not strictly increasing"));
    bytes = good;
    put_le(bytes, 60 + 8, 0x7FF8000000000000u, 8);
    fix_checksum(bytes);
    CHECK(contains(load_error(bytes), "bad.smx: byte offset 68: weight 1 is not finite"));
  }
  SUBCASE("every truncation and every single-byte change is rejected") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      CAPTURE(n);
      CHECK_THROWS_AS(softmaxkit::deserialize_model(std::string_view(good).substr(0, n), "m"),
                      softmaxkit::Error);
    }
    for (std::size_t i = 0; i < good.size(); ++i) {
      CAPTURE(i);
      std::string changed = good;
      changed[i] = static_cast<char>(changed[i] ^ 0x20);
      CHECK_THROWS_AS(softmaxkit::deserialize_model(changed, "m"), softmaxkit::Error);
    }
  }
  SUBCASE("non-regular and missing files") {
    const std::string fifo = dir.file("pipe.smx");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(contains(error_message([&] { softmaxkit::load_model_file(fifo); }),
                   "pipe.smx': it is a FIFO"));
    const std::string directory = dir.path().string();
    CHECK(contains(error_message([&] { softmaxkit::load_model_file(directory); }), "a directory"));
    CHECK(contains(error_message([&] { softmaxkit::load_model_file(dir.file("none.smx")); }),
                   "none.smx"));
  }
}

TEST_CASE("a failed save leaves the previous model file intact") {
  TempDir dir;
  const std::string path = dir.file("model.smx");
  const ModelFileContents old_model = sample_model(2, 2);
  softmaxkit::save_model_file(path, old_model);
  const std::string old_bytes = read_bytes(path);
  const ModelFileContents big_model = sample_model(10, 1000);

  SUBCASE("parent is a regular file or missing") {
    const std::string below_file = path + "/model.smx";
    std::string m = error_message([&] { softmaxkit::save_model_file(below_file, big_model); });
    CHECK(contains(m, below_file));
    CHECK(contains(m, "Not a directory"));
    const std::string below_missing = dir.file("no/such/dir/model.smx");
    m = error_message([&] { softmaxkit::save_model_file(below_missing, big_model); });
    CHECK(contains(m, below_missing));
    CHECK(contains(m, "No such file or directory"));
    m = error_message([&] { softmaxkit::save_model_file(dir.path().string(), big_model); });
    CHECK(contains(m, dir.path().string()));
  }
  SUBCASE("target is a directory") {
    const std::string sub = dir.file("sub");
    std::filesystem::create_directory(sub);
    // Refused before any temporary is written (a non-regular target is never replaced).
    CHECK(contains(error_message([&] { softmaxkit::save_model_file(sub, big_model); }),
                   "is not a regular file"));
    CHECK(std::filesystem::is_directory(sub));
  }
  SUBCASE("file size limit hit while writing (RLIMIT_FSIZE, in a child process)") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{4096, 4096};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(2);
      const std::string m = error_message([&] { softmaxkit::save_model_file(path, big_model); });
      ::_exit(contains(m, path) && contains(m, "File too large") ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  SUBCASE("directory not writable (in a child process, without root's override)") {
    // Root ignores permission bits, so when the tests run as root the child gives up root
    // for "nobody" before saving; otherwise the mode bits alone must stop the save.
    REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
      const std::string m = error_message([&] { softmaxkit::save_model_file(path, big_model); });
      ::_exit(contains(m, path) && contains(m, "Permission denied") ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(read_bytes(path) == old_bytes);
  check_equal(softmaxkit::load_model_file(path), old_model);
  for (const auto& name : directory_entries(dir.path())) {
    CHECK_MESSAGE(name.find(".tmp.") == std::string::npos, "temporary file left behind: ", name);
  }
}
