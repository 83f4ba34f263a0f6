#!/bin/sh
# Wall time and peak RSS of one redis-k8s dispatch: update-status on a
# non-leader unit with Redis unreachable, run as Juju runs it (the packaged,
# stripped dispatch from build/charm/redis-k8s, a fresh state file per run,
# the fake hook tools of tests/support/fake_juju on PATH over a model with no
# relations), plus the size of build/redis-k8s.charm.
#
#   bench/redis_k8s/dispatch_bench.sh [BUILD_DIR] [RUNS]
#
# BUILD_DIR defaults to ./build, RUNS to 21. Build first:
#   cmake --build BUILD_DIR --target charm fake-hook-tool
# Prints each run's wall time (ms, date +%s%N around the run) and max RSS
# (KiB, GNU time's %M), then the medians, the hook-tool calls of one run and,
# with valgrind installed, the instructions of the dispatch process itself
# (callgrind; the hook tools it spawns are not counted). Redis must not be
# listening on 127.0.0.1:6379 without a password (the run would then report
# Active, a different path).
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-21}
charm_src="$build/charm/redis-k8s"
[ -x "$charm_src/dispatch" ] || { echo "no $charm_src/dispatch: build the 'charm' target" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
fake_tool="$build/tests/support/fake_juju/fake-hook-tool"
[ -x "$fake_tool" ] || { echo "no $fake_tool: build the 'fake-hook-tool' target" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tools="$work/tools"
"$fake_tool" --install "$tools"
# The model: a non-leader without relations, TLS off, no resources attached.
state='{"leader": false, "config": {"enable-tls": false}, "relations": {}}'
log="$work/calls.log"

results="$work/results"
: > "$results"
i=0
while [ "$i" -lt "$runs" ]; do
  rm -rf "$work/charm"
  cp -r "$charm_src" "$work/charm"
  echo "$state" > "$work/state.json"
  : > "$log"
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/time" env -i PATH="$tools:/usr/bin:/bin" \
    FAKE_JUJU_STATE="$work" FAKE_JUJU_LOG="$log" \
    JUJU_DISPATCH_PATH=hooks/update-status JUJU_UNIT_NAME=redis-k8s/0 JUJU_MODEL_NAME=bench \
    JUJU_VERSION=3.5.0 JUJU_CHARM_DIR="$work/charm" "$work/charm/dispatch" > /dev/null 2>&1
  end=$(date +%s%N)
  read -r kib < "$work/time"
  ms=$(awk "BEGIN { printf \"%.1f\", ($end - $start) / 1000000 }")
  echo "run $i: ${ms} ms, ${kib} KiB"
  echo "$ms $kib" >> "$results"
  i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median wall time: $(cut -d' ' -f1 "$results" | median) ms over $runs runs"
echo "median peak RSS: $(cut -d' ' -f2 "$results" | median) KiB"
echo "hook tools per dispatch: $(wc -l < "$log")"
sed 's/^/  /' "$log"
if command -v valgrind > /dev/null; then
  rm -rf "$work/charm"
  cp -r "$charm_src" "$work/charm"
  echo "$state" > "$work/state.json"
  instructions=$(env -i PATH="$tools:/usr/bin:/bin" FAKE_JUJU_STATE="$work" FAKE_JUJU_LOG=/dev/null \
    JUJU_DISPATCH_PATH=hooks/update-status JUJU_UNIT_NAME=redis-k8s/0 JUJU_MODEL_NAME=bench \
    JUJU_VERSION=3.5.0 JUJU_CHARM_DIR="$work/charm" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/charm/dispatch" 2>&1 |
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
  echo "instructions (callgrind, the dispatch process without its hook tools): $instructions"
fi
echo "redis-k8s.charm: $(stat -c %s "$build/redis-k8s.charm") bytes"
echo "packaged dispatch: $(stat -c %s "$charm_src/dispatch") bytes (stripped); build copy: $(stat -c %s "$build/charms/redis-k8s/redis-k8s-dispatch") bytes"
echo "bundled libraries: $(cd "$charm_src" && ls lib 2>/dev/null | tr '\n' ' ')"
