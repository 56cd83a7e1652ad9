#include "option_numbers.hpp"

#include <charconv>
#include <limits>
#include <system_error>

namespace softmaxkit::cli {

bool read_decimal(std::string_view text, double& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::general);
  return !text.empty() && error == std::errc() && stop == end;
}

bool is_whole_text(std::string_view text) {
  const std::size_t first = !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > first && text.find_first_not_of("0123456789", first) == std::string::npos;
}

namespace {
template <class Integer>
bool read_base_10(std::string_view text, Integer& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
  return error == std::errc() && stop == end;
}
}  // namespace

bool read_whole(std::string_view text, std::int64_t& value) {
  return is_whole_text(text) && read_base_10(text, value);
}

bool read_count(std::string_view text, std::uint64_t& value) {
  return is_whole_text(text) && text[0] != '-' && read_base_10(text, value);
}

void drop_leading_zeros(std::string& text) {
  const std::size_t sign = !text.empty() && text[0] == '-' ? 1 : 0;
  const std::size_t first = text.find_first_not_of('0', sign);
  if (first == std::string::npos) {
    text = "0";  // "000", "-0"
    return;
  }
  text.erase(sign, first - sign);
}

// Whole numbers only, decimal: CLI11 reads an empty value as 0, and "010" as octal 8 (its base
// detection). A transform: the text CLI11 converts is the number without leading zeros. Every
// option it reads is an int, so the range is int's: beyond it CLI11 said only "Could not
// convert: --label-column = 2147483648".
const CLI::Validator whole_number(
    [](std::string& text) {
      if (!is_whole_text(text)) return "must be a whole number, not '" + text + "'";
      std::int64_t value = 0;
      if (!read_whole(text, value) || value < std::numeric_limits<int>::min() ||
          value > std::numeric_limits<int>::max())
        return "'" + text + "' is out of range (an int: -2147483648 to 2147483647)";
      drop_leading_zeros(text);
      return std::string();
    },
    "INT");

// A count (--num-features): digits only, within uint64. whole_number let "-3" through for
// --label-column's sake, and size_t took it modulo 2^64 (a width of 3, exit 0); past 2^64 CLI11
// clamped it, and the later limit check named a number never given. A transform, as
// whole_number.
const CLI::Validator count_number(
    [](std::string& text) {
      if (!is_whole_text(text) || text[0] == '-')
        return "must be a whole number >= 0, not '" + text + "'";
      std::uint64_t value = 0;
      if (!read_count(text, value)) return "'" + text + "' is out of range";
      drop_leading_zeros(text);
      return std::string();
    },
    "UINT");

// A seed (--cv-seed, the generator's --seed): digits only, within uint64.
const CLI::Validator seed_number(
    [](std::string& text) {
      // Read here: CLI11 wraps values of 2^64 and more around. A transform: without its leading
      // zeros (CLI11 read "010" as octal 8).
      std::uint64_t value = 0;
      if (!read_count(text, value))
        return "must be a whole number in [0, 2^64), not '" + text + "'";
      drop_leading_zeros(text);
      return std::string();
    },
    "SEED");

}  // namespace softmaxkit::cli
