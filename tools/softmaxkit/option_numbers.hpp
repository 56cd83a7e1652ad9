// How the command reads the numbers in its options: decimal only, the way its data readers read
// numbers. CLI11 2.1 converts integers with base detection (strtoll base 0), so "--max-iter 010"
// ran 8 iterations and "--label-column 010" trained on column 8, exit 0; its real conversion
// took "0x10", "+1" and a leading space for --C, --l2 and --tol while the integer options
// refused them. Every numeric option now goes through these.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace softmaxkit::cli {

// A decimal real number ("-1.5e-3", "inf", "nan"), nothing else: no '+', no spaces, no hex.
bool read_decimal(std::string_view text, double& value);

// Whether `text` is written as a decimal whole number: digits, with an optional leading '-'.
bool is_whole_text(std::string_view text);

// A decimal whole number with an optional '-' ("010" is 10), within int64.
bool read_whole(std::string_view text, std::int64_t& value);

// A count: decimal digits only, no sign ("010" is 10), within uint64.
bool read_count(std::string_view text, std::uint64_t& value);

// `text` as the digits CLI11 then converts: leading zeros dropped ("010" -> "10", "-0" -> "0"),
// so its base detection never sees an octal-looking number. `text` is a whole number already.
void drop_leading_zeros(std::string& text);

// The options' transforms built on these (the text CLI11 then converts has no leading zeros):
extern const CLI::Validator whole_number;  // INT: digits with an optional '-', within int
extern const CLI::Validator count_number;  // UINT: digits only, within uint64
extern const CLI::Validator seed_number;   // SEED: digits only, within uint64

}  // namespace softmaxkit::cli
