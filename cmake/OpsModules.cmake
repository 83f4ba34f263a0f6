# Helpers shared by every CMakeLists.txt of the project.

set(OPS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow)
set(OPS_MODULES "" CACHE INTERNAL "ops-cpp library modules")

# ops_add_module(NAME SOURCES globs... PUBLIC_LINK targets... PRIVATE_LINK targets...)
# A static library of the framework, built from the files the globs match.
function(ops_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINK;PRIVATE_LINK" ${ARGN})
  set(globs "")
  foreach(g IN LISTS ARG_SOURCES)
    list(APPEND globs "${PROJECT_SOURCE_DIR}/${g}")
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${globs})
  list(SORT sources)
  add_library(${name} STATIC ${sources})
  if(NOT sources)
    # A module with no sources yet: an empty archive keeps consumers linking.
    target_sources(${name} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/empty.cpp")
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_compile_options(${name} PRIVATE ${OPS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINK} PRIVATE ${ARG_PRIVATE_LINK})
  set(OPS_MODULES ${OPS_MODULES} ${name} CACHE INTERNAL "ops-cpp library modules")
endfunction()

# Adds DIR/<sub> for every <sub> that has a CMakeLists.txt, in name order.
function(ops_add_optional_subdirectories)
  foreach(dir IN LISTS ARGN)
    file(GLOB children LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/${dir}/*")
    list(SORT children)
    foreach(child IN LISTS children)
      if(EXISTS "${child}/CMakeLists.txt")
        add_subdirectory("${child}")
      endif()
    endforeach()
  endforeach()
endfunction()

# ops_add_test_area(AREA LINK targets...) : one test executable per folder
# tests/<AREA>, built from its *_test.cpp files, registered with ctest.
function(ops_add_test_area area)
  cmake_parse_arguments(ARG "" "" "LINK;SOURCES" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp")
  list(SORT tests)
  set(exe ${area}_tests)
  add_executable(${exe} ${tests} ${ARG_SOURCES})
  target_compile_options(${exe} PRIVATE ${OPS_WARNINGS})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${exe} PRIVATE ${ARG_LINK} GTest::gmock GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${exe} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "OPS_SOURCE_DIR=${PROJECT_SOURCE_DIR}\\;OPS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
