#include "option_numbers.hpp"

#include <charconv>
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

}  // namespace softmaxkit::cli
