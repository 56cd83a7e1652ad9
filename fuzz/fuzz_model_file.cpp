// libFuzzer target for deserialize_model. Whatever loads must serialize back
// to exactly the input bytes.
//
// Each input is tried twice: as given, and with its last four bytes replaced by
// the CRC-32 of the bytes before them. Random mutations almost never keep the
// checksum valid, so without the second try the fuzzer would rarely get past
// the checksum to the header, label and value validation behind it.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "softmaxkit/error.hpp"
#include "softmaxkit/model_file.hpp"

namespace {

void check_round_trip(std::string_view bytes) {
  softmaxkit::ModelFileContents model;
  try {
    model = softmaxkit::deserialize_model(bytes, "fuzz");
  } catch (const softmaxkit::Error&) {
    return;
  }
  if (softmaxkit::serialize_model(model) != bytes) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_round_trip(bytes);
  if (size < 4) return 0;
  std::string fixed(bytes);
  const std::size_t n = size - 4;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(fixed.data()), static_cast<uInt>(n));
  for (int i = 0; i < 4; ++i) fixed[n + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  check_round_trip(fixed);
  return 0;
}
