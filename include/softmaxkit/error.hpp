// softmaxkit::Error — the one exception type the library throws for bad input.
//
// Every public function validates its arguments at the boundary and throws
// Error with a message that names the offending argument, file, line or byte
// offset. Inner kernels assume valid input. The library never aborts and never
// prints to stdout.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace softmaxkit {

class Error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
// The one way the library reports bad input: Error("<where>: <message>"), where names the
// function (or the file) and the message the argument, row, line or byte offset.
[[noreturn]] inline void fail(std::string_view where, const std::string& message) {
  throw Error(std::string(where) + ": " + message);
}
}  // namespace detail

}  // namespace softmaxkit
