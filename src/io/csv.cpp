// CSV reader.
//
// Contract: one record per line ('\n' or "\r\n"), an optional header line
// (skipped, but its field count must match), fields separated by
// options.delimiter with surrounding spaces/tabs ignored. Every record has the
// same number of fields (at least two). The label column (label_column, -1 =
// last) holds an integer ("3" or "3.0", not "3.5"); every other field is a
// finite float. No quoting. Blank lines are allowed only at the end of the
// file. A UTF-8 byte order mark at the start is skipped. Errors name
// file:line:column and the 1-based field number.
//
// Memory: the file's text plus the values (4 bytes per field); fields are
// parsed in place, never stored as objects.
#include <algorithm>
#include <string>
#include <vector>

#include "file_io.hpp"
#include "number_text.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "text_lines.hpp"

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
  if (options.label_column < -1) {
    throw Error(name + ": label_column " + std::to_string(options.label_column) +
                " is invalid (use a 0-based column index or -1 for the last column)");
  }
  const char d = options.delimiter;
  if (d == '\n' || d == '\r' || d == '.' || d == '+' || d == '-' || (d >= '0' && d <= '9')) {
    throw Error(name + ": delimiter character code " + std::to_string(static_cast<int>(d)) +
                " cannot separate numbers");
  }
}

}  // namespace

Dataset parse_csv(std::string_view text, const CsvOptions& options,
                  const std::string& name_for_errors) {
  const std::string& name = name_for_errors;
  if (text.data() == nullptr && !text.empty()) {
    throw Error(name + ": text is null but has " + std::to_string(text.size()) + " bytes");
  }
  check_options(options, name);
  text = detail::without_utf8_bom(text);
  std::string padding;  // spaces and tabs, unless one of them is the delimiter
  for (const char c : {' ', '\t'})
    if (c != options.delimiter) padding += c;
  detail::TextLines lines(text);
  std::string_view line;
  std::size_t header_fields = 0;
  if (options.has_header) {
    if (!lines.next(line) || detail::is_blank(line)) {
      throw Error(name + ":1: missing header line");
    }
    header_fields = count_fields(line, options.delimiter);
  }
  Dataset result;
  std::size_t num_fields = 0;
  std::size_t label_index = 0;
  std::size_t first_blank_line = 0;
  while (lines.next(line)) {
    const std::size_t line_number = lines.line_number();
    if (detail::is_blank(line)) {
      if (first_blank_line == 0) first_blank_line = line_number;
      continue;
    }
    if (first_blank_line != 0) {
      throw Error(name + ":" + std::to_string(first_blank_line) +
                  ": blank line in the middle of the data (more data follows on line " +
                  std::to_string(line_number) + ")");
    }
    const std::size_t fields = count_fields(line, options.delimiter);
    if (num_fields == 0) {
      num_fields = fields;
      if (num_fields < 2) {
        throw Error(name + ":" + std::to_string(line_number) +
                    ": a record needs a label and at least one feature, found " +
                    std::to_string(num_fields) + " field");
      }
      if (options.has_header && header_fields != num_fields) {
        throw Error(name + ":1: header has " + std::to_string(header_fields) + " fields but line " +
                    std::to_string(line_number) + " has " + std::to_string(num_fields));
      }
      if (options.label_column == -1) {
        label_index = num_fields - 1;
      } else if (static_cast<std::size_t>(options.label_column) >= num_fields) {
        throw Error(name + ":" + std::to_string(line_number) + ": label_column " +
                    std::to_string(options.label_column) + " is beyond the " +
                    std::to_string(num_fields) + " fields of the record");
      } else {
        label_index = static_cast<std::size_t>(options.label_column);
      }
      result.cols = num_fields - 1;
      // At most one record per remaining line: reserve once instead of growing by doubling.
      const std::size_t lines_left =
          static_cast<std::size_t>(std::count(line.end(), text.end(), '\n')) + 1;
      result.features.reserve(lines_left * result.cols);
      result.labels.reserve(lines_left);
    } else if (fields != num_fields) {
      throw Error(name + ":" + std::to_string(line_number) + ": expected " +
                  std::to_string(num_fields) + " fields (as on the first record), found " +
                  std::to_string(fields));
    }
    FieldCursor cursor(line, options.delimiter, padding);
    Field field;
    for (std::size_t f = 0; cursor.next(field); ++f) {
      detail::NumberStatus status;
      if (f == label_index) {
        std::int32_t label = 0;
        status = detail::parse_label_value(field.text, label);
        if (status == detail::NumberStatus::kOk) result.labels.push_back(label);
      } else {
        float value = 0;
        status = detail::parse_feature_value(field.text, value);
        if (status == detail::NumberStatus::kOk) result.features.push_back(value);
      }
      if (status != detail::NumberStatus::kOk) {
        throw Error(where(name, line_number, field.column) + "field " + std::to_string(f + 1) +
                    (f == label_index ? " (label)" : "") + ": " +
                    detail::describe_number_problem(status, field.text));
      }
    }
    ++result.rows;
  }
  if (result.rows == 0) {
    throw Error(name + ":" + std::to_string(std::max<std::size_t>(1, lines.line_number())) +
                ": no data records");
  }
  return result;
}

Dataset read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(detail::read_text_file(path), options, path);
}

}  // namespace softmaxkit
