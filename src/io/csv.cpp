// CSV reader.
//
// Contract: one record per line ('\n' or "\r\n"), an optional header line
// (skipped, but its field count must match), fields separated by
// options.delimiter with surrounding spaces/tabs ignored. Every record has the
// same number of fields (at least two; at least one without labels,
// has_labels false). The label column (label_column, -1 = last) holds an
// integer ("3" or "3.0", not "3.5"); every other field is a finite float. No quoting. Blank lines
// are allowed only at the end of the file. A UTF-8 byte order mark at the start is skipped. Errors
// name file:line:column and the 1-based field number.
//
// Memory: read_csv streams the file (a count, then pieces of whole lines,
// csv_pieces.hpp), so the values (4 bytes per field) plus three pieces;
// fields are parsed in place, never stored as objects.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "csv_pieces.hpp"
#include "file_io.hpp"
#include "number_text.hpp"
#include "read_ahead.hpp"
#include "record_location.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "text_lines.hpp"
#include "text_pieces.hpp"

namespace softmaxkit {
namespace {

struct Field {
  std::string_view text;
  std::size_t column = 0;  // 1-based byte column of the field's first character
};

// Walks a line's fields one at a time, trimmed of spaces and tabs (those that are not the
// delimiter): no per-field storage, so a record of millions of fields costs only its values.
class FieldCursor {
 public:
  FieldCursor(std::string_view line, char delimiter, std::string_view padding)
      : line_(line), delimiter_(delimiter), padding_(padding) {}

  bool next(Field& field) {
    if (done_) return false;
    std::size_t end = line_.find(delimiter_, start_);
    if (end == std::string_view::npos) end = line_.size();
    std::string_view text = line_.substr(start_, end - start_);
    std::size_t column = start_ + 1;
    const std::size_t first = text.find_first_not_of(padding_);
    if (first == std::string_view::npos) {
      text = {};
    } else {
      column += first;
      text = text.substr(first, text.find_last_not_of(padding_) - first + 1);
    }
    field = {text, column};
    done_ = end == line_.size();
    start_ = end + 1;
    return true;
  }

 private:
  std::string_view line_;
  char delimiter_;
  std::string_view padding_;
  std::size_t start_ = 0;
  bool done_ = false;
};

std::size_t count_fields(std::string_view line, char delimiter) {
  return static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter)) + 1;
}

std::string where(const std::string& name, std::size_t line, std::size_t column) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

void check_options(const CsvOptions& options, const std::string& name) {
  if (options.has_labels && options.label_column < -1) {
    throw Error(name + ": label_column " + std::to_string(options.label_column) +
                " is invalid (use a 0-based column index or -1 for the last column)");
  }
  const char d = options.delimiter;
  if (d == '\n' || d == '\r' || d == '.' || d == '+' || d == '-' || (d >= '0' && d <= '9')) {
    throw Error(name + ": delimiter character code " + std::to_string(static_cast<int>(d)) +
                " cannot separate numbers");
  }
}

// The messages a part's parse and the checks across parts (csv_error_after_parts) share.
std::string blank_line_message(const std::string& name, std::uint64_t blank, std::uint64_t next) {
  return name + ":" + std::to_string(blank) +
         ": blank line in the middle of the data (more data follows on line " +
         std::to_string(next) + ")";
}
std::string header_message(const std::string& name, std::uint64_t header_fields, std::uint64_t line,
                           std::uint64_t fields) {
  return name + ":1: header has " + std::to_string(header_fields) + " fields but line " +
         std::to_string(line) + " has " + std::to_string(fields);
}
std::string field_count_message(const std::string& name, std::uint64_t line, std::uint64_t expected,
                                std::uint64_t fields) {
  return name + ":" + std::to_string(line) + ": expected " + std::to_string(expected) +
         " fields (as on the first record), found " + std::to_string(fields);
}

// The parser, fed whole lines in one or more pieces: parse(piece) for each, in order (line
// numbers continue from piece to piece; the first piece may start with a UTF-8 byte order mark),
// then finish(). lines_hint: the text's line count (its '\n' count + 1), for reserving the
// values once at the first record; more than memory_bytes of them is an Error before reserving.
// A part of a file is numbered on from the file's lines_before lines before it.
class CsvParser {
 public:
  CsvParser(const CsvOptions& options, const std::string& name, std::uint64_t lines_hint,
            std::uint64_t memory_bytes = UINT64_MAX, std::uint64_t lines_before = 0,
            std::uint64_t bytes_hint = UINT64_MAX)
      : options_(options),
        name_(name),
        lines_hint_(lines_before + lines_hint),
        memory_bytes_(memory_bytes),
        bytes_hint_(bytes_hint),
        lines_(lines_before) {
    check_options(options, name);
    for (const char c : {' ', '\t'})
      if (c != options.delimiter) padding_ += c;
    header_pending_ = options.has_header;
  }

  void parse(std::string_view text) {
    lines_.feed(text,
                [this](std::string_view line, std::size_t number) { parse_line(line, number); });
  }

  // A part of a file (part_of_file) may hold no record; a whole text may not.
  Dataset finish(bool part_of_file = false) {
    if (header_pending_) throw Error(name_ + ":1: missing header line");
    if (result_.rows == 0 && !part_of_file) {
      throw Error(detail::at_last_line(name_, lines_.count()) + ": no data records");
    }
    return std::move(result_);
  }

  const detail::CsvPartLines& seen() const { return seen_; }
  const std::string& name() const { return name_; }
  const detail::PieceLines& lines() const { return lines_; }

 private:
  void parse_line(std::string_view line, std::size_t line_number) {
    if (header_pending_) {
      if (detail::is_blank(line)) throw Error(name_ + ":1: missing header line");
      seen_.header_fields = count_fields(line, options_.delimiter);
      header_pending_ = false;
      return;
    }
    if (detail::is_blank(line)) {
      if (seen_.first_blank == 0) seen_.first_blank = line_number;
      return;
    }
    const std::size_t fields = count_fields(line, options_.delimiter);
    if (seen_.first_record == 0) {
      seen_.first_record = line_number;
      seen_.first_record_fields = fields;
    }
    if (seen_.first_blank != 0)
      throw Error(blank_line_message(name_, seen_.first_blank, line_number));
    if (num_fields_ == 0) {
      num_fields_ = fields;
      if (options_.has_labels && num_fields_ < 2) {
        throw Error(name_ + ":" + std::to_string(line_number) +
                    ": a record needs a label and at least one feature, found " +
                    std::to_string(num_fields_) + " field");
      }
      if (options_.has_header && seen_.header_fields != num_fields_) {
        throw Error(header_message(name_, seen_.header_fields, line_number, num_fields_));
      }
      if (!options_.has_labels) {
        label_index_ = SIZE_MAX;  // every field a feature
      } else if (options_.label_column == -1) {
        label_index_ = num_fields_ - 1;
      } else if (static_cast<std::size_t>(options_.label_column) >= num_fields_) {
        throw Error(name_ + ":" + std::to_string(line_number) + ": label_column " +
                    std::to_string(options_.label_column) + " is beyond the " +
                    std::to_string(num_fields_) + " fields of the record");
      } else {
        label_index_ = static_cast<std::size_t>(options_.label_column);
      }
      result_.cols = options_.has_labels ? num_fields_ - 1 : num_fields_;
      // At most one record per remaining line, and no more than the text's bytes hold (a field
      // is at least one character and its delimiter or line end one more): reserve once instead
      // of growing by doubling. The bytes' bound keeps blank lines and lines that fail later
      // from counting (two records of 10^6 fields then 10,000 blank lines reserved 40 GB).
      const std::uint64_t lines_left =
          lines_hint_ >= line_number ? lines_hint_ - line_number + 1 : 1;
      const std::uint64_t records_left =
          std::min<std::uint64_t>(lines_left, bytes_hint_ / (2 * num_fields_) + 1);
      // The values of all of them may not outgrow memory (a small gzip file can inflate to any
      // number of lines).
      const long double bytes = static_cast<long double>(records_left) *
                                static_cast<long double>(num_fields_) * sizeof(float);
      if (bytes > static_cast<long double>(memory_bytes_)) {
        throw Error(name_ + ": up to " + std::to_string(records_left) +
                    " records (its lines, and its bytes at 2 per field) of " +
                    std::to_string(num_fields_) + " fields would need " +
                    std::to_string(static_cast<unsigned long long>(bytes)) +
                    " bytes, more than the " + std::to_string(memory_bytes_) + " bytes of memory");
      }
      result_.features.reserve(static_cast<std::size_t>(records_left) * result_.cols);
      if (options_.has_labels) result_.labels.reserve(static_cast<std::size_t>(records_left));
    } else if (fields != num_fields_) {
      throw Error(field_count_message(name_, line_number, num_fields_, fields));
    }
    FieldCursor cursor(line, options_.delimiter, padding_);
    Field field;
    for (std::size_t f = 0; cursor.next(field); ++f) {
      detail::NumberStatus status;
      if (f == label_index_) {
        std::int32_t label = 0;
        status = detail::parse_label_value(field.text, label);
        if (status == detail::NumberStatus::kOk) result_.labels.push_back(label);
      } else {
        float value = 0;
        status = detail::parse_feature_value(field.text, value);
        if (status == detail::NumberStatus::kOk) result_.features.push_back(value);
      }
      if (status != detail::NumberStatus::kOk) {
        throw Error(where(name_, line_number, field.column) + "field " + std::to_string(f + 1) +
                    (f == label_index_ ? " (label)" : "") + ": " +
                    detail::describe_number_problem(status, field.text));
      }
    }
    ++result_.rows;
  }

  const CsvOptions options_;
  const std::string& name_;
  const std::uint64_t lines_hint_, memory_bytes_, bytes_hint_;
  std::string padding_;  // spaces and tabs, unless one of them is the delimiter
  bool header_pending_ = false;
  std::size_t num_fields_ = 0, label_index_ = 0;
  detail::PieceLines lines_;
  detail::CsvPartLines seen_;
  Dataset result_;
};

}  // namespace

Dataset parse_csv(std::string_view text, const CsvOptions& options,
                  const std::string& name_for_errors) {
  detail::check_text(text, name_for_errors);
  CsvParser parser(options, name_for_errors, detail::count_line_ends(text) + 1, UINT64_MAX, 0,
                   text.size());
  parser.parse(text);
  return parser.finish();
}

namespace detail {

Dataset parse_counted_csv(const TextSource& source, const TextCounts& counts,
                          const CsvOptions& options, const std::string& name,
                          std::size_t block_bytes, std::uint64_t memory_bytes, const TextPart& part,
                          CsvPartLines* seen) {
  CsvParser parser(options, name, counts.line_ends + 1, memory_bytes, part.lines_before,
                   counts.bytes);
  try {
    source.rewind();
    auto read = source.read;
    parse_counted_text(parser, read, block_bytes, counts);
    Dataset result = parser.finish(part.part_of_file);
    if (seen != nullptr) *seen = parser.seen();
    return result;
  } catch (...) {
    if (seen != nullptr) *seen = parser.seen();
    throw;
  }
}

std::string csv_error_after_parts(std::span<const CsvPartLines> before, const CsvPartLines& seen,
                                  const std::string& name, std::uint64_t min_fields) {
  if (seen.first_record == 0) return "";
  std::uint64_t blank = 0, expected = 0, header = 0;
  for (const CsvPartLines& part : before) {
    if (blank == 0) blank = part.first_blank;
    if (expected == 0) expected = part.first_record_fields;
    if (header == 0) header = part.header_fields;
  }
  // In parse_csv's order at a record: a blank line before it, then the field count.
  if (blank != 0) return blank_line_message(name, blank, seen.first_record);
  // A blank line of this part's own before its first record: the part's own error is that
  // message, which parse_csv gives there before any field count.
  if (seen.first_blank != 0 && seen.first_blank < seen.first_record) return "";
  if (expected != 0) {
    return seen.first_record_fields == expected
               ? ""
               : field_count_message(name, seen.first_record, expected, seen.first_record_fields);
  }
  // The file's first record: too few fields is the part's own error, then the header's count.
  if (header != 0 && seen.first_record_fields >= min_fields && seen.first_record_fields != header)
    return header_message(name, header, seen.first_record, seen.first_record_fields);
  return "";
}

Dataset parse_csv_in_parts(std::string_view text, std::span<const std::size_t> cuts,
                           const CsvOptions& options, const std::string& name,
                           std::size_t block_bytes) {
  check_text(text, name);
  const std::vector<std::size_t> bounds = part_bounds(text, cuts, name);
  const std::size_t parts = bounds.size() - 1;
  std::vector<CsvPartLines> seen(parts);
  std::vector<std::string> errors(parts);
  std::vector<Dataset> rows(parts);
  std::uint64_t lines_before = 0, file_lines = 0;
  bool header_taken = false;
  for (std::size_t p = 0; p < parts; ++p) {
    const std::string_view part = text.substr(bounds[p], bounds[p + 1] - bounds[p]);
    const TextSource source = string_source(part);
    const TextCounts counts = count_string(part);
    // The header is in the part holding the file's first byte (the first, for an empty file).
    CsvOptions here = options;
    here.has_header = options.has_header && !header_taken && (!part.empty() || text.empty());
    header_taken = header_taken || here.has_header;
    try {
      rows[p] = parse_counted_csv(source, counts, here, name, block_bytes, UINT64_MAX,
                                  {.part_of_file = true, .lines_before = lines_before}, &seen[p]);
    } catch (const Error& error) {
      errors[p] = error.what();
    }
    lines_before += counts.line_ends;
    file_lines += counts.lines();
  }
  // A part's error in the file is csv_error_after_parts's, or else its own; the first is the
  // file's, as softmaxkit-mpi's ranks agree on the lowest rank's.
  for (std::size_t p = 0; p < parts; ++p) {
    const std::string across = csv_error_after_parts(std::span<const CsvPartLines>(seen.data(), p),
                                                     seen[p], name, csv_min_record_fields(options));
    if (!across.empty()) throw Error(across);
    if (!errors[p].empty()) throw Error(errors[p]);
  }
  Dataset whole;
  for (Dataset& part : rows) {
    if (part.rows == 0) continue;
    whole.cols = part.cols;
    whole.rows += part.rows;
    whole.labels.insert(whole.labels.end(), part.labels.begin(), part.labels.end());
    whole.features.insert(whole.features.end(), part.features.begin(), part.features.end());
  }
  if (whole.rows == 0) {
    throw Error(at_last_line(name, file_lines) + ": no data records");
  }
  return whole;
}

Dataset read_csv_in_pieces(const std::string& path, const CsvOptions& options,
                           std::size_t block_bytes, std::uint64_t memory_bytes) {
  return read_counted(
      path, [&] { check_options(options, path); },
      [&](const TextSource& source, const TextCounts& counts) {
        return parse_counted_csv(source, counts, options, path, block_bytes, memory_bytes);
      });
}

Dataset parse_csv_in_pieces(std::string_view text, const CsvOptions& options,
                            const std::string& name_for_errors, std::size_t block_bytes,
                            std::size_t max_line_bytes) {
  check_text(text, name_for_errors);
  CsvParser parser(options, name_for_errors, count_line_ends(text) + 1, UINT64_MAX, 0, text.size());
  parse_in_pieces(parser, block_bytes, string_source(text).read, max_line_bytes);
  return parser.finish();
}

}  // namespace detail

Dataset read_csv(const std::string& path, const CsvOptions& options) {
  return detail::read_csv_in_pieces(path, options, detail::kTextPieceBytes,
                                    detail::memory_for_reading());
}

std::string csv_label_location(const std::string& path, std::size_t row,
                               const CsvOptions& options) {
  check_options(options, path);
  if (!options.has_labels) throw Error(path + ": has_labels is false: the records have no label");
  std::string padding;
  for (const char c : {' ', '\t'})
    if (c != options.delimiter) padding += c;
  // The parser's records: every line but the header and the blank lines (only at the end).
  const auto is_record = [&](std::string_view line, std::uint64_t number) {
    return !(options.has_header && number == 1) && !detail::is_blank(line);
  };
  const auto label_column = [&](std::string_view line) -> std::uint64_t {
    const std::size_t fields = count_fields(line, options.delimiter);
    const std::size_t label =
        options.label_column == -1 ? fields - 1 : static_cast<std::size_t>(options.label_column);
    FieldCursor cursor(line, options.delimiter, padding);
    Field field;
    for (std::size_t f = 0; cursor.next(field); ++f)
      if (f == label) return field.column;
    return 1;  // beyond the record's fields: the file changed since it was read
  };
  return detail::record_label_location(path, row, is_record, label_column);
}

}  // namespace softmaxkit
