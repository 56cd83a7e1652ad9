// softmaxkit::Error — the one exception type the library throws for bad input.
//
// Every public function validates its arguments at the boundary and throws
// Error with a message that names the offending argument, file, line or byte
// offset. Inner kernels assume valid input. The library never aborts and never
// prints to stdout.
#pragma once

#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace softmaxkit {

class Error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Thrown instead of calling OpenBLAS when an address-space limit (ulimit -v, RLIMIT_AS) leaves
// too little room for the buffers it would take (openblas_core.hpp): OpenBLAS retries such an
// allocation forever, so the call would hang. A std::bad_alloc (MemoryError in Python) whose
// what() names the limit, the room left and the room needed.
class OutOfAddressSpace : public std::bad_alloc {
 public:
  explicit OutOfAddressSpace(const std::string& message) : message_(message) {}
  const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // its copies share the text and cannot throw
};

namespace detail {
// The one way the library reports bad input: Error("<where>: <message>"), where names the
// function (or the file) and the message the argument, row, line or byte offset.
[[noreturn]] inline void fail(std::string_view where, const std::string& message) {
  throw Error(std::string(where) + ": " + message);
}
}  // namespace detail

}  // namespace softmaxkit
