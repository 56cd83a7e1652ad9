include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS softmaxkit EXPORT softmaxkitTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/softmaxkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(softmaxkit_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/softmaxkit)
install(EXPORT softmaxkitTargets NAMESPACE softmaxkit:: DESTINATION ${softmaxkit_config_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/softmaxkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/softmaxkitConfig.cmake INSTALL_DESTINATION ${softmaxkit_config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/softmaxkitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/softmaxkitConfig.cmake
              ${PROJECT_BINARY_DIR}/softmaxkitConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/OpenBLASTarget.cmake
              ${PROJECT_SOURCE_DIR}/cmake/LinkOnlyTargets.cmake
        DESTINATION ${softmaxkit_config_dir})
