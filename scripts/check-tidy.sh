#!/usr/bin/env bash
# Runs clang-tidy 16 (the checks in .clang-tidy) over the framework's and the
# charm libraries' sources (src/, lib/): the code every charm links. Needs a
# configured build directory with compile_commands.json (the first argument,
# default build). Fails, naming each finding, when there is one.
# In a unity build (OPS_UNITY_BUILD) it checks the batches of src/ and lib/
# files as they are compiled: each batch parses the headers once, which is
# most of clang-tidy's time (a file alone costs 8 s of CPU before any check).
# clang-tidy 16 is the first that parses this C++20 (parenthesized aggregate
# initialisation); Boost 1.74's Asio only detects C++20 coroutines on GCC, so
# the two macros below tell it that clang has them too.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}
jobs=${OPS_JOBS:-$(nproc)}
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "check-tidy: no $db" >&2; exit 1; }
# The translation units of the build: a src/ or lib/ file compiled on its
# own, or a unity batch that includes one.
files=()
while IFS= read -r f; do
  case "$f" in
    "$root"/src/*.cpp | "$root"/lib/*.cpp) files+=("$f") ;;
    */Unity/unity_*.cxx)
      if grep -qE "^#include \"$root/(src|lib)/" "$f"; then files+=("$f"); fi ;;
  esac
done < <(sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' "$db" | sort -u)
[ "${#files[@]}" -gt 0 ] || { echo "check-tidy: no src/ or lib/ file in $db" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" |
     xargs -P "$jobs" -n 1 clang-tidy-16 -p "$build" --quiet \
       --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE \
       >"$log" 2>&1; then
  grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "check-tidy: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} translation units clean"
