# liblbfgs (Debian's liblbfgs-dev) and LAPACKE (liblapacke-dev) ship neither a CMake config nor
# a target; make Lbfgs::Lbfgs and Lapacke::Lapacke. LAPACKE gives the structured solver's
# symmetric eigendecompositions and Cholesky factors; Debian's LAPACK behind it is OpenBLAS's when
# libopenblas is the selected liblapack.so.3 alternative. Nothing REQUIRED here: the build needs
# the headers too (Dependencies.cmake checks <VAR>_LIBRARY and <VAR>_INCLUDE_DIR), while a
# consumer of the installed package links the libraries only (no public header includes them),
# and its find_package must be able to say "not found", under QUIET too (softmaxkitConfig.cmake).
function(softmaxkit_link_only_target target variable library header)
  if(TARGET ${target})
    return()
  endif()
  find_library(${variable}_LIBRARY ${library})
  find_path(${variable}_INCLUDE_DIR ${header})
  if(NOT ${variable}_LIBRARY)
    return()
  endif()
  add_library(${target} UNKNOWN IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${${variable}_LIBRARY}")
  if(${variable}_INCLUDE_DIR)
    set_target_properties(${target} PROPERTIES
                          INTERFACE_INCLUDE_DIRECTORIES "${${variable}_INCLUDE_DIR}")
  endif()
endfunction()

softmaxkit_link_only_target(Lbfgs::Lbfgs LBFGS lbfgs lbfgs.h)
softmaxkit_link_only_target(Lapacke::Lapacke LAPACKE lapacke lapacke.h)
