// read_libsvm_csr's streaming: a LibSVM file is parsed in pieces of whole lines, so its text is
// never held whole (a gzip-compressed one is inflated piece by piece, detail::GzipFile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "text_pieces.hpp"

namespace softmaxkit::detail {

// The size of the pieces read_libsvm_csr parses (a piece grows to hold a longer line).
inline constexpr std::size_t kLibsvmReadBlockBytes = kTextPieceBytes;

// read_libsvm_csr with pieces of about block_bytes (>= 1): the same result and the same errors
// for any block size (tests read with tiny blocks). A file whose ':' count (each entry has
// one) and line count (each row is a line) would need more than memory_bytes of CSR arrays (8
// bytes per entry, 12 per row) is an Error naming the file and the bytes, before anything is
// reserved; read_libsvm_csr passes the machine's physical memory.
SparseDataset read_libsvm_csr_in_pieces(const std::string& path, const LibsvmOptions& options,
                                        std::size_t block_bytes, std::uint64_t memory_bytes);

// The second of read_libsvm_csr's passes (the first is count_text, text_pieces.hpp): rewinds
// `source` (whose first pass gave `counts`), refuses before reserving (Error
// naming `name`) a text whose counts could need more than memory_bytes of CSR arrays, and parses
// it in pieces of about block_bytes (>= 1), a second thread reading the next piece ahead. A
// whole text (part_of_file false) gives parse_libsvm_csr(text, options, name)'s result and
// errors. A part of a file (a run of its whole lines) may also hold no record (0 rows) or no
// feature index (0 columns without options.num_features): the caller decides over all parts.
SparseDataset parse_counted_libsvm_csr(const TextSource& source, const TextCounts& counts,
                                       const LibsvmOptions& options, const std::string& name,
                                       std::size_t block_bytes, std::uint64_t memory_bytes,
                                       bool part_of_file = false);

// parse_libsvm_csr(text, ...) fed to the parser in the pieces read_libsvm_csr_in_pieces makes of
// a file: the same result and errors (fuzz/fuzz_libsvm.cpp checks this on every input).
SparseDataset parse_libsvm_csr_in_pieces(std::string_view text, const LibsvmOptions& options,
                                         const std::string& name_for_errors,
                                         std::size_t block_bytes);

}  // namespace softmaxkit::detail
