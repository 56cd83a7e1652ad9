// Dataset readers: IDX (MNIST style), CSV and LibSVM/svmlight, each plain or gzip-compressed.
//
// Every reader returns a dense, row-major Dataset of float features and the raw
// integer labels found in the file; LibSVM files can also be read sparse (SparseDataset, CSR). Bad
// input throws softmaxkit::Error whose message names the file and the line (text formats) or byte
// offset (IDX); a quoted token shows at most 64 bytes, non-printable bytes as \xNN. Only regular
// files are read; directories and FIFOs are rejected. IDX files are limited to 2 GiB
// (kMaxInputFileBytes in src/io/file_io.hpp), a gzip-compressed one to 2 GiB once inflated
// (corrupt, truncated or oversized gzip data is an Error naming the file). The text readers
// (read_csv, read_libsvm, read_libsvm_csr) stream a file, plain or gzip-compressed, and have no
// size limit (below); line and column numbers count in the inflated text. Text files (CSV,
// LibSVM) may start with a UTF-8 byte order mark, which is skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxkit/csr.hpp"

namespace softmaxkit {

struct Dataset {  // dense, row-major
  std::size_t rows = 0, cols = 0;
  std::vector<float> features;       // rows * cols
  std::vector<std::int32_t> labels;  // rows (raw label values from the file)
};

// IDX files: big-endian magic 00 00 <type> <ndims>, ndims big-endian uint32
// dimensions, then the data. Types: 0x08 ubyte, 0x09 sbyte, 0x0B short,
// 0x0C int, 0x0D float, 0x0E double. rows = dim0, cols = product of the rest.
struct IdxOptions {
  bool scale_to_unit = true;  // uint8 data only: divide by 255 into [0, 1]
};
Dataset read_idx(const std::string& images_path, const std::string& labels_path,
                 const IdxOptions& options = {});
Dataset read_idx_images(const std::string& images_path, const IdxOptions& options = {});
std::vector<std::int32_t> read_idx_labels(const std::string& labels_path);

struct CsvOptions {
  int label_column = 0;  // -1 = last column
  bool has_header = false;
  char delimiter = ',';
  // false: the file has no label column (data to predict): every field is a feature, a record
  // may have a single field, Dataset::labels stays empty and label_column is not used.
  bool has_labels = true;
};
// A text label must name an integer in int32 range as written ("3", "3.0", "3e0", "-2.5e1"), not
// only read as one: "0.99999999999999999", whose double is 1, is an Error.
// CSV (contract in src/io/csv.cpp: one record per line, the label column an integer, every other
// field a finite float, blank lines only at the end). The file is read twice, never held whole:
// a count of its lines, then the parse in pieces of whole lines of about 16 MiB (at most 256 MiB
// per line, a longer one is an Error naming file:line) while a second thread reads, or inflates,
// the next (a text of less than one piece is read on the calling thread). Memory is the values
// (4 bytes per field) plus three pieces (none larger than the text); values that could need more
// than the machine's physical memory (a record per line) are an Error naming the file before
// anything is reserved. The result and every message are parse_csv's on the whole text. A file
// whose second pass meets other bytes than the first counted (it changed) is an Error naming it.
Dataset read_csv(const std::string& path, const CsvOptions& options = {});

struct LibsvmOptions {
  std::size_t num_features = 0;  // 0 = infer from the largest index
};
// LibSVM data are returned dense (rows x cols floats). A sparse file may name a feature index
// far beyond what its bytes justify (20 bytes naming index 2^27 would need 512 MiB, and training
// on it several GiB), so read_libsvm / parse_libsvm refuse, with an Error naming the file, the
// shape and the bytes needed, a dense matrix larger than libsvm_max_dense_bytes(text size):
// 64 MiB, or 64 bytes of floats per byte of text when that is more (a file of explicit index:value
// pairs spends at least 4 bytes per stored value, so this allows about 1 stored value in 64).
// read_libsvm streams its file as read_libsvm_csr does (below: never held whole, gzip inflated
// piece by piece; the text's bytes are then the inflated text's), checks these limits at the
// file's last line and densifies: the result and every message are parse_libsvm's on the whole
// text. Memory is the CSR arrays, then the dense matrix.
inline constexpr std::size_t libsvm_dense_floor_bytes = std::size_t{64} << 20;
inline constexpr std::size_t libsvm_dense_bytes_per_input_byte = 64;
constexpr std::size_t libsvm_max_dense_bytes(std::size_t input_bytes) {
  return input_bytes > libsvm_dense_floor_bytes / libsvm_dense_bytes_per_input_byte
             ? input_bytes * libsvm_dense_bytes_per_input_byte
             : libsvm_dense_floor_bytes;
}
Dataset read_libsvm(const std::string& path, const LibsvmOptions& options = {});

// LibSVM data as CSR, never densified: memory is proportional to the stored entries (8 bytes
// each, plus 8 per row), whatever the indices. features.cols() = num_features, or the largest
// index when that is 0; an index above num_features, or above kCsrMaxColumns, is an Error naming
// file:line:column, like every malformed token (the same rules and messages as read_libsvm, which
// is this parse densified). Column indices are the file's minus one, strictly increasing.
// A file is read twice, never held whole: a first pass counts its ':' (the arrays are
// reserved from that count, at most 2 bytes per byte of text), the second parses it in pieces of
// whole lines of about 16 MiB (a piece grows to hold a longer line, of at most 256 MiB: a longer
// line is an Error naming file:line) while a second thread reads the next (a text of less than
// one piece is read on the calling thread). Memory is then the arrays plus three pieces (none
// larger than the text), for a file of any size; the result and every message are those of
// parse_libsvm_csr on the whole text (whose lines are that short). A file whose ':' count and
// lines would need more bytes of arrays (8 per entry, 12 per row) than the machine's physical
// memory is an Error naming the file and the bytes, before anything is reserved.
// A gzip-compressed file is read the same way, inflated piece by piece in each pass (so inflated
// twice): neither its compressed nor its inflated text is held whole, and the ':' count, the pieces
// and line:column are the inflated text's. A file whose second pass meets other bytes than the
// first counted (it changed while it was read, also read_libsvm's) is an Error naming it.
struct SparseDataset {
  CsrMatrix<float> features{};
  std::vector<std::int32_t> labels;  // rows (raw label values from the file)
};
SparseDataset read_libsvm_csr(const std::string& path, const LibsvmOptions& options = {});

// Where the label of record `row` of a text data file lies: "path:line:column" (1-based), the
// records numbered from 0 as Dataset::labels and SparseDataset::labels number them. For messages
// about a label found wrong after reading (one a model does not know), which otherwise could
// only name a row. The file is read again as the readers read it (streamed, gzip inflated, a
// byte order mark skipped), up to that record: in LibSVM every line but the blank and
// comment-only ones is a record; in CSV every line but the header (options.has_header) and the
// blank lines at the end, the column that of options.label_column's field. Error naming the file
// when it holds fewer records (it changed since it was read), and for options read_csv refuses
// or without labels.
std::string libsvm_label_location(const std::string& path, std::size_t row);
std::string csv_label_location(const std::string& path, std::size_t row,
                               const CsvOptions& options = {});

// Parsing from memory (used by fuzzers); name_for_errors stands in for the path.
Dataset parse_csv(std::string_view text, const CsvOptions& options,
                  const std::string& name_for_errors);
Dataset parse_libsvm(std::string_view text, const LibsvmOptions& options,
                     const std::string& name_for_errors);
SparseDataset parse_libsvm_csr(std::string_view text, const LibsvmOptions& options,
                               const std::string& name_for_errors);
// labels_bytes may be empty: the result then has no labels. Either part may be gzip.
Dataset parse_idx(std::string_view images_bytes, std::string_view labels_bytes,
                  const IdxOptions& options, const std::string& name_for_errors);

// One weight per row, from a text file (plain or gzip-compressed, streamed as read_csv's; a UTF-8
// byte order mark skipped): one number per line in the rows' order, with spaces or tabs around it
// and '\n' or "\r\n" line ends (the last line's optional), each finite, >= 0 and within float's
// range (read as read_csv reads features: std::from_chars, an optional '+'; a value below float's
// smallest, even below double's, rounds towards 0; negative text is refused even where it would
// round to -0, as "-1e-400"; a zero written with a sign, "-0" or "-0.0e5", is the weight +0).
// Exactly `rows` lines. Error naming the file and the line
// ("path:line: ...") for a line that is empty, longer than kMaxWeightLineBytes, holds a NUL byte
// or is not such a number, and naming the file for fewer or more lines than rows (reading stops
// at the first line beyond them, so a huge file costs no memory). Whether all weights may be 0 is
// the caller's to decide. The command's --sample-weights (train, evaluate, softmaxkit-mpi).
inline constexpr std::size_t kMaxWeightLineBytes = 256;
std::vector<float> read_sample_weights(const std::string& path, std::size_t rows);

}  // namespace softmaxkit
