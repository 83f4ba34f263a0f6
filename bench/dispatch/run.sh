#!/bin/sh
# Times the bench charm's whole `dispatch` process on config-changed, with
# the fake hook tools (tests/support/fake_juju's fake-hook-tool, which logs
# each argv and gives fixed answers), and counts the hook tools one
# dispatch runs. Times the charm as ops_add_charm links a
# dispatch (charm/dispatch, ops_lean_link) and, when built, the same charm
# linked STATIC (charm-static/dispatch: glibc too, no dynamic loader) and
# against the shared libraries (charm-shared/dispatch, SHARED_DEPS).
# The floor is the same hook-tool calls (replayed from their recorded argv)
# run by a /bin/sh script without the charm; own cost = charm minus floor.
# With valgrind installed it counts the instructions of the dispatch process
# itself (callgrind; the hook tools it spawns are not counted), for this
# hook and for a no-op hook (update-status, which the charm does not
# observe); with strace installed, the fsync/fdatasync calls of both. The
# no-op hook's CPU time is measured too, beside that of an empty C program
# (the process floor of the machine: fork, exec, exit) and that of
# state_floor.c, a static program that only reads the state file with
# SQLite: the STATIC no-op hook minus it is ops-cpp's own part.
#   bench/dispatch/run.sh [BUILD_DIR] [RUNS]     (defaults: build, 50)
# On a busy machine the wall time mostly measures the run queue; as root,
# `chrt -f 50 bench/dispatch/run.sh ...` gives the dispatch (and its hook
# tools) a real-time priority, which is what an idle machine would show.
# Build first: cmake --build BUILD_DIR --target bench-dispatch-charm
#   dispatch-bench-driver fake-hook-tool [bench-dispatch-charm-static
#   bench-dispatch-charm-shared]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../../build"}
runs=${2:-50}
dispatch="$build/bench/dispatch/charm/dispatch"
driver="$build/bench/dispatch/dispatch-bench-driver"
fake_tool="$build/tests/support/fake_juju/fake-hook-tool"
for f in "$dispatch" "$driver" "$fake_tool"; do
  [ -x "$f" ] || { echo "missing $f: build bench-dispatch-charm, dispatch-bench-driver and fake-hook-tool" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-dispatch-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/charm" "$work/bin"
cp "$here/metadata.yaml" "$here/config.yaml" "$work/charm/"
log="$work/calls.log"
# The fake hook tools with fixed answers.
"$fake_tool" --install "$work/bin"
mkdir -p "$work/answers"
echo '{"name": "bench"}' > "$work/answers/config-get"
echo 'true' > "$work/answers/is-leader"
: > "$work/answers/status-set"
: > "$work/answers/juju-log"
export FAKE_JUJU_STATE="$work" FAKE_JUJU_LOG="$log"
export PATH="$work/bin:$PATH"
export JUJU_DISPATCH_PATH=hooks/config-changed JUJU_UNIT_NAME=bench-charm/0
export JUJU_MODEL_NAME=bench JUJU_MODEL_UUID=uuid-bench JUJU_VERSION=3.6.0
export JUJU_CHARM_DIR="$work/charm"

"$dispatch"  # warm-up, and the one run whose hook-tool calls are shown
echo "hook tools per dispatch:"
sed 's/^/  /' "$log"

# The floor: the same calls, run by a shell script instead of the charm.
floor="$work/floor"
{ echo '#!/bin/sh'; sed 's|$| > /dev/null|' "$log"; } > "$floor"
chmod +x "$floor"
calls_per_dispatch=$(wc -l < "$log")

# The floor and each dispatch built, in turn (one driver: the machine's
# drift over the runs weighs on each alike).
static="$build/bench/dispatch/charm-static/dispatch"
shared="$build/bench/dispatch/charm-shared/dispatch"
set -- "$floor"
for program in "$dispatch" "$static" "$shared"; do
  [ -x "$program" ] && set -- "$@" "$program"
done
echo "== config-changed, $runs runs each, in turn; the floor ($floor) is the $calls_per_dispatch hook-tool calls from /bin/sh"
: > "$log"
"$driver" "$@" "$runs" | tee "$work/charm.out"
echo "hook tool calls: $(wc -l < "$log") in $# x $runs runs, $calls_per_dispatch expected a run ($(grep -c '^config-get' "$log") config-get, $(grep -c '^status-set' "$log") status-set, $(grep -c '^is-leader' "$log") is-leader, $(grep -c '^juju-log' "$log") juju-log)"
awk -v floor="$floor" '
  /^== / { program = substr($0, 4) }
  /^median wall: / { wall[program] = $3 }
  /^median CPU \(user\+sys\): / { cpu[program] = $4; order[++n] = program }
  END {
    for (i = 1; i <= n; ++i) {
      p = order[i]
      if (p == floor) continue
      printf "own cost of %s (minus the floor): %.2f ms wall, %.2f ms CPU (floor: %.2f ms wall, %.2f ms CPU)\n",
             p, wall[p] - wall[floor], cpu[p] - cpu[floor], wall[floor], cpu[floor]
    }
  }' "$work/charm.out"

# The no-op hook's CPU, and the floors under it: an empty C program, linked
# as the C compiler links by default and -static (any process here), and
# state_floor.c linked -static against the system's SQLite (a process that
# only opens the state file, reads whether a notice waits, and closes it).
if command -v cc > /dev/null; then
  printf 'int main(void) { return 0; }\n' > "$work/empty.c"
  cc -O2 "$work/empty.c" -o "$work/empty" && cc -O2 -static "$work/empty.c" -o "$work/empty-static"
  # On success the linker's only words are SQLite's own warning about
  # dlopen in a static program, which is not ours to show.
  cc -O2 -static "$here/state_floor.c" -o "$work/state-floor" -lsqlite3 -lm 2> "$work/cc.err" ||
    { echo "state_floor.c not linked:"; sed 's/^/  /' "$work/cc.err"; }
  set --
  for program in "$dispatch" "$static" "$work/empty" "$work/empty-static" "$work/state-floor"; do
    [ -x "$program" ] && set -- "$@" "$program"
  done
  # One driver for all, running them in turn: the machine's drift over the
  # runs then weighs on each alike (the differences are a millisecond or less).
  echo "no-op update-status, median CPU (user+sys) of $runs runs each, the programs in turn:"
  JUJU_DISPATCH_PATH=hooks/update-status "$driver" "$@" "$runs" > "$work/noop.out"
  awk -v static="$static" -v floor="$work/state-floor" '
    /^== / { program = substr($0, 4) }
    /^median CPU \(user\+sys\): / {
      cpu = $4; printf "  %s ms  %s\n", cpu, program
      if (program == static) s = cpu
      if (program == floor) f = cpu
    }
    END {
      if (s != "" && f != "")
        printf "  ops-cpp'"'"'s own part of the STATIC no-op hook (minus the state floor): %.2f ms\n", s - f
    }' "$work/noop.out"
fi

instructions() {  # instructions PROGRAM HOOK: user-space instructions of one dispatch process
  JUJU_DISPATCH_PATH="hooks/$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$1" 2>&1 | sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
}
if command -v valgrind > /dev/null; then
  echo "instructions (callgrind, the dispatch process without its hook tools):"
  for program in "$dispatch" "$static"; do
    [ -x "$program" ] || continue
    echo "  $program"
    echo "    config-changed: $(instructions "$program" config-changed)"
    echo "    no-op update-status: $(instructions "$program" update-status)"
  done
  if [ -x "$work/state-floor" ]; then
    echo "  the state floor (state_floor.c): $(instructions "$work/state-floor" update-status)"
  fi
fi

syncs() {  # syncs HOOK: fsync + fdatasync calls of one dispatch
  JUJU_DISPATCH_PATH="hooks/$1" strace -f -c -o "$work/strace.out" -e trace=fsync,fdatasync \
    "$dispatch"
  awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$work/strace.out"
}
if command -v strace > /dev/null; then
  echo "fsync+fdatasync calls (strace -f -c -e trace=fsync,fdatasync):"
  echo "  config-changed (stored state changed): $(syncs config-changed)"
  echo "  no-op update-status: $(syncs update-status)"
fi
