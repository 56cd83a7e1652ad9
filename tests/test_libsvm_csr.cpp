// The sparse LibSVM reader (read_libsvm_csr / parse_libsvm_csr): on random files written here
// from a seeded generator, in every syntax the format allows, the CSR result equals the rows the
// generator wrote (the independent reference) and the dense reader's result densified; every
// malformed input gets the dense reader's file:line:column message; memory is by entries, so a
// huge index in a small file is fine sparse (up to kCsrMaxColumns) and refused dense.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_pieces.hpp"
#include "io/libsvm_pieces.hpp"
#include "softmaxkit/data.hpp"
#include "test_files.hpp"

using softmaxkit::test::contains;
using softmaxkit::test::error_message;
using softmaxkit::test::gzip;
using softmaxkit::test::TempDir;

namespace {

struct Row {
  std::int32_t label = 0;
  std::vector<std::int32_t> columns;  // 0-based, ascending
  std::vector<float> values;
};

// A random value written in one of several spellings; expected = what the text denotes in float.
std::string value_text(std::mt19937_64& random, float& expected) {
  std::uniform_real_distribution<double> magnitude(-6, 6);
  const double sign = random() % 2 ? -1.0 : 1.0;
  const double x = sign * std::pow(10.0, magnitude(random)) * (random() % 7 == 0 ? 0.0 : 1.0);
  char buffer[64];
  switch (random() % 5) {
    case 0:
      std::snprintf(buffer, sizeof buffer, "%.9g", x);
      break;
    case 1:
      std::snprintf(buffer, sizeof buffer, "%.3e", x);
      break;
    case 2:
      std::snprintf(buffer, sizeof buffer, "%+.6f", x);  // a leading '+' on positive values
      break;
    case 3:
      std::snprintf(buffer, sizeof buffer, "%.17g", x);  // more digits than float holds
      break;
    default:
      std::snprintf(buffer, sizeof buffer, "%.0f", std::round(x * 100));
      break;
  }
  expected = std::strtof(buffer, nullptr);
  return buffer;
}

std::string separator(std::mt19937_64& random) {
  static const char* const choices[] = {" ", " ", " ", "\t", "  ", " \t "};
  return choices[random() % 6];
}

// Writes rows as LibSVM text with random separators, comments, qid tokens, blank lines, CRLF and
// a byte order mark, and fills `rows` with what it wrote.
std::string random_file(std::mt19937_64& random, std::size_t cols, std::vector<Row>& rows) {
  std::string text = random() % 4 == 0 ? "\xEF\xBB\xBF" : "";
  const bool crlf = random() % 3 == 0;
  const std::string newline = crlf ? "\r\n" : "\n";
  const std::size_t count = 1 + random() % 40;
  const double density = 0.02 + 0.5 * double(random() % 100) / 100.0;
  rows.clear();
  for (std::size_t i = 0; i < count; ++i) {
    if (random() % 8 == 0) text += random() % 2 ? "# a comment: 1:2 3:4" + newline : newline;
    Row row;
    row.label = static_cast<std::int32_t>(random() % 7) - 3;
    text += (row.label > 0 && random() % 2 ? "+" : "") + std::to_string(row.label);
    if (random() % 5 == 0) text += ".0";
    if (random() % 6 == 0) text += separator(random) + "qid:" + std::to_string(random() % 9);
    for (std::size_t j = 0; j < cols; ++j) {
      if (double(random() % 1000) / 1000.0 >= density) continue;
      float value = 0;
      const std::string spelled = value_text(random, value);
      text += separator(random) + std::to_string(j + 1) + ":" + spelled;
      row.columns.push_back(static_cast<std::int32_t>(j));
      row.values.push_back(value);
    }
    if (random() % 5 == 0) text += separator(random);  // trailing blanks
    if (random() % 6 == 0) text += separator(random) + "# trailing: 9:9";
    if (i + 1 < count || random() % 2) text += newline;  // the last line end is optional
    rows.push_back(std::move(row));
  }
  return text;
}

void check_equals_rows(const softmaxkit::SparseDataset& read, const std::vector<Row>& rows,
                       std::size_t cols) {
  const auto& view = read.features.view();
  REQUIRE(view.rows() == rows.size());
  CHECK(view.cols() == cols);
  REQUIRE(read.labels.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(read.labels[i] == rows[i].label);
    REQUIRE(view.row_end(i) - view.row_begin(i) == rows[i].columns.size());
    for (std::size_t e = 0; e < rows[i].columns.size(); ++e) {
      const std::size_t at = view.row_begin(i) + e;
      CHECK(view.column_indices()[at] == rows[i].columns[e]);
      CHECK(std::bit_cast<std::uint32_t>(view.values()[at]) ==
            std::bit_cast<std::uint32_t>(rows[i].values[e]));
    }
  }
}

// The dense result must be the CSR result with zeros in between, bit for bit.
void check_dense_is_densified(const softmaxkit::Dataset& dense,
                              const softmaxkit::SparseDataset& sparse) {
  const auto& view = sparse.features.view();
  REQUIRE(dense.rows == view.rows());
  REQUIRE(dense.cols == view.cols());
  CHECK(dense.labels == sparse.labels);
  std::vector<float> expected(view.rows() * view.cols(), 0.0f);
  for (std::size_t i = 0; i < view.rows(); ++i) {
    for (std::size_t k = view.row_begin(i); k < view.row_end(i); ++k) {
      expected[i * view.cols() + static_cast<std::size_t>(view.column_indices()[k])] =
          view.values()[k];
    }
  }
  REQUIRE(dense.features.size() == expected.size());
  for (std::size_t e = 0; e < expected.size(); ++e) {
    CHECK(std::bit_cast<std::uint32_t>(dense.features[e]) ==
          std::bit_cast<std::uint32_t>(expected[e]));
  }
}

std::string csr_error(const std::string& text, softmaxkit::LibsvmOptions options = {}) {
  return error_message([&] { (void)softmaxkit::parse_libsvm_csr(text, options, "d.svm"); });
}
std::string dense_error(const std::string& text, softmaxkit::LibsvmOptions options = {}) {
  return error_message([&] { (void)softmaxkit::parse_libsvm(text, options, "d.svm"); });
}

struct MalformedCase {
  std::string text;
  std::string message;
  softmaxkit::LibsvmOptions options = {};
};

// Malformed inputs with the message each must get (as file d.svm).
std::vector<MalformedCase> malformed_cases() {
  return {
      {"1 1:1\n1 0:2\n", "d.svm:2:3: feature index 0 is invalid"},
      {"1 -3:2\n", "d.svm:1:3: feature index '-3' must be a positive integer"},
      {"1 +3:2\n", "d.svm:1:3: feature index '+3' must be a positive integer"},
      {"1 2:1 2:3\n", "d.svm:1:7: feature index 2 is not greater than the previous index 2"},
      {"1 5:1 2:3\n", "d.svm:1:7: feature index 2 is not greater than the previous index 5"},
      {"1 1:1 3:1 4:1 5:1 6:1 6:2\n", "d.svm:1:23: feature index 6 is not greater"},
      {"1 1:1 7\n", "d.svm:1:7: malformed token '7'"},
      {"1 x:1\n", "d.svm:1:3: feature index 'x' is not an integer"},
      {"1 1x:1\n", "d.svm:1:3: feature index '1x' is not an integer"},
      {"1 :1\n", "d.svm:1:3: missing feature index"},
      {"1 1:\n", "d.svm:1:3: value of feature 1: empty field"},
      {"1 1:abc\n", "d.svm:1:3: value of feature 1: 'abc' is not a number"},
      {"1 1:0.5x 2:1\n", "d.svm:1:3: value of feature 1: '0.5x' is not a number"},
      {"1 1:1:2\n", "d.svm:1:3: value of feature 1: '1:2' is not a number"},
      {"1 1:0x10\n", "d.svm:1:3: value of feature 1: '0x10' is not a number"},
      {"1 1:1\r2:3\n", "d.svm:1:3: value of feature 1: '1\\x0d2:3' is not a number"},
      {"1 1:nan\n", "d.svm:1:3: value of feature 1: 'nan' is not finite"},
      {"1 1:1 2:inf\n", "d.svm:1:7: value of feature 2: 'inf' is not finite"},
      {"1 1:-infinity\n", "d.svm:1:3: value of feature 1: '-infinity' is not finite"},
      {"1 1:1e39\n", "d.svm:1:3: value of feature 1: '1e39' is out of range"},
      {"1 1:1\n1 3:1\n", "d.svm:2:3: feature index 3 exceeds num_features 2", {.num_features = 2}},
      {"1.5 1:1\n", "d.svm:1:1: label: '1.5' is not an integer label"},
      {"1:1 2:2\n", "d.svm:1:1: label: '1:1' is not a number"},
      {"1 99999999999999999999:1\n", "d.svm:1:3: feature index '99999999999999999999' exceeds"},
      {"# nothing\n\n", "d.svm:2: no data records"},
      {"", "d.svm:1: no data records"},
      {"\xEF\xBB\xBF", "d.svm:1: no data records"},
      {"1\n2\n", "d.svm:2: no feature indices found"},
      {"1 qid:3 qid:4 1:1\n", "d.svm:1:9: feature index 'qid' is not an integer"},
  };
}

}  // namespace

TEST_CASE("LibSVM CSR: random files equal the rows written and the dense parse") {
  std::mt19937_64 random(20261201);
  TempDir dir;
  for (int file = 0; file < 200; ++file) {
    CAPTURE(file);
    const std::size_t cols = 1 + random() % 30;
    std::vector<Row> rows;
    const std::string text = random_file(random, cols, rows);
    CAPTURE(text);
    // A width at least the largest index written (options.num_features) or inferred from it.
    std::size_t largest = 0;
    for (const Row& row : rows) {
      if (!row.columns.empty()) largest = std::max<std::size_t>(largest, row.columns.back() + 1);
    }
    softmaxkit::LibsvmOptions options;
    if (largest == 0 || random() % 3 == 0) options.num_features = cols + random() % 3;
    const std::size_t width = options.num_features != 0 ? options.num_features : largest;
    const softmaxkit::SparseDataset sparse = softmaxkit::parse_libsvm_csr(text, options, "mem");
    check_equals_rows(sparse, rows, width);
    check_dense_is_densified(softmaxkit::parse_libsvm(text, options, "mem"), sparse);
    if (file % 20 == 0) {
      const softmaxkit::SparseDataset from_file =
          softmaxkit::read_libsvm_csr(dir.write("r.svm", text), options);
      check_equals_rows(from_file, rows, width);
    }
  }
}

TEST_CASE("LibSVM CSR: empty rows, explicit zeros, underflow, long indices") {
  // Row 2 has no entries; 1e-50 rounds to a stored 0 (as in the dense reader); an index written
  // with leading zeros past the fast path's 10 digits is the same index.
  const auto read = softmaxkit::parse_libsvm_csr(
      "1 2:0.5 3:0\n-2\n4 00000000001:1e-50 0000000000007:2.5\n", {}, "m");
  const auto& view = read.features.view();
  CHECK(view.rows() == 3);
  CHECK(view.cols() == 7);
  CHECK(read.labels == std::vector<std::int32_t>{1, -2, 4});
  CHECK(std::vector<std::int64_t>(view.row_offsets().begin(), view.row_offsets().end()) ==
        std::vector<std::int64_t>{0, 2, 2, 4});
  CHECK(std::vector<std::int32_t>(view.column_indices().begin(), view.column_indices().end()) ==
        std::vector<std::int32_t>{1, 2, 0, 6});
  CHECK(std::vector<float>(view.values().begin(), view.values().end()) ==
        std::vector<float>{0.5f, 0.0f, 0.0f, 2.5f});
  // Labels only, with num_features: every row empty.
  const auto labels_only = softmaxkit::parse_libsvm_csr("1\n2\n", {.num_features = 3}, "m");
  CHECK(labels_only.features.nnz() == 0);
  CHECK(labels_only.features.cols() == 3);
}

TEST_CASE("LibSVM CSR: memory is by entries; indices up to kCsrMaxColumns") {
  // 2^31 - 1 and 2^31 columns from a few bytes: fine sparse (one entry), refused dense.
  const std::string largest = std::to_string(softmaxkit::kCsrMaxColumns);
  const auto huge = softmaxkit::parse_libsvm_csr("1 5:1 " + largest + ":2\n", {}, "m");
  CHECK(huge.features.cols() == softmaxkit::kCsrMaxColumns);
  CHECK(huge.features.nnz() == 2);
  CHECK(huge.features.view().column_indices()[1] ==
        static_cast<std::int32_t>(softmaxkit::kCsrMaxColumns - 1));
  CHECK(contains(dense_error("1 5:1 " + largest + ":2\n"), "d.svm:1:7: feature index"));
  CHECK(contains(dense_error("1 5:1 20000000:2\n"), "would need 80000000 bytes"));
  CHECK(softmaxkit::parse_libsvm_csr("1 5:1 20000000:2\n", {}, "m").features.cols() == 20000000);
  const std::string beyond = std::to_string(softmaxkit::kCsrMaxColumns + 1);
  CHECK(contains(csr_error("1 5:1 " + beyond + ":2\n"),
                 "d.svm:1:7: feature index '" + beyond + "' exceeds the limit of " + largest));
  CHECK(contains(csr_error("1 1:1\n", {.num_features = softmaxkit::kCsrMaxColumns + 1}),
                 "d.svm: num_features " + beyond + " exceeds the limit of " + largest));
  CHECK(softmaxkit::parse_libsvm_csr("1 1:1\n", {.num_features = softmaxkit::kCsrMaxColumns}, "m")
            .features.cols() == softmaxkit::kCsrMaxColumns);
}

TEST_CASE("LibSVM CSR: malformed input names file:line:column like the dense reader") {
  const std::vector<MalformedCase> cases = malformed_cases();
  for (const MalformedCase& c : cases) {
    CAPTURE(c.text);
    const std::string sparse = csr_error(c.text, c.options);
    CHECK(contains(sparse, c.message));
    // The same message, but for the index limit (2^28 dense, kCsrMaxColumns sparse).
    if (!contains(sparse, "exceeds the limit")) CHECK(sparse == dense_error(c.text, c.options));
  }
  // A file path names the file.
  TempDir dir;
  const std::string path = dir.write("bad.svm", "1 1:1\n2 3:1 3:2\n");
  CHECK(contains(error_message([&] { (void)softmaxkit::read_libsvm_csr(path); }),
                 path + ":2:7: feature index 3 is not greater"));
  CHECK(contains(error_message([&] { (void)softmaxkit::read_libsvm_csr(dir.file("absent")); }),
                 dir.file("absent")));
}

// read_libsvm_csr streams a file in pieces of whole lines (io/libsvm_pieces.hpp), a gzip file as
// it is inflated: pieces of 1 byte upward (each then grows to hold a line) must give the whole
// text's parse, bit for bit, and the same errors (file:line:column in any piece, and the
// messages about the whole file).
TEST_CASE("LibSVM CSR: a file read in pieces of any size equals the whole text's parse") {
  std::mt19937_64 random(20261203);
  TempDir dir;
  const std::size_t block_sizes[] = {1, 2, 3, 5, 8, 13, 64, 4096};
  constexpr std::uint64_t kMemory = std::uint64_t{1} << 30;
  const auto same = [](const softmaxkit::SparseDataset& a, const softmaxkit::SparseDataset& b) {
    const auto& x = a.features.view();
    const auto& y = b.features.view();
    CHECK(x.rows() == y.rows());
    CHECK(x.cols() == y.cols());
    CHECK(a.labels == b.labels);
    CHECK(std::vector<std::int64_t>(x.row_offsets().begin(), x.row_offsets().end()) ==
          std::vector<std::int64_t>(y.row_offsets().begin(), y.row_offsets().end()));
    CHECK(std::vector<std::int32_t>(x.column_indices().begin(), x.column_indices().end()) ==
          std::vector<std::int32_t>(y.column_indices().begin(), y.column_indices().end()));
    REQUIRE(x.values().size() == y.values().size());
    for (std::size_t e = 0; e < x.values().size(); ++e)
      CHECK(std::bit_cast<std::uint32_t>(x.values()[e]) ==
            std::bit_cast<std::uint32_t>(y.values()[e]));
  };
  for (int file = 0; file < 60; ++file) {
    CAPTURE(file);
    std::vector<Row> rows;
    const std::string text = random_file(random, 1 + random() % 30, rows);
    CAPTURE(text);
    const std::string path = dir.write("p.svm", text);
    softmaxkit::LibsvmOptions options;
    options.num_features = 32;
    const softmaxkit::SparseDataset whole = softmaxkit::parse_libsvm_csr(text, options, path);
    for (std::size_t block : block_sizes) {
      CAPTURE(block);
      same(softmaxkit::detail::read_libsvm_csr_in_pieces(path, options, block, kMemory), whole);
    }
    same(softmaxkit::read_libsvm_csr(path, options), whole);
    // Gzip-compressed, in one member or cut into members at random bytes: inflated in pieces,
    // the same parse.
    const std::size_t cut = text.empty() ? 0 : random() % text.size();
    const std::string one = dir.write("p.svm.gz", gzip(text));
    const std::string split =
        dir.write("s.svm.gz", gzip(text.substr(0, cut)) + gzip(text.substr(cut)));
    for (const std::string& gz : {one, split}) {
      for (std::size_t block : {std::size_t{1}, std::size_t{13}, std::size_t{4096}}) {
        CAPTURE(block);
        const auto read =
            softmaxkit::detail::read_libsvm_csr_in_pieces(gz, options, block, kMemory);
        same(read, softmaxkit::parse_libsvm_csr(text, options, gz));
      }
    }
  }
  // Errors: each malformed case, alone and after 40 good lines (so that it falls in a later
  // piece), gets the whole text's message with the path as the name.
  for (const MalformedCase& c : malformed_cases()) {
    for (const bool late : {false, true}) {
      std::string text = c.text;
      if (late) {
        std::string good;
        for (int i = 0; i < 40; ++i) good += std::to_string(i % 3) + " 1:0.5 2:1\n";
        text = good + text;
      }
      CAPTURE(text);
      const std::string path = dir.write("bad.svm", text);
      const std::string expected =
          error_message([&] { (void)softmaxkit::parse_libsvm_csr(text, c.options, path); });
      // Alone, every case is an error; after good lines a few are not ("1\n2\n" then has
      // feature indices): then the results must agree.
      const bool fine = expected == "<no error>";
      CHECK((late || !fine));
      // The same text gzip-compressed: the same message, with its own path.
      const std::string gz = dir.write("bad.svm.gz", gzip(text));
      const std::string expected_gz =
          error_message([&] { (void)softmaxkit::parse_libsvm_csr(text, c.options, gz); });
      CHECK(error_message([&] {
              (void)softmaxkit::detail::read_libsvm_csr_in_pieces(gz, c.options, 3, kMemory);
            }) == expected_gz);
      for (std::size_t block : block_sizes) {
        CAPTURE(block);
        if (fine) {
          same(softmaxkit::detail::read_libsvm_csr_in_pieces(path, c.options, block, kMemory),
               softmaxkit::parse_libsvm_csr(text, c.options, path));
        } else {
          CHECK(error_message([&] {
                  (void)softmaxkit::detail::read_libsvm_csr_in_pieces(path, c.options, block,
                                                                      kMemory);
                }) == expected);
        }
      }
    }
  }
  // A line longer than the piece, with no line end at all, and an empty file.
  const std::string long_line = "2 1:1 3:2 70000:0.25 123456:-1";
  const std::string path = dir.write("long.svm", "1 2:3\n" + long_line);
  same(softmaxkit::detail::read_libsvm_csr_in_pieces(path, {}, 4, kMemory),
       softmaxkit::parse_libsvm_csr("1 2:3\n" + long_line, {}, path));
  const std::string empty = dir.write("empty.svm", "");
  CHECK(error_message([&] {
          (void)softmaxkit::detail::read_libsvm_csr_in_pieces(empty, {}, 7, kMemory);
        }) == empty + ":1: no data records");
}

// read_libsvm streams its file too (the CSR parse, the dense limits, then densified): a file in
// pieces of any size, plain or gzip, gives parse_libsvm's matrix on the whole text bit for bit,
// or its message, also for the dense reader's own limits (indices up to 2^28, the matrix by the
// text's bytes, which for a gzip file are the inflated text's).
TEST_CASE("LibSVM dense: read_libsvm in pieces equals parse_libsvm on the whole text") {
  std::mt19937_64 random(20261204);
  TempDir dir;
  constexpr std::uint64_t kMemory = std::uint64_t{1} << 30;
  // The outcome as one string: the shape, labels and the values' bits (as the positions and bits
  // of the nonzero ones, and a hash of all), or the error message.
  const auto outcome = [](auto&& read) {
    try {
      const softmaxkit::Dataset d = read();
      std::string out = std::to_string(d.rows) + "x" + std::to_string(d.cols) + ":";
      for (const std::int32_t label : d.labels) out += std::to_string(label) + ",";
      out += std::to_string(d.features.size()) + ":";
      std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a over every value's bits
      for (std::size_t e = 0; e < d.features.size(); ++e) {
        const auto bits = std::bit_cast<std::uint32_t>(d.features[e]);
        hash = (hash ^ bits) * 1099511628211ULL;
        if (bits != 0) out += std::to_string(e) + "=" + std::to_string(bits) + ",";
      }
      return out + std::to_string(hash);
    } catch (const softmaxkit::Error& error) {
      return std::string(error.what());
    }
  };
  std::size_t compared = 0;
  // The text as file `name` (plain, gzip in one member and in two) read with every block size.
  const auto check_text = [&](const std::string& text, const softmaxkit::LibsvmOptions& options,
                              const std::vector<std::size_t>& blocks) {
    CAPTURE(text.substr(0, 200));
    const std::string plain = dir.write("d.svm", text);
    const std::string one = dir.write("d.svm.gz", gzip(text));
    const std::size_t cut = text.empty() ? 0 : random() % text.size();
    const std::string two =
        dir.write("two.svm.gz", gzip(text.substr(0, cut)) + gzip(text.substr(cut)));
    for (const std::string& path : {plain, one, two}) {
      CAPTURE(path);
      const std::string expected =
          outcome([&] { return softmaxkit::parse_libsvm(text, options, path); });
      for (const std::size_t block : blocks) {
        CAPTURE(block);
        CHECK(outcome([&] {
                return softmaxkit::detail::read_libsvm_in_pieces(path, options, block, kMemory);
              }) == expected);
        ++compared;
      }
      CHECK(outcome([&] { return softmaxkit::read_libsvm(path, options); }) == expected);
    }
  };
  for (int file = 0; file < 40; ++file) {
    CAPTURE(file);
    std::vector<Row> rows;
    const std::string text = random_file(random, 1 + random() % 30, rows);
    softmaxkit::LibsvmOptions options;
    options.num_features = file % 2 == 0 ? 32 : 0;  // given, or the largest index
    check_text(text, options, {1, 3, 13, 4096});
  }
  for (const MalformedCase& c : malformed_cases()) check_text(c.text, c.options, {1, 5, 4096});
  check_text(
      "\xEF\xBB\xBF"
      "1 1:1 3:2\r\n-1 2:0.5\r\n",
      {}, {1, 2, 64});                                 // BOM, CRLF
  check_text("1 2:3\n2 1:1 3:2 70:0.25", {}, {1, 4});  // no final line end
  // The dense limits: an index above 2^28, num_features above it, a matrix over the limit of
  // values, and one the text's bytes do not justify.
  const std::string beyond = std::to_string(softmaxkit::detail::kDenseLibsvmMaxValues + 1);
  check_text("1 1:1\n2 " + beyond + ":1\n", {}, {1, 4096});
  check_text("1 1:1\n", {.num_features = softmaxkit::detail::kDenseLibsvmMaxValues + 1}, {7});
  check_text("1 5:1 20000000:2\n", {}, {1, 4096});
  std::string tall;
  for (int i = 0; i < 5000; ++i) tall += "1 60000:1\n";  // 5000 x 60000 > 2^28 values
  check_text(tall, {}, {4096});
  // One row 4 bytes wider than the floor (64 MiB) needs a text of 64 MiB / 64 + 1 bytes: padded
  // by a comment to exactly that it loads, one byte shorter it is refused; a gzip file of it is a
  // few kilobytes, so only its inflated text's bytes can justify the matrix.
  const std::size_t floor_columns = softmaxkit::libsvm_dense_floor_bytes / sizeof(float);
  const std::string row = "1 " + std::to_string(floor_columns + 1) + ":1\n#";
  const std::size_t needed = softmaxkit::libsvm_dense_floor_bytes / 64 + 1;
  const std::string justified = row + std::string(needed - row.size() - 1, 'x') + "\n";
  REQUIRE(justified.size() == needed);
  // (Read three times only: each read is a 64 MiB matrix, slow under ThreadSanitizer.)
  const std::string loaded =
      outcome([&] { return softmaxkit::parse_libsvm(justified, {}, "j.svm"); });
  CHECK(contains(loaded, "1x16777217:1,16777217:16777216="));
  CHECK(outcome([&] { return softmaxkit::read_libsvm(dir.write("j.svm", justified)); }) == loaded);
  CHECK(outcome([&] {
          return softmaxkit::detail::read_libsvm_in_pieces(dir.write("j.svm", gzip(justified)), {},
                                                           1 << 16, kMemory);
        }) == loaded);
  check_text(justified.substr(1), {}, {1 << 16});  // " <index>:1": its label is missing
  check_text(row + std::string(needed - row.size() - 2, 'x') + "\n", {}, {1 << 16});
  CHECK(contains(error_message([&] {
                   (void)softmaxkit::read_libsvm(
                       dir.write("r.svm.gz", gzip(justified.substr(0, needed - 2) + "\n")));
                 }),
                 "r.svm.gz:2: the dense 1 x 16777217"));
  CHECK(compared > 750);  // 780: the loops ran
}

// softmaxkit-mpi's ranks parse byte-range parts of a file and combine them (the first part's
// error, then "no data records" / "no feature indices" over all parts, the widest part's
// columns): detail::parse_libsvm_csr_in_parts does that in one process, and on every cut at line
// starts must give parse_libsvm_csr's result on the whole text, or its message.
TEST_CASE("LibSVM CSR in parts (softmaxkit-mpi's byte ranges): the whole text's parse") {
  namespace d = softmaxkit::detail;
  std::mt19937_64 random(20261205);
  const auto outcome = [](auto&& parse) {
    try {
      const softmaxkit::SparseDataset data = parse();
      const auto& v = data.features.view();
      std::string out = std::to_string(v.rows()) + "x" + std::to_string(v.cols()) + ":";
      for (const std::int32_t label : data.labels) out += std::to_string(label) + ",";
      for (const std::int64_t offset : v.row_offsets()) out += std::to_string(offset) + ",";
      for (std::size_t e = 0; e < v.nnz(); ++e)
        out += std::to_string(v.column_indices()[e]) + "=" +
               std::to_string(std::bit_cast<std::uint32_t>(v.values()[e])) + ",";
      return out;
    } catch (const softmaxkit::Error& error) {
      return std::string(error.what());
    }
  };
  std::vector<std::pair<std::string, softmaxkit::LibsvmOptions>> texts;
  for (int file = 0; file < 12; ++file) {
    std::vector<Row> rows;
    texts.push_back({random_file(random, 1 + random() % 8, rows), {}});
  }
  for (const MalformedCase& c : malformed_cases())
    texts.push_back({"1 1:1\n# c\n" + c.text, c.options});
  texts.push_back(
      {"\xEF\xBB\xBF"
       "1 2:1\n\n2 5:1\n",
       {}});  // a BOM at the start
  texts.push_back(
      {"1 2:1\n\xEF\xBB\xBF"
       "2 5:1\n",
       {}});                               // and not at a part's
  texts.push_back({"1\n# c\n2\n", {}});    // no index anywhere
  texts.push_back({"1\n2 7:1\n3\n", {}});  // in one part only
  texts.push_back({"# a\n\n# b\n", {}});   // no record
  std::size_t compared = 0;
  for (const auto& [text, options] : texts) {
    CAPTURE(text);
    const std::string whole =
        outcome([&] { return softmaxkit::parse_libsvm_csr(text, options, "f.svm"); });
    compared += softmaxkit::test::for_each_cut_at_line_starts(
        text, [&](const std::vector<std::size_t>& cuts) {
          INFO("cuts at bytes ", cuts.front(), " and ", cuts.back());
          CHECK(outcome([&] {
                  return d::parse_libsvm_csr_in_parts(text, cuts, options, "f.svm", 3);
                }) == whole);
        });
  }
  CHECK(compared > 1000);
  CHECK(contains(outcome([&] {
                   return d::parse_libsvm_csr_in_parts("1 1:1\n2 2:1\n",
                                                       std::vector<std::size_t>{3}, {}, "f.svm", 3);
                 }),
                 "f.svm: cut at byte 3 is not a line start"));
  // A null text with a size is refused by every simulation of a reader, as by parse_libsvm_csr.
  const std::string_view null_text(nullptr, 5);
  CHECK(
      contains(outcome([&] { return d::parse_libsvm_csr_in_parts(null_text, {}, {}, "n.svm", 3); }),
               "n.svm: text is null but has 5 bytes"));
  CHECK(contains(error_message([&] { (void)d::parse_libsvm_in_pieces(null_text, {}, "n.svm", 3); }),
                 "n.svm: text is null but has 5 bytes"));
  CHECK(contains(error_message([&] {
                   (void)softmaxkit::detail::parse_csv_in_parts(null_text, {}, {}, "n.csv", 3);
                 }),
                 "n.csv: text is null but has 5 bytes"));
}

TEST_CASE("LibSVM CSR: a file whose arrays could not fit in memory is refused first") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "1 1:0.5 2:0.25 3:1 4:2 5:3 6:4 7:5 8:6 9:7 10:8\n";
  // 1000 entries, 8 bytes each, and up to 101 rows (100 line ends), 12 bytes each: 9212 bytes.
  const std::string refused =
      ": up to 1000 entries (its ':' count) and 101 rows (its lines) would "
      "need 9212 bytes of CSR arrays, more than the 9211 bytes of memory";
  const std::string path = dir.write("big.svm", text);
  CHECK(error_message([&] {
          (void)softmaxkit::detail::read_libsvm_csr_in_pieces(path, {}, 64, 9211);
        }) == path + refused);
  const auto fits = softmaxkit::detail::read_libsvm_csr_in_pieces(path, {}, 64, 9212);
  CHECK(fits.features.nnz() == 1000);
  CHECK(fits.features.rows() == 100);
  // Gzip-compressed: counted as it is inflated, refused at the same bound.
  const std::string gz = dir.write("big.svm.gz", gzip(text));
  CHECK(error_message([&] {
          (void)softmaxkit::detail::read_libsvm_csr_in_pieces(gz, {}, 64, 9211);
        }) == gz + refused);
  CHECK(softmaxkit::detail::read_libsvm_csr_in_pieces(gz, {}, 64, 9212).features.nnz() == 1000);
  // Rows count too: a gzip file of a million "1\n" lines is about 6 KB.
  std::string lines;
  for (int i = 0; i < 1000000; ++i) lines += "1\n";
  const std::string empty_rows = dir.write("rows.svm.gz", gzip(lines));
  CHECK(error_message([&] {
          (void)softmaxkit::detail::read_libsvm_csr_in_pieces(empty_rows, {}, 4096, 12000011);
        }) == empty_rows +
                  ": up to 0 entries (its ':' count) and 1000001 rows (its lines) would need "
                  "12000012 bytes of CSR arrays, more than the 12000011 bytes of memory");
}

TEST_CASE("LibSVM part of a file: the file's line numbers, no BOM past its start, no record") {
  // As softmaxkit-mpi's ranks parse their parts (detail::TextPart): a part after 40 lines names
  // line 41 on, and only the file's start may hold a byte order mark.
  namespace d = softmaxkit::detail;
  auto parse = [](const std::string& text, std::uint64_t lines_before, std::size_t max_index) {
    const d::TextSource source = d::string_source(text);
    const d::TextCounts counts = d::count_text(source.read);
    return d::parse_counted_libsvm_csr(source, counts, {}, "f.svm", 3, UINT64_MAX,
                                       {.part_of_file = true, .lines_before = lines_before},
                                       max_index);
  };
  CHECK(error_message([&] {
          (void)parse("1 1:2\n# c\n2 3:x\n", 40, softmaxkit::kCsrMaxColumns);
        }) == "f.svm:43:3: value of feature 3: 'x' is not a number");
  CHECK(parse("\xEF\xBB\xBF"
              "1 1:2\n",
              0, softmaxkit::kCsrMaxColumns)
            .labels.size() == 1);
  CHECK(error_message([&] {
          (void)parse(
              "\xEF\xBB\xBF"
              "1 1:2\n",
              7, softmaxkit::kCsrMaxColumns);
        }).starts_with("f.svm:8:1: label:"));
  CHECK(parse("# only a comment\n\n", 5, softmaxkit::kCsrMaxColumns).features.rows() == 0);
  // The dense reader's index limit, at the token, as parse_libsvm gives it.
  const std::string beyond = "1 268435457:1\n";
  CHECK(error_message([&] { (void)parse(beyond, 9, d::kDenseLibsvmMaxValues); }) ==
        "f.svm:10:3: feature index '268435457' exceeds the limit of 268435456");
  CHECK(error_message([&] { (void)softmaxkit::parse_libsvm(beyond, {}, "f.svm"); }) ==
        "f.svm:1:3: feature index '268435457' exceeds the limit of 268435456");
  CHECK(parse(beyond, 9, softmaxkit::kCsrMaxColumns).features.cols() == 268435457);
}

TEST_CASE("LibSVM streamed: a line longer than the limit is refused before its piece grows") {
  namespace d = softmaxkit::detail;
  for (const std::size_t block : {1, 4, 64}) {
    INFO("block ", block);
    CHECK(
        d::parse_libsvm_csr_in_pieces("1 1:2\n1 1:2 9:3\n", {}, "t.svm", block, 9).labels.size() ==
        2);
    CHECK(error_message([&] {
            (void)d::parse_libsvm_csr_in_pieces("1 1:2\n1 1:2 10:3\n", {}, "t.svm", block, 9);
          }) == "t.svm:2: line longer than 9 bytes (the streaming readers' limit on one line)");
  }
}
