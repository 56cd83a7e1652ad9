// Strict number parsing shared by the CSV and LibSVM readers.
//
// Contract: the whole text must be one number in std::from_chars general
// format, optionally preceded by '+'. No surrounding whitespace. Features
// must be finite and fit in float (values below the float range round to
// zero); labels must be finite integers in int32 range ("3", "3.0" and "3e0" are
// accepted, "3.5" is not, nor "0.99999999999999999", whose double is 1: the text itself must
// name an integer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace softmaxkit::detail {

enum class NumberStatus { kOk, kEmpty, kNotANumber, kNotFinite, kOutOfRange, kNotInteger };

NumberStatus parse_feature_value(std::string_view text, float& value);
NumberStatus parse_label_value(std::string_view text, std::int32_t& value);

// text's first 64 bytes in single quotes, every byte outside printable ASCII as \xNN (a binary
// file's bytes never reach a terminal raw), "..." after a cut: for use in Error messages.
std::string quoted_excerpt(std::string_view text);

// The shortest text that reads back as `value` ("1e+300", "nan"), for Error messages: not
// std::to_string's 301 digits for 1e300 or "0.000000" for 1e-310.
std::string shortest_number(double value);

// "empty field", "'abc' is not a number", ... for use in Error messages.
std::string describe_number_problem(NumberStatus status, std::string_view text);

}  // namespace softmaxkit::detail
