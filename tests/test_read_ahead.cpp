// ReadAhead (src/io/read_ahead.hpp), the second thread behind read_libsvm_csr: against a source
// that returns random amounts, for piece sizes from 1 byte and random asks, the bytes read are
// the source's, in order, then 0 for good; a source that throws at a byte has every byte before
// it delivered first and its exception rethrown by the read that reaches it; a ReadAhead dropped
// with a read in flight waits for it.
#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <stdexcept>
#include <string>

#include "io/read_ahead.hpp"

namespace {

// Gives text's bytes in random amounts up to `count`; throws when it would give byte throw_at.
struct Source {
  std::string text;
  std::size_t throw_at = std::string::npos;
  std::mt19937_64 random{1};
  std::size_t position = 0;
  std::size_t operator()(char* into, std::size_t count) {
    std::size_t n = std::min(count, 1 + static_cast<std::size_t>(random() % (2 * count + 1)));
    n = std::min(n, text.size() - position);
    if (throw_at != std::string::npos && position + n > throw_at) {
      if (position == throw_at)
        throw std::runtime_error("source failed at " + std::to_string(position));
      n = throw_at - position;  // the bytes before the failure first
    }
    for (std::size_t i = 0; i < n; ++i) into[i] = text[position + i];
    position += n;
    return n;
  }
};

}  // namespace

TEST_CASE("ReadAhead returns the source's bytes in order, and its exception where it falls") {
  std::mt19937_64 random(20261203);
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    Source source;
    // Tiny pieces on short texts: each piece is a thread, and ThreadSanitizer runs this too.
    const bool tiny_pieces = trial % 2 == 0;
    const std::size_t size =
        random() % 3 == 0 ? random() % 8 : random() % (tiny_pieces ? 500 : 20000);
    for (std::size_t i = 0; i < size; ++i) source.text += static_cast<char>(random() % 256);
    const bool fails = trial % 3 == 2 && size != 0;
    if (fails) source.throw_at = random() % size;
    const std::size_t piece = 1 + random() % (tiny_pieces ? 16 : 5000);
    CAPTURE(size);
    CAPTURE(piece);
    softmaxkit::detail::ReadAhead ahead(source, piece);
    std::string out;
    std::string error;
    try {
      char buffer[4096];
      for (std::size_t got; (got = ahead.read(buffer, 1 + random() % sizeof buffer)) != 0;)
        out.append(buffer, got);
      CHECK(ahead.read(buffer, 10) == 0);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    if (fails) {
      CHECK(out == source.text.substr(0, source.throw_at));
      CHECK(error == "source failed at " + std::to_string(source.throw_at));
    } else {
      CHECK(out == source.text);
      CHECK(error.empty());
    }
  }
}

TEST_CASE("ReadAhead dropped with a read in flight waits for it") {
  for (int trial = 0; trial < 50; ++trial) {
    Source source;
    source.text.assign(100000, 'x');
    softmaxkit::detail::ReadAhead ahead(source, 1000);
    char buffer[10];
    CHECK(ahead.read(buffer, sizeof buffer) == sizeof buffer);
    // ahead goes out of scope while the next piece may be being read into it.
  }
}
