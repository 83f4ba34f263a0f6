# Packaging a charm built with ops-cpp.
#
# ops_add_charm(<name> DISPATCH <executable target> FILES <files...> [BASE <channel>])
#
# adds a target `charm-<name>` (and makes the umbrella target `charm` depend
# on it) that assembles the deployable charm:
#
#   <build>/charm/<name>/dispatch        the executable, stripped (the build's copy stays unstripped)
#   <build>/charm/<name>/lib/*.so*       the shared libraries it needs beyond glibc and libstdc++
#   <build>/charm/<name>/<FILES>         metadata.yaml, config.yaml, actions.yaml, ...
#   <build>/charm/<name>/manifest.yaml   as charmcraft writes it (bases, analysis)
#   <build>/<name>.charm                 a zip of that directory, for `juju deploy ./<name>.charm`
#
# The executable gets the run path $ORIGIN/lib so that the bundled libraries
# are found in the charm container, which has none of them installed. BASE
# is the Ubuntu channel the charm runs on (default 24.04: the build machine's
# glibc must not be newer than the base's).
#
# The same file is also the packing script: run with -P, it does the work of
# one charm-<name> target (the variables are passed with -D).

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- packing script: CHARM_DIR ARCHIVE DISPATCH FILES STRIP ARCH BASE VERSION ----
  foreach(var CHARM_DIR ARCHIVE DISPATCH ARCH BASE VERSION)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
      message(FATAL_ERROR "OpsCharm.cmake: ${var} is not set")
    endif()
  endforeach()
  string(REPLACE "|" ";" FILES "${FILES}")

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
    file(COPY_FILE "${f}" "${CHARM_DIR}/${base}")
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

# ---- configure time: the ops_add_charm() function ----
set(OPS_CHARM_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")

function(ops_add_charm name)
  cmake_parse_arguments(ARG "" "DISPATCH;BASE" "FILES" ${ARGN})
  if(NOT ARG_DISPATCH OR NOT TARGET ${ARG_DISPATCH})
    message(FATAL_ERROR "ops_add_charm(${name}): DISPATCH must name an executable target")
  endif()
  if(NOT ARG_BASE)
    set(ARG_BASE "24.04")
  endif()
  set(arch "${CMAKE_SYSTEM_PROCESSOR}")
  if(arch MATCHES "^(x86_64|AMD64|amd64)$")
    set(arch amd64)
  elseif(arch MATCHES "^(aarch64|arm64)$")
    set(arch arm64)
  endif()
  set(files "")
  foreach(f IN LISTS ARG_FILES)
    get_filename_component(abs "${f}" ABSOLUTE)
    list(APPEND abs_files "${abs}")
  endforeach()
  string(REPLACE ";" "|" files "${abs_files}")

  # The packaged copy finds its bundled libraries next to it.
  set_property(TARGET ${ARG_DISPATCH} APPEND PROPERTY BUILD_RPATH "\$ORIGIN/lib")

  set(dir "${PROJECT_BINARY_DIR}/charm/${name}")
  set(archive "${PROJECT_BINARY_DIR}/${name}.charm")
  add_custom_command(
    OUTPUT "${archive}" "${dir}/dispatch"
    COMMAND "${CMAKE_COMMAND}" "-DCHARM_DIR=${dir}" "-DARCHIVE=${archive}"
            "-DDISPATCH=$<TARGET_FILE:${ARG_DISPATCH}>" "-DFILES=${files}"
            "-DSTRIP=${CMAKE_STRIP}" "-DARCH=${arch}" "-DBASE=${ARG_BASE}"
            "-DVERSION=${PROJECT_VERSION}" -P "${OPS_CHARM_SCRIPT}"
    DEPENDS ${ARG_DISPATCH} ${abs_files} "${OPS_CHARM_SCRIPT}"
    COMMENT "Packing charm ${name} into ${archive}"
    VERBATIM)
  add_custom_target(charm-${name} DEPENDS "${archive}")
  if(NOT TARGET charm)
    add_custom_target(charm)
  endif()
  add_dependencies(charm charm-${name})
endfunction()
