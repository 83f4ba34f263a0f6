#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over the production sources:
# the framework, the charm libraries, the charms and the tools. Needs a
# configured build directory with compile_commands.json (the first argument,
# default build). Fails, naming each finding, when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${OPS_JOBS:-$(nproc)}
[ -f "$build/compile_commands.json" ] || { echo "check-tidy: no $build/compile_commands.json" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cpp' 'lib/*.cpp' 'charms/*.cpp' 'tools/*.cpp')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" |
     xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet >"$log" 2>&1; then
  grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "check-tidy: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} files clean"
