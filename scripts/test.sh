#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test:
#   1. the format check (clang-format),
#   2. the release build (-O2, warnings are errors) and all its ctest tests,
#   3. with OPS_TIDY=1, clang-tidy over the framework and the charm libraries
#      (scripts/check-tidy.sh; about 30 s of CPU a file, too slow for every CI run yet),
#   4. a sanitizer build (ASan + UBSan) of the tests, and its ctest run,
#   5. with OPS_TSAN=1, a ThreadSanitizer build of the threaded code's tests
#      (label "threaded": the Pebble client's exec, pebble-server, ops-sim) and
#      their ctest run (not yet in every CI run: see docs/architecture.md).
# Step 2 includes the HA fault tests (label "ha", real Redis and Sentinel in
# ops-sim, about 2.5 minutes); step 4 leaves them out (label "no-sanitize").
# OPS_SKIP_SANITIZE=1 skips steps 4 and 5 (development only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${OPS_JOBS:-$(nproc)}
export OPS_JOBS=$jobs

if [ "${OPS_TIDY:-0}" = 1 ]; then ./scripts/install-deps.sh clang-tidy-16; else ./scripts/install-deps.sh; fi
./scripts/check-format.sh

# Release at -O2 without debug information (as scripts/demo.sh builds): the
# debug information of every object and test executable is a quarter of the
# build's time, and the sanitizer pass below keeps line numbers for reports.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DOPS_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300)

if [ "${OPS_TIDY:-0}" = 1 ]; then
  ./scripts/check-tidy.sh build
fi

if [ "${OPS_SKIP_SANITIZE:-0}" != 1 ]; then
  # -g1: line tables only, enough for the file:line of every frame a
  # sanitizer report prints.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOPS_SANITIZE=ON \
        -DOPS_WERROR=ON -DOPS_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs" --timeout 600 -LE '^(no-sanitize|ha)$')
fi
if [ "${OPS_SKIP_SANITIZE:-0}" != 1 ] && [ "${OPS_TSAN:-0}" = 1 ]; then
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DOPS_SANITIZE_THREAD=ON -DOPS_WERROR=ON \
        -DOPS_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build-tsan -j "$jobs" --target ops_threaded_tests
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest --output-on-failure -j "$jobs" --timeout 600 -L '^threaded$' -LE '^(no-sanitize|ha)$')
fi
echo "test.sh: all tests passed ($root)"
