// read_sample_weights (softmaxkit/data.hpp): a weights file streamed through the text readers'
// file handling (regular files only, gzip inflated on the fly) and number grammar.
#include <string>
#include <vector>

#include "file_io.hpp"
#include "number_text.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "text_pieces.hpp"

namespace softmaxkit {
namespace {

std::string_view trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

// A UTF-8 byte order mark (first line) and the "\r" of a CRLF line end.
constexpr std::size_t kLineExtras = 3 + 1;

std::vector<float> read_sample_weights(const std::string& path, std::size_t rows) {
  detail::StreamedTextFile file(path);
  const detail::TextSource source = file.source();
  std::vector<float> weights;
  std::string line;
  std::size_t number = 0;
  // Parses the line just ended (without its '\n').
  auto finish_line = [&] {
    ++number;
    const std::string where = path + ":" + std::to_string(number);
    std::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    // The limit is the line's own bytes: its "\r" and the file's byte order mark do not count
    // (they made the CRLF and BOM forms of a file the LF form reads refused).
    if (text.size() > kMaxWeightLineBytes)
      throw Error(where + ": longer than " + std::to_string(kMaxWeightLineBytes) +
                  " bytes (one weight per line)");
    text = trimmed(text);
    if (text.empty()) throw Error(where + ": an empty line (one weight per row)");
    if (weights.size() == rows)
      throw Error(path + ": more weights than the " + std::to_string(rows) + " rows (line " +
                  std::to_string(number) + ")");
    float value = 0;
    const detail::NumberStatus status = detail::parse_feature_value(text, value);
    if (status != detail::NumberStatus::kOk)
      throw Error(where + ": " + detail::describe_number_problem(status, text) +
                  " (a weight: a finite number >= 0 within float's range)");
    // Negative text is refused even where float rounds it to -0 ("-1e-50"); "-0" is zero.
    const std::string_view mantissa = text.substr(0, text.find_first_of("eE"));
    if (value < 0 ||
        (text.front() == '-' && mantissa.find_first_of("123456789") != std::string_view::npos))
      throw Error(where + ": " + detail::quoted_excerpt(text) + " is negative (weights are >= 0)");
    weights.push_back(value + 0.0f);  // -0 as +0
    line.clear();
  };
  std::vector<char> block(std::size_t{1} << 16);
  while (const std::size_t got = source.read(block.data(), block.size())) {
    for (std::size_t i = 0; i < got; ++i) {
      const char c = block[i];
      if (c == '\n') {
        finish_line();
        continue;
      }
      if (c == '\0')
        throw Error(path + ":" + std::to_string(number + 1) +
                    ": a NUL byte (one weight per line, as text)");
      // Room for the line, a byte order mark and a "\r", which finish_line strips and checks.
      if (line.size() == kMaxWeightLineBytes + kLineExtras)
        throw Error(path + ":" + std::to_string(number + 1) + ": longer than " +
                    std::to_string(kMaxWeightLineBytes) + " bytes (one weight per line)");
      line.push_back(c);
    }
  }
  if (!line.empty()) finish_line();  // a last line without its line end
  if (weights.size() != rows)
    throw Error(path + ": " + std::to_string(weights.size()) + " weights for " +
                std::to_string(rows) + " rows (one weight per row, in order)");
  return weights;
}

}  // namespace softmaxkit
