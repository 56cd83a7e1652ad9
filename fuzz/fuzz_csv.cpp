// libFuzzer target for parse_csv. Byte 0 chooses the options: bits 0-1
// label_column - 1 (-1..2), bit 2 has_header, bits 3-4 the delimiter.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', ' '};
  softmaxkit::CsvOptions options;
  options.label_column = (data[0] & 3) - 1;
  options.has_header = (data[0] & 4) != 0;
  options.delimiter = kDelimiters[(data[0] >> 3) & 3];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const softmaxkit::Dataset d = softmaxkit::parse_csv(text, options, "fuzz");
    if (d.features.size() != d.rows * d.cols || d.labels.size() != d.rows) __builtin_trap();
    for (const float v : d.features) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  } catch (const softmaxkit::Error&) {
  }
  return 0;
}
