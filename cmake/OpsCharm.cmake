# Packaging a charm built with ops-cpp, and linking its dispatch lean.
#
# ops_add_charm(<name> DISPATCH <executable target> FILES <files and directories...>
#               [BUNDLE <shared libraries...>] [BASE <channel>]
#               [SHARED_DEPS | STATIC] [EXCLUDE_FROM_ALL])
#
# adds a target `charm-<name>`, part of the default build unless
# EXCLUDE_FROM_ALL (and makes the umbrella target `charm` depend on it), that
# assembles the deployable charm:
#
#   <build>/charm/<name>/dispatch        the executable, stripped (the build's copy stays unstripped)
#   <build>/charm/<name>/lib/*.so*       the shared libraries it needs beyond glibc and libstdc++,
#                                        and the BUNDLE ones (under their sonames), which
#                                        dispatch loads itself with dlopen when it needs them
#   <build>/charm/<name>/<FILES>         metadata.yaml, config.yaml, actions.yaml, ...
#                                        (a directory is copied with its tree, under its
#                                        own name: grafana_dashboards/redis.json)
#   <build>/charm/<name>/manifest.yaml   as charmcraft writes it (bases, analysis)
#   <build>/<name>.charm                 a zip of that directory, for `juju deploy ./<name>.charm`
#
# The executable gets the run path $ORIGIN/lib so that the bundled libraries
# are found in the charm container, which has none of them installed. BASE
# is the Ubuntu channel the charm runs on (default 24.04: the build machine's
# glibc must not be newer than the base's). Unless SHARED_DEPS is given, the
# DISPATCH target is linked with ops_lean_link() (below), STATIC passed on.
#
# ops_lean_link(<executable target> [STATIC])
#
# links one executable for a short-lived process such as `dispatch`, where the
# dynamic loader's work (mapping and relocating libraries, resolving their
# symbols) is most of the process's cost: libstdc++ and libgcc static, the
# libyaml and SQLite archives (libyaml.a, libsqlite3.a) in place of the shared
# libraries the ops modules name (and yaml-cpp's, libyaml-cpp.a, for the
# charms and charm libraries that use yaml-cpp themselves, through
# ${OPS_YAML_CPP_LINK}: the ops modules do not), the target's own code
# compiled with -ffunction-sections/-fdata-sections (as the ops modules are),
# and the link with --as-needed, --gc-sections and -O1. spdlog and fmt are
# compiled into ops header-only already, so what stays dynamic is glibc and
# the C libraries a charm adds (hiredis, OpenSSL ...). When an archive is
# missing its shared library is linked instead (configure says so); without
# libyaml-cpp.a libstdc++ stays shared too, because yaml-cpp's exceptions must
# meet the same C++ runtime as the code catching them. For the same reason, a
# charm that links a C++ shared library of its own must not be linked lean
# (ops_add_charm ... SHARED_DEPS): a build step after the link (where ldd
# exists and the build is native) fails the build when the result would load
# libstdc++.so, libyaml-cpp.so, libyaml-0.so or libsqlite3.so after all. A
# charm whose own code uses yaml-cpp or SQLiteCpp links ${OPS_YAML_CPP_LINK}
# or ${OPS_SQLITE_LINK} (set here) in their place: the archives in a lean
# link, the shared libraries otherwise.
#
# STATIC links glibc in as well (-static): no dynamic loader and no shared
# library at all, which saves a third of a no-op dispatch's CPU time (mapping
# and relocating libc, resolving its symbols, and the page faults that
# follow: bench/dispatch/run.sh measures both), and the dispatch then runs
# on any base, whatever its glibc. It is for a charm whose code never loads
# a library (dlopen, as the redis-k8s charm's TLS does: a static glibc can
# only load libraries of the exact glibc it was built with) and never looks
# up users, groups or hosts through NSS (getpwnam, getaddrinfo); the ops
# framework does neither in a dispatch. A sanitizer build links such a
# dispatch lean instead (the sanitizers' runtimes are shared libraries).
# The step after the link then checks that the result has no dynamic loader.
# The link prints glibc's warning that dlopen in a static executable needs
# the same glibc at run time: it is SQLite's extension loading, which ops
# never uses.
#
# How: ops_lean_link sets the property OPS_LEAN_LINK on the executable, and
# the ops modules link $<IF:$<BOOL:$<TARGET_PROPERTY:OPS_LEAN_LINK>>,...>,
# which CMake evaluates on the executable being linked; tests and tools that
# link ops without ops_lean_link keep the shared libraries.
#
# The same file is also the packing script: run with -P, it does the work of
# one charm-<name> target (the variables are passed with -D), or, with
# -DOPS_LEAN_CHECK=<executable>, the check after a lean link.

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED OPS_LEAN_CHECK)
  # ---- lean link check: OPS_LEAN_CHECK (the executable), OPS_LDD, OPS_LEAN_UNWANTED,
  # OPS_LEAN_STATIC (a STATIC link: no dynamic loader expected) ----
  string(REPLACE "|" ";" unwanted "${OPS_LEAN_UNWANTED}")
  execute_process(COMMAND "${OPS_LDD}" "${OPS_LEAN_CHECK}" OUTPUT_VARIABLE ldd_out
                  ERROR_VARIABLE ldd_err RESULT_VARIABLE rc)
  if(OPS_LEAN_STATIC)
    if(NOT "${ldd_out}${ldd_err}" MATCHES "not a dynamic executable|statically linked")
      message(FATAL_ERROR "ops_lean_link: ${OPS_LEAN_CHECK} was linked STATIC but has a "
              "dynamic loader; ldd says:\n${ldd_out}${ldd_err}")
    endif()
    return()
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ops_lean_link: ldd ${OPS_LEAN_CHECK} failed: ${ldd_err}")
  endif()
  foreach(lib IN LISTS unwanted)
    string(REPLACE "+" "\\+" pattern "${lib}")
    if(ldd_out MATCHES "(^|[ \t\n/])${pattern}\\.so")
      message(FATAL_ERROR "ops_lean_link: ${OPS_LEAN_CHECK} loads ${lib}.so, which a lean "
              "link puts in statically. Something linked a shared ${lib} (or a C++ shared "
              "library) after the static archives; link this target with SHARED_DEPS "
              "(ops_add_charm) or without ops_lean_link.\nldd says:\n${ldd_out}")
    endif()
  endforeach()
  return()
endif()

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- packing script: CHARM_DIR ARCHIVE DISPATCH FILES BUNDLE OBJDUMP STRIP ARCH BASE VERSION ----
  foreach(var CHARM_DIR ARCHIVE DISPATCH ARCH BASE VERSION)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
      message(FATAL_ERROR "OpsCharm.cmake: ${var} is not set")
    endif()
  endforeach()
  string(REPLACE "|" ";" FILES "${FILES}")
  string(REPLACE "|" ";" BUNDLE "${BUNDLE}")

  file(REMOVE_RECURSE "${CHARM_DIR}")
  file(MAKE_DIRECTORY "${CHARM_DIR}")
  file(REMOVE "${ARCHIVE}")

  # dispatch: a stripped copy, executable by everyone.
  file(COPY_FILE "${DISPATCH}" "${CHARM_DIR}/dispatch")
  if(STRIP)
    execute_process(COMMAND "${STRIP}" --strip-unneeded "${CHARM_DIR}/dispatch"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "OpsCharm.cmake: ${STRIP} failed on ${CHARM_DIR}/dispatch")
    endif()
  endif()
  file(CHMOD "${CHARM_DIR}/dispatch" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

  foreach(f IN LISTS FILES)
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "OpsCharm.cmake: charm file ${f} does not exist")
    endif()
    get_filename_component(base "${f}" NAME)
    if(IS_DIRECTORY "${f}")
      # A directory keeps its name and its tree (grafana_dashboards/...).
      file(COPY "${f}" DESTINATION "${CHARM_DIR}")
    else()
      file(COPY_FILE "${f}" "${CHARM_DIR}/${base}")
    endif()
  endforeach()

  # The shared libraries beyond the C runtime, found by ldd, bundled in lib/.
  execute_process(COMMAND ldd "${DISPATCH}" OUTPUT_VARIABLE ldd_out RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    string(REPLACE "\n" ";" ldd_lines "${ldd_out}")
    foreach(line IN LISTS ldd_lines)
      if(line MATCHES "^[ \t]*([^ \t]+) => (/[^ \t]+)")
        set(soname "${CMAKE_MATCH_1}")
        set(path "${CMAKE_MATCH_2}")
        if(soname MATCHES "^(libc|libm|libdl|librt|libpthread|libresolv|libutil|ld-linux.*|libstdc\\+\\+|libgcc_s)\\.so")
          continue()
        endif()
        file(MAKE_DIRECTORY "${CHARM_DIR}/lib")
        file(REAL_PATH "${path}" real)
        file(COPY_FILE "${real}" "${CHARM_DIR}/lib/${soname}")
        if(STRIP)
          execute_process(COMMAND "${STRIP}" --strip-unneeded "${CHARM_DIR}/lib/${soname}")
        endif()
      endif()
    endforeach()
  endif()

  # The libraries dispatch dlopens (ldd cannot see them), under their sonames:
  # dlopen by soname finds them through the run path $ORIGIN/lib.
  foreach(library IN LISTS BUNDLE)
    file(REAL_PATH "${library}" real)
    get_filename_component(soname "${real}" NAME)
    if(OBJDUMP)
      execute_process(COMMAND "${OBJDUMP}" -p "${real}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
      if(rc EQUAL 0 AND dynamic MATCHES "SONAME +([^ \t\n]+)")
        set(soname "${CMAKE_MATCH_1}")
      endif()
    endif()
    file(MAKE_DIRECTORY "${CHARM_DIR}/lib")
    file(COPY_FILE "${real}" "${CHARM_DIR}/lib/${soname}")
    if(STRIP)
      execute_process(COMMAND "${STRIP}" --strip-unneeded "${CHARM_DIR}/lib/${soname}")
    endif()
  endforeach()

  string(TIMESTAMP started "%Y-%m-%dT%H:%M:%S.000000Z" UTC)
  file(WRITE "${CHARM_DIR}/manifest.yaml"
"analysis:
  attributes:
  - name: language
    result: unknown
  - name: framework
    result: unknown
bases:
- architectures:
  - ${ARCH}
  channel: '${BASE}'
  name: ubuntu
charmcraft-started-at: '${started}'
charmcraft-version: ops-cpp-${VERSION}
")

  find_program(ZIP zip)
  if(ZIP)
    execute_process(COMMAND "${ZIP}" -q -r -X "${ARCHIVE}" .
                    WORKING_DIRECTORY "${CHARM_DIR}" RESULT_VARIABLE rc)
  else()
    execute_process(COMMAND "${CMAKE_COMMAND}" -E tar cf "${ARCHIVE}" --format=zip .
                    WORKING_DIRECTORY "${CHARM_DIR}" RESULT_VARIABLE rc)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "OpsCharm.cmake: could not write ${ARCHIVE}")
  endif()
  return()
endif()

# ---- configure time ----
include_guard(GLOBAL)

if(NOT DEFINED OPS_VERSION)
  set(OPS_VERSION "${PROJECT_VERSION}")
endif()
set_property(GLOBAL PROPERTY OPS_CHARM_VERSION "${OPS_VERSION}")

# The static archives a lean link uses, as imported targets named in place of
# yaml-cpp and SQLiteCpp (by the charm code that uses them:
# ${OPS_YAML_CPP_LINK}, ${OPS_SQLITE_LINK}) and SQLite (by ops_framework:
# ${OPS_SQLITE3_LINK}), so that they come right after the code that needs
# them on the link line, before any shared library; or the shared libraries
# when Debian's archives are not installed.
# _ops_lean_import(<target> <archive> <flag> <fallback> <what>
#                  [<the archive's own link interface>...]): <target> names the
# static <archive> if it was found (and sets the global property <flag>), or
# else the shared <fallback>, saying so (<what>: the shared libraries used).
function(_ops_lean_import target archive flag fallback what)
  if(TARGET ${target})
    return()
  endif()
  if(archive)
    add_library(${target} STATIC IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES
      IMPORTED_LOCATION "${archive}" INTERFACE_LINK_LIBRARIES "${ARGN}")
    set_property(GLOBAL PROPERTY ${flag} TRUE)
  else()
    message(STATUS "ops-cpp: no static archive for ${target}; lean links use ${what}")
    add_library(${target} INTERFACE IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES ${fallback})
    set_property(GLOBAL PROPERTY ${flag} FALSE)
  endif()
endfunction()

find_library(OPS_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
find_library(OPS_SQLITE3_ARCHIVE NAMES libsqlite3.a)
_ops_lean_import(ops::lean_yaml_cpp "${OPS_YAML_CPP_ARCHIVE}" OPS_LEAN_STATIC_CXX yaml-cpp
                 "the shared yaml-cpp and libstdc++")
# SQLite, which ops_framework uses through its C API (the state file).
_ops_lean_import(ops::lean_sqlite3 "${OPS_SQLITE3_ARCHIVE}" OPS_LEAN_STATIC_SQLITE SQLite::SQLite3
                 "the shared SQLite" Threads::Threads ${CMAKE_DL_LIBS} m)
# SQLiteCpp, for a charm whose own code uses it (${OPS_SQLITE_LINK}): its
# archive without its link interface (the shared SQLite), then SQLite's.
if(NOT TARGET ops::lean_sqlite)
  if(OPS_SQLITE3_ARCHIVE)
    get_target_property(sqlitecpp_archive SQLiteCpp LOCATION)
    add_library(ops::lean_sqlite STATIC IMPORTED GLOBAL)
    set_target_properties(ops::lean_sqlite PROPERTIES
      IMPORTED_LOCATION "${sqlitecpp_archive}"
      INTERFACE_LINK_LIBRARIES ops::lean_sqlite3)
  else()
    add_library(ops::lean_sqlite INTERFACE IMPORTED GLOBAL)
    set_target_properties(ops::lean_sqlite PROPERTIES INTERFACE_LINK_LIBRARIES SQLiteCpp)
  endif()
endif()
# libyaml (the C library ops reads charm metadata and Pebble layers with,
# src/ops/detail/yaml.cpp): its archive in a lean link, the shared library
# otherwise.
find_library(OPS_LIBYAML_ARCHIVE NAMES libyaml.a)
find_library(OPS_LIBYAML_SHARED NAMES yaml)
if(NOT TARGET ops::libyaml)
  if(NOT OPS_LIBYAML_SHARED)
    message(FATAL_ERROR "ops-cpp: libyaml not found (Debian: libyaml-dev)")
  endif()
  add_library(ops::libyaml UNKNOWN IMPORTED GLOBAL)
  set_target_properties(ops::libyaml PROPERTIES IMPORTED_LOCATION "${OPS_LIBYAML_SHARED}")
endif()
_ops_lean_import(ops::lean_libyaml "${OPS_LIBYAML_ARCHIVE}" OPS_LEAN_STATIC_LIBYAML ops::libyaml
                 "the shared libyaml")
# The link items: the archive in a lean link, the shared library otherwise
# ($<TARGET_PROPERTY:OPS_LEAN_LINK> is read on the executable being linked).
# The ops modules link OPS_LIBYAML_LINK and OPS_SQLITE3_LINK; the other two
# are for charm code that uses yaml-cpp or SQLiteCpp itself.
set(OPS_YAML_CPP_LINK "$<IF:$<BOOL:$<TARGET_PROPERTY:OPS_LEAN_LINK>>,ops::lean_yaml_cpp,yaml-cpp>")
set(OPS_SQLITE_LINK "$<IF:$<BOOL:$<TARGET_PROPERTY:OPS_LEAN_LINK>>,ops::lean_sqlite,SQLiteCpp>")
set(OPS_SQLITE3_LINK
    "$<IF:$<BOOL:$<TARGET_PROPERTY:OPS_LEAN_LINK>>,ops::lean_sqlite3,SQLite::SQLite3>")
set(OPS_LIBYAML_LINK "$<IF:$<BOOL:$<TARGET_PROPERTY:OPS_LEAN_LINK>>,ops::lean_libyaml,ops::libyaml>")

# Links <target> lean, or STATIC (see the top of this file).
function(ops_lean_link target)
  cmake_parse_arguments(ARG "STATIC" "" "" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ops_lean_link(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "ops_lean_link(${target}): no such target")
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "ops_lean_link(${target}): ${target} is a ${type}, not an executable")
  endif()
  set_property(TARGET ${target} PROPERTY OPS_LEAN_LINK ON)
  target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
  set(unwanted "")
  get_property(static_cxx GLOBAL PROPERTY OPS_LEAN_STATIC_CXX)
  get_property(static_sqlite GLOBAL PROPERTY OPS_LEAN_STATIC_SQLITE)
  get_property(static_libyaml GLOBAL PROPERTY OPS_LEAN_STATIC_LIBYAML)
  # The sanitizers' runtimes want the shared C++ runtime.
  set(sanitized FALSE)
  if(OPS_SANITIZE OR OPS_SANITIZE_THREAD OR CMAKE_CXX_FLAGS MATCHES "-fsanitize")
    set(sanitized TRUE)
  endif()
  set(fully_static FALSE)
  if(ARG_STATIC AND NOT sanitized)
    if(NOT static_cxx OR NOT static_sqlite OR NOT static_libyaml)
      message(FATAL_ERROR "ops_lean_link(${target} STATIC): needs the static archives of "
              "yaml-cpp, SQLite and libyaml (libyaml-cpp.a, libsqlite3.a, libyaml.a; Debian: "
              "libyaml-cpp-dev, libsqlite3-dev, libyaml-dev), and configure found: "
              "yaml-cpp ${static_cxx}, SQLite ${static_sqlite}, libyaml ${static_libyaml}")
    endif()
    set(fully_static TRUE)
    target_link_options(${target} PRIVATE -static)
  endif()
  if(static_cxx AND NOT sanitized)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    list(APPEND unwanted libstdc++ libyaml-cpp)
  endif()
  if(static_sqlite)
    list(APPEND unwanted libsqlite3)
  endif()
  if(static_libyaml)
    list(APPEND unwanted libyaml-0)
  endif()
  target_link_options(${target} PRIVATE LINKER:--as-needed LINKER:--gc-sections LINKER:-O1)
  find_program(OPS_LDD ldd)
  if((unwanted OR fully_static) AND OPS_LDD AND NOT CMAKE_CROSSCOMPILING)
    string(REPLACE ";" "|" unwanted "${unwanted}")
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" "-DOPS_LEAN_CHECK=$<TARGET_FILE:${target}>"
              "-DOPS_LDD=${OPS_LDD}" "-DOPS_LEAN_UNWANTED=${unwanted}"
              "-DOPS_LEAN_STATIC=${fully_static}" -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
      VERBATIM)
  endif()
endfunction()

function(ops_add_charm name)
  cmake_parse_arguments(ARG "SHARED_DEPS;STATIC;EXCLUDE_FROM_ALL" "DISPATCH;BASE" "FILES;BUNDLE"
                        ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ops_add_charm(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_SHARED_DEPS AND ARG_STATIC)
    message(FATAL_ERROR "ops_add_charm(${name}): SHARED_DEPS and STATIC exclude each other")
  endif()
  if(NOT ARG_DISPATCH OR NOT TARGET ${ARG_DISPATCH})
    message(FATAL_ERROR "ops_add_charm(${name}): DISPATCH must name an executable target")
  endif()
  if(NOT ARG_BASE)
    set(ARG_BASE "24.04")
  endif()
  if(ARG_STATIC)
    ops_lean_link(${ARG_DISPATCH} STATIC)
  elseif(NOT ARG_SHARED_DEPS)
    ops_lean_link(${ARG_DISPATCH})
  endif()
  set(arch "${CMAKE_SYSTEM_PROCESSOR}")
  if(arch MATCHES "^(x86_64|AMD64|amd64)$")
    set(arch amd64)
  elseif(arch MATCHES "^(aarch64|arm64)$")
    set(arch arm64)
  endif()
  set(abs_files "")
  set(depends "")
  foreach(f IN LISTS ARG_FILES)
    get_filename_component(abs "${f}" ABSOLUTE)
    list(APPEND abs_files "${abs}")
    if(IS_DIRECTORY "${abs}")
      file(GLOB_RECURSE tree CONFIGURE_DEPENDS "${abs}/*")
      list(APPEND depends ${tree})
    else()
      list(APPEND depends "${abs}")
    endif()
  endforeach()
  string(REPLACE ";" "|" files "${abs_files}")
  string(REPLACE ";" "|" bundle "${ARG_BUNDLE}")

  # The packaged copy finds its bundled libraries next to it.
  set_property(TARGET ${ARG_DISPATCH} APPEND PROPERTY BUILD_RPATH "\$ORIGIN/lib")

  get_property(version GLOBAL PROPERTY OPS_CHARM_VERSION)
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  set(dir "${PROJECT_BINARY_DIR}/charm/${name}")
  set(archive "${PROJECT_BINARY_DIR}/${name}.charm")
  add_custom_command(
    OUTPUT "${archive}" "${dir}/dispatch"
    COMMAND "${CMAKE_COMMAND}" "-DCHARM_DIR=${dir}" "-DARCHIVE=${archive}"
            "-DDISPATCH=$<TARGET_FILE:${ARG_DISPATCH}>" "-DFILES=${files}"
            "-DBUNDLE=${bundle}" "-DOBJDUMP=${CMAKE_OBJDUMP}"
            "-DSTRIP=${CMAKE_STRIP}" "-DARCH=${arch}" "-DBASE=${ARG_BASE}"
            "-DVERSION=${version}" -P "${script}"
    DEPENDS ${ARG_DISPATCH} ${depends} ${ARG_BUNDLE} "${script}"
    COMMENT "Packing charm ${name} into ${archive}"
    VERBATIM)
  # Part of the default build (`cmake --build <build>` writes the .charm),
  # unless EXCLUDE_FROM_ALL.
  if(ARG_EXCLUDE_FROM_ALL)
    add_custom_target(charm-${name} DEPENDS "${archive}")
  else()
    add_custom_target(charm-${name} ALL DEPENDS "${archive}")
  endif()
  if(NOT TARGET charm)
    add_custom_target(charm)
  endif()
  add_dependencies(charm charm-${name})
endfunction()
