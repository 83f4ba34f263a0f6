#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every check, all of them in
# every CI run:
#   1. the format check (clang-format),
#   2. the release build (-O2, warnings are errors) and all its ctest tests,
#      the HA fault tests included (label "ha", real Redis and Sentinel in
#      ops-sim, about 2.5 minutes),
#   3. clang-tidy over the framework and the charm libraries
#      (scripts/check-tidy.sh), at the lowest priority (nice 19) from the
#      release tests on: it takes the CPU the tests and the builds leave idle,
#      and is waited for at the end,
#   4. a sanitizer build (ASan + UBSan) of the tests, and its ctest run
#      (without the "no-sanitize" and "ha" tests),
#   5. a ThreadSanitizer build of the threaded code's tests (label "threaded":
#      the Pebble client's exec, pebble-server, ops-sim) and their ctest run.
# The builds are unity builds (OPS_UNITY_BUILD, see CMakeLists.txt): what
# makes all of this fit in CI's time; OPS_UNITY_BUILD=OFF builds file by file.
# They use Ninja (install-deps.sh installs it), and a compiler launcher from
# the environment if one is set (CMAKE_CXX_COMPILER_LAUNCHER=ccache).
# OPS_SKIP_SANITIZE=1 skips steps 4 and 5, OPS_SKIP_TIDY=1 step 3
# (development only). OPS_JOBS=N sets the parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${OPS_JOBS:-$(nproc)}
export OPS_JOBS=$jobs

./scripts/install-deps.sh
./scripts/check-format.sh

# configure DIR ARGS...: configures DIR as a unity build with warnings as
# errors; Ninja for a new DIR (an existing one keeps its generator).
configure() {
  local dir=$1
  shift
  local extra=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then extra+=(-G Ninja); fi
  cmake -S . -B "$dir" "${extra[@]}" -DOPS_WERROR=ON -DOPS_UNITY_BUILD="${OPS_UNITY_BUILD:-ON}" \
        "$@" >/dev/null
}

# clang-tidy runs in the background from the release tests on; stopped if
# anything fails first.
tidy_pid=
tidy_log=$(mktemp)
cleanup() {
  if [ -n "$tidy_pid" ]; then kill -- "-$tidy_pid" 2>/dev/null || true; fi
  rm -f "$tidy_log"
}
trap cleanup EXIT

# Release at -O2 without debug information (as scripts/demo.sh builds): the
# debug information of every object and test executable is a quarter of the
# build's time, and the sanitizer passes below keep line numbers for reports.
configure build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG"
cmake --build build -j "$jobs"
if [ "${OPS_SKIP_TIDY:-0}" != 1 ]; then
  setsid nice -n 19 ./scripts/check-tidy.sh build >"$tidy_log" 2>&1 &
  tidy_pid=$!
fi
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300)

if [ "${OPS_SKIP_SANITIZE:-0}" != 1 ]; then
  # -g1: line tables only, enough for the file:line of every frame a
  # sanitizer report prints.
  configure build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOPS_SANITIZE=ON \
            -DOPS_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs" --timeout 600 -LE '^(no-sanitize|ha)$')

  configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOPS_SANITIZE_THREAD=ON \
            -DOPS_BUILD_BENCHMARKS=OFF
  cmake --build build-tsan -j "$jobs" --target ops_threaded_tests
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest --output-on-failure -j "$jobs" --timeout 600 -L '^threaded$' -LE '^(no-sanitize|ha)$')
fi

if [ -n "$tidy_pid" ]; then
  status=0
  wait "$tidy_pid" || status=$?
  tidy_pid=
  cat "$tidy_log"
  [ "$status" = 0 ] || exit "$status"
fi
echo "test.sh: all tests passed ($root)"
