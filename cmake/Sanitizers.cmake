# SOFTMAXKIT_SANITIZE=address;undefined | thread — applied to every target of the build.
if(SOFTMAXKIT_SANITIZE)
  list(JOIN SOFTMAXKIT_SANITIZE "," softmaxkit_sanitizers)
  add_compile_options(-fsanitize=${softmaxkit_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${softmaxkit_sanitizers})
endif()

# SOFTMAXKIT_BUILD_FUZZERS: every target gets libFuzzer's coverage instrumentation (without
# its main) plus AddressSanitizer and UndefinedBehaviorSanitizer, so the fuzzers see coverage
# and bugs inside the library, not only in their own entry points. Only the fuzz targets link
# libFuzzer itself (fuzz/CMakeLists.txt).
if(SOFTMAXKIT_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR
      "SOFTMAXKIT_BUILD_FUZZERS needs clang (libFuzzer), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER}. Configure with "
      "-DCMAKE_CXX_COMPILER=clang++-14 (or use scripts/fuzz).")
  endif()
  if(SOFTMAXKIT_SANITIZE)
    message(FATAL_ERROR "SOFTMAXKIT_BUILD_FUZZERS brings its own sanitizers (address, undefined); "
                        "leave SOFTMAXKIT_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
