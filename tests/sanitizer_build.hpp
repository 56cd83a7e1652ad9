// Whether the tests run under ThreadSanitizer (scripts/sanitize). Its instrumentation makes every
// memory access in the library's loops cost many times more, so a few long single-problem cases
// that do not exercise concurrency are skipped there (Release and ASan+UBSan run them).
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

}  // namespace softmaxkit::tests
