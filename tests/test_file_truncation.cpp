// Files that shrink while a reader has them open. The readers read until end of file (never
// trusting the size fstat reported) and validate lengths against the header, so a file cut
// short at any moment either loads completely or fails with an Error that names the file and
// the byte offset where the data ran out -- never a crash, a hang or half a dataset.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "io/csv_pieces.hpp"
#include "io/libsvm_pieces.hpp"
#include "io/text_pieces.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/model_file.hpp"
#include "test_files.hpp"

using softmaxkit::test::contains;
using softmaxkit::test::error_message;
using softmaxkit::test::TempDir;

namespace {

std::string idx_ubyte_images(std::uint32_t items, std::uint32_t rows, std::uint32_t cols) {
  std::string out = {'\0', '\0', '\x08', '\x03'};
  for (const std::uint32_t d : {items, rows, cols}) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((d >> (8 * i)) & 0xFF));
  }
  for (std::size_t i = 0; i < std::size_t{items} * rows * cols; ++i) {
    out.push_back(static_cast<char>(i % 253));
  }
  return out;
}

softmaxkit::ModelFileContents large_model() {
  softmaxkit::ModelFileContents m;
  m.dtype = "float64";
  m.num_classes = 10;
  m.num_features = 2000;  // 160 kB of weights: several read() calls
  for (int k = 0; k < 10; ++k) m.class_labels.push_back(k);
  m.weights.assign(m.num_classes * m.num_features, 0.25);
  m.intercept.assign(m.num_classes, -1.0);
  return m;
}

// Writes `content` to the file at `path`, then cuts the file to successive lengths and writes
// `content` back over it, again and again, until told to stop; leaves the file whole. Every byte a
// reader can see is the right byte of `content`; only the length changes, so whatever a reader gets
// is a prefix of `content`.
class Truncator {
 public:
  Truncator(const std::string& path, const std::string& content) : content_(content) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path);
    if (!restore()) {
      ::close(fd_);
      throw std::runtime_error("cannot rewrite " + path);
    }
    thread_ = std::thread([this] { run(); });
  }
  Truncator(const Truncator&) = delete;
  Truncator& operator=(const Truncator&) = delete;
  ~Truncator() {
    stop_ = true;
    thread_.join();
    // Leave the file whole for whoever reads it next (the thread may not have run at all).
    if (!restore()) failed_ = true;
    ::close(fd_);
  }
  bool failed() const { return failed_; }

 private:
  void run() {
    for (std::size_t round = 1; !stop_; ++round) {
      // Never below an eighth, so a reader always gets past the magic number.
      const auto cut = static_cast<off_t>(content_.size() * (round % 7 + 1) / 8);
      if (::ftruncate(fd_, cut) != 0 || !restore()) {
        failed_ = true;
        return;
      }
      // Whole for a moment, so that some reads succeed and both outcomes are exercised.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }

  bool restore() {
    return ::pwrite(fd_, content_.data(), content_.size(), 0) ==
               static_cast<ssize_t>(content_.size()) &&
           ::ftruncate(fd_, static_cast<off_t>(content_.size())) == 0;
  }

  std::string content_;
  int fd_ = -1;
  std::atomic<bool> stop_{false}, failed_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("an IDX file cut short names the file and the offset where its data ends") {
  TempDir dir;
  const std::string content = idx_ubyte_images(500, 28, 28);  // 392 kB + header
  const std::string path = dir.write("images.idx", content);
  REQUIRE(::truncate(path.c_str(), 100000) == 0);
  const std::string m = error_message([&] { softmaxkit::read_idx_images(path); });
  CHECK(contains(m, "images.idx: byte offset 100000: truncated IDX data"));

  int loaded = 0, truncated = 0;
  {
    Truncator truncator(path, content);
    for (int i = 0; i < 40; ++i) {
      const std::string error = error_message([&] {
        const softmaxkit::Dataset d = softmaxkit::read_idx_images(path);
        CHECK(d.rows == 500);
        CHECK(d.features.size() == std::size_t{500} * 784);
        ++loaded;
      });
      if (error == "<no error>") continue;
      ++truncated;
      INFO("error: ", error);
      CHECK(contains(error, "images.idx: byte offset "));
      CHECK(contains(error, "truncated"));
    }
    CHECK_FALSE(truncator.failed());
  }
  MESSAGE("while being cut: " << loaded << " loaded whole, " << truncated << " truncated");
  CHECK(softmaxkit::read_idx_images(path).rows == 500);
}

TEST_CASE("a model file cut short names the file and the offset where its data ends") {
  TempDir dir;
  const softmaxkit::ModelFileContents model = large_model();
  const std::string path = dir.file("model.smx");
  softmaxkit::save_model_file(path, model);
  const std::string content = softmaxkit::test::read_bytes(path);
  REQUIRE(::truncate(path.c_str(), 4000) == 0);
  const std::string m = error_message([&] { softmaxkit::load_model_file(path); });
  CHECK(contains(m, "model.smx: byte offset "));
  CHECK(contains(m, "truncated"));

  int loaded = 0, truncated = 0;
  {
    Truncator truncator(path, content);
    for (int i = 0; i < 100; ++i) {
      const std::string error = error_message([&] {
        const softmaxkit::ModelFileContents got = softmaxkit::load_model_file(path);
        CHECK(got.weights == model.weights);
        ++loaded;
      });
      if (error == "<no error>") continue;
      ++truncated;
      INFO("error: ", error);
      CHECK(contains(error, "model.smx: byte offset "));
      // The truncator rewrites the file while the loader reads it, and a read that overlaps that
      // write can see bytes from both moments: the checksum then names the file corrupt, which is
      // as clear (seen under ThreadSanitizer's slower reads). Never wrong weights (above).
      CHECK((contains(error, "truncated") || contains(error, "checksum mismatch")));
    }
    CHECK_FALSE(truncator.failed());
  }
  MESSAGE("while being cut: " << loaded << " loaded whole, " << truncated << " truncated");
  CHECK(softmaxkit::load_model_file(path).num_features == 2000);
}

// The text readers make two passes (count_text, then the parse): a file cut or grown between
// them used to be parsed to wherever its second pass ended, exit 0 with fewer rows (an audit:
// 33461 of 60000). A source whose second pass gives another text stands for that file, for the
// one-piece path and the read-ahead path (a text above kMinReadAheadBytes).
TEST_CASE("a text that changes between the readers' two passes is an Error naming it") {
  using namespace softmaxkit;
  struct ChangingSource {
    std::string first, second;
    int pass = 0;
    std::size_t position = 0;
    detail::TextSource source() {
      return {[this](char* into, std::size_t count) {
                const std::string& text = pass == 0 ? first : second;
                const std::size_t n = std::min(count, text.size() - position);
                text.copy(into, n, position);
                position += n;
                return n;
              },
              [this] {
                ++pass;
                position = 0;
              }};
    }
  };
  for (const std::size_t rows : {std::size_t{40}, std::size_t{20000}}) {
    std::string csv, libsvm;
    for (std::size_t i = 0; i < rows; ++i) {
      csv += std::to_string(i % 3) + ",0.25," + std::to_string(i) + ".5\n";
      libsvm += std::to_string(i % 3) + " 1:0.25 3:" + std::to_string(i) + ".5\n";
    }
    REQUIRE((rows < 100 || csv.size() > detail::kMinReadAheadBytes));
    for (const bool is_csv : {true, false}) {
      const std::string& text = is_csv ? csv : libsvm;
      const std::size_t cut_at_line = text.rfind('\n', text.size() / 2) + 1;
      // Cut just after a separator: the last line is malformed there, and the parser's error
      // ("expected 3 fields", "not a number") blamed the data for the cut.
      const std::size_t separator = text.find(is_csv ? ',' : ':', cut_at_line) + 1;
      const std::string variants[] = {
          text,                             // unchanged: parses every row
          text.substr(0, cut_at_line),      // cut at a line end
          text.substr(0, text.size() - 3),  // cut inside the last number ("...5\n" -> "...")
          text + (is_csv ? "1,0.5,0.5\n" : "1 1:0.5\n"),  // grown by a line
          text.substr(0, separator),                      // cut inside a line
      };
      for (std::size_t v = 0; v < 5; ++v) {
        CAPTURE(rows);
        CAPTURE(is_csv);
        CAPTURE(v);
        ChangingSource changing{text, variants[v]};
        detail::TextSource source = changing.source();
        const detail::TextCounts counts = detail::count_text(source.read);
        auto parse = [&] {
          if (is_csv) {
            return detail::parse_counted_csv(source, counts, CsvOptions{}, "data.csv", 4096,
                                             UINT64_MAX)
                .labels.size();
          }
          return detail::parse_counted_libsvm_csr(source, counts, LibsvmOptions{}, "data.svm", 4096,
                                                  UINT64_MAX)
              .labels.size();
        };
        if (v == 0) {
          CHECK(parse() == rows);
        } else {
          const std::string message = error_message(parse);
          CHECK(contains(message, is_csv ? "data.csv: the file changed while it was read"
                                         : "data.svm: the file changed while it was read"));
        }
      }
    }
  }
}
