# One object library per instruction set, from kernels/simd/<isa>.cpp: that ISA's kernel table and
# every body it lists, inside namespace softmaxkit::simd::<isa>. These are the only files compiled
# with ISA flags; the dispatcher (built at baseline) picks a table at run time, and
# scripts/check-isa-symbols proves from the object files that no symbol escapes its namespace.
set(SOFTMAXKIT_FLAGS_sse2 "")
set(SOFTMAXKIT_FLAGS_avx2 -mavx2 -mfma)
set(SOFTMAXKIT_FLAGS_avx512 -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl)

function(softmaxkit_add_isa_objects library isa)
  set(sources ${PROJECT_SOURCE_DIR}/kernels/simd/${isa}.cpp)
  set(objects ${library}_${isa})
  add_library(${objects} OBJECT ${sources})
  target_include_directories(${objects} PRIVATE ${PROJECT_SOURCE_DIR}/include
                                                ${PROJECT_SOURCE_DIR}/kernels)
  # xsimd is header-only; take its include path without its link interface (which names xtl).
  target_include_directories(${objects} SYSTEM PRIVATE
                             $<TARGET_PROPERTY:xsimd,INTERFACE_INCLUDE_DIRECTORIES>)
  # -ffp-contract=off: results are exactly what the kernel code says on every ISA, so the
  # error analysis in each kernel's header holds and fused operations are explicit.
  target_compile_options(${objects} PRIVATE ${SOFTMAXKIT_FLAGS_${isa}} -ffp-contract=off)
  # Unoptimised, xsimd's and the standard library's inline functions would be emitted as weak
  # symbols outside the ISA's namespace (scripts/check-isa-symbols): per-ISA code is always
  # optimised, so they are inlined.
  target_compile_options(${objects} PRIVATE $<$<CONFIG:Debug>:-O2>)
  set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  softmaxkit_apply_warnings(${objects})
  # GCC 12 reports its own _mm512_undefined_* intrinsics as maybe-uninitialized (a known false
  # positive in avx512fintrin.h), and as plain -Wuninitialized once _mm512_max_ps/_pd and
  # _mm512_extractf64x4_pd are inlined (the row kernels); both stay on everywhere else. Clang has
  # no such false positive.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${objects} PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
  endif()
  target_sources(${library} PRIVATE $<TARGET_OBJECTS:${objects}>)
endfunction()
