# Debian's OpenBLAS ships a config file with variables but no imported target; make one. Not
# REQUIRED here: the build stops when it is missing (Dependencies.cmake), while a consumer's
# find_package(softmaxkit QUIET) must be able to say "not found" without stopping the configure
# (softmaxkitConfig.cmake), which a REQUIRED search here did until 2026-12-07.
if(NOT TARGET OpenBLAS::OpenBLAS)
  find_package(OpenBLAS CONFIG QUIET)
  if(OpenBLAS_FOUND)
    add_library(OpenBLAS::OpenBLAS INTERFACE IMPORTED)
    set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIRS}"
      INTERFACE_LINK_LIBRARIES "${OpenBLAS_LIBRARIES}")
  endif()
endif()
