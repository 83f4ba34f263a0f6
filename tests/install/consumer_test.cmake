# Script mode: install, configure the consumer against the install, build it
# (the default target, which packs the charms), run its programs (one links
# the installed charm libraries), then check the charm ops_add_charm packed: the .charm archive,
# a dispatch that loads none of the libraries a lean link makes static, and
# that dispatch run twice as Juju runs it (install hook, fake hook tools), the
# same charm packed with SHARED_DEPS (bundled libraries), and that a lean link
# next to a C++ shared library fails the build.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install "${OPS_BINARY_DIR}" --prefix "${prefix}" --component ops)
run(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
# The default build: the programs and both .charm files.
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(NOT last_output MATCHES "consumer: ok")
  message(FATAL_ERROR "consumer printed: ${last_output}")
endif()
message(STATUS "${last_output}")
run("${WORK_DIR}/build/consumer-libs")
if(NOT last_output STREQUAL "libs: ok\n")
  message(FATAL_ERROR "consumer-libs printed: ${last_output}")
endif()
foreach(header charms/redis_k8s/v0/redis.hpp charms/prometheus_k8s/v0/prometheus_scrape.hpp
               charms/grafana_k8s/v0/grafana_dashboard.hpp charms/loki_k8s/v1/loki_push_api.hpp
               charms/observability_libs/v0/juju_topology.hpp charms/reactive/v0/endpoint.hpp
               charms/http/v0/http.hpp)
  if(NOT EXISTS "${prefix}/include/${header}")
    message(FATAL_ERROR "the install has no include/${header}")
  endif()
endforeach()

# The packed charm.
set(charm "${WORK_DIR}/build/charm/consumer")
foreach(f "${WORK_DIR}/build/consumer.charm" "${charm}/dispatch" "${charm}/metadata.yaml"
          "${charm}/manifest.yaml")
  if(NOT EXISTS "${f}")
    message(FATAL_ERROR "ops_add_charm did not write ${f}")
  endif()
endforeach()
file(READ "${charm}/manifest.yaml" manifest)
if(NOT manifest MATCHES "\ncharmcraft-version: ops-cpp-[0-9]+\\.[0-9]+\\.[0-9]+\n")
  message(FATAL_ERROR "manifest.yaml does not name the ops-cpp version:\n${manifest}")
endif()
run(ldd "${charm}/dispatch")
foreach(lib libstdc\\+\\+ libyaml-cpp libsqlite3 libspdlog libfmt)
  if(last_output MATCHES "${lib}\\.so")
    message(FATAL_ERROR "the packed dispatch loads ${lib}.so:\n${last_output}")
  endif()
endforeach()

# A packed dispatch, run as Juju runs it from a copy of the charm directory,
# with hook tools that record their argv: two installs, counted.
function(run_installs name)
  set(unit "${WORK_DIR}/unit-${name}")
  file(COPY "${WORK_DIR}/build/charm/${name}/" DESTINATION "${unit}/charm")
  file(MAKE_DIRECTORY "${unit}/tools")
  foreach(tool status-set juju-log is-leader config-get)
    file(WRITE "${unit}/tools/${tool}"
         "#!/bin/sh\necho \"${tool} $*\" >> '${unit}/calls.log'\n"
         "case ${tool} in is-leader) echo false ;; config-get) echo '{}' ;; esac\n")
    file(CHMOD "${unit}/tools/${tool}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  endforeach()
  foreach(n 1 2)
    file(REMOVE "${unit}/calls.log")
    run(${CMAKE_COMMAND} -E env "PATH=${unit}/tools:/usr/bin:/bin"
        JUJU_DISPATCH_PATH=hooks/install JUJU_UNIT_NAME=${name}/0 JUJU_MODEL_NAME=test
        JUJU_VERSION=3.5.0 "JUJU_CHARM_DIR=${unit}/charm" "${unit}/charm/dispatch")
    file(READ "${unit}/calls.log" calls)
    if(NOT calls STREQUAL "status-set --application=False active -- consumer: installs ${n}\n")
      message(FATAL_ERROR "${name}: dispatch run ${n} called the hook tools:\n${calls}")
    endif()
  endforeach()
  run(ldd "${unit}/charm/dispatch")
  set(last_output "${last_output}" PARENT_SCOPE)
endfunction()
run_installs(consumer)

# SHARED_DEPS: the shared libraries are bundled, and found there.
file(GLOB bundled RELATIVE "${WORK_DIR}/build/charm/consumer-shared/lib"
     "${WORK_DIR}/build/charm/consumer-shared/lib/*")
list(SORT bundled)
if(NOT bundled STREQUAL "libsqlite3.so.0;libyaml-0.so.2")
  message(FATAL_ERROR "consumer-shared bundles: ${bundled}")
endif()
run_installs(consumer-shared)
string(FIND "${last_output}"
       "libyaml-0.so.2 => ${WORK_DIR}/unit-consumer-shared/charm/lib/libyaml-0.so.2" at)
if(at EQUAL -1)
  message(FATAL_ERROR "consumer-shared's dispatch does not load its bundled libyaml:\n${last_output}")
endif()
message(STATUS "packed consumer.charm (lean) and consumer-shared.charm; both counted installs")

# A lean link that would load libstdc++.so anyway fails the build, saying why.
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" --target lean-with-shared-cxx
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "a lean link next to a C++ shared library was built:\n${out}")
endif()
string(REGEX REPLACE "[ \n]+" " " said "${out}${err}")
if(NOT said MATCHES "ops_lean_link: [^ ]*/lean-with-shared-cxx loads libstdc\\+\\+\\.so, which a lean link puts in statically")
  message(FATAL_ERROR "the failed lean link did not say why:\n${out}\n${err}")
endif()
if(EXISTS "${WORK_DIR}/build/lean-with-shared-cxx")
  message(FATAL_ERROR "the refused lean link left its executable behind")
endif()
