// ReadAhead: a reader's next piece read (or inflated) on a second thread while the caller parses
// the one before, so streaming a file costs about max(read, parse) rather than their sum.
//
// Contract: read(into, count) returns the bytes the wrapped read would have returned, in the same
// order, 0 at the end; an exception the wrapped read throws is rethrown by the read() call that
// would have made it, so errors come in the order a single thread meets them. The wrapped reader
// is used by one thread at a time and must outlive the ReadAhead.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <string>
#include <system_error>
#include <utility>

#include "text_pieces.hpp"

namespace softmaxkit::detail {

template <class Read>
class ReadAhead {
 public:
  // Reads ahead in pieces of piece_bytes (>= 1), each filled until full or the end.
  ReadAhead(Read& read, std::size_t piece_bytes)
      : read_(read),
        piece_(std::max<std::size_t>(piece_bytes, 1), '\0'),
        front_(piece_.size(), '\0') {
    start();
  }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;
  // Waits for the read in flight, which writes into piece_, before the pieces are freed.
  ~ReadAhead() {
    if (pending_.valid()) pending_.wait();
  }

  std::size_t read(char* into, std::size_t count) {
    if (taken_ == available_) {
      if (front_failure_) std::rethrow_exception(std::exchange(front_failure_, nullptr));
      if (at_end_) return 0;
      available_ = pending_.get();
      taken_ = 0;
      // The two pieces swap: the caller takes this one while the next is read into the other.
      front_.swap(piece_);
      front_failure_ = std::exchange(failure_, nullptr);
      // A short piece met the end or a failure, which comes after the bytes before it.
      at_end_ = available_ < front_.size();
      if (!at_end_) start();
      if (available_ == 0) return read(into, count);
    }
    const std::size_t n = std::min(count, available_ - taken_);
    std::memcpy(into, front_.data() + taken_, n);
    taken_ += n;
    return n;
  }

 private:
  void start() {
    auto fill = [this] {
      std::size_t filled = 0;
      try {
        while (filled < piece_.size()) {
          const std::size_t got = read_(piece_.data() + filled, piece_.size() - filled);
          if (got == 0) break;
          filled += got;
        }
      } catch (...) {
        failure_ = std::current_exception();
      }
      return filled;
    };
    try {
      pending_ = std::async(std::launch::async, fill);
    } catch (const std::system_error&) {
      // No thread to be had (a process or cgroup limit: an audit saw the command end "internal
      // error: Resource temporarily unavailable"): the piece is read on the caller's thread when
      // it is taken, the same bytes without the overlap.
      pending_ = std::async(std::launch::deferred, fill);
    }
  }

  Read& read_;
  std::string piece_;                 // written by the read in flight only
  std::string front_;                 // the piece the caller takes bytes from
  std::exception_ptr failure_;        // the read in flight's exception, set by it
  std::exception_ptr front_failure_;  // what follows front_'s bytes
  std::size_t available_ = 0, taken_ = 0;
  bool at_end_ = false;
  std::future<std::size_t> pending_;
};

// The second pass of a streaming reader over a text that count_text counted (`read` rewound):
// parse_in_pieces in pieces of counted_piece_bytes, the next read-ahead piece read (a gzip file's
// inflated) on a second thread while one is parsed. A text that one read-ahead piece holds has
// nothing to overlap and is read on this thread: a thread per small file cost more than its
// parse (fuzz_csv ran 30 times fewer inputs per second with a thread per part).
// The pass must meet exactly the bytes the first one counted: a file cut short between the two
// passes was parsed to wherever the cut fell (33461 of 60000 rows, exit 0, the last line cut
// mid-number and still a number), and one that grew escaped the memory checks made on the
// counts. It reads at most one byte beyond the count, then throws an Error naming the text.
template <class Parser, class Read>
void parse_counted_text(Parser& parser, Read& read, std::size_t block_bytes,
                        const TextCounts& counts) {
  const std::size_t piece = counted_piece_bytes(block_bytes, counts);
  const std::size_t ahead_bytes = counted_read_ahead_bytes(block_bytes, counts);
  std::uint64_t delivered = 0;
  bool ended = false;  // the text gave 0 bytes: its end (or a cut)
  auto counted = [&](auto& from) {
    return [&](char* into, std::size_t count) {
      const std::uint64_t room = counts.bytes + 1 - delivered;
      const std::size_t got =
          from(into, static_cast<std::size_t>(std::min<std::uint64_t>(count, room)));
      delivered += got;
      ended = got == 0;
      if (delivered > counts.bytes) changed_while_read(parser.name(), counts.bytes, delivered);
      return got;
    };
  };
  try {
    if (counts.bytes < ahead_bytes) {
      parse_in_pieces(parser, piece, counted(read));
    } else {
      ReadAhead ahead(read, ahead_bytes);
      auto from_ahead = [&](char* into, std::size_t count) { return ahead.read(into, count); };
      parse_in_pieces(parser, piece, counted(from_ahead));
    }
  } catch (const Error&) {
    // A text cut short ends inside a line or a record: the parser's error there (an audit:
    // "m.csv:26: expected 6 fields ... found 1") blamed the data for the cut.
    if (ended && delivered != counts.bytes)
      changed_while_read(parser.name(), counts.bytes, delivered);
    throw;
  }
  if (delivered != counts.bytes) changed_while_read(parser.name(), counts.bytes, delivered);
}

}  // namespace softmaxkit::detail
