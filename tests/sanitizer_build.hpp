// Whether the tests run under a sanitizer (scripts/sanitize: AddressSanitizer + UBSan, or
// ThreadSanitizer). Instrumentation makes every memory access in the library's loops cost many
// times more, so a few long cases are cut down there, each where it is defined, saying what it
// keeps; the Release build runs them all. CI's whole run has a 45-minute budget on 2 cores.
// The detection itself is the library's (kernels/common/sanitizer_build.hpp).
#pragma once

#include "common/sanitizer_build.hpp"

namespace softmaxkit::tests {

using detail::address_sanitizer_build;
using detail::sanitizer_build;
using detail::thread_sanitizer_build;

}  // namespace softmaxkit::tests
