# Helpers shared by every CMakeLists.txt of the project.

set(OPS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow)
if(OPS_WERROR)
  list(APPEND OPS_WARNINGS -Werror)
endif()
set(OPS_MODULES "" CACHE INTERNAL "ops-cpp library modules")

# ops_add_module(NAME SOURCES files... PUBLIC_LINK targets... PRIVATE_LINK targets...)
# A static library of the framework, built from the listed files (paths
# relative to the project root; no globs, so a new file is added on purpose).
function(ops_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINK;PRIVATE_LINK" ${ARGN})
  set(sources "")
  foreach(file IN LISTS ARG_SOURCES)
    list(APPEND sources "${PROJECT_SOURCE_DIR}/${file}")
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_compile_options(${name} PRIVATE ${OPS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINK} PRIVATE ${ARG_PRIVATE_LINK})
  set(OPS_MODULES ${OPS_MODULES} ${name} CACHE INTERNAL "ops-cpp library modules")
  set_property(GLOBAL APPEND PROPERTY OPS_LISTED_SOURCES ${sources})
endfunction()

# ops_check_sources_listed(DIR): fails the configure step when a .cpp file
# under DIR is in no module's SOURCES, instead of leaving it out silently.
function(ops_check_sources_listed dir)
  file(GLOB_RECURSE present CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${dir}/*.cpp")
  get_property(listed GLOBAL PROPERTY OPS_LISTED_SOURCES)
  foreach(file IN LISTS present)
    if(NOT file IN_LIST listed)
      file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${file}")
      message(FATAL_ERROR "${rel} is in no module: add it to a SOURCES list in CMakeLists.txt")
    endif()
  endforeach()
endfunction()

# ops_add_subdirectories(PARENT child...): adds PARENT/<child> for each child
# in the order given (dependency order). A folder of PARENT that has a
# CMakeLists.txt but is not named fails the configure step, so that nothing
# is left out of the build without anyone noticing.
function(ops_add_subdirectories parent)
  foreach(child IN LISTS ARGN)
    add_subdirectory("${PROJECT_SOURCE_DIR}/${parent}/${child}")
  endforeach()
  file(GLOB present LIST_DIRECTORIES true CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${parent}/*")
  foreach(dir IN LISTS present)
    get_filename_component(child "${dir}" NAME)
    if(EXISTS "${dir}/CMakeLists.txt" AND NOT child IN_LIST ARGN)
      message(FATAL_ERROR "${parent}/${child} has a CMakeLists.txt but is not added: "
                          "name it in ops_add_subdirectories(${parent} ...)")
    endif()
  endforeach()
endfunction()

# ops_add_test_area(AREA [THREADED] [RELEASE] LINK targets... [SOURCES files...]
#                   [UNITY_SKIP files...]): one test executable per folder
# tests/<AREA>, built from its *_test.cpp files, registered with ctest.
# THREADED marks an area whose code under test runs threads: its tests get the
# ctest label "threaded" and its executable is built by the target
# ops_threaded_tests, which the ThreadSanitizer pass of scripts/test.sh builds
# and runs. RELEASE marks an area that checks what only the release build
# shows (the lean and static links of dispatch): its tests get the label
# "release", and the release pass of scripts/test.sh runs them too (see
# ops_add_release_checks_target). UNITY_SKIP names the files a unity build
# (OPS_UNITY_BUILD) compiles on their own: those whose file-local names
# (kMetadata, Charm, ...) are also another file's of the area.
if(NOT TARGET ops_threaded_tests)
  add_custom_target(ops_threaded_tests)
endif()
function(ops_add_test_area area)
  cmake_parse_arguments(ARG "THREADED;RELEASE" "" "LINK;SOURCES;UNITY_SKIP" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp")
  list(SORT tests)
  set(exe ${area}_tests)
  add_executable(${exe} ${tests} ${ARG_SOURCES})
  if(ARG_UNITY_SKIP)
    set_source_files_properties(${ARG_UNITY_SKIP} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
  target_compile_options(${exe} PRIVATE ${OPS_WARNINGS})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${exe} PRIVATE ${ARG_LINK} GTest::gmock GTest::gtest GTest::gtest_main)
  set(labels ${area})
  if(ARG_THREADED)
    list(APPEND labels threaded)
    add_dependencies(ops_threaded_tests ${exe})
  endif()
  if(ARG_RELEASE)
    list(APPEND labels release)
  endif()
  ops_discover_tests(${exe} LABELS ${labels})
endfunction()

# ops_discover_tests(EXE LABELS labels... [RUN_SERIAL] [TIMEOUT seconds]):
# registers each GoogleTest test of EXE with ctest, with those labels and
# OPS_SOURCE_DIR / OPS_BINARY_DIR in its environment. The properties are set
# by a file ctest includes after the discovered tests, not by the PROPERTIES
# of gtest_discover_tests, which flattens list values (CMake 3.25: of
# "LABELS a;b" only "a" would be a label). Select labels with an anchored
# regex (ctest -L takes a regex): -LE '^ha$', since -LE ha would also drop
# "charm" and "hello_k8s". An EXE labelled "release" or "no-sanitize" is
# built by ops_release_checks.
function(ops_discover_tests exe)
  cmake_parse_arguments(ARG "RUN_SERIAL" "TIMEOUT" "LABELS" ${ARGN})
  if("release" IN_LIST ARG_LABELS OR "no-sanitize" IN_LIST ARG_LABELS)
    ops_release_pass_target(${exe})
  endif()
  gtest_discover_tests(${exe} DISCOVERY_TIMEOUT 60)
  set(props "LABELS \"${ARG_LABELS}\"\n    ENVIRONMENT \"OPS_SOURCE_DIR=${PROJECT_SOURCE_DIR};OPS_BINARY_DIR=${PROJECT_BINARY_DIR}\"")
  if(ARG_RUN_SERIAL)
    string(APPEND props "\n    RUN_SERIAL TRUE")
  endif()
  if(ARG_TIMEOUT)
    string(APPEND props "\n    TIMEOUT ${ARG_TIMEOUT}")
  endif()
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${exe}_properties.cmake")
  file(WRITE "${file}"
       "if(DEFINED ${exe}_TESTS)\n  set_tests_properties(\${${exe}_TESTS} PROPERTIES\n    ${props})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()

# ops_add_release_checks_target(): the target ops_release_checks, which the
# release pass of scripts/test.sh builds when the sanitizer pass follows it:
# what the default build (all) builds outside tests/ (the libraries, tools,
# charms and benchmarks), and from tests/ only what the release pass runs or
# checks: the test executables labelled "release" or "no-sanitize" (see
# ops_discover_tests) and the targets named by ops_release_pass_target.
# Every other test runs once, in the sanitizer pass (ASan and UBSan); the
# release build is left what only it can check: the HA tests' timing, the
# installed package, the lean and static links, each header on its own.
# Called once, after every target is added.
function(ops_release_pass_target target)
  set_property(GLOBAL APPEND PROPERTY OPS_RELEASE_PASS_TARGETS ${target})
endfunction()
function(ops_add_release_checks_target)
  get_property(release_pass GLOBAL PROPERTY OPS_RELEASE_PASS_TARGETS)
  set(pending "${PROJECT_SOURCE_DIR}")
  set(wanted "")
  while(pending)
    list(POP_FRONT pending dir)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND pending ${subdirs})
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    string(FIND "${dir}/" "${PROJECT_SOURCE_DIR}/tests/" in_tests)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      get_target_property(excluded ${target} EXCLUDE_FROM_ALL)
      if(type STREQUAL "INTERFACE_LIBRARY" OR excluded)
        continue()
      endif()
      if(in_tests EQUAL 0 AND NOT target IN_LIST release_pass)
        continue()
      endif()
      list(APPEND wanted ${target})
    endforeach()
  endwhile()
  add_custom_target(ops_release_checks)
  add_dependencies(ops_release_checks ${wanted})
endfunction()

# ops_add_example_charm(NAME LINK targets... FILES files...): an example charm
# in the current folder (charms/<NAME>) laid out as src/charm.cpp (the charm,
# with its header in src/) and src/dispatch.cpp (its main). Adds the static
# library <name>_charm (NAME with '-' as '_': what the tests link; PUBLIC
# LINK and ops::ops), the executable <NAME>-dispatch over it, and packs it
# with ops_add_charm (OpsCharm.cmake) with FILES, relative to the folder.
function(ops_add_example_charm name)
  cmake_parse_arguments(ARG "" "" "LINK;FILES" ${ARGN})
  string(REPLACE "-" "_" lib "${name}_charm")
  add_library(${lib} STATIC src/charm.cpp)
  target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_options(${lib} PRIVATE ${OPS_WARNINGS})
  target_link_libraries(${lib} PUBLIC ${ARG_LINK} ops::ops)

  add_executable(${name}-dispatch src/dispatch.cpp)
  target_compile_options(${name}-dispatch PRIVATE ${OPS_WARNINGS})
  target_link_libraries(${name}-dispatch PRIVATE ${lib})

  list(TRANSFORM ARG_FILES PREPEND "${CMAKE_CURRENT_SOURCE_DIR}/")
  ops_add_charm(${name} DISPATCH ${name}-dispatch FILES ${ARG_FILES})
endfunction()
