# LAPACKE (Debian's liblapacke-dev) ships neither a CMake config nor a target; make one. The
# structured solver's symmetric eigendecompositions and Cholesky factors come from it; Debian's
# LAPACK behind it is OpenBLAS's when libopenblas is the selected liblapack.so.3 alternative.
if(NOT TARGET Lapacke::Lapacke)
  find_path(LAPACKE_INCLUDE_DIR lapacke.h REQUIRED)
  find_library(LAPACKE_LIBRARY lapacke REQUIRED)
  add_library(Lapacke::Lapacke UNKNOWN IMPORTED)
  set_target_properties(Lapacke::Lapacke PROPERTIES IMPORTED_LOCATION "${LAPACKE_LIBRARY}"
                                                   INTERFACE_INCLUDE_DIRECTORIES "${LAPACKE_INCLUDE_DIR}")
endif()
