// parse_csv in pieces of whole lines (text_pieces.hpp): for softmaxkit-mpi's byte-range parts,
// which are streamed and never held whole, and for the tests and the fuzzer, which check that
// pieces change nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "text_pieces.hpp"

namespace softmaxkit::detail {

// What a CSV parse saw of the lines that decide errors across parts of a file, kept also when
// it throws: the header's field count, the first blank line, and the first record's line and
// field count (0: none). softmaxkit-mpi's ranks exchange them (csv_error_after_parts).
struct CsvPartLines {
  std::uint64_t header_fields = 0, first_blank = 0, first_record = 0, first_record_fields = 0;
};

// Rewinds `source` (whose first pass, count_text, gave `counts`) and parses it in pieces of about
// block_bytes (>= 1), a second thread reading the next piece ahead: the result and errors of
// parse_csv(text, options, name), and an Error naming `name` before reserving when its lines'
// values (4 bytes per field) could need more than memory_bytes. A part of a file (`part`) names
// the lines of the file and may hold no record (0 rows); `seen`, when given, receives what the
// parse saw (also when it throws).
Dataset parse_counted_csv(const TextSource& source, const TextCounts& counts,
                          const CsvOptions& options, const std::string& name,
                          std::size_t block_bytes, std::uint64_t memory_bytes,
                          const TextPart& part = {}, CsvPartLines* seen = nullptr);

// A part's parse sees only its own lines; parse_csv on the whole file also refuses, at the
// part's first record, a blank line in an earlier part, a field count unlike the file's first
// record's, and (when the part holds the file's first record) one unlike the header's. This is
// that message for the part `seen` after the parts `before` (in file order; the header is in
// one of them or in this part), or "" when there is none. It replaces the part's own error, which
// lies at or after that record, so that the first part's (in file order) error is parse_csv's.
// min_fields: csv_min_record_fields(the options), below which a record is its part's own error.
std::string csv_error_after_parts(std::span<const CsvPartLines> before, const CsvPartLines& seen,
                                  const std::string& name, std::uint64_t min_fields);
inline std::uint64_t csv_min_record_fields(const CsvOptions& options) {
  return options.has_labels ? 2 : 1;
}

// parse_csv(text, options, name) as softmaxkit-mpi's ranks compute it together when `text` is cut
// into parts at `cuts` (ascending line starts; equal cuts make empty parts): each part parsed by
// parse_counted_csv with the lines before it (the header only in the part holding the file's
// first byte), each part's error replaced by csv_error_after_parts's, the first part's error the
// file's, no record in any part the file's "no data records" at its last line, else the parts'
// rows in order. The same values and messages as parse_csv for any cuts (tests/
// test_data_readers.cpp over every pair of cuts, fuzz/fuzz_csv.cpp on every input); a cut that is
// not a line start is an Error.
Dataset parse_csv_in_parts(std::string_view text, std::span<const std::size_t> cuts,
                           const CsvOptions& options, const std::string& name,
                           std::size_t block_bytes);

// read_csv with pieces of about block_bytes and memory_bytes for the values (read_csv: 16 MiB and
// the machine's physical memory): the file (inflated when it starts with gzip's magic bytes) is
// read twice, a count and then the parse, never held whole; the result and errors of parse_csv
// on its text.
Dataset read_csv_in_pieces(const std::string& path, const CsvOptions& options,
                           std::size_t block_bytes, std::uint64_t memory_bytes);

// parse_csv(text, ...) fed to the parser in pieces of about block_bytes: the same result and
// errors for any block size (tests and fuzz/fuzz_csv.cpp check this), but a line longer than
// max_line_bytes is an Error (parse_in_pieces), as in every streamed read (kMaxLineBytes).
Dataset parse_csv_in_pieces(std::string_view text, const CsvOptions& options,
                            const std::string& name_for_errors, std::size_t block_bytes,
                            std::size_t max_line_bytes = kMaxLineBytes);

}  // namespace softmaxkit::detail
