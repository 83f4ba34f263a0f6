#!/usr/bin/env bash
# The project's main job, as far as it exists: installs what it needs, builds,
# and runs the framework over one state file across three process runs,
# showing an event deferred in one run and re-emitted in the next, and
# StoredState surviving between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${OPS_JOBS:-$(nproc)}

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" --target ops-framework-demo

state_dir=$(mktemp -d)
trap 'rm -rf "$state_dir"' EXIT
demo=build/tools/framework-demo/ops-framework-demo
for run in run-1 run-2 run-3; do
  echo "=== $run ==="
  "$demo" "$state_dir/.unit-state.db" "$run"
done
