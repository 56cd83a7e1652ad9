// Line splitting shared by the text readers: '\n' or "\r\n" line ends, an
// optional final line end, 1-based line numbers for error messages.
#pragma once

#include <cstddef>
#include <string_view>

namespace softmaxkit::detail {

class TextLines {
 public:
  explicit TextLines(std::string_view text) : text_(text) {}

  // Advances to the next line (without its line end); false at the end of the text.
  bool next(std::string_view& line) {
    if (position_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', position_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(position_, end - position_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    position_ = end + 1;
    ++line_number_;
    return true;
  }

  std::size_t line_number() const { return line_number_; }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

// A UTF-8 byte order mark at the start of a text file (written by some spreadsheet programs)
// carries no data: the text readers skip it.
inline std::string_view without_utf8_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

inline bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace softmaxkit::detail
