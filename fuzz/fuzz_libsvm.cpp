// libFuzzer target for parse_libsvm. Byte 0: if odd, num_features is
// inferred (0); otherwise num_features = byte 0.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  softmaxkit::LibsvmOptions options;
  options.num_features = (data[0] & 1) ? 0 : data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const softmaxkit::Dataset d = softmaxkit::parse_libsvm(text, options, "fuzz");
    if (d.features.size() != d.rows * d.cols || d.labels.size() != d.rows) __builtin_trap();
    if (options.num_features != 0 && d.cols != options.num_features) __builtin_trap();
    for (const float v : d.features) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  } catch (const softmaxkit::Error&) {
  }
  return 0;
}
