// LibSVM / svmlight reader.
//
// Contract: one record per line, "label index:value index:value ...", tokens
// separated by spaces or tabs. The label is an integer ("3", "+1", "-1",
// "3.0"); an svmlight "qid:N" token may follow it and is ignored. Indices are
// 1-based decimal integers, strictly ascending within a line; values are
// finite floats. "# comment" runs to the end of the line; blank and
// comment-only lines are skipped. Missing indices are zero in the dense result.
// cols = options.num_features, or the largest index when that is 0; an index
// above num_features is an error. The dense result is limited to 2^28 values
// and to libsvm_max_dense_bytes(file size) bytes (data.hpp). A UTF-8 byte order
// mark at the start is skipped. Errors name file:line:column.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "file_io.hpp"
#include "number_text.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "text_lines.hpp"

namespace softmaxkit {
namespace {

// Largest dense matrix produced: 2^28 floats (1 GiB).
constexpr std::size_t kMaxDenseValues = std::size_t{1} << 28;

struct SparseEntry {
  std::uint32_t column;  // 0-based
  float value;
};

std::string where(const std::string& name, std::size_t line, std::size_t column) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

bool is_separator(char c) {
  return c == ' ' || c == '\t';
}

// Parses a 1-based feature index; returns an error description or "".
std::string parse_index(std::string_view text, std::size_t& index) {
  if (text.empty()) return "missing feature index";
  if (text[0] == '-' || text[0] == '+') {
    return "feature index '" + std::string(text) + "' must be a positive integer (1-based)";
  }
  std::uint64_t parsed = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
  if (ec == std::errc::invalid_argument || ptr != end) {
    return "feature index '" + std::string(text.substr(0, 64)) + "' is not an integer";
  }
  if (ec == std::errc::result_out_of_range || parsed > kMaxDenseValues) {
    return "feature index '" + std::string(text.substr(0, 64)) + "' exceeds the limit of " +
           std::to_string(kMaxDenseValues);
  }
  if (parsed == 0) return "feature index 0 is invalid (indices are 1-based)";
  index = static_cast<std::size_t>(parsed);
  return "";
}

}  // namespace

Dataset parse_libsvm(std::string_view text, const LibsvmOptions& options,
                     const std::string& name_for_errors) {
  const std::string& name = name_for_errors;
  if (text.data() == nullptr && !text.empty()) {
    throw Error(name + ": text is null but has " + std::to_string(text.size()) + " bytes");
  }
  if (options.num_features > kMaxDenseValues) {
    throw Error(name + ": num_features " + std::to_string(options.num_features) +
                " exceeds the limit of " + std::to_string(kMaxDenseValues));
  }
  const std::size_t input_bytes = text.size();
  text = detail::without_utf8_bom(text);
  detail::TextLines lines(text);
  std::string_view line;
  std::vector<SparseEntry> entries;
  std::vector<std::size_t> row_starts;  // index into entries for each row
  std::vector<std::int32_t> labels;
  std::size_t max_index = 0;
  while (lines.next(line)) {
    const std::size_t line_number = lines.line_number();
    line = line.substr(0, line.find('#'));
    std::size_t pos = 0;
    std::size_t token_count = 0;
    std::size_t previous_index = 0;
    while (true) {
      while (pos < line.size() && is_separator(line[pos])) ++pos;
      if (pos == line.size()) break;
      std::size_t end = pos;
      while (end < line.size() && !is_separator(line[end])) ++end;
      const std::string_view token = line.substr(pos, end - pos);
      const std::size_t token_column = pos + 1;
      const auto prefix = [&] { return where(name, line_number, token_column); };
      pos = end;
      if (token_count++ == 0) {
        std::int32_t label = 0;
        const detail::NumberStatus status = detail::parse_label_value(token, label);
        if (status != detail::NumberStatus::kOk) {
          throw Error(prefix() + "label: " + detail::describe_number_problem(status, token));
        }
        labels.push_back(label);
        row_starts.push_back(entries.size());
        continue;
      }
      const std::size_t colon = token.find(':');
      if (colon == std::string_view::npos) {
        throw Error(prefix() + "malformed token '" + std::string(token.substr(0, 64)) +
                    "' (expected index:value)");
      }
      if (token_count == 2 && token.substr(0, colon) == "qid") continue;  // svmlight query id
      std::size_t index = 0;
      const std::string index_problem = parse_index(token.substr(0, colon), index);
      if (!index_problem.empty()) throw Error(prefix() + index_problem);
      if (index <= previous_index) {
        throw Error(prefix() + "feature index " + std::to_string(index) +
                    " is not greater than the previous index " + std::to_string(previous_index) +
                    " (indices must be strictly ascending)");
      }
      if (options.num_features != 0 && index > options.num_features) {
        throw Error(prefix() + "feature index " + std::to_string(index) + " exceeds num_features " +
                    std::to_string(options.num_features));
      }
      previous_index = index;
      const std::string_view value_text = token.substr(colon + 1);
      float value = 0;
      const detail::NumberStatus status = detail::parse_feature_value(value_text, value);
      if (status != detail::NumberStatus::kOk) {
        throw Error(prefix() + "value of feature " + std::to_string(index) + ": " +
                    detail::describe_number_problem(status, value_text));
      }
      entries.push_back({static_cast<std::uint32_t>(index - 1), value});
      max_index = std::max(max_index, index);
    }
  }
  const std::string at_end =
      name + ":" + std::to_string(std::max<std::size_t>(1, lines.line_number()));
  if (labels.empty()) throw Error(at_end + ": no data records");
  Dataset result;
  result.rows = labels.size();
  result.cols = options.num_features != 0 ? options.num_features : max_index;
  if (result.cols == 0) {
    throw Error(at_end + ": no feature indices found; set LibsvmOptions::num_features");
  }
  const std::string width_source =
      options.num_features != 0 ? " (num_features " + std::to_string(options.num_features) + ")"
                                : " (the largest feature index)";
  if (result.rows > kMaxDenseValues / result.cols) {
    throw Error(at_end + ": dense matrix of " + std::to_string(result.rows) + " x " +
                std::to_string(result.cols) + width_source + " exceeds the limit of " +
                std::to_string(kMaxDenseValues) + " values");
  }
  // Stored densely for now: refuse a matrix the file's size does not justify (a few bytes naming
  // a huge feature index) before allocating it, and say what it would need.
  const std::size_t dense_bytes = result.rows * result.cols * sizeof(float);
  const std::size_t allowed = libsvm_max_dense_bytes(input_bytes);
  if (dense_bytes > allowed) {
    throw Error(at_end + ": the dense " + std::to_string(result.rows) + " x " +
                std::to_string(result.cols) + " feature matrix would need " +
                std::to_string(dense_bytes) + " bytes, more than the " + std::to_string(allowed) +
                " bytes allowed for a " + std::to_string(input_bytes) +
                "-byte file (max(libsvm_dense_floor_bytes, libsvm_dense_bytes_per_input_byte x "
                "file size)); the largest feature index is " +
                std::to_string(result.cols));
  }
  result.features.assign(result.rows * result.cols, 0.0f);
  row_starts.push_back(entries.size());
  for (std::size_t r = 0; r < result.rows; ++r) {
    float* row = result.features.data() + r * result.cols;
    for (std::size_t e = row_starts[r]; e < row_starts[r + 1]; ++e) {
      row[entries[e].column] = entries[e].value;
    }
  }
  result.labels = std::move(labels);
  return result;
}

Dataset read_libsvm(const std::string& path, const LibsvmOptions& options) {
  return parse_libsvm(detail::read_whole_file(path), options, path);
}

}  // namespace softmaxkit
