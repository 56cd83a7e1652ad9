// Streaming a text reader's input in pieces of whole lines, shared by the LibSVM and CSV parsers:
// a source read more than once (TextSource), its first pass (count_text), and the loop that feeds
// a parser whole lines (parse_in_pieces).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxkit/error.hpp"
#include "text_lines.hpp"

namespace softmaxkit::detail {

// A streaming reader's second pass met another byte count than its first: the file changed.
[[noreturn]] inline void changed_while_read(const std::string& name, std::uint64_t counted,
                                            std::uint64_t read) {
  throw Error(name + ": the file changed while it was read (" + std::to_string(counted) +
              " bytes of text when its lines were counted, " +
              (read > counted ? "more" : std::to_string(read)) + " when they were parsed)");
}

// A text read from its first byte more than once: read(into, count) gives up to count bytes in
// order (0 at the end), rewind() starts it over. softmaxkit-mpi's byte-range parts of a plain or
// gzip file are ones (mpi/src/text_rows.cpp).
struct TextSource {
  std::function<std::size_t(char*, std::size_t)> read;
  std::function<void()> rewind;
};

// Where a streamed text lies in its file: the whole file, or a part of it (a run of its whole
// lines, as a softmaxkit-mpi rank reads one) after `lines_before` lines. A part's lines are
// numbered on from those, so messages name the line in the file; a part may hold no record (the
// caller decides over all parts); only the text at the file's start (lines_before 0) may begin
// with a byte order mark.
struct TextPart {
  bool part_of_file = false;
  std::uint64_t lines_before = 0;
};

// A parser's lines fed piece by piece: each piece (whole lines) split into lines numbered on from
// the pieces before (and from the lines before the text, when it is a part of a file); the text
// at the file's start may begin with a UTF-8 byte order mark, which is skipped.
class PieceLines {
 public:
  explicit PieceLines(std::uint64_t lines_before = 0)
      : lines_before_(lines_before), bom_allowed_(lines_before == 0) {}

  // Calls parse_line(line, 1-based line number in the file) for each line of `text`.
  template <class ParseLine>
  void feed(std::string_view text, ParseLine&& parse_line) {
    if (bom_allowed_) text = without_utf8_bom(text);
    bom_allowed_ = false;
    TextLines lines(text);
    std::string_view line;
    while (lines.next(line)) parse_line(line, lines_before_ + lines.line_number());
    lines_before_ += lines.line_number();
  }
  // The number of the last line fed so far (the lines before the text included).
  std::uint64_t count() const { return lines_before_; }

 private:
  std::uint64_t lines_before_ = 0;
  bool bom_allowed_ = true;
};

// A TextSource over a text in memory, which must outlive it (tests, and the in_pieces parsers
// that check pieces against the whole text).
inline TextSource string_source(std::string_view text) {
  auto position = std::make_shared<std::size_t>(0);
  return {[text, position](char* into, std::size_t count) {
            const std::size_t n = std::min(count, text.size() - *position);
            if (n != 0) std::memcpy(into, text.data() + *position, n);
            *position += n;
            return n;
          },
          [position] { *position = 0; }};
}

// The byte bounds of `text` cut into parts at `cuts` (softmaxkit-mpi's ranks' parts, simulated by
// parse_csv_in_parts and parse_libsvm_csr_in_parts): 0, the cuts, text.size(). Each cut must be
// a line start (0, or just after a '\n') at or after the previous one (equal cuts make empty
// parts); otherwise an Error naming `name`.
inline std::vector<std::size_t> part_bounds(std::string_view text,
                                            std::span<const std::size_t> cuts,
                                            const std::string& name) {
  std::vector<std::size_t> bounds{0};
  for (const std::size_t cut : cuts) {
    if (cut < bounds.back() || cut > text.size() || (cut != 0 && text[cut - 1] != '\n')) {
      throw Error(name + ": cut at byte " + std::to_string(cut) +
                  " is not a line start after the previous cut");
    }
    bounds.push_back(cut);
  }
  bounds.push_back(text.size());
  return bounds;
}

// Where an error about a whole text of `lines` lines (PieceLines's count; a part's lines added
// up over a file's parts) is reported: "name:<its last line>", line 1 for an empty text.
inline std::string at_last_line(const std::string& name, std::uint64_t lines) {
  return name + ":" + std::to_string(std::max<std::uint64_t>(1, lines));
}

// A text given by pointer and size (the parse_* functions): a null pointer with a nonzero size
// is an Error naming `name`, not a read of address 0.
inline void check_text(std::string_view text, const std::string& name) {
  if (text.data() == nullptr && !text.empty()) {
    throw Error(name + ": text is null but has " + std::to_string(text.size()) + " bytes");
  }
}

// The size of the pieces the streaming readers parse (a piece grows to hold a longer line).
inline constexpr std::size_t kTextPieceBytes = std::size_t{16} << 20;

// What the first of a streaming reader's two passes counts in a text: bytes, ':' (every LibSVM
// entry has one) and '\n'.
struct TextCounts {
  std::uint64_t bytes = 0, colons = 0, line_ends = 0;
  bool open_last_line = false;  // the text ends in a line without '\n'
  // Its lines, as PieceLines numbers them.
  std::uint64_t lines() const { return line_ends + (open_last_line ? 1 : 0); }
};

// How many times c occurs in text. A byte-sized count per block of 255 bytes lets the compiler
// keep one counter per vector lane (std::count widens every comparison to 64 bits).
inline std::size_t count_char(std::string_view text, char c) {
  std::size_t total = 0;
  for (std::size_t start = 0; start < text.size(); start += 255) {
    const std::size_t end = std::min(text.size(), start + 255);
    std::uint8_t block = 0;
    for (std::size_t i = start; i < end; ++i)
      block = static_cast<std::uint8_t>(block + (text[i] == c));
    total += block;
  }
  return total;
}

// How many '\n' text holds. memchr (glibc's vector search) skips a line's bytes at once: lines
// are long next to the ':' that count_char counts, and a second byte count per piece cost 5 %.
inline std::size_t count_line_ends(std::string_view text) {
  std::size_t count = 0;
  const char* const end = text.data() + text.size();
  for (const char* p = text.data(); p != end; ++p, ++count) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (p == nullptr) break;
  }
  return count;
}

// The longest line the streaming readers hold to parse it, in bytes before its '\n': 256 MiB,
// tens of millions of values (a Fashion-MNIST CSV row is 3 KB, an rcv1 LibSVM row under 1 KB).
// A gzip file of a few megabytes can inflate to one line of any length: a longer line is an
// Error naming the file and the line before the piece that holds it grows past this, so such a
// file costs about twice this in memory (the piece doubling to it; 565 MB measured on a 14 MB
// gzip file of one 3 GB line, refused in 4.4 s).
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 28;

// Feeds `parser` the text that read(buffer, count) returns (bytes read, 0 at the end) in pieces
// of whole lines: a buffer of block_bytes (doubled while one line does not fit, up to
// max_line_bytes + 1) is filled, the text up to its last line end parsed and the rest moved to
// the front; what follows the text's last line end is parsed at the end. The pieces hold every
// byte once, in order, each ending at a '\n', so the parser sees the lines the whole text has.
// A line of more than max_line_bytes is an Error at parser.name():(line after parser.lines()).
template <class Parser, class Read>
void parse_in_pieces(Parser& parser, std::size_t block_bytes, Read&& read,
                     std::size_t max_line_bytes = kMaxLineBytes) {
  const std::size_t most = max_line_bytes + 1;  // the longest line and its '\n'
  std::string buffer(std::min(std::max<std::size_t>(block_bytes, 1), most), '\0');
  std::size_t filled = 0;  // bytes at the front of buffer not yet parsed
  while (true) {
    if (filled == buffer.size()) {
      if (buffer.size() >= most) {
        throw Error(parser.name() + ":" + std::to_string(parser.lines().count() + 1) +
                    ": line longer than " + std::to_string(max_line_bytes) +
                    " bytes (the streaming readers' limit on one line)");
      }
      buffer.resize(std::min(2 * buffer.size(), most));
    }
    const std::size_t got = read(buffer.data() + filled, buffer.size() - filled);
    if (got == 0) break;
    const std::string_view text(buffer.data(), filled + got);
    const std::size_t last_line_end = text.rfind('\n');
    if (last_line_end == std::string_view::npos) {  // no whole line yet: read on
      filled = text.size();
      continue;
    }
    parser.parse(text.substr(0, last_line_end + 1));
    filled = text.size() - (last_line_end + 1);
    std::memmove(buffer.data(), buffer.data() + last_line_end + 1, filled);
  }
  parser.parse(std::string_view(buffer.data(), filled));
}

// The pieces read ahead: the parser's, but at least 64 KiB (tests parse in pieces of a few bytes,
// which need no thread each). Smaller ones cost time: a 410 MB gzip file read in 3.8, 3.5 and
// 3.4 s with pieces of 1, 4 and 16 MiB (README, "Measured").
inline constexpr std::size_t kMinReadAheadBytes = std::size_t{1} << 16;

// The buffers of a counted text's second pass, never larger than the text (its bytes + 1, so
// that the first read finds the end): the parser's pieces of block_bytes and the read-ahead
// pieces of at least kMinReadAheadBytes. A small file then takes buffers of its size, not three of
// 16 MiB, whose fresh pages cost about 0.1 s per read on the 2-vCPU VM (a test reading 130 small
// files spent 30 s there).
inline std::size_t counted_piece_bytes(std::size_t block_bytes, const TextCounts& counts) {
  return static_cast<std::size_t>(std::min<std::uint64_t>(block_bytes, counts.bytes + 1));
}
inline std::size_t counted_read_ahead_bytes(std::size_t block_bytes, const TextCounts& counts) {
  return counted_piece_bytes(std::max(block_bytes, kMinReadAheadBytes), counts);
}

// The first pass over a streamed text (read(buffer, count) gives bytes, 0 at the end): its bytes,
// ':' and line ends, for the second pass's reservation and memory check.
template <class Read>
TextCounts count_text(Read&& read) {
  // Counted while it is in L2. Not zeroed: only the pages a read fills are touched, so a small
  // text costs one page, not 64 fresh ones (a page fault is expensive on a VM).
  constexpr std::size_t kBytes = std::size_t{1} << 18;
  const auto buffer = std::make_unique_for_overwrite<char[]>(kBytes);
  TextCounts counts;
  for (std::size_t got; (got = read(buffer.get(), kBytes)) != 0;) {
    counts.colons += count_char(std::string_view(buffer.get(), got), ':');
    counts.line_ends += count_line_ends(std::string_view(buffer.get(), got));
    counts.bytes += got;
    counts.open_last_line = buffer[got - 1] != '\n';
  }
  return counts;
}

// count_text of a text in memory, without copying it through a buffer.
inline TextCounts count_string(std::string_view text) {
  return {.bytes = text.size(),
          .colons = count_char(text, ':'),
          .line_ends = count_line_ends(text),
          .open_last_line = !text.empty() && text.back() != '\n'};
}

}  // namespace softmaxkit::detail
