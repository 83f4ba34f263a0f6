#!/bin/sh
# Times the bench charm's whole `dispatch` process on config-changed, with
# fake hook tools (tiny shell scripts that log their argv), and counts the
# hook tools one dispatch runs. Times the charm as ops_add_charm links a
# dispatch (charm/dispatch, ops_lean_link) and, when built, the same charm
# linked against the shared libraries (charm-shared/dispatch, SHARED_DEPS).
#   bench/dispatch/run.sh [BUILD_DIR] [RUNS]     (defaults: build, 50)
# On a busy machine the wall time mostly measures the run queue; as root,
# `chrt -f 50 bench/dispatch/run.sh ...` gives the dispatch (and its hook
# tools) a real-time priority, which is what an idle machine would show.
# Build first: cmake --build BUILD_DIR --target bench-dispatch-charm
#   dispatch-bench-driver [bench-dispatch-charm-shared]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../../build"}
runs=${2:-50}
dispatch="$build/bench/dispatch/charm/dispatch"
driver="$build/bench/dispatch/dispatch-bench-driver"
for f in "$dispatch" "$driver"; do
  [ -x "$f" ] || { echo "missing $f: build bench-dispatch-charm and dispatch-bench-driver" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-dispatch-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/charm" "$work/bin"
cp "$here/metadata.yaml" "$here/config.yaml" "$work/charm/"
log="$work/calls.log"
tool() {  # tool NAME STDOUT
  printf '#!/bin/sh\necho "%s $*" >> "%s"\nprintf %%s '"'"'%s'"'"'\n' "$1" "$log" "$2" > "$work/bin/$1"
  chmod +x "$work/bin/$1"
}
tool config-get '{"name": "bench"}'
tool status-set ''
tool is-leader 'true'
tool juju-log ''

export PATH="$work/bin:$PATH"
export JUJU_DISPATCH_PATH=hooks/config-changed JUJU_UNIT_NAME=bench-charm/0
export JUJU_MODEL_NAME=bench JUJU_MODEL_UUID=uuid-bench JUJU_VERSION=3.6.0
export JUJU_CHARM_DIR="$work/charm"

"$dispatch"  # warm-up, and the one run whose hook-tool calls are shown
echo "hook tools per dispatch:"
sed 's/^/  /' "$log"
shared="$build/bench/dispatch/charm-shared/dispatch"
for program in "$dispatch" "$shared"; do
  [ -x "$program" ] || continue
  echo "== $program"
  : > "$log"
  "$driver" "$program" "$runs"
  echo "hook tool calls in $runs runs: $(wc -l < "$log") ($(grep -c '^config-get' "$log") config-get, $(grep -c '^status-set' "$log") status-set, $(grep -c '^is-leader' "$log") is-leader, $(grep -c '^juju-log' "$log") juju-log)"
done
