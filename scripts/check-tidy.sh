#!/usr/bin/env bash
# Runs clang-tidy 16 (the checks in .clang-tidy) over the framework's and the
# charm libraries' sources (src/, lib/): the code every charm links. Needs a
# configured build directory with compile_commands.json (the first argument,
# default build). Fails, naming each finding, when there is one.
# clang-tidy 16 is the first that parses this C++20 (parenthesized aggregate
# initialisation); Boost 1.74's Asio only detects C++20 coroutines on GCC, so
# the two macros below tell it that clang has them too.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${OPS_JOBS:-$(nproc)}
[ -f "$build/compile_commands.json" ] || { echo "check-tidy: no $build/compile_commands.json" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cpp' 'lib/*.cpp')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" |
     xargs -P "$jobs" -n 4 clang-tidy-16 -p "$build" --quiet \
       --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE \
       >"$log" 2>&1; then
  grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "check-tidy: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} files clean"
