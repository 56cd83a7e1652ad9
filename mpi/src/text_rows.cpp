// CSV and LibSVM files read by byte ranges: rank r parses the whole lines that start in
// [r S / P, (r + 1) S / P) of the S-byte file, the ranks agree on the columns and the classes,
// and the rows move (MPI_Alltoallv) to the ranks rows_of_rank names, so no rank ever holds more
// than its byte range and its rows. Parts are streamed twice (a count, then the parse in
// pieces), never held as text. A gzip file has no byte ranges to seek to: every rank inflates it
// as a stream once for S (the inflated size), then once per pass, keeping only its part. The
// ranks number their lines from the lines before their parts, so messages name the line in the
// file, and a CSV part's errors that need the parts before it (a blank line there, another field
// count) are decided over all parts as parse_csv decides them on the whole file.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "comm.hpp"
#include "io/csv_pieces.hpp"
#include "io/file_io.hpp"
#include "io/libsvm_pieces.hpp"
#include "loss/problem_checks.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/mpi.hpp"

namespace softmaxkit::mpi {
namespace {

using mpi_detail::rank_of;
using mpi_detail::size_of;
int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error("softmaxkit::mpi: a message of " + std::to_string(n) + " elements is too large");
  return static_cast<int>(n);
}

// The first line start at or after `offset` (a line starts at 0 and after every '\n').
std::size_t line_start_from(std::ifstream& file, std::size_t offset, std::size_t size) {
  if (offset == 0 || offset >= size) return std::min(offset, size);
  // A previous call's read may have reached the end of the file (a part within 64 KiB of it):
  // without clearing, this seek would fail and the part would run to the end of the file.
  file.clear();
  file.seekg(static_cast<std::streamoff>(offset - 1));
  std::string buffer(1 << 16, '\0');
  std::size_t position = offset - 1;
  while (position < size) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::size_t got = static_cast<std::size_t>(file.gcount());
    if (got == 0) break;
    const std::size_t newline = std::string_view(buffer.data(), got).find('\n');
    if (newline != std::string_view::npos) return position + newline + 1;
    position += got;
  }
  file.clear();
  return size;
}

// Where rank r of p's byte range starts: floor(size * r / p) without overflowing.
std::uint64_t share_start(std::uint64_t size, std::uint64_t r, std::uint64_t p) {
  return size / p * r + size % p * r / p;
}

// This rank's part of a file, the whole lines starting in its 1/P of the bytes (of the inflated
// text for a gzip file, inflated from the file's start on every pass), as a detail::TextSource
// read as often as asked.
class PartSource {
 public:
  PartSource(const std::string& path, std::size_t r, std::size_t p) : path_(path) {
    if (is_gzip_file(path)) {
      file_.emplace(path);
      gzip_.emplace(*file_);
      buffer_.resize(std::size_t{1} << 20);
      std::uint64_t size = 0;
      while (const std::size_t got = gzip_->read(buffer_.data(), buffer_.size())) size += got;
      size_ = size;
      low_ = share_start(size, r, p);
      high_ = share_start(size, r + 1, p);
    } else {
      std::error_code error;
      size_ = std::filesystem::file_size(path, error);
      if (error) throw Error(path + ": cannot read (" + error.message() + ")");
      plain_.open(path, std::ios::binary);
      if (!plain_) throw Error(path + ": cannot open");
      const auto size = static_cast<std::size_t>(size_);
      low_ = line_start_from(plain_, share_start(size, r, p), size);
      high_ = line_start_from(plain_, share_start(size, r + 1, p), size);
    }
    rewind();
  }
  PartSource(const PartSource&) = delete;
  PartSource& operator=(const PartSource&) = delete;

  std::uint64_t size() const { return size_; }  // of the file's (inflated) text

  detail::TextSource text() {
    return {[this](char* into, std::size_t count) { return read(into, count); },
            [this] { rewind(); }};
  }

 private:
  void rewind() {
    position_ = have_ = next_ = 0;
    if (gzip_) {
      gzip_->rewind();
      // A line start at or after `offset`: 0, or just after the first '\n' at or after
      // offset - 1 (line_start_from's rule); the text's end when there is none.
      start_.reset();
      stop_.reset();
      if (low_ == 0 || low_ >= size_) start_ = std::min(low_, size_);
      if (high_ == 0 || high_ >= size_) stop_ = std::min(high_, size_);
    } else {
      plain_.clear();
      plain_.seekg(static_cast<std::streamoff>(low_));
      position_ = low_;  // the plain part is [low_, high_): both are line starts already
    }
  }

  std::size_t read(char* into, std::size_t count) {
    if (!gzip_) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(count, high_ - position_));
      if (n == 0) return 0;
      plain_.read(into, static_cast<std::streamsize>(n));
      if (static_cast<std::size_t>(plain_.gcount()) != n)
        throw Error(path_ + ": read failed at byte " + std::to_string(position_));
      position_ += n;
      return n;
    }
    while (true) {
      if (start_ && stop_ && std::max(*start_, position_ + next_) >= *stop_) return 0;
      if (next_ < have_ && start_) {
        const std::uint64_t begin = std::max(*start_, position_ + next_);
        const std::uint64_t end = stop_ ? std::min(*stop_, position_ + have_) : position_ + have_;
        if (begin < end) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count, end - begin));
          std::memcpy(into, buffer_.data() + (begin - position_), n);
          next_ = static_cast<std::size_t>(begin - position_) + n;
          return n;
        }
      }
      // This buffer holds nothing more of the part: inflate the next one.
      position_ += have_;
      have_ = gzip_->read(buffer_.data(), buffer_.size());
      next_ = 0;
      if (have_ == 0) return 0;
      if (!start_) start_ = line_start_in(low_);
      if (start_ && !stop_) stop_ = line_start_in(high_);
    }
  }

  // The first line start at or after `offset` within the buffer, if there is one.
  std::optional<std::uint64_t> line_start_in(std::uint64_t offset) const {
    const std::uint64_t from = std::max(offset - 1, position_) - position_;
    if (from >= have_) return std::nullopt;
    const char* const begin = buffer_.data();
    const char* const end = begin + have_;
    const char* const newline = std::find(begin + from, end, '\n');
    if (newline == end) return std::nullopt;
    return position_ + static_cast<std::uint64_t>(newline - begin) + 1;
  }

  std::string path_;
  std::uint64_t size_ = 0, low_ = 0, high_ = 0;
  std::ifstream plain_;
  std::optional<detail::RegularFile> file_;
  std::optional<detail::GzipFile> gzip_;
  std::vector<char> buffer_;
  std::uint64_t position_ = 0;  // gzip: of buffer_[0] in the inflated text; plain: the next byte
  std::size_t have_ = 0, next_ = 0;  // gzip: bytes in buffer_, and the next one not yet given
  std::optional<std::uint64_t> start_, stop_;  // gzip: the part's ends, once found on this pass
};

// This rank's part opened and counted (the first of a streamed read's two passes), and where it
// lies in the file: after how many lines, whether it holds the file's first byte (or, for an
// empty file, is rank 0's), and the file's line count.
struct CountedPart {
  std::unique_ptr<PartSource> source;
  detail::TextCounts counts;
  detail::TextPart where{.part_of_file = true};
  bool holds_file_start = false;
  unsigned long long file_lines = 0;
};

CountedPart count_part(MPI_Comm comm, const std::string& path) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  CountedPart counted;
  collectively(comm, [&] {
    counted.source = std::make_unique<PartSource>(path, static_cast<std::size_t>(rank),
                                                  static_cast<std::size_t>(ranks));
    counted.counts = detail::count_text(counted.source->text().read);
  });
  // The file's (inflated) size: ranks that see different files under one path cut them at
  // different bytes, and trained on a mix without a word.
  const unsigned long long size = counted.source->size();
  agree_on_files(comm, path, std::span(&size, 1), [](std::span<const unsigned long long> seen) {
    return std::to_string(seen[0]) + " bytes";
  });
  // Every part but the last ends with a line end, so the '\n' before a part are its lines before.
  const unsigned long long local[3] = {counted.counts.line_ends, counted.counts.lines(),
                                       counted.counts.bytes};
  std::vector<unsigned long long> all(3 * static_cast<std::size_t>(ranks));
  MPI_Allgather(local, 3, MPI_UNSIGNED_LONG_LONG, all.data(), 3, MPI_UNSIGNED_LONG_LONG, comm);
  unsigned long long bytes_before = 0;
  for (int r = 0; r < ranks; ++r) {
    const unsigned long long* part = all.data() + 3 * static_cast<std::size_t>(r);
    if (r < rank) {
      counted.where.lines_before += part[0];
      bytes_before += part[2];
    }
    counted.file_lines += part[1];
  }
  counted.holds_file_start = bytes_before == 0 && (counted.counts.bytes != 0 ||
                                                   (rank == 0 && counted.source->size() == 0));
  return counted;
}

// What a part's values may take: the machine's physical memory.
std::uint64_t memory_limit() {
  const long double memory = detail::physical_memory_bytes();
  return memory > 0 && memory < 1.8e19L ? static_cast<std::uint64_t>(memory) : UINT64_MAX;
}

// The single-process readers' message for a file without records (at its last line).
std::string no_records(const std::string& path, unsigned long long file_lines) {
  return detail::at_last_line(path, file_lines) + ": no data records";
}

// This rank's CSV part: parsed, then checked against the parts before it (csv_error_after_parts);
// the lowest rank's error is then the one parse_csv gives on the whole file.
Dataset parse_csv_part(MPI_Comm comm, CountedPart& counted, const std::string& path,
                       const CsvOptions& csv) {
  Dataset piece;
  detail::CsvPartLines seen;
  std::string error;
  try {
    CsvOptions options = csv;
    options.has_header = csv.has_header && counted.holds_file_start;
    piece =
        detail::parse_counted_csv(counted.source->text(), counted.counts, options, path,
                                  detail::kTextPieceBytes, memory_limit(), counted.where, &seen);
  } catch (const std::exception& e) {
    error = *e.what() != '\0' ? e.what() : "unknown error";
  }
  counted.source.reset();
  const unsigned long long local[4] = {seen.header_fields, seen.first_blank, seen.first_record,
                                       seen.first_record_fields};
  const auto ranks = static_cast<std::size_t>(size_of(comm));
  std::vector<unsigned long long> all(4 * ranks);
  MPI_Allgather(local, 4, MPI_UNSIGNED_LONG_LONG, all.data(), 4, MPI_UNSIGNED_LONG_LONG, comm);
  std::vector<detail::CsvPartLines> before(static_cast<std::size_t>(rank_of(comm)));
  for (std::size_t r = 0; r < before.size(); ++r)
    before[r] = {all[4 * r], all[4 * r + 1], all[4 * r + 2], all[4 * r + 3]};
  const std::string across =
      detail::csv_error_after_parts(before, seen, path, detail::csv_min_record_fields(csv));
  agree(comm, across.empty() ? error : across);
  return piece;
}

// This rank's LibSVM part as CSR; a part may hold no record, or records without entries (0
// columns): whether the file has any is decided over all parts.
SparseDataset parse_libsvm_part(MPI_Comm comm, CountedPart& counted, const std::string& path,
                                std::size_t libsvm_features, std::size_t max_index) {
  SparseDataset piece;
  collectively(comm, [&] {
    LibsvmOptions options;
    options.num_features = libsvm_features;
    piece = detail::parse_counted_libsvm_csr(counted.source->text(), counted.counts, options, path,
                                             detail::kTextPieceBytes, memory_limit(), counted.where,
                                             max_index);
    counted.source.reset();
  });
  return piece;
}

}  // namespace

bool is_gzip_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  file.read(reinterpret_cast<char*>(magic), 2);
  return file.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

TextRows read_text_rows(MPI_Comm comm, const std::string& format, const std::string& path,
                        const CsvOptions& csv, std::size_t libsvm_features,
                        std::size_t element_size) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  collectively(comm, [&] {
    if (format != "csv" && format != "libsvm")
      throw Error("softmaxkit::mpi::read_text_rows: format '" + format +
                  "' is neither 'csv' nor 'libsvm'");
  });
  CountedPart counted = count_part(comm, path);
  const std::uint64_t text_bytes = counted.source->size();
  Dataset piece;
  SparseDataset sparse;  // LibSVM: the part as parse_libsvm reads it, before it is densified
  if (format == "csv") {
    piece = parse_csv_part(comm, counted, path, csv);
  } else {
    collectively(comm, [&] {
      if (libsvm_features > detail::kDenseLibsvmMaxValues)
        throw Error(path + ": num_features " + std::to_string(libsvm_features) +
                    " exceeds the limit of " + std::to_string(detail::kDenseLibsvmMaxValues));
    });
    sparse = parse_libsvm_part(comm, counted, path, libsvm_features, detail::kDenseLibsvmMaxValues);
    piece.rows = sparse.features.rows();
    piece.cols = sparse.features.cols();
  }
  // The columns: one count for CSV (the parts agree, csv_error_after_parts); for LibSVM
  // libsvm_features or the largest index over the parts.
  const unsigned long long local[2] = {piece.rows, piece.cols};
  std::vector<unsigned long long> shapes(2 * static_cast<std::size_t>(ranks));
  MPI_Allgather(local, 2, MPI_UNSIGNED_LONG_LONG, shapes.data(), 2, MPI_UNSIGNED_LONG_LONG, comm);
  TextRows result;
  std::size_t first_here = 0, cols = format == "csv" ? 0 : libsvm_features;
  for (int r = 0; r < ranks; ++r) {
    if (r < rank) first_here += shapes[2 * r];
    result.global_rows += shapes[2 * r];
    if (shapes[2 * r] != 0) cols = std::max<std::size_t>(cols, shapes[2 * r + 1]);
  }
  collectively(comm, [&] {
    if (result.global_rows == 0) throw Error(no_records(path, counted.file_lines));
    if (format == "csv") return;
    // parse_libsvm's checks on the whole file, at its last line.
    const std::string at_end = detail::at_last_line(path, counted.file_lines);
    if (cols == 0) throw Error(at_end + detail::kNoFeatureIndices);
    detail::check_dense_libsvm_shape(result.global_rows, cols, libsvm_features,
                                     static_cast<std::size_t>(text_bytes), at_end);
  });
  if (format != "csv") {  // densified at the file's width
    const CsrMatrixView<float>& parsed = sparse.features.view();
    piece.cols = cols;
    piece.features = detail::dense_features(piece.rows, cols, parsed.row_offsets(),
                                            parsed.column_indices(), parsed.values());
    piece.labels = std::move(sparse.labels);
    sparse = SparseDataset{};
  }
  result.classes = global_classes(comm, piece.labels);
  result.mine =
      rows_of_rank(result.global_rows, cols, std::max<std::size_t>(result.classes.size(), 1),
                   element_size, rank, ranks);
  // Move the rows: this rank's [first_here, + rows) to the ranks whose ranges overlap it.
  std::vector<int> send_rows(static_cast<std::size_t>(ranks)),
      send_at(static_cast<std::size_t>(ranks));
  std::vector<int> receive_rows(static_cast<std::size_t>(ranks)),
      receive_at(static_cast<std::size_t>(ranks));
  std::size_t theirs_first = 0;
  for (int r = 0; r < ranks; ++r) {
    const RowRange wanted =
        rows_of_rank(result.global_rows, cols, std::max<std::size_t>(result.classes.size(), 1),
                     element_size, r, ranks);
    const std::size_t from = std::max(first_here, wanted.first);
    const std::size_t to = std::min(first_here + piece.rows, wanted.first + wanted.count);
    send_rows[static_cast<std::size_t>(r)] = as_int(to > from ? to - from : 0);
    send_at[static_cast<std::size_t>(r)] = as_int(to > from ? from - first_here : 0);
    // What rank r parsed, overlapping this rank's wanted rows.
    const std::size_t parsed = shapes[2 * r];
    const std::size_t in_from = std::max(theirs_first, result.mine.first);
    const std::size_t in_to =
        std::min(theirs_first + parsed, result.mine.first + result.mine.count);
    receive_rows[static_cast<std::size_t>(r)] = as_int(in_to > in_from ? in_to - in_from : 0);
    receive_at[static_cast<std::size_t>(r)] =
        as_int(in_to > in_from ? in_from - result.mine.first : 0);
    theirs_first += parsed;
  }
  result.data.rows = result.mine.count;
  result.data.cols = cols;
  result.data.labels.resize(result.mine.count);
  result.data.features.resize(result.mine.count * cols);
  MPI_Alltoallv(piece.labels.data(), send_rows.data(), send_at.data(), MPI_INT32_T,
                result.data.labels.data(), receive_rows.data(), receive_at.data(), MPI_INT32_T,
                comm);
  auto scaled = [&](std::vector<int>& v) {
    for (int& e : v) e = as_int(static_cast<std::size_t>(e) * cols);
  };
  scaled(send_rows);
  scaled(send_at);
  scaled(receive_rows);
  scaled(receive_at);
  MPI_Alltoallv(piece.features.data(), send_rows.data(), send_at.data(), MPI_FLOAT,
                result.data.features.data(), receive_rows.data(), receive_at.data(), MPI_FLOAT,
                comm);
  return result;
}

SparseTextRows read_libsvm_csr_rows(MPI_Comm comm, const std::string& path,
                                    std::size_t libsvm_features, std::size_t element_size) {
  const int rank = rank_of(comm), ranks = size_of(comm);
  // The part is streamed twice, as read_libsvm_csr streams a file (a count, then the parse in
  // pieces), so a rank holds its part's CSR arrays but never its text.
  CountedPart counted = count_part(comm, path);
  SparseDataset piece = parse_libsvm_part(comm, counted, path, libsvm_features, kCsrMaxColumns);
  // The columns: the largest inferred over the parts (libsvm_features when nonzero), as
  // read_libsvm_csr infers them from the whole file; rows, entries and where this part starts.
  const unsigned long long local[3] = {piece.features.rows(), piece.features.cols(),
                                       piece.features.nnz()};
  std::vector<unsigned long long> shapes(3 * static_cast<std::size_t>(ranks));
  MPI_Allgather(local, 3, MPI_UNSIGNED_LONG_LONG, shapes.data(), 3, MPI_UNSIGNED_LONG_LONG, comm);
  SparseTextRows result;
  std::size_t first_here = 0, cols = libsvm_features;
  for (int r = 0; r < ranks; ++r) {
    const unsigned long long* shape = shapes.data() + 3 * static_cast<std::size_t>(r);
    if (r < rank) first_here += shape[0];
    result.global_rows += shape[0];
    result.global_nnz += shape[2];
    if (shape[0] != 0) cols = std::max<std::size_t>(cols, shape[1]);
  }
  collectively(comm, [&] {
    if (result.global_rows == 0) throw Error(no_records(path, counted.file_lines));
    if (cols == 0)
      throw Error(detail::at_last_line(path, counted.file_lines) + detail::kNoFeatureIndices);
  });
  result.classes = global_classes(comm, piece.labels);
  const std::size_t classes = std::max<std::size_t>(result.classes.size(), 1);
  result.mine = csr_rows_of_rank(result.global_rows, result.global_nnz, cols, classes, element_size,
                                 rank, ranks);
  // Move the rows to the ranks whose ranges overlap them: labels and row lengths by rows, then
  // the entries (column indices and values) by entries.
  const CsrMatrixView<float>& parsed = piece.features.view();
  auto entries_before = [&](std::size_t row) {  // entries of this part's rows before `row`
    return row == 0 ? std::size_t{0} : parsed.row_begin(row);
  };
  const auto p = static_cast<std::size_t>(ranks);
  std::vector<int> send_rows(p), send_at(p), receive_rows(p), receive_at(p);
  std::vector<int> send_entries(p), send_entries_at(p), receive_entries(p), receive_entries_at(p);
  std::size_t theirs_first = 0;
  for (std::size_t r = 0; r < p; ++r) {
    const RowRange wanted = csr_rows_of_rank(result.global_rows, result.global_nnz, cols, classes,
                                             element_size, static_cast<int>(r), ranks);
    const std::size_t from = std::max(first_here, wanted.first);
    const std::size_t to = std::min(first_here + parsed.rows(), wanted.first + wanted.count);
    const std::size_t begin = to > from ? from - first_here : 0,
                      end = to > from ? to - first_here : 0;
    send_rows[r] = as_int(end - begin);
    send_at[r] = as_int(begin);
    send_entries[r] = as_int(entries_before(end) - entries_before(begin));
    send_entries_at[r] = as_int(entries_before(begin));
    const std::size_t parsed_by_r = shapes[3 * r];
    const std::size_t in_from = std::max(theirs_first, result.mine.first);
    const std::size_t in_to =
        std::min(theirs_first + parsed_by_r, result.mine.first + result.mine.count);
    receive_rows[r] = as_int(in_to > in_from ? in_to - in_from : 0);
    receive_at[r] = as_int(in_to > in_from ? in_from - result.mine.first : 0);
    theirs_first += parsed_by_r;
  }
  MPI_Alltoall(send_entries.data(), 1, MPI_INT, receive_entries.data(), 1, MPI_INT, comm);
  std::size_t received = 0;
  for (std::size_t r = 0; r < p; ++r) {
    receive_entries_at[r] = as_int(received);
    received += static_cast<std::size_t>(receive_entries[r]);
  }
  std::vector<std::int32_t> labels(result.mine.count);
  MPI_Alltoallv(piece.labels.data(), send_rows.data(), send_at.data(), MPI_INT32_T, labels.data(),
                receive_rows.data(), receive_at.data(), MPI_INT32_T, comm);
  std::vector<std::int64_t> lengths(parsed.rows()), received_lengths(result.mine.count);
  for (std::size_t i = 0; i < parsed.rows(); ++i)
    lengths[i] = static_cast<std::int64_t>(parsed.row_end(i) - parsed.row_begin(i));
  MPI_Alltoallv(lengths.data(), send_rows.data(), send_at.data(), MPI_INT64_T,
                received_lengths.data(), receive_rows.data(), receive_at.data(), MPI_INT64_T, comm);
  std::vector<std::int32_t> columns(received);
  std::vector<float> values(received);
  MPI_Alltoallv(parsed.column_indices().data(), send_entries.data(), send_entries_at.data(),
                MPI_INT32_T, columns.data(), receive_entries.data(), receive_entries_at.data(),
                MPI_INT32_T, comm);
  MPI_Alltoallv(parsed.values().data(), send_entries.data(), send_entries_at.data(), MPI_FLOAT,
                values.data(), receive_entries.data(), receive_entries_at.data(), MPI_FLOAT, comm);
  piece = SparseDataset{};
  std::vector<std::int64_t> offsets(result.mine.count + 1, 0);
  for (std::size_t i = 0; i < result.mine.count; ++i)
    offsets[i + 1] = offsets[i] + received_lengths[i];
  result.data.features = CsrMatrix<float>(result.mine.count, cols, std::move(offsets),
                                          std::move(columns), std::move(values));
  result.data.labels = std::move(labels);
  return result;
}

}  // namespace softmaxkit::mpi
