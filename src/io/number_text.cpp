// Strict number parsing; see number_text.hpp for the contract.
#include "number_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace softmaxkit::detail {
namespace {

std::string_view strip_plus(std::string_view text) {
  if (text.size() >= 2 && text[0] == '+' && text[1] != '-' && text[1] != '+') {
    return text.substr(1);
  }
  return text;
}

template <class T>
NumberStatus parse_whole(std::string_view text, T& value) {
  if (text.empty()) return NumberStatus::kEmpty;
  text = strip_plus(text);
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::invalid_argument || ptr != end) return NumberStatus::kNotANumber;
  if (ec == std::errc::result_out_of_range) return NumberStatus::kOutOfRange;
  if (!std::isfinite(value)) return NumberStatus::kNotFinite;
  return NumberStatus::kOk;
}

// A decimal text's mantissa (digits and '.'), its exponent (saturated: beyond the text's length
// a shift only decides all or nothing) and the mantissa's digits before the point.
struct DecimalParts {
  std::string_view mantissa;
  long long exponent = 0, integer_digits = 0;
};

DecimalParts decimal_parts(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  const std::size_t e = text.find_first_of("eE");
  DecimalParts parts;
  parts.mantissa = text.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    const bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    for (char c : digits) parts.exponent = std::min(parts.exponent * 10 + (c - '0'), 1LL << 40);
    if (negative) parts.exponent = -parts.exponent;
  }
  const std::size_t point = parts.mantissa.find('.');
  parts.integer_digits =
      static_cast<long long>(point == std::string_view::npos ? parts.mantissa.size() : point);
  return parts;
}

// Whether a decimal number's text (as from_chars read it: sign, digits, '.', exponent) names an
// integer: every digit at or after the exponent-shifted decimal point is 0. Its double can be an
// integer when the text is not ("0.99999999999999999" reads as 1).
bool decimal_text_is_integer(std::string_view text) {
  const DecimalParts parts = decimal_parts(text);
  long long position = 0;  // of each digit, the integer part's first at 0
  for (char c : parts.mantissa) {
    if (c == '.') continue;
    if (position >= parts.integer_digits + parts.exponent && c != '0') return false;
    ++position;
  }
  return true;
}

// Whether a decimal text that from_chars found out of double's range is too small rather than
// too large: its leading nonzero digit stands at a negative power of ten.
bool decimal_text_is_tiny(std::string_view text) {
  const DecimalParts parts = decimal_parts(text);
  long long position = 0;
  for (char c : parts.mantissa) {
    if (c == '.') continue;
    if (c != '0') return parts.integer_digits - position - 1 + parts.exponent < 0;
    ++position;
  }
  return true;  // all zeros: from_chars does not call 0 out of range; tiny if it did
}

}  // namespace

NumberStatus parse_feature_value(std::string_view text, float& value) {
  NumberStatus status = parse_whole(text, value);
  if (status != NumberStatus::kOutOfRange) return status;
  // Too small for float (underflow) parses fine as double and rounds towards zero; too small
  // for double too (1e-400) is zero of its sign, as the README's "rounded to float" says (it was
  // refused as out of range while 1e-50 read as 0).
  double wide = 0;
  status = parse_whole(text, wide);
  if (status == NumberStatus::kOutOfRange && decimal_text_is_tiny(text)) {
    value = !text.empty() && text[0] == '-' ? -0.0f : 0.0f;
    return NumberStatus::kOk;
  }
  if (status != NumberStatus::kOk || std::fabs(wide) > std::numeric_limits<float>::max()) {
    return NumberStatus::kOutOfRange;
  }
  value = static_cast<float>(wide);
  return NumberStatus::kOk;
}

NumberStatus parse_label_value(std::string_view text, std::int32_t& value) {
  double wide = 0;
  const NumberStatus status = parse_whole(text, wide);
  if (status != NumberStatus::kOk) return status;
  if (wide != std::trunc(wide) || !decimal_text_is_integer(text)) return NumberStatus::kNotInteger;
  if (wide < std::numeric_limits<std::int32_t>::min() ||
      wide > std::numeric_limits<std::int32_t>::max()) {
    return NumberStatus::kOutOfRange;
  }
  value = static_cast<std::int32_t>(wide);
  return NumberStatus::kOk;
}

std::string shortest_number(double value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t limit = 64;
  std::string out = "'";
  for (char c : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    }
  }
  out += text.size() > limit ? "'..." : "'";
  return out;
}

std::string describe_number_problem(NumberStatus status, std::string_view text) {
  const std::string quoted = quoted_excerpt(text);
  switch (status) {
    case NumberStatus::kOk:
      return "ok";
    case NumberStatus::kEmpty:
      return "empty field";
    case NumberStatus::kNotANumber:
      return quoted + " is not a number";
    case NumberStatus::kNotFinite:
      return quoted + " is not finite (NaN and infinity are rejected)";
    case NumberStatus::kOutOfRange:
      return quoted + " is out of range";
    case NumberStatus::kNotInteger:
      return quoted + " is not an integer label";
  }
  return "invalid number";
}

}  // namespace softmaxkit::detail
