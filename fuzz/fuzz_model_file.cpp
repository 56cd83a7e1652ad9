// libFuzzer target for deserialize_model. Whatever loads must serialize back
// to exactly the input bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "softmaxkit/error.hpp"
#include "softmaxkit/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  softmaxkit::ModelFileContents model;
  try {
    model = softmaxkit::deserialize_model(bytes, "fuzz");
  } catch (const softmaxkit::Error&) {
    return 0;
  }
  if (softmaxkit::serialize_model(model) != bytes) __builtin_trap();
  return 0;
}
