# LAPACKE (Debian's liblapacke-dev) ships neither a CMake config nor a target; make one. The
# structured solver's symmetric eigendecompositions and Cholesky factors come from it; Debian's
# LAPACK behind it is OpenBLAS's when libopenblas is the selected liblapack.so.3 alternative.
# Nothing REQUIRED here: the build needs the header too (Dependencies.cmake checks both), while a
# consumer of the installed package links the library only, and its find_package must be able
# to say "not found" (under QUIET too) instead of stopping (softmaxkitConfig.cmake).
if(NOT TARGET Lapacke::Lapacke)
  find_library(LAPACKE_LIBRARY lapacke)
  find_path(LAPACKE_INCLUDE_DIR lapacke.h)
  if(LAPACKE_LIBRARY)
    add_library(Lapacke::Lapacke UNKNOWN IMPORTED)
    set_target_properties(Lapacke::Lapacke PROPERTIES IMPORTED_LOCATION "${LAPACKE_LIBRARY}")
    if(LAPACKE_INCLUDE_DIR)
      set_target_properties(Lapacke::Lapacke PROPERTIES
                            INTERFACE_INCLUDE_DIRECTORIES "${LAPACKE_INCLUDE_DIR}")
    endif()
  endif()
endif()
