# liblbfgs (Debian's liblbfgs-dev) ships neither a CMake config nor a target; make one.
if(NOT TARGET Lbfgs::Lbfgs)
  find_path(LBFGS_INCLUDE_DIR lbfgs.h REQUIRED)
  find_library(LBFGS_LIBRARY lbfgs REQUIRED)
  add_library(Lbfgs::Lbfgs UNKNOWN IMPORTED)
  set_target_properties(Lbfgs::Lbfgs PROPERTIES IMPORTED_LOCATION "${LBFGS_LIBRARY}"
                                               INTERFACE_INCLUDE_DIRECTORIES "${LBFGS_INCLUDE_DIR}")
endif()
