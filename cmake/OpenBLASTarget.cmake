# Debian's OpenBLAS ships a config file with variables but no imported target; make one.
if(NOT TARGET OpenBLAS::OpenBLAS)
  find_package(OpenBLAS CONFIG REQUIRED)
  add_library(OpenBLAS::OpenBLAS INTERFACE IMPORTED)
  set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${OpenBLAS_LIBRARIES}")
endif()
