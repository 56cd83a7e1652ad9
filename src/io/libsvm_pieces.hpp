// read_libsvm_csr's streaming: a LibSVM file is parsed in pieces of whole lines, so its text is
// never held whole (a gzip-compressed one is inflated piece by piece, detail::GzipFile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxkit/data.hpp"
#include "text_pieces.hpp"

namespace softmaxkit::detail {

// The size of the pieces read_libsvm_csr parses (a piece grows to hold a longer line).
inline constexpr std::size_t kLibsvmReadBlockBytes = kTextPieceBytes;

// The end of the message for a LibSVM text without a single feature index (every reader, the
// data-parallel ones included, says the same).
inline constexpr const char* kNoFeatureIndices =
    ": no feature indices found; set LibsvmOptions::num_features (the command's --num-features)";

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
// whole text gives parse_libsvm_csr(text, options, name)'s result and errors. A part of a file
// (`part`) names the lines of the file and may also hold no record (0 rows) or no feature index
// (0 columns without options.num_features): the caller decides over all parts. Indices above
// max_index (kCsrMaxColumns, or kDenseLibsvmMaxValues as parse_libsvm reads) are errors.
SparseDataset parse_counted_libsvm_csr(const TextSource& source, const TextCounts& counts,
                                       const LibsvmOptions& options, const std::string& name,
                                       std::size_t block_bytes, std::uint64_t memory_bytes,
                                       const TextPart& part = {},
                                       std::size_t max_index = kCsrMaxColumns);

// The dense reader's (parse_libsvm's) limits: feature indices and the dense matrix's values up to
// 2^28 (1 GiB of floats), and libsvm_max_dense_bytes(text_bytes) (data.hpp). An Error at
// `at_end` ("name:line") when a rows x cols matrix (cols from num_features when nonzero, else the
// largest index) read from a text of text_bytes breaks them.
inline constexpr std::size_t kDenseLibsvmMaxValues = std::size_t{1} << 28;
void check_dense_libsvm_shape(std::size_t rows, std::size_t cols, std::size_t num_features,
                              std::size_t text_bytes, const std::string& at_end);

// read_libsvm with pieces of about block_bytes (>= 1) and memory_bytes for the CSR arrays it
// parses first (read_libsvm: 16 MiB and the machine's physical memory): parse_counted_libsvm_csr
// with indices up to kDenseLibsvmMaxValues, check_dense_libsvm_shape with the text's bytes (the
// inflated text's for a gzip file) at its last line, then densified. The result and errors of
// parse_libsvm on the whole text, which is never held.
Dataset read_libsvm_in_pieces(const std::string& path, const LibsvmOptions& options,
                              std::size_t block_bytes, std::uint64_t memory_bytes);

// The dense parse of a counted text (parse_counted_libsvm_csr's arguments for a whole text):
// read_libsvm_in_pieces's second pass, and parse_libsvm_in_pieces's.
Dataset parse_counted_libsvm(const TextSource& source, const TextCounts& counts,
                             const LibsvmOptions& options, const std::string& name,
                             std::size_t block_bytes, std::uint64_t memory_bytes);

// parse_libsvm(text, ...) parsed as read_libsvm_in_pieces parses a file, in pieces of about
// block_bytes: the same result and errors (fuzz/fuzz_libsvm.cpp checks this on every input).
Dataset parse_libsvm_in_pieces(std::string_view text, const LibsvmOptions& options,
                               const std::string& name_for_errors, std::size_t block_bytes);

// The rows x cols floats (row-major, zero where no entry) of CSR arrays whose column indices are
// below cols: how parse_libsvm, read_libsvm and softmaxkit-mpi's dense parts densify.
std::vector<float> dense_features(std::size_t rows, std::size_t cols,
                                  std::span<const std::int64_t> row_offsets,
                                  std::span<const std::int32_t> columns,
                                  std::span<const float> values);

// parse_libsvm_csr(text, options, name) as softmaxkit-mpi's ranks compute it together
// (read_libsvm_csr_rows) when `text` is cut into parts at `cuts` (ascending line starts; equal
// cuts make empty parts): each part parsed by parse_counted_libsvm_csr with the lines before it,
// the first part's error the file's, then no record in any part, or no feature index without
// num_features, the file's error at its last line; else the parts' rows in order, with the
// largest inferred width. The same result and messages as parse_libsvm_csr for any cuts
// (fuzz/fuzz_libsvm.cpp checks this on every input); a cut that is not a line start is an Error.
SparseDataset parse_libsvm_csr_in_parts(std::string_view text, std::span<const std::size_t> cuts,
                                        const LibsvmOptions& options, const std::string& name,
                                        std::size_t block_bytes);

// parse_libsvm_csr(text, ...) fed to the parser in the pieces read_libsvm_csr_in_pieces makes of
// a file: the same result and errors (fuzz/fuzz_libsvm.cpp checks this on every input).
// A line longer than max_line_bytes is an Error, as in every streamed read (kMaxLineBytes).
SparseDataset parse_libsvm_csr_in_pieces(std::string_view text, const LibsvmOptions& options,
                                         const std::string& name_for_errors,
                                         std::size_t block_bytes,
                                         std::size_t max_line_bytes = kMaxLineBytes);

}  // namespace softmaxkit::detail
