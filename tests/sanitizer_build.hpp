// Whether the tests run under a sanitizer (scripts/sanitize: AddressSanitizer + UBSan, or
// ThreadSanitizer). Instrumentation makes every memory access in the library's loops cost many
// times more, so a few long cases are cut down there, each where it is defined, saying what it
// keeps; the Release build runs them all. CI's whole run has a 45-minute budget on 2 cores.
#pragma once

namespace softmaxkit::tests {

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

}  // namespace softmaxkit::tests
