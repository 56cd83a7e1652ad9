// libFuzzer target for parse_idx. Input layout: byte 0 chooses the options
// (bit 7: scale_to_unit) and where the rest splits into images and labels
// (low 7 bits, as a fraction of 127); both parts may be gzip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = rest.size() * (data[0] & 0x7F) / 127;
  softmaxkit::IdxOptions options;
  options.scale_to_unit = (data[0] & 0x80) != 0;
  try {
    const softmaxkit::Dataset d =
        softmaxkit::parse_idx(rest.substr(0, split), rest.substr(split), options, "fuzz");
    if (d.features.size() != d.rows * d.cols) __builtin_trap();
    if (!d.labels.empty() && d.labels.size() != d.rows) __builtin_trap();
  } catch (const softmaxkit::Error&) {
  }
  return 0;
}
