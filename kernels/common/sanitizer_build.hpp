// Whether this translation unit is built under a sanitizer (scripts/sanitize: AddressSanitizer +
// UBSan, or ThreadSanitizer), for code that must behave differently there: the library keeps a
// few parallel loops serial under TSan (libtbb is not instrumented; see solvers/vector_blocks.hpp),
// and the tests cut a few long cases (tests/sanitizer_build.hpp).
#pragma once

namespace softmaxkit::detail {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool thread_sanitizer_build = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool thread_sanitizer_build = true;
#else
inline constexpr bool thread_sanitizer_build = false;
#endif
#else
inline constexpr bool thread_sanitizer_build = false;
#endif

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitizer_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool address_sanitizer_build = true;
#else
inline constexpr bool address_sanitizer_build = false;
#endif
#else
inline constexpr bool address_sanitizer_build = false;
#endif

inline constexpr bool sanitizer_build = thread_sanitizer_build || address_sanitizer_build;

}  // namespace softmaxkit::detail
