# Installs ops::ops (and ops::testing, and the charm libraries) with a CMake
# package, so that a charm project can do find_package(ops), link ops::ops
# (and e.g. ops::redis_k8s_v0) and pack its charm with ops_add_charm
# (OpsCharm.cmake, installed next to the package config).
# Everything here is in the install component `ops`
# (cmake --install <build> --component ops installs the library alone).
include(CMakePackageConfigHelpers)

set_target_properties(ops_detail PROPERTIES EXPORT_NAME detail)
set_target_properties(ops_framework PROPERTIES EXPORT_NAME framework)
set_target_properties(ops_pebble PROPERTIES EXPORT_NAME pebble)
set_target_properties(ops_model PROPERTIES EXPORT_NAME model)
set_target_properties(ops_testing PROPERTIES EXPORT_NAME testing)

install(TARGETS ops ops_detail ops_framework ops_pebble ops_model ops_testing
        EXPORT opsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ops
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ops
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ops DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT ops)

# The charm libraries (lib/charms): ops::redis_k8s_v0 (the `redis`
# interface), ops::prometheus_scrape_v0, ops::grafana_dashboard_v0,
# ops::loki_push_api_v1 and the ops::juju_topology_v0 they share,
# ops::reactive_endpoint_v0 and ops::http_v0 (the `http` interface), with their
# headers under include/charms/<charm>/v<N>/.
install(TARGETS redis_k8s_lib juju_topology_lib prometheus_scrape_lib grafana_dashboard_lib
                loki_push_api_lib reactive_endpoint_lib http_lib
        EXPORT opsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ops
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY lib/charms DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT ops
        FILES_MATCHING PATTERN "*.hpp")
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
