// read_sample_weights (softmaxkit/data.hpp) against its contract: the values as from_chars reads
// them (rounded to float), plain and gzip, a byte order mark, CRLF, spaces and tabs, a last line
// without its end; every malformed line named file:line; wrong counts named; a directory and a
// FIFO refused without blocking; a huge file read no further than one line past the rows.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cmath>
#include <string>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::read_sample_weights;
using softmaxkit::test::contains;
using softmaxkit::test::error_message;
using softmaxkit::test::TempDir;

}  // namespace

TEST_CASE("read_sample_weights reads one number per line, plain or gzip") {
  TempDir dir;
  const std::string text = "1\n0\n2.5\n+3\n1e-50\n3.4e38\n-0\n 7\t\n0.1";
  // Independent expectations: each value as float rounds it (1e-50 underflows to 0, -0 is 0).
  const std::vector<float> expected = {1.0f, 0.0f, 2.5f, 3.0f, 0.0f, 3.4e38f, 0.0f, 7.0f, 0.1f};
  const std::string plain = dir.write("w.txt", text);
  CHECK(read_sample_weights(plain, expected.size()) == expected);
  CHECK(read_sample_weights(dir.write("w.gz", softmaxkit::test::gzip(text + "\n")),
                            expected.size()) == expected);
  std::string crlf = "\xEF\xBB\xBF";
  for (char c : text + "\n") crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  CHECK(read_sample_weights(dir.write("crlf.txt", crlf), expected.size()) == expected);
  const std::vector<float> read = read_sample_weights(plain, expected.size());
  CHECK_FALSE(std::signbit(read[6]));  // "-0" is +0: a weight, not a sign
  CHECK(read_sample_weights(dir.write("none.txt", ""), 0).empty());
}

TEST_CASE("read_sample_weights names the file and line of every malformed line") {
  TempDir dir;
  struct Case {
    std::string text, needle;
  };
  const std::vector<Case> cases = {
      {"1\n\n1\n", "bad.txt:2: an empty line"},
      {"1\n  \t\n1\n", "bad.txt:2: an empty line"},
      {"1\nx\n1\n", "bad.txt:2: 'x' is not a number"},
      {"1\n1 2\n1\n", "bad.txt:2: '1 2' is not a number"},
      {"1\n1,5\n1\n", "bad.txt:2: '1,5' is not a number"},
      {"1\n0x10\n1\n", "bad.txt:2: '0x10' is not a number"},
      {"1\n-1\n1\n", "bad.txt:2: '-1' is negative"},
      {"1\n-1e-50\n1\n", "bad.txt:2: '-1e-50' is negative"},
      {"1\n-1e-400\n1\n", "bad.txt:2: '-1e-400' is negative"},  // -0 as features read it
      {"1\nnan\n1\n", "bad.txt:2: 'nan' is not finite"},
      {"1\ninf\n1\n", "bad.txt:2: 'inf' is not finite"},
      {"1\n1e39\n1\n", "bad.txt:2: '1e39' is out of range"},
      {"1\n1\x1b[2J\n1\n", "bad.txt:2: '1\\x1b[2J' is not a number"},
      {std::string("1\n1\0\n1\n", 7), "bad.txt:2: a NUL byte"},
      {"1\n" + std::string(softmaxkit::kMaxWeightLineBytes + 1, '1') + "\n1\n",
       "bad.txt:2: longer than 256 bytes"},
      {"1\n1\n", "bad.txt: 2 weights for 3 rows"},
      {"1\n1\n1\n1\n", "bad.txt: more weights than the 3 rows (line 4)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const std::string path = dir.write("bad.txt", c.text);
    const std::string message = error_message([&] { read_sample_weights(path, 3); });
    CHECK_MESSAGE(contains(message, c.needle), message);
  }
  // A line of exactly the limit is fine, also with a CRLF line end and a byte order mark, which
  // do not count (they made the same line refused); one byte more is refused in every form.
  const std::string longest = "1." + std::string(softmaxkit::kMaxWeightLineBytes - 2, '0');
  for (const std::string& form : {longest + "\n", longest + "\r\n",
                                  "\xEF\xBB\xBF" + longest + "\r\n", "\xEF\xBB\xBF" + longest}) {
    CAPTURE(form.size());
    CHECK(read_sample_weights(dir.write("longest.txt", form), 1) == std::vector{1.0f});
    const std::string longer = form.substr(0, form.find('1')) + "1" + form.substr(form.find('1'));
    CHECK(contains(error_message([&] { read_sample_weights(dir.write("longer.txt", longer), 1); }),
                   "longer.txt:1: longer than 256 bytes"));
  }
}

TEST_CASE("read_sample_weights refuses what is not a regular file, without blocking") {
  TempDir dir;
  CHECK(contains(error_message([&] { read_sample_weights(dir.path().string(), 1); }),
                 "it is a directory, not a regular file"));
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(contains(error_message([&] { read_sample_weights(fifo, 1); }),
                 "it is a FIFO, not a regular file"));
  CHECK(
      contains(error_message([&] { read_sample_weights(dir.file("missing"), 1); }), "cannot open"));
  // 8 MB for 2 rows: refused at line 3, in the first 64 KiB block.
  const std::string many =
      dir.write("many.txt", std::string(8'000'000, '\0').replace(0, 6, "1\n1\n1\n"));
  CHECK(contains(error_message([&] { read_sample_weights(many, 2); }),
                 "more weights than the 2 rows (line 3)"));
}
