# Installs libferry-client for applications: the shared library, the public
# headers, a CMake package (find_package(ferry) -> ferry::client) and ferry.pc.
# Everything here is in the install component "client".
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(ferry_client PROPERTIES
  OUTPUT_NAME ferry-client
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})

install(TARGETS ferry_client
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT client)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/ferry
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT client
  FILES_MATCHING PATTERN "*.h")

# The package config is written by hand (an imported target) rather than
# exported: ferry_client's build-tree include roots and private static
# modules are no business of an installed package.
set(FERRY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ferry)
set(FERRY_LIBRARY_FILE libferry-client.so.${PROJECT_VERSION})
set(FERRY_LIBRARY_SONAME libferry-client.so.${PROJECT_VERSION_MAJOR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/ferryConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/ferryConfig.cmake
  INSTALL_DESTINATION ${FERRY_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: minor versions may break the interface.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/ferryConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/ferryConfig.cmake ${CMAKE_BINARY_DIR}/cmake/ferryConfigVersion.cmake
  DESTINATION ${FERRY_CMAKE_DIR} COMPONENT client)

# Relocatable: the prefix is found from the .pc file's own place, so that
# `cmake --install --prefix DIR` gives a working ferry.pc.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(FERRY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _ferry_up "/r/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/r")
  set(FERRY_PC_PREFIX "\${pcfiledir}/${_ferry_up}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/ferry.pc.in ${CMAKE_BINARY_DIR}/cmake/ferry.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/cmake/ferry.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT client)
