// libsvm_label_location / csv_label_location (data.hpp): the line and column of a record's label,
// found by reading the file again. Random files whose writer records where it put each label
// (between blank, comment and padded lines, with a byte order mark, CRLF, gzip, no final line
// end) are read by the reader, to be sure they are valid and to count their rows, and every row
// is located against the writer's record.
#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "softmaxkit/data.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::test::error_message;
using softmaxkit::test::TempDir;

struct Written {
  std::string text;
  std::vector<std::string> locations;  // "line:column" of each record's label
};

std::string line_end(std::mt19937& random, bool crlf) {
  return crlf && random() % 2 == 0 ? "\r\n" : "\n";
}

Written random_libsvm(std::mt19937& random, bool bom, bool crlf) {
  Written out;
  if (bom) out.text = "\xEF\xBB\xBF";
  const int records = 1 + static_cast<int>(random() % 12);
  std::size_t line = 1;
  for (int r = 0; r < records; ++r) {
    // Lines that are no record: blank, spaces and tabs, a comment after padding.
    while (random() % 3 == 0) {
      const char* skipped[] = {"", "  \t", "# a comment 1:2", " \t# 3 4:5"};
      out.text += skipped[random() % 4] + line_end(random, crlf);
      ++line;
    }
    const std::string padding = std::string(random() % 3, ' ') + std::string(random() % 2, '\t');
    out.locations.push_back(std::to_string(line) + ":" + std::to_string(padding.size() + 1));
    out.text += padding + std::to_string(static_cast<int>(random() % 7) - 3);
    for (int index = 1; index < 6; ++index)
      if (random() % 2 == 0) out.text += " " + std::to_string(index) + ":0.5";
    if (random() % 4 == 0) out.text += " # trailing 9:9";
    if (r + 1 < records || random() % 2 == 0) out.text += line_end(random, crlf);
    ++line;
  }
  return out;
}

Written random_csv(std::mt19937& random, const softmaxkit::CsvOptions& options, bool bom,
                   bool crlf) {
  Written out;
  if (bom) out.text = "\xEF\xBB\xBF";
  const std::string separator(1, options.delimiter);
  const int fields = 3;
  const int label = options.label_column == -1 ? fields - 1 : options.label_column;
  if (options.has_header)
    out.text += "a" + separator + "b" + separator + "c" + line_end(random, crlf);
  const int records = 1 + static_cast<int>(random() % 10);
  for (int r = 0; r < records; ++r) {
    std::string record;
    for (int f = 0; f < fields; ++f) {
      if (f != 0) record += separator;
      // Padding the reader trims: spaces, and tabs where the delimiter is not a tab.
      const std::string padding =
          std::string(random() % 3, ' ') + (options.delimiter != '\t' && random() % 2 ? "\t" : "");
      if (f == label) {
        const std::size_t line = static_cast<std::size_t>(r) + (options.has_header ? 2 : 1);
        out.locations.push_back(std::to_string(line) + ":" +
                                std::to_string(record.size() + padding.size() + 1));
      }
      record += padding + (f == label ? std::to_string(random() % 5) : std::string("1.25")) +
                std::string(random() % 2, ' ');
    }
    out.text += record;
    if (r + 1 < records || random() % 2 == 0) out.text += line_end(random, crlf);
  }
  // Blank lines may follow the last record.
  if (!out.text.empty() && out.text.back() == '\n' && random() % 2 == 0) out.text += "\n  \n";
  return out;
}

}  // namespace

TEST_CASE("libsvm_label_location names the line and column of every record's label") {
  const TempDir dir;
  std::mt19937 random(2026);
  for (int trial = 0; trial < 120; ++trial) {
    const bool bom = trial % 3 == 0, crlf = trial % 2 == 0, compressed = trial % 4 == 1;
    const Written file = random_libsvm(random, bom, crlf);
    const std::string path = dir.write("f" + std::to_string(trial) + ".svm",
                                       compressed ? softmaxkit::test::gzip(file.text) : file.text);
    softmaxkit::LibsvmOptions options;
    options.num_features = 5;
    const softmaxkit::SparseDataset data = softmaxkit::read_libsvm_csr(path, options);
    REQUIRE(data.labels.size() == file.locations.size());
    for (std::size_t row = 0; row < file.locations.size(); ++row)
      CHECK(softmaxkit::libsvm_label_location(path, row) == path + ":" + file.locations[row]);
    const std::size_t rows = file.locations.size();
    CHECK(error_message([&] { softmaxkit::libsvm_label_location(path, rows); }) ==
          path + ": has " + std::to_string(rows) + " records, so no record " +
              std::to_string(rows) + " (counted from 0; did the file change?)");
  }
  CHECK(error_message([&] {
          softmaxkit::libsvm_label_location(dir.file("absent.svm"), 0);
        }).find("absent.svm") != std::string::npos);
}

TEST_CASE("csv_label_location names the line and column of every record's label") {
  const TempDir dir;
  std::mt19937 random(7);
  for (int trial = 0; trial < 160; ++trial) {
    softmaxkit::CsvOptions options;
    options.label_column = static_cast<int>(trial % 4) - 1;  // -1 (last), 0, 1, 2
    options.has_header = trial % 3 == 0;
    options.delimiter = trial % 5 == 0 ? '\t' : trial % 5 == 1 ? ';' : ',';
    const bool bom = trial % 7 == 0, crlf = trial % 2 == 1, compressed = trial % 4 == 3;
    const Written file = random_csv(random, options, bom, crlf);
    const std::string path = dir.write("f" + std::to_string(trial) + ".csv",
                                       compressed ? softmaxkit::test::gzip(file.text) : file.text);
    const softmaxkit::Dataset data = softmaxkit::read_csv(path, options);
    REQUIRE(data.labels.size() == file.locations.size());
    for (std::size_t row = 0; row < file.locations.size(); ++row)
      CHECK(softmaxkit::csv_label_location(path, row, options) == path + ":" + file.locations[row]);
    CHECK(error_message([&] {
            softmaxkit::csv_label_location(path, file.locations.size(), options);
          }).find("records, so no record") != std::string::npos);
  }
  const std::string path = dir.write("plain.csv", "1,2\n3,4\n");
  softmaxkit::CsvOptions unlabelled;
  unlabelled.has_labels = false;
  CHECK(error_message([&] { softmaxkit::csv_label_location(path, 0, unlabelled); }) ==
        path + ": has_labels is false: the records have no label");
  softmaxkit::CsvOptions bad_column;
  bad_column.label_column = -2;
  CHECK(error_message([&] {
          softmaxkit::csv_label_location(path, 0, bad_column);
        }).find("label_column -2") != std::string::npos);
}

TEST_CASE("label locations past lines longer than one 16 MiB piece of the streamed reader") {
  // The location is found by the readers' streaming, piece by piece: a line may span pieces.
  const TempDir dir;
  const std::size_t long_line = (std::size_t{17} << 20) + 3;
  const std::string libsvm = "1 1:0.5\n#" + std::string(long_line, 'c') + "\n" +
                             std::string(long_line, ' ') + "2 2:0.25\n3 1:1\n";
  for (const bool compressed : {false, true}) {
    CAPTURE(compressed);
    const std::string path = dir.write(compressed ? "long.svm.gz" : "long.svm",
                                       compressed ? softmaxkit::test::gzip(libsvm) : libsvm);
    CHECK(softmaxkit::libsvm_label_location(path, 0) == path + ":1:1");
    CHECK(softmaxkit::libsvm_label_location(path, 1) ==
          path + ":3:" + std::to_string(long_line + 1));
    CHECK(softmaxkit::libsvm_label_location(path, 2) == path + ":4:1");
  }
  // CSV: a header longer than a piece, then a record whose label (the last field) is too.
  const std::string csv =
      std::string(long_line, 'h') + ",label\n1,2\n" + std::string(long_line, '7') + ",3\n";
  softmaxkit::CsvOptions options;
  options.has_header = true;
  options.label_column = -1;
  const std::string path = dir.write("long.csv", csv);
  CHECK(softmaxkit::csv_label_location(path, 0, options) == path + ":2:3");
  CHECK(softmaxkit::csv_label_location(path, 1, options) ==
        path + ":3:" + std::to_string(long_line + 2));
}
