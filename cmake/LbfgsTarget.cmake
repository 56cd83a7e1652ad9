# liblbfgs (Debian's liblbfgs-dev) ships neither a CMake config nor a target; make one. Nothing
# REQUIRED here, as in LapackeTarget.cmake: the build checks the header and the library, a
# consumer of the installed package needs the library only.
if(NOT TARGET Lbfgs::Lbfgs)
  find_library(LBFGS_LIBRARY lbfgs)
  find_path(LBFGS_INCLUDE_DIR lbfgs.h)
  if(LBFGS_LIBRARY)
    add_library(Lbfgs::Lbfgs UNKNOWN IMPORTED)
    set_target_properties(Lbfgs::Lbfgs PROPERTIES IMPORTED_LOCATION "${LBFGS_LIBRARY}")
    if(LBFGS_INCLUDE_DIR)
      set_target_properties(Lbfgs::Lbfgs PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${LBFGS_INCLUDE_DIR}")
    endif()
  endif()
endif()
