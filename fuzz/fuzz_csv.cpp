// libFuzzer target for parse_csv. Byte 0 chooses the options: bits 0-1
// label_column - 1 (-1..2), bit 2 has_header, bits 3-4 the delimiter; bits 5-6 the number of
// cuts (0-3) for the parts below; bit 7 set: no label column (has_labels false). The same text
// parsed in pieces of whole lines (detail::parse_csv_in_pieces, what read_csv and softmaxkit-mpi's
// streamed parts use), and cut into parts at line starts as softmaxkit-mpi's ranks parse and
// combine them (detail::parse_csv_in_parts), must give the same values bit for bit, or the same
// error.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_pieces.hpp"
#include "parse_checks.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', ' '};
  softmaxkit::CsvOptions options;
  options.label_column = (data[0] & 3) - 1;
  options.has_header = (data[0] & 4) != 0;
  options.delimiter = kDelimiters[(data[0] >> 3) & 3];
  options.has_labels = (data[0] & 0x80) == 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::optional<softmaxkit::Dataset> whole;
  std::string whole_error;
  try {
    whole = softmaxkit::parse_csv(text, options, "fuzz");
    const softmaxkit::Dataset& d = *whole;
    if (d.features.size() != d.rows * d.cols ||
        d.labels.size() != (options.has_labels ? d.rows : 0))
      __builtin_trap();
    for (const float v : d.features) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  } catch (const softmaxkit::Error& error) {
    whole_error = error.what();
  }
  // The same values bit for bit as the whole text's parse, or the same message.
  const auto check_same = [&](auto&& parse) {
    try {
      const softmaxkit::Dataset got = parse();  // throws when the whole text's parse threw
      if (!whole || !softmaxkit::fuzz::same_dataset(got, *whole)) __builtin_trap();
    } catch (const softmaxkit::Error& error) {
      if (whole || error.what() != whole_error) __builtin_trap();
    }
  };
  check_same([&] {
    return softmaxkit::detail::parse_csv_in_pieces(text, options, "fuzz", 1 + size % 23);
  });
  // Cuts at line starts picked from the input's size (ascending; equal ones make empty parts).
  const std::vector<std::size_t> cuts =
      softmaxkit::fuzz::line_start_cuts(text, static_cast<std::size_t>((data[0] >> 5) & 3), size);
  check_same([&] {
    return softmaxkit::detail::parse_csv_in_parts(text, cuts, options, "fuzz", 1 + size % 7);
  });
  return 0;
}
