// LibSVM / svmlight reader.
//
// Contract: one record per line, "label index:value index:value ...", tokens
// separated by spaces or tabs. The label is an integer ("3", "+1", "-1",
// "3.0"); an svmlight "qid:N" token may follow it and is ignored. Indices are
// 1-based decimal integers, strictly ascending within a line; values are
// finite floats. "# comment" runs to the end of the line; blank and
// comment-only lines are skipped. A UTF-8 byte order mark at the start is
// skipped. Errors name file:line:column.
//
// One parser (EntriesParser, fed whole lines: the whole text by parse_entries, a file's pieces of
// about 16 MiB by read_libsvm_csr and read_libsvm, io/libsvm_pieces.hpp) produces CSR arrays;
// parse_libsvm_csr returns them as they are (cols = options.num_features, or the largest index
// when that is 0; an index above num_features is an error; indices up to kCsrMaxColumns),
// parse_libsvm and read_libsvm densify them (indices up to 2^28, the dense result limited to 2^28
// values and to libsvm_max_dense_bytes(file size) bytes, data.hpp).
//
// Speed: each "index:value" token is first tried on a fast path (a digit loop for the index,
// one std::from_chars for the value, no strings built); anything it does not accept (a sign, a
// qid, an error) goes through the general path, which produces the error messages.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "file_io.hpp"
#include "libsvm_pieces.hpp"
#include "number_text.hpp"
#include "read_ahead.hpp"
#include "record_location.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "text_lines.hpp"
#include "text_pieces.hpp"

namespace softmaxkit {
namespace {

constexpr std::size_t kMaxDenseValues = detail::kDenseLibsvmMaxValues;

std::string where(const std::string& name, std::size_t line, std::size_t column) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

bool is_separator(char c) {
  return c == ' ' || c == '\t';
}

// The 1-based byte column of a line's label (its first token before any '#'), 0 for a line that
// is no record (blank or comment-only): the parser's rule (EntriesParser::parse_line).
std::size_t label_column(std::string_view line) {
  line = line.substr(0, line.find('#'));
  for (std::size_t i = 0; i < line.size(); ++i)
    if (!is_separator(line[i])) return i + 1;
  return 0;
}

// Parses a 1-based feature index up to max_index; returns an error description or "".
std::string parse_index(std::string_view text, std::size_t max_index, std::size_t& index) {
  if (text.empty()) return "missing feature index";
  if (text[0] == '-' || text[0] == '+') {
    return "feature index " + detail::quoted_excerpt(text) +
           " must be a positive integer (1-based)";
  }
  std::uint64_t parsed = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
  if (ec == std::errc::invalid_argument || ptr != end) {
    return "feature index " + detail::quoted_excerpt(text) + " is not an integer";
  }
  if (ec == std::errc::result_out_of_range || parsed > max_index) {
    return "feature index " + detail::quoted_excerpt(text) + " exceeds the limit of " +
           std::to_string(max_index);
  }
  if (parsed == 0) return "feature index 0 is invalid (indices are 1-based)";
  index = static_cast<std::size_t>(parsed);
  return "";
}

// The parsed file: CSR arrays (0-based columns) and labels; cols is not yet decided.
struct Entries {
  std::vector<std::int64_t> row_offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<float> values;
  std::vector<std::int32_t> labels;
  std::size_t max_index = 0;  // largest 1-based index seen
  std::string at_end;         // "name:last line" for errors about the whole file
};

// The parser, fed whole lines in one or more pieces: parse(piece) for each, in order (line
// numbers continue from piece to piece; the first piece may start with a UTF-8 byte order mark),
// then finish(). max_index: the largest 1-based index accepted (kMaxDenseValues for the dense
// reader, whose matrix could not hold more, kCsrMaxColumns for CSR). A part of a file is
// numbered on from the file's lines_before lines before it.
class EntriesParser {
 public:
  EntriesParser(const LibsvmOptions& options, const std::string& name, std::size_t max_index,
                std::uint64_t lines_before = 0)
      : name_(name),
        max_index_(max_index),
        num_features_(options.num_features),
        // The fast path's index bound: within the limit and within num_features when given.
        fast_bound_(options.num_features != 0 ? options.num_features : max_index),
        lines_(lines_before) {
    if (options.num_features > max_index) {
      throw Error(name + ": num_features " + std::to_string(options.num_features) +
                  " exceeds the limit of " + std::to_string(max_index));
    }
  }

  // Memory is by entries, never by a number in the file: every entry has a ':' and takes at
  // least 4 bytes ("1:1" and a separator or line end), so this reserves at most 2 bytes of
  // arrays per byte of text, and only address space until entries are stored.
  void reserve(std::size_t colons, std::size_t text_bytes) {
    const std::size_t capacity = std::min(colons, text_bytes / 4 + 1);
    parsed_.columns.reserve(capacity);
    parsed_.values.reserve(capacity);
  }

  void parse(std::string_view text) {
    lines_.feed(text,
                [this](std::string_view line, std::size_t number) { parse_line(line, number); });
  }

  const std::string& name() const { return name_; }
  const detail::PieceLines& lines() const { return lines_; }

  // A part of a file (part_of_file) may hold no record or no feature index; a whole text may not.
  Entries finish(bool part_of_file = false) {
    parsed_.at_end = detail::at_last_line(name_, lines_.count());
    if (parsed_.labels.empty()) {
      if (part_of_file) return std::move(parsed_);  // row_offsets {0}: no rows
      throw Error(parsed_.at_end + ": no data records");
    }
    parsed_.row_offsets.push_back(static_cast<std::int64_t>(parsed_.values.size()));
    if (num_features_ == 0 && parsed_.max_index == 0 && !part_of_file) {
      throw Error(parsed_.at_end + detail::kNoFeatureIndices);
    }
    return std::move(parsed_);
  }

 private:
  void parse_line(std::string_view line, std::size_t line_number) {
    // Locals, not members, in the loop: a member would be reloaded after every push_back.
    const std::size_t fast_bound = fast_bound_, num_features = num_features_;
    line = line.substr(0, line.find('#'));
    const char* const s = line.data();
    const std::size_t n = line.size();
    std::size_t pos = 0;
    std::size_t token_count = 0;
    std::size_t previous_index = 0;
    while (true) {
      while (pos < n && is_separator(s[pos])) ++pos;
      if (pos == n) break;
      if (token_count != 0) {
        // Fast path: up to 10 digits, ':', a value from_chars reads to the token's end.
        std::uint64_t index = 0;
        std::size_t q = pos;
        while (q < n && q - pos < 10 && static_cast<unsigned char>(s[q] - '0') < 10) {
          index = index * 10 + static_cast<unsigned char>(s[q] - '0');
          ++q;
        }
        if (q > pos && q < n && s[q] == ':' && index > previous_index && index <= fast_bound) {
          float value = 0;
          const auto [ptr, ec] = std::from_chars(s + q + 1, s + n, value);
          if (ec == std::errc() && ptr != s + q + 1 && (ptr == s + n || is_separator(*ptr)) &&
              std::isfinite(value)) {
            parsed_.columns.push_back(static_cast<std::int32_t>(index - 1));
            parsed_.values.push_back(value);
            previous_index = static_cast<std::size_t>(index);
            parsed_.max_index = std::max(parsed_.max_index, previous_index);
            pos = static_cast<std::size_t>(ptr - s);
            ++token_count;
            continue;
          }
        }
      }
      // General path.
      std::size_t end = pos;
      while (end < n && !is_separator(s[end])) ++end;
      const std::string_view token = line.substr(pos, end - pos);
      const std::size_t token_column = pos + 1;
      const auto prefix = [&] { return where(name_, line_number, token_column); };
      pos = end;
      if (token_count++ == 0) {
        std::int32_t label = 0;
        const detail::NumberStatus status = detail::parse_label_value(token, label);
        if (status != detail::NumberStatus::kOk) {
          throw Error(prefix() + "label: " + detail::describe_number_problem(status, token));
        }
        if (!parsed_.labels.empty()) {
          parsed_.row_offsets.push_back(static_cast<std::int64_t>(parsed_.values.size()));
        }
        parsed_.labels.push_back(label);
        continue;
      }
      const std::size_t colon = token.find(':');
      if (colon == std::string_view::npos) {
        throw Error(prefix() + "malformed token " + detail::quoted_excerpt(token) +
                    " (expected index:value)");
      }
      if (token_count == 2 && token.substr(0, colon) == "qid") continue;  // svmlight query id
      std::size_t index = 0;
      const std::string index_problem = parse_index(token.substr(0, colon), max_index_, index);
      if (!index_problem.empty()) throw Error(prefix() + index_problem);
      if (index <= previous_index) {
        throw Error(prefix() + "feature index " + std::to_string(index) +
                    " is not greater than the previous index " + std::to_string(previous_index) +
                    " (indices must be strictly ascending)");
      }
      if (num_features != 0 && index > num_features) {
        throw Error(prefix() + "feature index " + std::to_string(index) + " exceeds num_features " +
                    std::to_string(num_features_));
      }
      previous_index = index;
      const std::string_view value_text = token.substr(colon + 1);
      float value = 0;
      const detail::NumberStatus status = detail::parse_feature_value(value_text, value);
      if (status != detail::NumberStatus::kOk) {
        throw Error(prefix() + "value of feature " + std::to_string(index) + ": " +
                    detail::describe_number_problem(status, value_text));
      }
      parsed_.columns.push_back(static_cast<std::int32_t>(index - 1));
      parsed_.values.push_back(value);
      parsed_.max_index = std::max(parsed_.max_index, index);
    }
  }

  const std::string& name_;
  const std::size_t max_index_, num_features_, fast_bound_;
  Entries parsed_;
  detail::PieceLines lines_;
};

// The options' check, before a file is read: EntriesParser's constructor refuses them.
void check_libsvm_options(const LibsvmOptions& options, const std::string& name,
                          std::size_t max_index) {
  [[maybe_unused]] const EntriesParser parser(options, name, max_index);
}

// A parser for a text held in memory (checked not null), its arrays reserved from its ':' count.
EntriesParser text_parser(std::string_view text, const LibsvmOptions& options,
                          const std::string& name, std::size_t max_index) {
  detail::check_text(text, name);
  EntriesParser parser(options, name, max_index);
  const std::string_view body = detail::without_utf8_bom(text);
  parser.reserve(detail::count_char(body, ':'), body.size());
  return parser;
}

Entries parse_entries(std::string_view text, const LibsvmOptions& options, const std::string& name,
                      std::size_t max_index) {
  EntriesParser parser = text_parser(text, options, name, max_index);
  parser.parse(text);
  return parser.finish();
}

// The second pass over a streamed text (rewound) that count_text counted: parsed in pieces of
// about block_bytes, so the text is never held whole.
template <class Read>
Entries parse_counted(Read& read, const detail::TextCounts& counts, const LibsvmOptions& options,
                      const std::string& name, std::size_t max_index, std::size_t block_bytes,
                      std::uint64_t memory_bytes, const detail::TextPart& part) {
  EntriesParser parser(options, name, max_index, part.lines_before);
  // Refused before anything is reserved when the arrays could not fit: a file without a size
  // limit (or a small gzip file inflating to a large text) must not end in std::bad_alloc or the
  // out-of-memory killer. Each entry takes a value and a column (8 bytes), each row a label and
  // an offset (12 bytes); a row is at most a line.
  const std::uint64_t entries = std::min<std::uint64_t>(counts.colons, counts.bytes / 4 + 1);
  const std::uint64_t rows = counts.line_ends + 1;
  const std::uint64_t array_bytes = entries * (sizeof(std::int32_t) + sizeof(float)) +
                                    rows * (sizeof(std::int32_t) + sizeof(std::int64_t));
  if (array_bytes > memory_bytes) {
    throw Error(name + ": up to " + std::to_string(entries) + " entries (its ':' count) " + "and " +
                std::to_string(rows) + " rows (its lines) would need " +
                std::to_string(array_bytes) + " bytes of CSR arrays, more than the " +
                std::to_string(memory_bytes) + " bytes of memory");
  }
  parser.reserve(static_cast<std::size_t>(counts.colons), static_cast<std::size_t>(counts.bytes));
  detail::parse_counted_text(parser, read, block_bytes, counts);
  return parser.finish(part.part_of_file);
}

SparseDataset csr_dataset(Entries parsed, const LibsvmOptions& options) {
  const std::size_t rows = parsed.labels.size();
  const std::size_t cols = options.num_features != 0 ? options.num_features : parsed.max_index;
  return SparseDataset{CsrMatrix<float>(rows, cols, std::move(parsed.row_offsets),
                                        std::move(parsed.columns), std::move(parsed.values)),
                       std::move(parsed.labels)};
}

}  // namespace

SparseDataset parse_libsvm_csr(std::string_view text, const LibsvmOptions& options,
                               const std::string& name_for_errors) {
  return csr_dataset(parse_entries(text, options, name_for_errors, kCsrMaxColumns), options);
}

SparseDataset read_libsvm_csr(const std::string& path, const LibsvmOptions& options) {
  return detail::read_libsvm_csr_in_pieces(path, options, detail::kLibsvmReadBlockBytes,
                                           detail::memory_for_reading());
}

std::string libsvm_label_location(const std::string& path, std::size_t row) {
  return detail::record_label_location(
      path, row, [](std::string_view line, std::uint64_t) { return label_column(line) != 0; },
      label_column);
}

namespace detail {

void check_dense_libsvm_shape(std::size_t rows, std::size_t cols, std::size_t num_features,
                              std::size_t text_bytes, const std::string& at_end) {
  const std::string width_source = num_features != 0
                                       ? " (num_features " + std::to_string(num_features) + ")"
                                       : " (the largest feature index)";
  if (cols != 0 && rows > kMaxDenseValues / cols) {
    throw Error(at_end + ": dense matrix of " + std::to_string(rows) + " x " +
                std::to_string(cols) + width_source + " exceeds the limit of " +
                std::to_string(kMaxDenseValues) + " values");
  }
  // Refuse a dense matrix the file's size does not justify (a few bytes naming a huge feature
  // index) before allocating it, and say what it would need; read_libsvm_csr has no such limit.
  const std::size_t dense_bytes = rows * cols * sizeof(float);
  const std::size_t allowed = libsvm_max_dense_bytes(text_bytes);
  if (dense_bytes > allowed) {
    throw Error(at_end + ": the dense " + std::to_string(rows) + " x " + std::to_string(cols) +
                width_source + " feature matrix would need " + std::to_string(dense_bytes) +
                " bytes, more than the " + std::to_string(allowed) + " bytes allowed for a " +
                std::to_string(text_bytes) +
                "-byte file (max(libsvm_dense_floor_bytes, libsvm_dense_bytes_per_input_byte x "
                "file size)); read_libsvm_csr reads it sparse");
  }
}

SparseDataset read_libsvm_csr_in_pieces(const std::string& path, const LibsvmOptions& options,
                                        std::size_t block_bytes, std::uint64_t memory_bytes) {
  return read_counted(
      path, [&] { check_libsvm_options(options, path, kCsrMaxColumns); },
      [&](const TextSource& source, const TextCounts& counts) {
        return parse_counted_libsvm_csr(source, counts, options, path, block_bytes, memory_bytes);
      });
}

std::vector<float> dense_features(std::size_t rows, std::size_t cols,
                                  std::span<const std::int64_t> row_offsets,
                                  std::span<const std::int32_t> columns,
                                  std::span<const float> values) {
  std::vector<float> dense(rows * cols, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = dense.data() + r * cols;
    const auto end = static_cast<std::size_t>(row_offsets[r + 1]);
    for (auto e = static_cast<std::size_t>(row_offsets[r]); e < end; ++e)
      row[static_cast<std::size_t>(columns[e])] = values[e];
  }
  return dense;
}

Dataset parse_counted_libsvm(const TextSource& source, const TextCounts& counts,
                             const LibsvmOptions& options, const std::string& name,
                             std::size_t block_bytes, std::uint64_t memory_bytes) {
  SparseDataset sparse = parse_counted_libsvm_csr(source, counts, options, name, block_bytes,
                                                  memory_bytes, {}, kMaxDenseValues);
  Dataset result;
  result.rows = sparse.features.rows();
  result.cols = sparse.features.cols();
  check_dense_libsvm_shape(result.rows, result.cols, options.num_features,
                           static_cast<std::size_t>(counts.bytes),
                           at_last_line(name, counts.lines()));
  const CsrMatrixView<float> csr = sparse.features.view();
  result.features = dense_features(result.rows, result.cols, csr.row_offsets(),
                                   csr.column_indices(), csr.values());
  result.labels = std::move(sparse.labels);
  return result;
}

Dataset read_libsvm_in_pieces(const std::string& path, const LibsvmOptions& options,
                              std::size_t block_bytes, std::uint64_t memory_bytes) {
  return read_counted(
      path, [&] { check_libsvm_options(options, path, kMaxDenseValues); },
      [&](const TextSource& source, const TextCounts& counts) {
        return parse_counted_libsvm(source, counts, options, path, block_bytes, memory_bytes);
      });
}

Dataset parse_libsvm_in_pieces(std::string_view text, const LibsvmOptions& options,
                               const std::string& name_for_errors, std::size_t block_bytes) {
  check_text(text, name_for_errors);
  check_libsvm_options(options, name_for_errors, kMaxDenseValues);
  return parse_counted_libsvm(string_source(text), count_string(text), options, name_for_errors,
                              block_bytes, UINT64_MAX);
}

SparseDataset parse_counted_libsvm_csr(const TextSource& source, const TextCounts& counts,
                                       const LibsvmOptions& options, const std::string& name,
                                       std::size_t block_bytes, std::uint64_t memory_bytes,
                                       const TextPart& part, std::size_t max_index) {
  source.rewind();
  auto read = source.read;
  Entries parsed =
      parse_counted(read, counts, options, name, max_index, block_bytes, memory_bytes, part);
  if (parsed.labels.empty()) {  // a part without records: 0 rows
    return SparseDataset{CsrMatrix<float>(0, options.num_features, {0}, {}, {}), {}};
  }
  return csr_dataset(std::move(parsed), options);
}

SparseDataset parse_libsvm_csr_in_parts(std::string_view text, std::span<const std::size_t> cuts,
                                        const LibsvmOptions& options, const std::string& name,
                                        std::size_t block_bytes) {
  check_text(text, name);
  check_libsvm_options(options, name, kCsrMaxColumns);
  const std::vector<std::size_t> bounds = part_bounds(text, cuts, name);
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> columns, labels;
  std::vector<float> values;
  std::size_t cols = options.num_features;
  std::uint64_t lines_before = 0, file_lines = 0;
  std::string first_error;
  for (std::size_t p = 0; p + 1 < bounds.size(); ++p) {
    const std::string_view part = text.substr(bounds[p], bounds[p + 1] - bounds[p]);
    const TextCounts counts = count_string(part);
    try {
      const SparseDataset rows = parse_counted_libsvm_csr(
          string_source(part), counts, options, name, block_bytes, UINT64_MAX,
          {.part_of_file = true, .lines_before = lines_before});
      const CsrMatrixView<float> csr = rows.features.view();
      if (csr.rows() != 0) cols = std::max(cols, csr.cols());
      for (std::size_t i = 0; i < csr.rows(); ++i)
        offsets.push_back(offsets.back() +
                          static_cast<std::int64_t>(csr.row_end(i) - csr.row_begin(i)));
      columns.insert(columns.end(), csr.column_indices().begin(), csr.column_indices().end());
      values.insert(values.end(), csr.values().begin(), csr.values().end());
      labels.insert(labels.end(), rows.labels.begin(), rows.labels.end());
    } catch (const Error& error) {
      if (first_error.empty()) first_error = error.what();
    }
    lines_before += counts.line_ends;
    file_lines += counts.lines();
  }
  if (!first_error.empty()) throw Error(first_error);
  const std::string at_end = at_last_line(name, file_lines);
  if (labels.empty()) throw Error(at_end + ": no data records");
  if (cols == 0) throw Error(at_end + detail::kNoFeatureIndices);
  const std::size_t rows = labels.size();
  return SparseDataset{
      CsrMatrix<float>(rows, cols, std::move(offsets), std::move(columns), std::move(values)),
      std::move(labels)};
}

SparseDataset parse_libsvm_csr_in_pieces(std::string_view text, const LibsvmOptions& options,
                                         const std::string& name_for_errors,
                                         std::size_t block_bytes, std::size_t max_line_bytes) {
  EntriesParser parser = text_parser(text, options, name_for_errors, kCsrMaxColumns);
  detail::parse_in_pieces(parser, block_bytes, string_source(text).read, max_line_bytes);
  return csr_dataset(parser.finish(), options);
}

}  // namespace detail

Dataset parse_libsvm(std::string_view text, const LibsvmOptions& options,
                     const std::string& name_for_errors) {
  const std::size_t input_bytes = text.size();
  Entries parsed = parse_entries(text, options, name_for_errors, kMaxDenseValues);
  const std::string& at_end = parsed.at_end;
  Dataset result;
  result.rows = parsed.labels.size();
  result.cols = options.num_features != 0 ? options.num_features : parsed.max_index;
  detail::check_dense_libsvm_shape(result.rows, result.cols, options.num_features, input_bytes,
                                   at_end);
  result.features = detail::dense_features(result.rows, result.cols, parsed.row_offsets,
                                           parsed.columns, parsed.values);
  result.labels = std::move(parsed.labels);
  return result;
}

Dataset read_libsvm(const std::string& path, const LibsvmOptions& options) {
  return detail::read_libsvm_in_pieces(path, options, detail::kLibsvmReadBlockBytes,
                                       detail::memory_for_reading());
}

}  // namespace softmaxkit
