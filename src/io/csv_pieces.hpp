// parse_csv in pieces of whole lines (text_pieces.hpp): for softmaxkit-mpi's byte-range parts,
// which are streamed and never held whole, and for the tests and the fuzzer, which check that
// pieces change nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "text_pieces.hpp"

namespace softmaxkit::detail {

// Rewinds `source` (whose first pass, count_text, gave `counts`) and parses it in pieces of about
// block_bytes (>= 1), a second thread reading the next piece ahead: the result and errors of
// parse_csv(text, options, name), and an Error naming `name` before reserving when its lines'
// values (4 bytes per field) could need more than memory_bytes. A part of a file (part_of_file,
// a run of its whole lines) may also hold no record (0 rows); the caller decides over all parts.
Dataset parse_counted_csv(const TextSource& source, const TextCounts& counts,
                          const CsvOptions& options, const std::string& name,
                          std::size_t block_bytes, std::uint64_t memory_bytes,
                          bool part_of_file = false);

// parse_csv(text, ...) fed to the parser in pieces of about block_bytes: the same result and
// errors for any block size (tests and fuzz/fuzz_csv.cpp check this).
Dataset parse_csv_in_pieces(std::string_view text, const CsvOptions& options,
                            const std::string& name_for_errors, std::size_t block_bytes);

}  // namespace softmaxkit::detail
