#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every check, all of them in
# every CI run:
#   1. the format check (clang-format),
#   2. the release build (-O2, warnings are errors) of the libraries, tools,
#      charms and benchmarks, each header compiled on its own, and the tests
#      only a release build can check (target ops_release_checks, see
#      cmake/OpsModules.cmake), then those tests: the HA fault tests (label
#      "ha": real Redis and Sentinel in ops-sim, bound by Sentinel's timing,
#      about 2.5 minutes), the installed package and the lean and static
#      links of dispatch (labels "no-sanitize" and "release"),
#   3. clang-tidy over the framework and the charm libraries
#      (scripts/check-tidy.sh), at the lowest priority (nice 19) from the
#      release tests on: it takes the CPU the tests and the builds leave idle,
#      and is waited for at the end,
#   4. a sanitizer build (ASan + UBSan) of everything, and every other test
#      under it (all but "no-sanitize"): each test runs once, in the build
#      that checks it most,
#   5. a ThreadSanitizer build of the threaded code's tests (label "threaded":
#      the Pebble client's exec, pebble-server, ops-sim) and their ctest run.
# With OPS_SKIP_SANITIZE=1 (development only) steps 4 and 5 are skipped and
# the release pass builds and runs every test instead.
# The builds are unity builds (OPS_UNITY_BUILD, see CMakeLists.txt): what
# makes all of this fit in CI's time; OPS_UNITY_BUILD=OFF builds file by file.
# They use Ninja (install-deps.sh installs it), and a compiler launcher from
# the environment if one is set (CMAKE_CXX_COMPILER_LAUNCHER=ccache).
# OPS_SKIP_TIDY=1 skips step 3 (development only). OPS_JOBS=N sets the
# parallelism (default: nproc).
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
# With the sanitizer passes to follow, the release pass builds and runs only
# what they cannot check; without them, everything.
sanitize=1 release_target=(--target ops_release_checks) release_tests=(-L '^(release|no-sanitize)$')
if [ "${OPS_SKIP_SANITIZE:-0}" = 1 ]; then
  sanitize=0 release_target=() release_tests=()
fi
cmake --build build -j "$jobs" "${release_target[@]}"
if [ "${OPS_SKIP_TIDY:-0}" != 1 ]; then
  setsid nice -n 19 ./scripts/check-tidy.sh build >"$tidy_log" 2>&1 &
  tidy_pid=$!
fi
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300 "${release_tests[@]}")

if [ "$sanitize" = 1 ]; then
  # -g1: line tables only, enough for the file:line of every frame a
  # sanitizer report prints. handle_sigill: UBSan traps (see CMakeLists.txt,
  # OPS_SANITIZE), and ASan prints where.
  configure build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOPS_SANITIZE=ON \
            -DOPS_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:handle_sigill=1 \
     ctest --output-on-failure -j "$jobs" --timeout 600 -LE '^no-sanitize$')

  configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOPS_SANITIZE_THREAD=ON \
            -DOPS_BUILD_BENCHMARKS=OFF
  cmake --build build-tsan -j "$jobs" --target ops_threaded_tests
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest --output-on-failure -j "$jobs" --timeout 600 -L '^threaded$' -LE '^no-sanitize$')
fi

if [ -n "$tidy_pid" ]; then
  status=0
  wait "$tidy_pid" || status=$?
  tidy_pid=
  cat "$tidy_log"
  [ "$status" = 0 ] || exit "$status"
fi
echo "test.sh: all tests passed ($root)"
