# Every external dependency, found in one place. All come from Debian packages;
# nothing is downloaded at configure time.
find_package(xsimd 8.1 CONFIG REQUIRED)
find_package(TBB CONFIG REQUIRED)
include(OpenBLASTarget)
if(NOT TARGET OpenBLAS::OpenBLAS)
  message(FATAL_ERROR "OpenBLAS not found (its CMake config; Debian: libopenblas-dev)")
endif()
include(LinkOnlyTargets)
if(NOT LBFGS_LIBRARY OR NOT LBFGS_INCLUDE_DIR)
  message(FATAL_ERROR "liblbfgs not found (lbfgs.h and the library; Debian: liblbfgs-dev)")
endif()
if(NOT LAPACKE_LIBRARY OR NOT LAPACKE_INCLUDE_DIR)
  message(FATAL_ERROR "LAPACKE not found (lapacke.h and the library; Debian: liblapacke-dev)")
endif()
find_package(ZLIB REQUIRED)
# The LibSVM reader reads ahead on a second thread (src/io/read_ahead.hpp).
find_package(Threads REQUIRED)

# What a consumer of the static library needs too (see softmaxkitConfig.cmake.in).
set(SOFTMAXKIT_PUBLIC_DEPENDENCIES TBB::tbb)
set(SOFTMAXKIT_PRIVATE_DEPENDENCIES OpenBLAS::OpenBLAS Lbfgs::Lbfgs Lapacke::Lapacke ZLIB::ZLIB
                                    Threads::Threads)

if(SOFTMAXKIT_BUILD_TESTS)
  find_package(doctest CONFIG REQUIRED)
endif()
if(SOFTMAXKIT_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
