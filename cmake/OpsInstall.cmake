# Installs ops::ops (and ops::testing) with a CMake package, so that a charm
# project can do find_package(ops), link ops::ops and pack its charm with
# ops_add_charm (OpsCharm.cmake, installed next to the package config).
# Everything here is in the install component `ops`
# (cmake --install <build> --component ops installs the library alone).
include(CMakePackageConfigHelpers)

set_target_properties(ops_framework PROPERTIES EXPORT_NAME framework)
set_target_properties(ops_pebble PROPERTIES EXPORT_NAME pebble)
set_target_properties(ops_model PROPERTIES EXPORT_NAME model)
set_target_properties(ops_testing PROPERTIES EXPORT_NAME testing)

install(TARGETS ops ops_framework ops_pebble ops_model ops_testing
        EXPORT opsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ops
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ops
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ops DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT ops)
install(EXPORT opsTargets NAMESPACE ops:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ops
        COMPONENT ops)

configure_package_config_file(cmake/opsConfig.cmake.in
  "${PROJECT_BINARY_DIR}/opsConfig.cmake"
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ops)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/opsConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/opsConfig.cmake" "${PROJECT_BINARY_DIR}/opsConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/OpsCharm.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ops COMPONENT ops)
