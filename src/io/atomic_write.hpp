// Atomic file replacement.
//
// Contract: write_file_atomically either leaves `path` holding exactly `bytes`
// (durably: data and directory entry fsync'ed) or throws softmaxkit::Error
// naming the path and the failing system call's strerror, leaving any previous
// file at `path` intact and no temporary file behind.
#pragma once

#include <string>
#include <string_view>

namespace softmaxkit::detail {

void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace softmaxkit::detail
