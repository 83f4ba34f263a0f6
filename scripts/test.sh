#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test:
#   1. the format check,
#   2. the release build (RelWithDebInfo) and all its ctest tests,
#   3. a sanitizer build (ASan + UBSan) of the tests, and its ctest run.
# Set OPS_SKIP_SANITIZE=1 to skip step 3 during development.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${OPS_JOBS:-$(nproc)}

./scripts/install-deps.sh
./scripts/check-format.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300)

if [ "${OPS_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DOPS_SANITIZE=ON \
        -DOPS_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs" --timeout 600 -LE no-sanitize)
fi
echo "test.sh: all tests passed ($root)"
