// Dataset readers: IDX (plain and gzip), CSV and LibSVM. Fixtures are written
// into a fresh temporary directory by each test case.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/csv_pieces.hpp"
#include "io/file_io.hpp"
#include "softmaxkit/data.hpp"
#include "test_files.hpp"

using softmaxkit::test::contains;
using softmaxkit::test::error_message;
using softmaxkit::test::gzip;
using softmaxkit::test::TempDir;

// Checks that expr throws softmaxkit::Error whose message contains every part.
#define CHECK_ERROR(expr, ...)                                                          \
  do {                                                                                  \
    const std::string message_ = error_message([&] { (void)(expr); });                  \
    INFO("message: ", message_);                                                        \
    for (std::string_view part_ : std::initializer_list<std::string_view>{__VA_ARGS__}) \
      CHECK(contains(message_, part_));                                                 \
  } while (0)

namespace {

void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::string idx_header(unsigned char type, const std::vector<std::uint32_t>& dims) {
  std::string out = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (const std::uint32_t d : dims) put_be(out, d, 4);
  return out;
}

std::string idx_ubyte(const std::vector<std::uint32_t>& dims, const std::vector<unsigned char>& v) {
  std::string out = idx_header(0x08, dims);
  for (const unsigned char b : v) out.push_back(static_cast<char>(b));
  return out;
}

// Two 2x3 images and their labels.
const std::vector<unsigned char> kPixels = {0, 51, 255, 1, 128, 7, 9, 10, 11, 12, 13, 14};
const std::vector<unsigned char> kLabels = {3, 9};

}  // namespace

TEST_CASE("IDX uint8 images and labels, plain and gzip") {
  TempDir dir;
  const std::string images = idx_ubyte({2, 2, 3}, kPixels);
  const std::string labels = idx_ubyte({2}, kLabels);
  const std::string images_path = dir.write("images.idx", images);
  const std::string labels_path = dir.write("labels.idx", labels);
  const std::string images_gz = dir.write("images.idx.gz", gzip(images));
  const std::string labels_gz = dir.write("labels.idx.gz", gzip(labels));

  for (const auto& files : {std::pair{images_path, labels_path}, std::pair{images_gz, labels_gz},
                            std::pair{images_path, labels_gz}}) {
    const std::string& img = files.first;
    const std::string& lab = files.second;
    CAPTURE(img);
    const softmaxkit::Dataset data = softmaxkit::read_idx(img, lab);
    REQUIRE(data.rows == 2);
    REQUIRE(data.cols == 6);
    REQUIRE(data.features.size() == 12);
    for (std::size_t i = 0; i < kPixels.size(); ++i) {
      CHECK(data.features[i] == static_cast<float>(kPixels[i]) / 255.0f);
    }
    CHECK(data.labels == std::vector<std::int32_t>{3, 9});
  }
  CHECK(softmaxkit::read_idx(images_path, labels_path).features[2] == 1.0f);

  const softmaxkit::Dataset raw = softmaxkit::read_idx_images(images_gz, {.scale_to_unit = false});
  CHECK(raw.labels.empty());
  for (std::size_t i = 0; i < kPixels.size(); ++i) CHECK(raw.features[i] == kPixels[i]);
  CHECK(softmaxkit::read_idx_labels(labels_gz) == std::vector<std::int32_t>{3, 9});

  // Concatenated gzip members are one stream.
  const std::string split =
      dir.write("split.gz", gzip(images.substr(0, 10)) + gzip(images.substr(10)));
  CHECK(softmaxkit::read_idx_images(split).features ==
        softmaxkit::read_idx_images(images_path).features);
}

TEST_CASE("IDX other element types and dimension counts") {
  TempDir dir;
  SUBCASE("sbyte 1-D: one column, not scaled") {
    std::string bytes = idx_header(0x09, {3});
    bytes += {'\x80', '\x7f', '\xff'};
    const auto data = softmaxkit::parse_idx(bytes, {}, {}, "s");
    CHECK(data.rows == 3);
    CHECK(data.cols == 1);
    CHECK(data.features == std::vector<float>{-128, 127, -1});
  }
  SUBCASE("int16 and int32 4-D") {
    std::string shorts = idx_header(0x0B, {2, 1, 1, 2});
    for (const std::int16_t v :
         {std::int16_t{-300}, std::int16_t{5}, std::int16_t{32767}, std::int16_t{-32768}})
      put_be(shorts, static_cast<std::uint16_t>(v), 2);
    const auto s = softmaxkit::read_idx_images(dir.write("s.idx", shorts));
    CHECK(s.rows == 2);
    CHECK(s.cols == 2);
    CHECK(s.features == std::vector<float>{-300, 5, 32767, -32768});
    std::string ints = idx_header(0x0C, {1, 2});
    for (const std::int32_t v : {-70000, 16777216}) put_be(ints, static_cast<std::uint32_t>(v), 4);
    CHECK(softmaxkit::parse_idx(ints, {}, {}, "i").features ==
          std::vector<float>{-70000, 16777216});
  }
  SUBCASE("float32 and float64, with float labels") {
    std::string floats = idx_header(0x0D, {2, 1});
    for (const float v : {0.1f, -2.5e30f}) put_be(floats, std::bit_cast<std::uint32_t>(v), 4);
    std::string doubles = idx_header(0x0E, {2});
    for (const double v : {0.25, -1e-3}) put_be(doubles, std::bit_cast<std::uint64_t>(v), 8);
    std::string labels = idx_header(0x0E, {2});
    for (const double v : {-4.0, 7.0}) put_be(labels, std::bit_cast<std::uint64_t>(v), 8);
    const auto f = softmaxkit::parse_idx(floats, labels, {}, "f");
    CHECK(f.features == std::vector<float>{0.1f, -2.5e30f});
    CHECK(f.labels == std::vector<std::int32_t>{-4, 7});
    CHECK(softmaxkit::parse_idx(doubles, {}, {}, "d").features ==
          std::vector<float>{0.25f, static_cast<float>(-1e-3)});
  }
  SUBCASE("int32 labels keep their sign") {
    std::string labels = idx_header(0x0C, {2});
    put_be(labels, static_cast<std::uint32_t>(-5), 4);
    put_be(labels, 100000, 4);
    CHECK(softmaxkit::read_idx_labels(dir.write("l.idx", labels)) ==
          std::vector<std::int32_t>{-5, 100000});
  }
}

TEST_CASE("IDX malformed files name the file and the byte offset") {
  TempDir dir;
  const std::string good = idx_ubyte({2, 2, 3}, kPixels);
  const std::string labels = dir.write("labels.idx", idx_ubyte({2}, kLabels));
  auto images_error = [&](const std::string& bytes) {
    return error_message([&] { softmaxkit::read_idx_images(dir.write("bad.idx", bytes)); });
  };
  SUBCASE("bad magic") {
    std::string bytes = good;
    bytes[0] = 1;
    const std::string m = images_error(bytes);
    CHECK(contains(m, "bad.idx: byte offset 0"));
    CHECK(contains(m, "magic"));
    bytes = good;
    bytes[2] = 0x0A;  // no such element type
    CHECK(contains(images_error(bytes), "bad.idx: byte offset 0: bad IDX magic number 0x00000a03"));
  }
  SUBCASE("zero dimensions, zero-sized dimension") {
    CHECK(contains(images_error(idx_header(0x08, {})), "bad.idx: byte offset 3"));
    CHECK(contains(images_error(idx_ubyte({2, 0, 3}, {})),
                   "bad.idx: byte offset 8: dimension 1 is zero"));
  }
  SUBCASE("truncated header and data") {
    CHECK(contains(images_error(""), "bad.idx: byte offset 0: truncated"));
    CHECK(contains(images_error(good.substr(0, 3)), "bad.idx: byte offset 3: truncated"));
    CHECK(contains(images_error(good.substr(0, 10)),
                   "bad.idx: byte offset 10: truncated IDX header"));
    const std::string m = images_error(good.substr(0, good.size() - 1));
    CHECK(contains(m, "bad.idx: byte offset 27: truncated IDX data"));
    CHECK(contains(m, "ending at byte offset 28"));
  }
  SUBCASE("trailing garbage") {
    CHECK(contains(images_error(good + "xy"), "bad.idx: byte offset 28: 2 trailing bytes"));
  }
  SUBCASE("dimension product overflow") {
    const std::string m = images_error(idx_header(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}));
    CHECK(contains(m, "bad.idx: byte offset"));
    CHECK(contains(m, "overflow"));
  }
  SUBCASE("non-finite and out-of-range floating-point values") {
    std::string floats = idx_header(0x0D, {1, 2});
    put_be(floats, std::bit_cast<std::uint32_t>(1.0f), 4);
    put_be(floats, std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN()), 4);
    CHECK(
        contains(images_error(floats), "bad.idx: byte offset 16: value nan is not a finite float"));
    std::string doubles = idx_header(0x0E, {1});
    put_be(doubles, std::bit_cast<std::uint64_t>(1e300), 8);
    const std::string big = images_error(doubles);
    CHECK(contains(big, "bad.idx: byte offset 8"));
    // The value as its shortest round-trip text (std::to_string printed 301 digits).
    CHECK(contains(big, "value 1e+300 is not a finite float"));
    CHECK(big.size() < 120);
  }
  SUBCASE("float64 values that round to FLT_MAX are read as it, as the text readers read them") {
    // 3.4028235e38 (above FLT_MAX = 3.40282347e38) was refused; FLT_MAX + half its ulp rounds to
    // inf and stays refused.
    std::string doubles = idx_header(0x0E, {3});
    for (const double v : {3.4028235e38, 3.4028235677973362e38, -3.4028235e38})
      put_be(doubles, std::bit_cast<std::uint64_t>(v), 8);
    const softmaxkit::Dataset read = softmaxkit::read_idx_images(dir.write("near.idx", doubles));
    constexpr float kMax = std::numeric_limits<float>::max();
    CHECK(read.features == std::vector<float>{kMax, kMax, -kMax});
    std::string beyond = idx_header(0x0E, {1});
    put_be(beyond, std::bit_cast<std::uint64_t>(0x1.ffffffp+127), 8);
    CHECK(contains(images_error(beyond), "is not a finite float"));
  }
  SUBCASE("a gzip file whose header declares more than 2 GiB is refused before inflating") {
    // 2^20 x 512 float64 values: 4 GiB, which a few MB of gzip inflated in full (the value
    // limit, 2^29, is 2 GiB only as float).
    const std::string path = dir.write("huge.idx.gz", gzip(idx_header(0x0E, {1u << 20, 512})));
    const std::string m = error_message([&] { softmaxkit::read_idx_images(path); });
    CHECK(contains(m,
                   "huge.idx.gz: its header declares 4294967308 bytes once inflated, beyond "
                   "the limit of 2147483648 bytes"));
  }
  SUBCASE("labels: count mismatch, several values per item, fractional") {
    const std::string three = dir.write("three.idx", idx_ubyte({3}, {1, 2, 3}));
    const std::string images = dir.write("images.idx", good);
    CHECK_ERROR(softmaxkit::read_idx(images, three), "images.idx has 2 items",
                "three.idx has 3 labels");
    CHECK_ERROR(softmaxkit::read_idx_labels(images), "images.idx: byte offset 8",
                "one label per item");
    std::string frac = idx_header(0x0D, {1});
    put_be(frac, std::bit_cast<std::uint32_t>(2.5f), 4);
    CHECK_ERROR(softmaxkit::read_idx_labels(dir.write("frac.idx", frac)), "frac.idx: byte offset 8",
                "not an integer");
    CHECK_ERROR(softmaxkit::parse_idx(good, idx_ubyte({1}, {1}), {}, "mem"),
                "mem [images] has 2 items");
  }
  SUBCASE("gzip: truncated, corrupt, trailing bytes") {
    const std::string gz = gzip(good);
    CHECK(contains(images_error(gz.substr(0, gz.size() - 5)), "bad.idx: gzip data truncated"));
    std::string corrupt = gz;
    corrupt[12] = static_cast<char>(corrupt[12] ^ 0x55);
    corrupt[13] = static_cast<char>(corrupt[13] ^ 0x55);
    CHECK(contains(images_error(corrupt), "bad.idx"));
    CHECK(contains(images_error(gz + "junk"),
                   "bad.idx: trailing bytes after gzip data at compressed byte offset"));
    CHECK(contains(images_error(gzip(good + "z")),
                   "bad.idx: decompressed data exceeds the expected 28 bytes"));
    CHECK(contains(images_error(gzip(good.substr(0, 20))),
                   "bad.idx (decompressed): byte offset 20: truncated"));
  }
  SUBCASE("gzip bomb stops at the size the header declares") {
    // Header declares 4 bytes of data; the stream inflates to 64 MiB of zeros.
    std::string bomb = idx_header(0x08, {4});
    bomb.append(std::size_t{64} << 20, '\0');
    CHECK(contains(images_error(gzip(bomb)), "exceeds the expected 12 bytes"));
    // Header declares 2^29 values but the stream holds only a few.
    CHECK(
        contains(images_error(gzip(idx_header(0x08, {1u << 15, 1u << 14}) + "abc")), "truncated"));
  }
}

TEST_CASE("readers reject missing files, directories and FIFOs without blocking") {
  TempDir dir;
  const std::string missing = dir.file("missing.csv");
  CHECK_ERROR(softmaxkit::read_csv(missing), "missing.csv", "No such file");
  const std::string directory = dir.path().string();
  CHECK_ERROR(softmaxkit::read_libsvm(directory), directory, "directory");
  CHECK_ERROR(softmaxkit::read_idx_images(directory), directory, "directory");
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_ERROR(softmaxkit::read_csv(fifo), "pipe", "FIFO");
  CHECK_ERROR(softmaxkit::read_idx_labels(fifo), "pipe", "FIFO");
}

TEST_CASE("CSV good files") {
  TempDir dir;
  SUBCASE("header, CRLF, label first, blank last lines") {
    const std::string path = dir.write("a.csv", "y,x1,x2\r\n3,0.5,-1e3\r\n1.0, 2 ,+4\r\n\r\n\n");
    const auto data = softmaxkit::read_csv(path, {.has_header = true});
    CHECK(data.rows == 2);
    CHECK(data.cols == 2);
    CHECK(data.features == std::vector<float>{0.5f, -1000.0f, 2.0f, 4.0f});
    CHECK(data.labels == std::vector<std::int32_t>{3, 1});
  }
  SUBCASE("label last, no trailing newline, semicolons") {
    const auto data =
        softmaxkit::parse_csv("1.25;2;-7\n3;4;0", {.label_column = -1, .delimiter = ';'}, "m");
    CHECK(data.features == std::vector<float>{1.25f, 2, 3, 4});
    CHECK(data.labels == std::vector<std::int32_t>{-7, 0});
  }
  SUBCASE("label in the middle, tab delimiter, tiny values round to zero") {
    const auto data = softmaxkit::parse_csv("1\t2\t3\n1e-50\t5\t6\n",
                                            {.label_column = 1, .delimiter = '\t'}, "m");
    CHECK(data.features == std::vector<float>{1, 3, 0, 6});
    CHECK(data.labels == std::vector<std::int32_t>{2, 5});
    // Below double's range too (1e-400 was refused as out of range): zero of its sign; beyond
    // it stays refused.
    const auto below = softmaxkit::parse_csv(
        "1,1e-400,-1e-400,0.000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000001,12e-99999999999\n",
        {}, "m");
    REQUIRE(below.features.size() == 4);
    for (const float v : below.features) CHECK(v == 0.0f);
    CHECK(!std::signbit(below.features[0]));
    CHECK(std::signbit(below.features[1]));
    CHECK_THROWS_WITH_AS(softmaxkit::parse_csv("1,1e400\n", {}, "m"),
                         doctest::Contains("out of range"), softmaxkit::Error);
  }
  SUBCASE("no label column: every field a feature, one field a record, label_column unused") {
    const auto data = softmaxkit::parse_csv("1.5,2,3\n4,5,6e-1\n",
                                            {.label_column = -7, .has_labels = false}, "m");
    CHECK(data.rows == 2);
    CHECK(data.cols == 3);
    CHECK(data.features == std::vector<float>{1.5f, 2, 3, 4, 5, 0.6f});
    CHECK(data.labels.empty());
    const auto one = softmaxkit::parse_csv("7\n-2.5\n", {.has_labels = false}, "m");
    CHECK(one.cols == 1);
    CHECK(one.features == std::vector<float>{7, -2.5f});
    // A label-like field is a feature like any other: 3.5 is read, not refused as a label.
    CHECK(softmaxkit::parse_csv("3.5,1\n", {.has_labels = false}, "m").features ==
          std::vector<float>{3.5f, 1});
    CHECK_THROWS_WITH_AS(softmaxkit::parse_csv("1,x\n", {.has_labels = false}, "m"),
                         doctest::Contains("m:1:3: field 2: "), softmaxkit::Error);
  }
}

TEST_CASE("CSV malformed files name file:line:column") {
  TempDir dir;
  auto csv_error = [&](const std::string& text, softmaxkit::CsvOptions options = {}) {
    return error_message([&] { softmaxkit::read_csv(dir.write("d.csv", text), options); });
  };
  CHECK(contains(csv_error("1,2,3\n4,5\n"), "d.csv:2: expected 3 fields"));
  CHECK(contains(csv_error("1,2,3\n4,5,6,7\n"), "d.csv:2: expected 3 fields"));
  CHECK(contains(csv_error("1,2,3\n4,,6\n"), "d.csv:2:3: field 2: empty field"));
  CHECK(contains(csv_error("1,2,3\n4,5,abc\n"), "d.csv:2:5: field 3: 'abc' is not a number"));
  CHECK(contains(csv_error("1,2,3\n4,5,6x\n"), "d.csv:2:5: field 3: '6x' is not a number"));
  CHECK(contains(csv_error("1,nan,3\n"), "d.csv:1:3: field 2: 'nan' is not finite"));
  CHECK(contains(csv_error("1,2,-inf\n"), "d.csv:1:5: field 3: '-inf' is not finite"));
  CHECK(contains(csv_error("1,2,1e39\n"), "d.csv:1:5: field 3: '1e39' is out of range"));
  CHECK(contains(csv_error("0,1\n3.5,2\n"),
                 "d.csv:2:1: field 1 (label): '3.5' is not an integer label"));
  CHECK(contains(csv_error("0,1\n1e10,2\n"), "d.csv:2:1: field 1 (label): '1e10' is out of range"));
  // The label's text must name an integer, not only its double: these read as 1, 15 and 3.
  for (const char* label :
       {"0.99999999999999999", "1.4999999999999999999e1", "3.00000000000000001"})
    CHECK(contains(csv_error("0,1\n" + std::string(label) + ",2\n"),
                   "d.csv:2:1: field 1 (label): '" + std::string(label) + "' is not an integer"));
  for (const char* label : {"12e-1", "0.35e1", "-1.5", "1e-1"})
    CHECK(contains(csv_error("0,1\n" + std::string(label) + ",2\n"), "is not an integer"));
  {  // and integers however written: exponents, trailing zeros, signs, a zero of any exponent
    const auto data = softmaxkit::parse_csv(
        "3e0,1\n30e-1,1\n0.3e1,1\n+3.000,1\n-2.50e1,1\n1.5e1,1\n-0,1\n0e99999999999999999999,1\n"
        "0.0e-5,1\n150000e-4,1\n",
        {}, "d.csv");
    CHECK(data.labels == std::vector<std::int32_t>{3, 3, 3, 3, -25, 15, 0, 0, 0, 15});
  }
  CHECK(contains(csv_error("1,2\n\n3,4\n"), "d.csv:2: blank line in the middle"));
  CHECK(contains(csv_error("1,2\n", {.label_column = 2}), "d.csv:1: label_column 2 is beyond"));
  CHECK(contains(csv_error("1,2\n", {.label_column = -2}), "d.csv: label_column -2 is invalid"));
  CHECK(contains(csv_error("5\n6\n"), "d.csv:1: a record needs a label and at least one feature"));
  CHECK(contains(csv_error(""), "d.csv:1: no data records"));
  CHECK(contains(csv_error("\n\n"), "d.csv:2: no data records"));
  CHECK(contains(csv_error("", {.has_header = true}), "d.csv:1: missing header"));
  CHECK(contains(csv_error("a,b\n", {.has_header = true}), "d.csv:1: no data records"));
  CHECK(contains(csv_error("a,b,c\n1,2\n", {.has_header = true}),
                 "d.csv:1: header has 3 fields but line 2 has 2"));
  CHECK(contains(csv_error("\"1\",2\n"), "d.csv:1:1: field 1 (label): '\"1\"' is not a number"));
}

// Labels written as I.F x 10^s with the point moved by s (padding with zeros as needed): an
// integer exactly when F's digits are all zeros, whatever the spelling, even where the double of
// a fraction is an integer (F = 25 digits ending in 1).
TEST_CASE("label text: integer exactly when its digits say so, over random spellings") {
  std::mt19937_64 random(2026);
  auto digit = [&](bool nonzero) {
    return static_cast<char>('0' + (nonzero ? 1 + random() % 9 : random() % 10));
  };
  int refused = 0, accepted = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string integer(1 + random() % 6, '0');
    for (char& c : integer) c = digit(false);
    std::string fraction(random() % 26, '0');
    const bool integral = fraction.empty() || random() % 2 == 0;
    if (!integral) {
      for (char& c : fraction) c = random() % 3 == 0 ? digit(false) : '0';
      fraction[random() % fraction.size()] = digit(true);
    }
    // Move the point left by `shift` (exponent +shift) or right (negative), padding with zeros.
    const int shift = static_cast<int>(random() % 11) - 5;
    std::string digits = integer + fraction;
    long long point = static_cast<long long>(integer.size()) - shift;
    if (point < 0) {
      digits.insert(0, static_cast<std::size_t>(-point), '0');
      point = 0;
    }
    if (point > static_cast<long long>(digits.size())) digits.append(point - digits.size(), '0');
    std::string text = digits.substr(0, static_cast<std::size_t>(point));
    if (text.empty()) text = "0";
    if (static_cast<std::size_t>(point) < digits.size()) text += "." + digits.substr(point);
    text += "e" + std::to_string(shift);
    if (random() % 2 == 0) text.insert(0, "-");
    CAPTURE(text);
    const softmaxkit::Dataset data = [&] {
      try {
        return softmaxkit::parse_csv(text + ",1\n", {}, "d.csv");
      } catch (const softmaxkit::Error& error) {
        CHECK(!integral);
        CHECK(std::string(error.what()).find("is not an integer") != std::string::npos);
        ++refused;
        return softmaxkit::Dataset{};
      }
    }();
    if (data.rows == 0) continue;
    CHECK(integral);
    const long long expected = std::stoll(integer);
    CHECK(std::llabs(data.labels[0]) == expected);
    ++accepted;
  }
  CHECK(refused > 5000);
  CHECK(accepted > 5000);
}

TEST_CASE("LibSVM good files") {
  TempDir dir;
  const std::string path = dir.write("a.svm",
                                     "# leading comment\n"
                                     "+1 1:0.5 3:-2\n"
                                     "\n"
                                     "-1 qid:7 2:1e-2   4:8 # trailing comment\r\n"
                                     "3\n"
                                     "2.0\t1:1\n");
  const auto inferred = softmaxkit::read_libsvm(path);
  CHECK(inferred.rows == 4);
  CHECK(inferred.cols == 4);
  CHECK(inferred.labels == std::vector<std::int32_t>{1, -1, 3, 2});
  CHECK(inferred.features == std::vector<float>{0.5f, 0, -2, 0,  //
                                                0, 0.01f, 0, 8,  //
                                                0, 0, 0, 0,      //
                                                1, 0, 0, 0});
  const auto wide = softmaxkit::read_libsvm(path, {.num_features = 6});
  CHECK(wide.cols == 6);
  CHECK(wide.features[6 + 3] == 8.0f);
  CHECK(wide.features[6 + 5] == 0.0f);
  // A file of labels only needs num_features.
  CHECK(softmaxkit::parse_libsvm("1\n2\n", {.num_features = 2}, "m").features.size() == 4);
}

TEST_CASE("LibSVM malformed files name file:line:column") {
  TempDir dir;
  auto svm_error = [&](const std::string& text, softmaxkit::LibsvmOptions options = {}) {
    return error_message([&] { softmaxkit::read_libsvm(dir.write("d.svm", text), options); });
  };
  CHECK(contains(svm_error("1 1:1\n1 0:2\n"), "d.svm:2:3: feature index 0 is invalid"));
  CHECK(
      contains(svm_error("1 -3:2\n"), "d.svm:1:3: feature index '-3' must be a positive integer"));
  CHECK(contains(svm_error("1 2:1 2:3\n"),
                 "d.svm:1:7: feature index 2 is not greater than the previous index 2"));
  CHECK(contains(svm_error("1 5:1 2:3\n"), "d.svm:1:7: feature index 2 is not greater"));
  CHECK(contains(svm_error("1 1:1 7\n"), "d.svm:1:7: malformed token '7'"));
  CHECK(contains(svm_error("1 x:1\n"), "d.svm:1:3: feature index 'x' is not an integer"));
  CHECK(contains(svm_error("1 :1\n"), "d.svm:1:3: missing feature index"));
  CHECK(contains(svm_error("1 1:\n"), "d.svm:1:3: value of feature 1: empty field"));
  CHECK(contains(svm_error("1 1:abc\n"), "d.svm:1:3: value of feature 1: 'abc' is not a number"));
  CHECK(contains(svm_error("1 1:nan\n"), "d.svm:1:3: value of feature 1: 'nan' is not finite"));
  CHECK(contains(svm_error("1 1:1\n1 3:1\n", {.num_features = 2}),
                 "d.svm:2:3: feature index 3 exceeds num_features 2"));
  CHECK(contains(svm_error("1.5 1:1\n"), "d.svm:1:1: label: '1.5' is not an integer label"));
  CHECK(contains(svm_error("1:1 2:2\n"), "d.svm:1:1: label: '1:1' is not a number"));
  CHECK(contains(svm_error("1 99999999999999999999:1\n"), "d.svm:1:3: feature index"));
  CHECK(contains(svm_error("1 1000000000:1\n"), "exceeds the limit"));
  CHECK(contains(svm_error("# nothing\n\n"), "d.svm:2: no data records"));
  CHECK(contains(svm_error("1\n2\n"), "d.svm:2: no feature indices found"));
}

// GzipReader (the streamed inflation behind gunzip and read_libsvm_csr's gzip files): whatever
// sizes the source gives and the caller asks for, the bytes are the deflated data's; a stream
// cut anywhere inside a member is "truncated" at the cut, and a cut one byte past a member's end
// leaves "trailing bytes" at that end.
TEST_CASE("GzipReader: any piece sizes give the data; every cut names its offset") {
  std::mt19937_64 random(7);
  std::string a, b;
  for (int i = 0; i < 3000; ++i) a += std::to_string(random() % 1000) + (i % 9 ? " " : "\n");
  for (int i = 0; i < 200; ++i) b += static_cast<char>(random() % 256);  // barely compressible
  const std::string compressed = gzip(a) + gzip("") + gzip(b), data = a + b;
  const std::size_t first_end = gzip(a).size(), second_end = first_end + gzip("").size();
  const auto inflate = [&](std::string_view bytes, std::size_t max_in, std::size_t max_out) {
    std::size_t position = 0;
    softmaxkit::detail::GzipReader reader("z.gz", [&](char* into, std::size_t count) {
      const std::size_t n =
          std::min({count, bytes.size() - position, std::size_t(1 + random() % max_in)});
      std::copy_n(bytes.data() + position, n, into);
      position += n;
      return n;
    });
    std::string out;
    std::vector<char> buffer(max_out);
    for (std::size_t got; (got = reader.read(buffer.data(), 1 + random() % max_out)) != 0;)
      out.append(buffer.data(), got);
    CHECK(reader.read(buffer.data(), max_out) == 0);  // stays at the end
    return out;
  };
  for (const auto& [max_in, max_out] : {std::pair<std::size_t, std::size_t>{1, 1},
                                        {3, 7},
                                        {1, 1 << 16},
                                        {1 << 16, 1},
                                        {100, 1000}}) {
    CAPTURE(max_in);
    CAPTURE(max_out);
    CHECK(inflate(compressed, max_in, max_out) == data);
  }
  for (std::size_t cut = 0; cut < compressed.size(); ++cut) {
    CAPTURE(cut);
    const std::string message =
        error_message([&] { (void)inflate(compressed.substr(0, cut), 1 + cut % 5, 4096); });
    if (cut == first_end || cut == second_end) {
      CHECK(message == "<no error>");
    } else if (cut == first_end + 1 || cut == second_end + 1) {
      CHECK(message == "z.gz: trailing bytes after gzip data at compressed byte offset " +
                           std::to_string(cut - 1));
    } else {
      CHECK(message ==
            "z.gz: gzip data truncated at compressed byte offset " + std::to_string(cut));
    }
  }
  // Corrupt deflate data: an Error naming an offset, never a wrong text.
  std::string corrupt = compressed;
  for (std::size_t at = 10; at < first_end - 8; at += 97) {
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x5a);
    const std::string message = error_message([&] { (void)inflate(corrupt, 64, 64); });
    CHECK(contains(message, "z.gz: "));
    CHECK(contains(message, "compressed byte offset"));
    corrupt[at] = compressed[at];
  }
}

// CSV and LibSVM files may be gzip-compressed: the same rows as the plain file, bit for bit;
// damaged gzip data and text beyond the input limit are Errors naming the file. Tokens in
// messages are cut at 64 bytes and show non-printable bytes escaped.
TEST_CASE("CSV and LibSVM, gzip-compressed, and binary bytes in messages") {
  TempDir dir;
  std::string svm, csv;
  for (int i = 0; i < 500; ++i) {
    svm += std::to_string(i % 3) + " " + std::to_string(1 + i % 7) + ":" +
           std::to_string(i * 0.25) + " 9:" + std::to_string(i) + "\n";
    csv += std::to_string(i % 4) + "," + std::to_string(i * 0.5) + ",-" + std::to_string(i) + "\n";
  }
  const std::string svm_plain = dir.write("a.svm", svm), svm_gz = dir.write("a.svm.gz", gzip(svm));
  const std::string csv_plain = dir.write("a.csv", csv), csv_gz = dir.write("a.csv.gz", gzip(csv));
  // Two concatenated members are one text, as gunzip reads them.
  const std::string svm_split =
      dir.write("split.svm.gz", gzip(svm.substr(0, 1000)) + gzip(svm.substr(1000)));
  const auto sparse = softmaxkit::read_libsvm_csr(svm_plain);
  for (const std::string& path : {svm_gz, svm_split}) {
    CAPTURE(path);
    const auto read = softmaxkit::read_libsvm_csr(path);
    CHECK(read.labels == sparse.labels);
    CHECK(read.features.cols() == sparse.features.cols());
    CHECK(std::vector<std::int64_t>(read.features.view().row_offsets().begin(),
                                    read.features.view().row_offsets().end()) ==
          std::vector<std::int64_t>(sparse.features.view().row_offsets().begin(),
                                    sparse.features.view().row_offsets().end()));
    CHECK(std::vector<float>(read.features.view().values().begin(),
                             read.features.view().values().end()) ==
          std::vector<float>(sparse.features.view().values().begin(),
                             sparse.features.view().values().end()));
    CHECK(softmaxkit::read_libsvm(path).features == softmaxkit::read_libsvm(svm_plain).features);
  }
  const auto dense = softmaxkit::read_csv(csv_plain), inflated = softmaxkit::read_csv(csv_gz);
  CHECK(inflated.rows == 500);
  CHECK(inflated.features == dense.features);
  CHECK(inflated.labels == dense.labels);

  const std::string gz = gzip(svm);
  CHECK_ERROR(softmaxkit::read_libsvm_csr(dir.write("cut.svm.gz", gz.substr(0, gz.size() / 2))),
              "cut.svm.gz: gzip data truncated at compressed byte offset");
  CHECK_ERROR(softmaxkit::read_csv(dir.write("tail.csv.gz", gzip(csv) + "junk")),
              "tail.csv.gz: trailing bytes after gzip data");
  std::string corrupt = gz;
  corrupt[gz.size() / 2] = static_cast<char>(corrupt[gz.size() / 2] ^ 0x55);
  CHECK_ERROR(softmaxkit::read_libsvm(dir.write("bad.svm.gz", corrupt)), "bad.svm.gz:");
  // A malformed line inside compressed text: its line and column in the inflated text.
  CHECK_ERROR(softmaxkit::read_libsvm(dir.write("line.svm.gz", gzip("1 1:1\n2 2:x\n"))),
              "line.svm.gz:2:3: value of feature 2: 'x' is not a number");

  // Binary bytes never reach a message raw; long tokens are cut.
  CHECK_ERROR(softmaxkit::read_libsvm(dir.write("bin.svm", std::string("\x01\x02z\x7f\xff 1:1\n"))),
              "bin.svm:1:1: label: '\\x01\\x02z\\x7f\\xff' is not a number");
  const std::string cut = "feature index '" + std::string(64, '7') + "'... is not an integer";
  CHECK_ERROR(
      softmaxkit::read_libsvm(dir.write("long.svm", "1 " + std::string(100, '7') + "\x1b:1\n")),
      cut);
  CHECK_ERROR(softmaxkit::read_csv(dir.write("bin.csv", std::string("1,\x1b[31m\n"))),
              "'\\x1b[31m' is not a number");
}

namespace {

// parse_csv's result or its Error message.
std::pair<std::optional<softmaxkit::Dataset>, std::string> csv_outcome(
    const std::function<softmaxkit::Dataset()>& parse) {
  try {
    return {parse(), ""};
  } catch (const softmaxkit::Error& error) {
    return {std::nullopt, error.what()};
  }
}

// The same message, or the same values (no NaN in these texts: == is bitwise here).
void check_same_outcome(const std::pair<std::optional<softmaxkit::Dataset>, std::string>& got,
                        const std::pair<std::optional<softmaxkit::Dataset>, std::string>& want) {
  CHECK(got.second == want.second);
  REQUIRE(got.first.has_value() == want.first.has_value());
  if (want.first) {
    CHECK(got.first->rows == want.first->rows);
    CHECK(got.first->cols == want.first->cols);
    CHECK(got.first->labels == want.first->labels);
    CHECK(got.first->features == want.first->features);
  }
}

}  // namespace

TEST_CASE("CSV in pieces of whole lines: parse_csv's values and errors for every piece size") {
  // What softmaxkit-mpi's streamed CSV parts use (io/csv_pieces.hpp); fuzz_csv checks the same on
  // arbitrary bytes.
  const std::vector<std::pair<std::string, softmaxkit::CsvOptions>> cases = {
      {"1,0.5,2\n0,-1,3e2\n2,4,5\n", {}},
      {"\xEF\xBB\xBFy;a;b\r\n1; 0.5 ;2\r\n0;-1;3\r\n\r\n\n",
       {.label_column = 0, .has_header = true, .delimiter = ';'}},
      {"a,b,label\n1,2,3\n4,5,6", {.has_header = true}},
      {"1,2,3\n\n4,5,6\n", {}},                  // a blank line in the middle
      {"1,2,3\n4,5\n", {}},                      // a record with fewer fields
      {"h1,h2\n1,2,3\n", {.has_header = true}},  // the header's field count
      {"\n1,2\n", {.has_header = true}},         // a blank header line
      {"", {.has_header = true}},
      {"  \n\n", {}},   // no records
      {"1,2,x\n", {}},  // a bad value
      {"1\n", {}},      // one field
      {"1,2,3\n4,5,6\n", {.label_column = 5}},
  };
  for (const auto& [text, options] : cases) {
    INFO("text: ", text);
    const auto whole = csv_outcome([&] { return softmaxkit::parse_csv(text, options, "t.csv"); });
    for (std::size_t block : {1, 2, 3, 5, 8, 13, 64}) {
      INFO("block ", block);
      const auto pieces = csv_outcome(
          [&] { return softmaxkit::detail::parse_csv_in_pieces(text, options, "t.csv", block); });
      check_same_outcome(pieces, whole);
    }
  }
}

TEST_CASE("count_string counts a text in memory as count_text counts it streamed") {
  namespace d = softmaxkit::detail;
  std::string large;
  for (int i = 0; i < 30000; ++i) large += i % 7 == 0 ? "\n" : "1:2 ";  // past one 256 KiB read
  for (const std::string& text :
       {std::string(), std::string("\n"), std::string("a:b"), std::string("1 1:2\n\n3:4"),
        std::string("x\r\n::\n"), large, large + "tail"}) {
    CAPTURE(text.size());
    const d::TextCounts streamed = d::count_text(d::string_source(text).read);
    const d::TextCounts held = d::count_string(text);
    CHECK(held.bytes == streamed.bytes);
    CHECK(held.colons == streamed.colons);
    CHECK(held.line_ends == streamed.line_ends);
    CHECK(held.open_last_line == streamed.open_last_line);
    CHECK(held.bytes == text.size());
    CHECK(held.colons == static_cast<std::uint64_t>(std::count(text.begin(), text.end(), ':')));
  }
}

TEST_CASE("CSV streamed: a part may hold no record; values beyond memory_bytes are refused first") {
  auto counted = [&](const std::string& text, const softmaxkit::CsvOptions& options,
                     std::uint64_t memory, bool part) {
    const softmaxkit::detail::TextSource source = softmaxkit::detail::string_source(text);
    const softmaxkit::detail::TextCounts counts = softmaxkit::detail::count_text(source.read);
    return softmaxkit::detail::parse_counted_csv(source, counts, options, "p.csv", 4, memory,
                                                 {.part_of_file = part});
  };
  CHECK(counted("\n\n", {}, 1 << 20, true).rows == 0);
  CHECK(counted("a,b\n", {.has_header = true}, 1 << 20, true).rows == 0);  // the header only
  CHECK_ERROR(counted("\n\n", {}, 1 << 20, false), "p.csv:2: no data records");
  CHECK_ERROR(counted("", {.has_header = true}, 1 << 20, true), "p.csv:1: missing header line");
  const softmaxkit::Dataset two = counted("1,2,3\n4,5,6\n", {}, 1 << 20, false);
  CHECK(two.rows == 2);
  CHECK(two.labels == std::vector<std::int32_t>{1, 4});  // label_column 0 by default
  CHECK(two.features == std::vector<float>{2, 3, 5, 6});
  // 3 lines (2 '\n' + 1) of 3 fields at 4 bytes: 36 bytes at most; 35 allowed is refused.
  CHECK(counted("1,2,3\n4,5,6\n", {}, 36, false).rows == 2);
  CHECK_ERROR(counted("1,2,3\n4,5,6\n", {}, 35, false), "p.csv", "3 records", "36 bytes",
              "35 bytes of memory");
}

TEST_CASE("CSV in parts (softmaxkit-mpi's byte ranges): parse_csv's values and messages") {
  // Every way to cut each text into two and three parts at line starts, errors in every part,
  // next to a cut and across cuts: a blank line in an earlier part, another field count, a
  // header in a part of its own; line numbers are the file's.
  const std::vector<std::pair<std::string, softmaxkit::CsvOptions>> cases = {
      {"1,2,3\n4,5,6\n7,8,9\n0,1,2\n", {}},
      {"1,2,3\n4,5,6\n\n7,8,9\n0,1,2\n", {}},         // a blank line in the middle
      {"1,2,3\n\n\n\n7,8,9\n", {}},                   // a run of them across parts
      {"\n1,2,3\n4,5,6\n", {}},                       // before the first record
      {"1,2,3\n4,5,6\n7,8\n0,1,2\n", {}},             // fewer fields
      {"1,2,3\n4,5,6\n7,8,9,10\n", {}},               // more fields
      {"1,2,3\n4,5,6\n7\n", {}},                      // one field after the first record
      {"1,2,3\n4,x,6\n7,8\n", {}},                    // a bad value before a field count
      {"1,2,3\n4,5\n\n7,8,9\n", {}},                  // a field count before a blank line
      {"a,b\n1,2,3\n4,5,6\n", {.has_header = true}},  // the header's count
      {"a,b,c\n1,2,3\n\n4,5,6\n", {.has_header = true}},
      {"a,b,c\n\n1,2,3\n", {.has_header = true}},  // blank line after the header
      {"a,b,c\n\n1,2\n", {.has_header = true}},    // then another count (found by fuzz_csv)
      {"1,2,3\n4,5,6\n\n7,8\n", {}},               // a blank line, then another count
      {"a,b,c\n1\n", {.has_header = true}},        // one field: before the header's count
      {"a,b,c\n1,2,3\n", {.has_header = true, .delimiter = ';'}},
      {"\xEF\xBB\xBF"
       "1,2,3\r\n4,5,6\r\n\r\n",
       {}},                        // BOM, CRLF, a trailing blank line
      {"1,2,3\n4,5,6\n\n\n", {}},  // trailing blank lines only
      {"1,2,3\n4,5,6", {}},        // no final line end
      {"\n\n\n", {}},              // no records
      {"a,b\n", {.has_header = true}},
      {"a,b\n\n", {.has_header = true}},
      {"", {.has_header = true}},
      {"", {}},
      {"\n1,2\n", {.has_header = true}},        // a blank header line
      {"1,2,3\n4,5,6\n", {.label_column = 3}},  // label_column beyond
      {"1;2;3\n4;5;6\n\n", {.label_column = -1, .delimiter = ';'}},
      // Without labels (has_labels false) one field is a record, so the header's count decides.
      {"1\n2\n3\n", {.has_labels = false}},
      {"1,2\n3\n4,5\n", {.has_labels = false}},
      {"a,b\n1\n2\n", {.has_header = true, .has_labels = false}},
      {"a\n1\n\n2\n", {.has_header = true, .has_labels = false}},
  };
  std::size_t compared = 0;
  for (const auto& [text, options] : cases) {
    INFO("text: ", text);
    const auto whole = csv_outcome([&] { return softmaxkit::parse_csv(text, options, "f.csv"); });
    compared += softmaxkit::test::for_each_cut_at_line_starts(
        text, [&](const std::vector<std::size_t>& cuts) {
          INFO("cuts at bytes ", cuts.front(), " and ", cuts.back());
          check_same_outcome(csv_outcome([&] {
                               return softmaxkit::detail::parse_csv_in_parts(text, cuts, options,
                                                                             "f.csv", 3);
                             }),
                             whole);
        });
  }
  CHECK(compared > 450);  // the loops ran
  CHECK_ERROR(softmaxkit::detail::parse_csv_in_parts("1,2\n3,4\n", std::vector<std::size_t>{2}, {},
                                                     "f.csv", 3),
              "f.csv: cut at byte 2 is not a line start after the previous cut");
  CHECK_ERROR(softmaxkit::detail::parse_csv_in_parts("1,2\n3,4\n", std::vector<std::size_t>{4, 0},
                                                     {}, "f.csv", 3),
              "f.csv: cut at byte 0 is not a line start after the previous cut");
}

TEST_CASE("Streamed readers: a line longer than the limit is refused before its piece grows") {
  // kMaxLineBytes (256 MiB) guards every streamed read: a gzip file of a few megabytes can inflate
  // to one line of any length. Here the same check with a limit of 8 bytes before the '\n'.
  namespace d = softmaxkit::detail;
  for (const std::size_t block : {1, 4, 64}) {
    INFO("block ", block);
    CHECK(d::parse_csv_in_pieces("1,2\n123456,2\n", {}, "t.csv", block, 8).rows == 2);
    CHECK(d::parse_csv_in_pieces("1,2\n123456,2", {}, "t.csv", block, 8).rows == 2);
    const std::string refused = "t.csv:2: line longer than 8 bytes (the streaming readers' limit";
    CHECK_ERROR(d::parse_csv_in_pieces("1,2\n1234567,2\n", {}, "t.csv", block, 8), refused);
    CHECK_ERROR(d::parse_csv_in_pieces("1,2\n1234567,2", {}, "t.csv", block, 8), refused);
    CHECK_ERROR(d::parse_csv_in_pieces("1,2\n123456,2\r\n", {}, "t.csv", block, 8), refused);
    CHECK_ERROR(
        d::parse_csv_in_pieces("1,2\n" + std::string(100, '7') + "\n", {}, "t.csv", block, 8),
        refused);
  }
}

TEST_CASE("read_csv streams the file: parse_csv's values and messages, plain and gzip") {
  // read_csv reads a file twice (a count, then pieces of whole lines), never holding its text:
  // here with pieces of 1-64 bytes against parse_csv on the text, for the texts of the pieces
  // test; and values that could outgrow the memory given are refused before anything is reserved.
  TempDir dir;
  const std::vector<std::pair<std::string, softmaxkit::CsvOptions>> cases = {
      {"1,0.5,2\n0,-1,3e2\n2,4,5\n", {}},
      {"\xEF\xBB\xBFy;a;b\r\n1; 0.5 ;2\r\n0;-1;3\r\n\r\n\n",
       {.label_column = 0, .has_header = true, .delimiter = ';'}},
      {"a,b,label\n1,2,3\n4,5,6", {.label_column = -1, .has_header = true}},
      {"1,2,3\n\n4,5,6\n", {}},
      {"1,2,3\n4,5\n", {}},
      {"h1,h2\n1,2,3\n", {.has_header = true}},
      {"", {.has_header = true}},
      {"  \n\n", {}},
      {"1,2,x\n", {}},
      {"1,2,3\n4,5,6\n", {.label_column = 5}},
      {"1,2\n", {.label_column = -2}},  // an option refused before the text is read
  };
  int file = 0;
  for (const auto& [text, options] : cases) {
    INFO("text: ", text);
    const std::string plain = dir.write("c" + std::to_string(file) + ".csv", text);
    const std::string packed = dir.write("c" + std::to_string(file++) + ".csv.gz", gzip(text));
    for (const std::string& path : {plain, packed}) {
      const auto whole = csv_outcome([&] { return softmaxkit::parse_csv(text, options, path); });
      check_same_outcome(csv_outcome([&] { return softmaxkit::read_csv(path, options); }), whole);
      for (std::size_t block : {1, 3, 64}) {
        INFO("block ", block);
        check_same_outcome(csv_outcome([&] {
                             return softmaxkit::detail::read_csv_in_pieces(path, options, block,
                                                                           1 << 20);
                           }),
                           whole);
      }
    }
  }
  // A 4 KB gzip file of 200,000 lines "1,2": 200,001 lines of 2 fields at 4 bytes could need
  // 1,600,008 bytes; one byte less is refused, naming the file, before reserving.
  std::string lines;
  for (int i = 0; i < 200000; ++i) lines += "1,2\n";
  const std::string many = dir.write("many.csv.gz", gzip(lines));
  CHECK(softmaxkit::detail::read_csv_in_pieces(many, {}, 1 << 16, 1600008).rows == 200000);
  CHECK_ERROR(softmaxkit::detail::read_csv_in_pieces(many, {}, 1 << 16, 1600007), "many.csv.gz",
              "200001 records", "1600008 bytes", "1600007 bytes of memory");
  // Lines that hold no record do not count: 2 records of 1000 fields, then 5000 blank lines
  // (lines alone: 5003 records, 20 MB) read under 200 kB of memory; and a wide first record
  // followed by short lines is the short line's error, not a refusal by memory.
  std::string wide;
  for (int r = 0; r < 2; ++r) {
    wide += "1";
    for (int f = 0; f < 999; ++f) wide += ",2";
    wide += "\n";
  }
  const std::string blank_tail = dir.write("blank_tail.csv", wide + std::string(5000, '\n'));
  CHECK(softmaxkit::detail::read_csv_in_pieces(blank_tail, {}, 1 << 16, 200000).rows == 2);
  std::string ragged = wide.substr(0, wide.size() / 2);
  for (int i = 0; i < 5000; ++i) ragged += "1,2\n";
  const std::string short_lines = dir.write("short_lines.csv", ragged);
  CHECK_ERROR(softmaxkit::detail::read_csv_in_pieces(short_lines, {}, 1 << 16, 200000),
              "short_lines.csv:2: expected 1000 fields");
}
